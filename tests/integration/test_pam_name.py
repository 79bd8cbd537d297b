"""The name PAM settles on is the name everything after PAM uses (issue 10,
item 9): user_config_dir, the user list and the chroot list go by PAM_USER
after pam_authenticate/pam_acct_mgmt, not by what the client typed. The PAM
stack maps names with Debian's pam_ftp (its users= list: whoever types the
second name is logged in as the first), in a service file this module
writes and removes."""

import ftplib
import io
import os

import pytest

from conftest import HOST, TIMEOUT, USER

ALIAS = "ftpsd-alias"          # typed by the client; no such account
SERVICE = "ftpsd-test-rename"
PAM_FILE = os.path.join("/etc/pam.d", SERVICE)


@pytest.fixture(scope="module")
def rename_pam():
    with open(PAM_FILE, "w") as f:
        f.write(f"auth required pam_ftp.so users={USER},{ALIAS} ignore\n"
                "auth optional pam_permit.so\n"
                "account required pam_permit.so\n"
                "session required pam_permit.so\n")
    os.chmod(PAM_FILE, 0o644)
    yield SERVICE
    os.unlink(PAM_FILE)


def login(s, user=ALIAS):
    f = ftplib.FTP()
    f.connect(HOST, s.port, timeout=TIMEOUT)
    s._clients.append(f)
    f.login(user, "any@where")
    return f


def test_alias_logs_in_as_the_mapped_account(server, rename_pam, test_user):
    s = server(pam_service_name=rename_pam, chroot_local_user=False)
    f = login(s)
    assert f.pwd() == test_user.home
    s.wait_log(rf"login ok: user {USER} client ", source=s.logfile)


def test_user_config_dir_goes_by_the_settled_name(server, rename_pam, workdir, tmp_path):
    confdir = tmp_path / "userconf"
    confdir.mkdir()
    workdir.write("mapped.txt", b"the mapped user's root")
    typed = workdir.mkdir("typed")
    (confdir / USER).write_text(f"local_root={workdir.real}\nwrite_enable=NO\n")
    (confdir / ALIAS).write_text(f"local_root={typed}\n")   # must not apply
    s = server(pam_service_name=rename_pam, user_config_dir=str(confdir), write_enable=True,
               chroot_local_user=True)
    f = login(s)
    names = f.nlst()
    assert "mapped.txt" in names and "typed" in names, names
    with pytest.raises(ftplib.error_perm):
        f.storbinary("STOR x", io.BytesIO(b"x"))


def test_user_list_goes_by_the_settled_name(server, rename_pam, tmp_path):
    lst = tmp_path / "user_list"
    lst.write_text(f"{USER}\n")
    s = server(pam_service_name=rename_pam, userlist_enable=True, userlist_deny=True,
               userlist_file=str(lst))
    with pytest.raises(ftplib.error_perm, match="530"):
        login(s)
    s.wait_log(rf"login failed: user {ALIAS} client .*in userlist_file .*as {USER}, the name "
               r"PAM settled on", source=s.logfile)


def test_allow_list_goes_by_the_settled_name(server, rename_pam, tmp_path):
    lst = tmp_path / "user_list"
    lst.write_text(f"{ALIAS}\n")             # the typed name passes, the real one is not there
    s = server(pam_service_name=rename_pam, userlist_enable=True, userlist_deny=False,
               userlist_file=str(lst))
    with pytest.raises(ftplib.error_perm, match="530"):
        login(s)


def test_chroot_list_goes_by_the_settled_name(server, rename_pam, tmp_path, test_user):
    lst = tmp_path / "chroot_list"
    lst.write_text(f"{USER}\n")
    s = server(pam_service_name=rename_pam, chroot_local_user=False, chroot_list_enable=True,
               chroot_list_file=str(lst))
    assert login(s).pwd() == "/"
    lst.write_text(f"{ALIAS}\n")
    assert login(s).pwd() == test_user.home
