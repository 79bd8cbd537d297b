#!/bin/sh
# Starts a demo ftpsd on 127.0.0.1:2121 in the foreground (Ctrl-C stops it).
# What it changes on this machine, all of it listed in README:
#  - installs missing build/test Debian packages (tests/install-deps.sh),
#  - creates the user "ftpdemo" (password "ftpdemo") if missing,
#  - installs etc/pam.d/ftpsd as /etc/pam.d/ftpsd if that file is missing,
#  - creates /run/ftpsd/empty (the pre-login sandbox directory),
#  - makes a self-signed certificate in /var/lib/ftpsd-demo.
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
if [ ! -e /var/lib/ftpsd-demo/key.pem ]; then
	install -d -m 0700 /var/lib/ftpsd-demo
	openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=127.0.0.1 \
		-keyout /var/lib/ftpsd-demo/key.pem -out /var/lib/ftpsd-demo/cert.pem 2>/dev/null
fi
./ftpsd -t -c etc/demo.conf
cat <<MSG
ftpsd demo on 127.0.0.1: user ftpdemo, password ftpdemo. Try:
  curl ftp://ftpdemo:ftpdemo@127.0.0.1:2121/hello.txt
  curl --ssl-reqd -k ftp://ftpdemo:ftpdemo@127.0.0.1:2121/hello.txt   (explicit FTPS)
  curl -k ftps://ftpdemo:ftpdemo@127.0.0.1:2990/hello.txt             (implicit FTPS)
  lftp -e 'set ssl:verify-certificate no' -u ftpdemo,ftpdemo -p 2121 127.0.0.1
MSG
exec ./ftpsd -f -c etc/demo.conf
