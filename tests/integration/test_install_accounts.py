"""make install's accounts (etc/install-accounts.sh, issue 12): the
anonymous account as Debian's FTP server packages make it (a system
account, no shell, a root-owned home) and secure_chroot_dir, each only
when missing, so a second run changes nothing. Run with a test account
name and directories under tmp, removed afterwards."""

import os
import pwd
import stat
import subprocess

import pytest

from conftest import REPO

SCRIPT = os.path.join(REPO, "etc", "install-accounts.sh")
NAME = "ftpsd-inst-t"


@pytest.fixture
def account():
    yield NAME
    subprocess.run(["userdel", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["groupdel", NAME], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def install(user, home, chroot_dir):
    return subprocess.run(["sh", SCRIPT, user, str(home), str(chroot_dir)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)


def test_creates_account_and_dirs_once(account, tmp_path):
    home, empty = tmp_path / "srv-ftp", tmp_path / "run" / "empty"
    r = install(account, home, empty)
    assert r.returncode == 0, r.stdout
    pw = pwd.getpwnam(account)
    assert pw.pw_shell == "/usr/sbin/nologin"
    assert pw.pw_dir == str(home)
    assert pw.pw_uid < 1000                  # a system account
    st = os.stat(home)
    assert st.st_uid == 0 and st.st_gid == pw.pw_gid
    assert stat.S_IMODE(st.st_mode) == 0o755  # the anonymous user cannot write its root
    st = os.stat(empty)
    assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o555
    # again: nothing changes, nothing fails
    r = install(account, home, empty)
    assert r.returncode == 0, r.stdout
    assert pwd.getpwnam(account).pw_uid == pw.pw_uid


def test_existing_account_is_kept(account, tmp_path):
    subprocess.run(["useradd", "--system", "--user-group", "--shell", "/bin/sh",
                    "--home-dir", "/nonexistent", "--no-create-home", account], check=True)
    before = pwd.getpwnam(account)
    r = install(account, tmp_path / "h", tmp_path / "e")
    assert r.returncode == 0, r.stdout
    after = pwd.getpwnam(account)
    assert (after.pw_uid, after.pw_shell, after.pw_dir) == \
        (before.pw_uid, before.pw_shell, before.pw_dir)

