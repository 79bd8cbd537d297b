#!/bin/sh
# Starts a demo ftpsd on 127.0.0.1:2121 in the foreground (Ctrl-C stops it).
# What it changes on this machine, all of it listed in README:
#  - installs missing build/test Debian packages (tests/install-deps.sh),
#  - creates the user "ftpdemo" (password "ftpdemo") if missing,
#  - installs etc/pam.d/ftpsd as /etc/pam.d/ftpsd if that file is missing,
#  - creates /run/ftpsd/empty (the pre-login sandbox directory).
set -e
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root (it creates a user and a PAM file)"; exit 1; }
sh tests/install-deps.sh
make -s ftpsd
if ! id ftpdemo >/dev/null 2>&1; then
	useradd -m -s /bin/bash ftpdemo
	echo 'ftpdemo:ftpdemo' | chpasswd
	echo 'Hello from ftpsd.' > /home/ftpdemo/hello.txt
	chown ftpdemo: /home/ftpdemo/hello.txt
fi
[ -e /etc/pam.d/ftpsd ] || install -m 0644 etc/pam.d/ftpsd /etc/pam.d/ftpsd
./ftpsd -t -c etc/demo.conf
echo "ftpsd demo: ftp://ftpdemo:ftpdemo@127.0.0.1:2121/  (try: curl ftp://ftpdemo:ftpdemo@127.0.0.1:2121/hello.txt)"
exec ./ftpsd -f -c etc/demo.conf
