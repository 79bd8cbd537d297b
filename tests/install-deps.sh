#!/bin/sh
# Installs the Debian packages that building and testing ftpsd needs, if any
# are missing. Needs root (it is what `make check` runs first).
set -e
PKGS="build-essential pkg-config libssl-dev libcap-dev libseccomp-dev \
libpam0g-dev libcrypt-dev libcmocka-dev python3 python3-pytest curl lftp socat \
openssl iproute2 nftables procps passwd systemd fail2ban \
debhelper dpkg-dev adduser ssl-cert logrotate clang-14 clang-format-14 libclang-rt-14-dev \
miniupnpd-nftables haproxy"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# miniupnpd-nftables (the NAT lab's router, tests/nat/test_natmap.py) is
# only the daemon: no service unit, init script, postinst or debconf
# question (Debian's separate miniupnpd package has those, and with
# --no-install-recommends it is not pulled in), so installing it starts
# nothing; the tests run it themselves in the router namespace.
[ -z "$missing" ] && exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
