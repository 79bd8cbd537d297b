#!/bin/bash
# ftpsd vs vsftpd, ProFTPD and Pure-FTPd: sudo bench/run.sh [--quick] [ftpbench.py options]
# Checks the tools, gets the peer daemons that are missing from Debian's
# packages, then runs bench/ftpbench.py with ./ftpsd as it is built (it never
# builds it). See bench/README.md.
#
# Debian's vsftpd, pure-ftpd and proftpd-core each "Conflicts: ftp-server",
# so dpkg can hold only one of them. A daemon that is installed
# (/usr/sbin/NAME) is used as it is; one that is missing is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into
# /var/tmp/ftpsd-bench-cache/peers/NAME (no maintainer script runs, no
# service is enabled, dpkg's database is not touched), and the libraries it
# links with are installed with apt-get.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
CACHE=/var/tmp/ftpsd-bench-cache
PEERS=$CACHE/peers
POLICY=/usr/sbin/policy-rc.d
POLICY_MARK="# temporary, made by ftpsd bench/run.sh while it installs packages"

for a in "$@"; do
	case "$a" in
	--clean-cache | -h | --help) exec /usr/bin/python3 "$HERE/ftpbench.py" "$@";;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: run as root (it starts the daemons and creates a test user)" >&2
	exit 1
fi

# A policy-rc.d left by a run that was killed during apt-get install.
if [ -f "$POLICY" ] && grep -qxF "$POLICY_MARK" "$POLICY"; then
	rm -f "$POLICY"
fi

updated=0
apt_update() {
	if [ "$updated" = 0 ]; then
		apt-get update -qq
		updated=1
	fi
}

installed_pkgs() {
	dpkg-query -W -f '${Package} ${db:Status-Status}\n' | awk '$2 == "installed" { print $1 }' | sort
}

# apt-get install PKGS, with no service of theirs left enabled or running:
# a temporary policy-rc.d (exit 101) keeps the maintainer scripts from
# starting services, and every service or init script of a package this
# install added is disabled (and stopped, if something started it anyway).
apt_install() {
	echo "bench/run.sh: installing $* (apt-get)" >&2
	local before made_policy=0 new p f units=() scripts=()
	before=$(mktemp)
	installed_pkgs >"$before"
	if [ ! -e "$POLICY" ]; then
		printf '#!/bin/sh\n%s\nexit 101\n' "$POLICY_MARK" >"$POLICY"
		chmod 755 "$POLICY"
		made_policy=1
		trap 'rm -f "$POLICY"' EXIT
	fi
	apt_update
	local out
	out=$(mktemp)
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"$@" >"$out" 2>&1; then
		cat "$out" >&2
		rm -f "$out"
		exit 1
	fi
	rm -f "$out"
	if [ "$made_policy" = 1 ]; then
		rm -f "$POLICY"
		trap - EXIT
	fi
	new=$(installed_pkgs | comm -13 "$before" -)
	rm -f "$before"
	for p in $new; do
		while read -r f; do
			case "$f" in
			*@.service | *@.socket) ;;
			/lib/systemd/system/*.service | /lib/systemd/system/*.socket | \
			/usr/lib/systemd/system/*.service | /usr/lib/systemd/system/*.socket)
				units+=("$(basename "$f")");;
			/etc/init.d/*) scripts+=("$(basename "$f")");;
			esac
		done < <(dpkg -L "$p" 2>/dev/null)
	done
	if [ -d /run/systemd/system ] && [ ${#units[@]} -gt 0 ]; then
		echo "bench/run.sh: disabling the services this install added: ${units[*]}" >&2
		systemctl disable --now "${units[@]}" >&2 || true
	elif [ ${#scripts[@]} -gt 0 ]; then
		echo "bench/run.sh: disabling the init scripts this install added: ${scripts[*]}" >&2
		for f in "${scripts[@]}"; do
			"/etc/init.d/$f" stop >/dev/null 2>&1 || true
			update-rc.d "$f" disable >/dev/null 2>&1 || true
		done
	fi
}

# unpack NAME PKG...: Debian's PKGs (the current candidates) into $PEERS/NAME,
# plus the libraries they depend on (installed with apt-get).
unpack() {
	local dest=$PEERS/$1 tmp p deb libs=()
	shift
	[ -f "$dest/.complete" ] && return 0
	echo "bench/run.sh: fetching $* (apt-get download) into $dest" >&2
	apt_update
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -qq "$@" >&2)
	for p in "$@"; do
		deb=$(ls "$tmp/${p}_"*.deb)
		dpkg-deb -x "$deb" "$dest.tmp"
		echo "$p $(dpkg-deb -f "$deb" Version)" >>"$dest.tmp/.versions"
		# Depends: the first of each alternative, without versions;
		# the libraries only (not debconf, adduser, inetd, the peers).
		while read -r d; do
			case "$d" in
			lib*) dpkg-query -W -f '${db:Status-Status}' "$d" 2>/dev/null |
				grep -qx installed || libs+=("$d");;
			esac
		done < <(dpkg-deb -f "$deb" Depends Pre-Depends | sed 's/^[A-Za-z-]*: //' |
			tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$')
	done
	rm -rf "$tmp"
	if [ ${#libs[@]} -gt 0 ]; then
		mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)
		apt_install "${libs[@]}"
	fi
	touch "$dest.tmp/.complete"
	mv "$dest.tmp" "$dest"
}

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v useradd >/dev/null || missing+=(passwd)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

[ -x /usr/sbin/vsftpd ] || unpack vsftpd vsftpd
[ -x /usr/sbin/pure-ftpd ] || unpack pure-ftpd pure-ftpd
if [ ! -x /usr/sbin/proftpd ]; then
	unpack proftpd proftpd-core proftpd-mod-crypto
elif [ ! -e /usr/lib/proftpd/mod_tls.so ]; then
	# an installed ProFTPD without mod_tls: the module package matches it
	apt_install proftpd-mod-crypto
fi

for a in "$@"; do
	if [ "$a" = --setup-only ]; then
		echo "bench/run.sh: tools and peers are in place" >&2
		exit 0
	fi
done

if [ ! -x "$REPO/ftpsd" ]; then
	echo "bench/run.sh: $REPO/ftpsd is not built ('make' first); the ftpsd rows are" \
	     "left empty and only the peers are measured" >&2
fi

exec /usr/bin/python3 "$HERE/ftpbench.py" "$@"
