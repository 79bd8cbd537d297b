#!/bin/bash
# ftpsd vs vsftpd benchmark: sudo bench/run.sh [--quick] [ftpbench.py options]
# Checks the tools (installs missing Debian packages with apt-get), builds
# ftpsd if it is not built, then runs bench/ftpbench.py. See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")

if [ "$(id -u)" != 0 ]; then
	echo "bench/run.sh: run as root (it starts both daemons and creates a test user)" >&2
	exit 1
fi

missing=()
[ -x /usr/sbin/vsftpd ] || missing+=(vsftpd)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v useradd >/dev/null || missing+=(passwd)
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench/run.sh: installing ${missing[*]} (apt-get)" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	case " ${missing[*]} " in *" vsftpd "*)
		echo "bench/run.sh: note: the vsftpd package enables its own service (port 21);" \
		     "'systemctl disable --now vsftpd' if you do not want it." >&2;;
	esac
fi

if [ ! -x "$REPO/ftpsd" ]; then
	echo "bench/run.sh: building ftpsd" >&2
	make -C "$REPO" ftpsd
fi

exec /usr/bin/python3 "$HERE/ftpbench.py" "$@"
