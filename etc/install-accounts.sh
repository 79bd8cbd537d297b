#!/bin/sh
# make install's accounts, as Debian's FTP server packages make them
# (debian/ftpsd.postinst does the same for the .deb): the anonymous
# account USER with its home HOME (anon_root: root-owned, not writable by
# USER), a system account with no shell; and the pre-login engine's empty
# root CHROOT_DIR (secure_chroot_dir). Each only when missing: running it
# again changes nothing.
#   install-accounts.sh USER HOME CHROOT_DIR
set -e
user=${1:?user} home=${2:?home} chroot_dir=${3:?chroot dir}

if ! getent passwd "$user" >/dev/null; then
	useradd --system --user-group --home-dir "$home" --no-create-home \
		--shell /usr/sbin/nologin --comment "ftp daemon" "$user"
fi
if [ ! -d "$home" ]; then
	mkdir -p "$home"
	chown "root:$(id -gn "$user")" "$home"
	chmod 0755 "$home"
fi
if [ ! -d "$chroot_dir" ]; then
	mkdir -p "$chroot_dir"
	chown root:root "$chroot_dir"
	chmod 0555 "$chroot_dir"
fi
