"""Users: local_root ($USER), chroot_local_user with chroot lists,
write_enable, user lists (checked before PAM, with the same 331/530 flow),
anonymous FTP (no PAM, anon_root, read-only by default, uploads,
chown_uploads, anon_umask, force_anon_*), guests (guest_enable,
guest_username, virtual_use_local_privs) and user_config_dir files."""

import ftplib
import io
import os
import pwd
import shutil
import stat
import subprocess

import pytest

from conftest import HOST, PASSWORD, TIMEOUT, USER, free_port, session_procs
from tlsutil import client_context, ftps_connect, make_pki

ANON = "ftpsd-anon"      # ftp_username / guest_username in these tests
CHOWN = "ftpsd-chown"    # chown_username


def _make_system_user(name, home):
    created = False
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-d", home, "-s", "/usr/sbin/nologin", name],
                       check=True, timeout=30)
        created = True
    os.makedirs(home, exist_ok=True)
    os.chmod(home, 0o755)
    return created


@pytest.fixture(scope="module")
def accounts(tmp_path_factory):
    """System accounts for anonymous and chown tests, removed afterwards."""
    base = str(tmp_path_factory.mktemp("users"))
    os.chmod(base, 0o755)
    made = []
    for name in (ANON, CHOWN):
        home = os.path.join(base, name)
        if _make_system_user(name, home):
            made.append(name)
    yield {n: pwd.getpwnam(n) for n in (ANON, CHOWN)}
    for name in made:
        subprocess.run(["userdel", name], timeout=30, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run(["groupdel", name], timeout=30, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


@pytest.fixture
def anon_root(accounts, tmp_path):
    """An anonymous area: root-owned, with a file and an upload dir the
    anonymous account may write."""
    root = str(tmp_path / "anon")
    os.makedirs(root)
    os.chmod(tmp_path, 0o755)
    os.chmod(root, 0o755)
    with open(os.path.join(root, "pub.txt"), "wb") as f:
        f.write(b"public data\n")
    os.chmod(os.path.join(root, "pub.txt"), 0o644)
    up = os.path.join(root, "incoming")
    os.makedirs(up)
    os.chown(up, accounts[ANON].pw_uid, accounts[ANON].pw_gid)
    return root


def anon_server(server, anon_root, **kw):
    kw.setdefault("anonymous_enable", True)
    kw.setdefault("ftp_username", ANON)
    kw.setdefault("anon_root", anon_root)
    return server(**kw)


def ftp(s, user, password, host=HOST):
    f = ftplib.FTP()
    f.connect(host, s.port, timeout=TIMEOUT)
    f.login(user, password)
    s._clients.append(f)
    return f


def get(f, path):
    buf = io.BytesIO()
    f.retrbinary(f"RETR {path}", buf.write)
    return buf.getvalue()


def engine_of(s, f):
    mon, eng = session_procs(f.sock)
    assert eng is not None and eng.comm == "ftpsd-engine", (mon, eng)
    return eng


# --------------------------------------------------------------------------
# anonymous
# --------------------------------------------------------------------------

def test_anonymous_disabled_by_default(server, accounts):
    s = server()
    c = s.ctl()
    c.expect("USER anonymous", 331)
    c.expect("PASS guest@example.com", 530)


@pytest.mark.parametrize("name", ["anonymous", "ftp", "FTP", "Anonymous"])
def test_anonymous_login_read_only(server, anon_root, accounts, name):
    s = anon_server(server, anon_root, write_enable=True)
    f = ftp(s, name, "whoever@example.com")
    assert f.pwd() == "/"
    assert get(f, "pub.txt") == b"public data\n"
    assert get(f, "../../pub.txt") == b"public data\n"     # chrooted
    assert sorted(f.nlst()) == ["incoming", "pub.txt"]
    with pytest.raises(ftplib.error_perm) as e:
        f.storbinary("STOR incoming/x", io.BytesIO(b"x"))
    assert str(e.value).startswith("550")
    eng = engine_of(s, f)
    assert eng.ruid == accounts[ANON].pw_uid and eng.euid == accounts[ANON].pw_uid
    assert eng.root == os.path.realpath(anon_root)
    s.wait_log(r"login ok: user %s client 127\.0\.0\.1 \(anonymous\)" % name)


def test_anonymous_skips_pam(server, anon_root, accounts):
    deny = "/etc/pam.d/ftpsd-test-deny"
    with open(deny, "w") as fh:
        fh.write("auth requisite pam_deny.so\naccount requisite pam_deny.so\n")
    try:
        s = anon_server(server, anon_root, pam_service_name="ftpsd-test-deny")
        f = ftp(s, "anonymous", "")
        assert get(f, "pub.txt") == b"public data\n"
        c = s.ctl()
        c.expect(f"USER {USER}", 331)
        c.expect(f"PASS {PASSWORD}", 530)
    finally:
        os.unlink(deny)


def test_anonymous_default_root_is_ftp_users_home(server, accounts):
    home = accounts[ANON].pw_dir
    with open(os.path.join(home, "home.txt"), "wb") as fh:
        fh.write(b"in the home")
    try:
        s = server(anonymous_enable=True, ftp_username=ANON)
        f = ftp(s, "ftp", "x")
        assert get(f, "home.txt") == b"in the home"
    finally:
        os.unlink(os.path.join(home, "home.txt"))


def test_anonymous_upload_chown_umask(server, anon_root, accounts):
    s = anon_server(server, anon_root, write_enable=True, anon_upload_enable=True,
                    anon_umask="022", chown_uploads=True, chown_username=CHOWN,
                    chown_upload_mode="0644")   # vsftpd's default is 0600
    f = ftp(s, "anonymous", "a@b")
    f.storbinary("STOR incoming/new.bin", io.BytesIO(b"uploaded"))
    p = os.path.join(anon_root, "incoming", "new.bin")
    with open(p, "rb") as fh:
        assert fh.read() == b"uploaded"
    st = os.stat(p)
    assert st.st_uid == accounts[CHOWN].pw_uid
    assert stat.S_IMODE(st.st_mode) == 0o644
    # No overwriting without anon_other_write_enable.
    with pytest.raises(ftplib.error_perm) as e:
        f.storbinary("STOR incoming/new.bin", io.BytesIO(b"again"))
    assert str(e.value).startswith("553")
    with open(p, "rb") as fh:
        assert fh.read() == b"uploaded"


def test_anonymous_upload_needs_write_enable(server, anon_root, accounts):
    s = anon_server(server, anon_root, write_enable=False, anon_upload_enable=True)
    f = ftp(s, "anonymous", "a@b")
    with pytest.raises(ftplib.error_perm):
        f.storbinary("STOR incoming/x", io.BytesIO(b"x"))


def test_anonymous_upload_owned_by_anon_without_chown(server, anon_root, accounts):
    s = anon_server(server, anon_root, write_enable=True, anon_upload_enable=True,
                    anon_other_write_enable=True)
    f = ftp(s, "ftp", "a@b")
    f.storbinary("STOR incoming/o.bin", io.BytesIO(b"1"))
    f.storbinary("STOR incoming/o.bin", io.BytesIO(b"22"))     # overwrite allowed
    p = os.path.join(anon_root, "incoming", "o.bin")
    assert open(p, "rb").read() == b"22"
    st = os.stat(p)
    assert st.st_uid == accounts[ANON].pw_uid
    assert stat.S_IMODE(st.st_mode) == 0o600       # anon_umask default 077


def test_anonymous_no_site_chmod_or_umask(server, anon_root, accounts):
    """Every anonymous upload belongs to one shared account: SITE CHMOD
    4755 would plant a set-uid program of it. Anonymous sessions get no
    SITE CHMOD and no SITE UMASK at all (as vsftpd), even with every
    anon_* write right."""
    s = anon_server(server, anon_root, write_enable=True, anon_upload_enable=True,
                    anon_other_write_enable=True)
    f = ftp(s, "anonymous", "a@b")
    f.storbinary("STOR incoming/tool", io.BytesIO(b"#!/bin/sh\n"))
    p = os.path.join(anon_root, "incoming", "tool")
    before = stat.S_IMODE(os.stat(p).st_mode)
    for cmd in ("SITE CHMOD 4755 incoming/tool", "SITE CHMOD 755 incoming/tool",
                "SITE UMASK 000", "SITE UMASK"):
        with pytest.raises(ftplib.error_perm) as e:
            f.sendcmd(cmd)
        assert str(e.value).startswith("550"), (cmd, e.value)
    assert stat.S_IMODE(os.stat(p).st_mode) == before == 0o600
    f.storbinary("STOR incoming/after", io.BytesIO(b"x"))   # umask unchanged
    assert stat.S_IMODE(os.stat(os.path.join(anon_root, "incoming", "after")).st_mode) == 0o600
    assert f.sendcmd("SITE HELP").startswith("214")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(str(tmp_path_factory.mktemp("pki")))


def test_force_anon_logins_and_data_ssl(server, anon_root, accounts, pki):
    s = anon_server(server, anon_root, ssl_enable=True, rsa_cert_file=pki.rsa,
                    rsa_private_key_file=pki.rsa_key, implicit_ssl_port=0,
                    force_local_logins_ssl=False, force_local_data_ssl=False,
                    force_anon_logins_ssl=True, force_anon_data_ssl=True)
    c = s.ctl()
    code, text = c.expect("USER anonymous", 530)
    assert "Anonymous" in text
    c.expect(f"USER {USER}", 331)              # local users are not forced here
    c.expect(f"PASS {PASSWORD}", 230)
    ctx = client_context(ca=pki.ca)
    f = ftps_connect(s.port, ctx, user="anonymous", password="x", prot_p=False)
    s._clients.append(f)
    with pytest.raises(ftplib.error_perm) as e:
        f.retrbinary("RETR pub.txt", lambda b: None)
    assert str(e.value).startswith("521")
    f.prot_p()
    buf = io.BytesIO()
    f.retrbinary("RETR pub.txt", buf.write)
    assert buf.getvalue() == b"public data\n"


def test_anon_defaults_not_forced(server, anon_root, accounts, pki):
    s = anon_server(server, anon_root, ssl_enable=True, rsa_cert_file=pki.rsa,
                    rsa_private_key_file=pki.rsa_key, implicit_ssl_port=0)
    f = ftp(s, "anonymous", "x")        # plaintext anonymous is allowed by default
    assert get(f, "pub.txt") == b"public data\n"
    c = s.ctl()
    c.expect(f"USER {USER}", 530)        # force_local_logins_ssl=YES by default


# --------------------------------------------------------------------------
# local users: local_root, chroot lists, write_enable
# --------------------------------------------------------------------------

def test_local_root_user_substitution(server, test_user, workdir):
    # In the user's home: without chroot the user must reach it by path.
    workdir.write(f"roots/{USER}/here.txt", b"local root")
    base = workdir.path("roots")
    mine = os.path.join(base, USER)
    s = server(local_root=base + "/$USER", chroot_local_user=True)
    f = s.ftp()
    assert f.pwd() == "/"
    assert get(f, "here.txt") == b"local root"
    s2 = server(local_root=base + "/$USER", chroot_local_user=False)
    f2 = s2.ftp()
    assert f2.pwd() == mine
    assert get(f2, "here.txt") == b"local root"


def test_chroot_list_exempts_and_includes(server, test_user, tmp_path):
    lst = tmp_path / "chroot_list"
    lst.write_text(f"# exceptions\nsomeone\n  {USER}  \n")
    s = server(chroot_local_user=True, chroot_list_enable=True, chroot_list_file=str(lst))
    f = s.ftp()
    assert f.pwd() == test_user.home                   # listed: not chrooted
    assert engine_of(s, f).root == "/"
    s2 = server(chroot_local_user=False, chroot_list_enable=True, chroot_list_file=str(lst))
    f2 = s2.ftp()
    assert f2.pwd() == "/"                             # listed: chrooted
    assert engine_of(s2, f2).root == test_user.home
    lst.write_text("someone\n")
    s3 = server(chroot_local_user=True, chroot_list_enable=True, chroot_list_file=str(lst))
    assert s3.ftp().pwd() == "/"                       # not listed: the default


def test_chroot_list_unreadable_refuses_login(server, tmp_path):
    s = server(chroot_list_enable=True, chroot_list_file=str(tmp_path / "missing"))
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 530)
    s.wait_log(r"chroot_list_file .*missing")


def test_write_enable_no(server, workdir):
    s = server(write_enable=False)
    f = s.ftp()
    with pytest.raises(ftplib.error_perm) as e:
        f.storbinary(f"STOR {workdir.virt}/x", io.BytesIO(b"x"))
    assert str(e.value).startswith("550")


# --------------------------------------------------------------------------
# user lists
# --------------------------------------------------------------------------

def test_userlist_deny(server, tmp_path):
    lst = tmp_path / "user_list"
    lst.write_text(f"root\n{USER}\n")
    s = server(userlist_enable=True, userlist_deny=True, userlist_file=str(lst))
    c = s.ctl()
    c.expect(f"USER {USER}", 331)              # same as any name: nothing to probe
    code, text = c.expect(f"PASS {PASSWORD}", 530)
    assert text == "530 Login incorrect."
    s.wait_log(r"login failed: user %s client .* \(in userlist_file" % USER)
    assert "auth:" not in s.log()


def test_userlist_allow_only(server, tmp_path):
    lst = tmp_path / "user_list"
    lst.write_text("somebody-else\n")
    s = server(userlist_enable=True, userlist_deny=False, userlist_file=str(lst))
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 530)
    s.wait_log(r"not in userlist_file")
    lst.write_text(f"somebody-else\n{USER}\n")
    s.ctl().login()


def test_userlist_applies_to_anonymous(server, anon_root, accounts, tmp_path):
    lst = tmp_path / "user_list"
    lst.write_text("anonymous\n")
    s = anon_server(server, anon_root, userlist_enable=True, userlist_file=str(lst))
    c = s.ctl()
    c.expect("USER anonymous", 331)
    c.expect("PASS x", 530)
    ftp(s, "ftp", "x")                          # not listed


def test_userlist_unreadable_fails_closed(server, tmp_path):
    s = server(userlist_enable=True, userlist_file=str(tmp_path / "nope"))
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 530)
    s.wait_log(r"userlist_file cannot be read")


# --------------------------------------------------------------------------
# guests and per-user config files
# --------------------------------------------------------------------------

def test_guest_maps_to_one_account(server, test_user, accounts, tmp_path):
    groot = tmp_path / "guests"
    mine = groot / USER
    os.makedirs(mine)
    os.chmod(tmp_path, 0o755)
    os.chmod(groot, 0o755)
    os.chown(mine, accounts[ANON].pw_uid, accounts[ANON].pw_gid)
    (mine / "g.txt").write_bytes(b"guest file")
    s = server(guest_enable=True, guest_username=ANON, local_root=str(groot) + "/$USER",
               write_enable=True)
    f = s.ftp()
    assert f.pwd() == "/"
    assert get(f, "g.txt") == b"guest file"
    eng = engine_of(s, f)
    assert eng.ruid == accounts[ANON].pw_uid
    assert eng.root == str(mine)
    with pytest.raises(ftplib.error_perm):             # anonymous privileges by default
        f.storbinary("STOR up.txt", io.BytesIO(b"x"))
    s.wait_log(r"login ok: user %s .*\(guest\)" % USER)
    # The password still counts: guests go through PAM.
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect("PASS wrong", 530)


def test_guest_with_local_privs(server, test_user, accounts, tmp_path):
    groot = tmp_path / "g2"
    os.makedirs(groot)
    os.chmod(tmp_path, 0o755)
    os.chown(groot, accounts[ANON].pw_uid, accounts[ANON].pw_gid)
    s = server(guest_enable=True, guest_username=ANON, local_root=str(groot),
               write_enable=True, virtual_use_local_privs=True, local_umask="022")
    f = s.ftp()
    f.storbinary("STOR up.txt", io.BytesIO(b"guest upload"))
    st = os.stat(groot / "up.txt")
    assert st.st_uid == accounts[ANON].pw_uid
    assert stat.S_IMODE(st.st_mode) == 0o644


def test_user_config_dir_overrides(server, test_user, workdir, tmp_path):
    confdir = tmp_path / "userconf"
    os.makedirs(confdir)
    workdir.write("only-here.txt", b"per-user root")
    (confdir / USER).write_text(f"local_root={workdir.real}\nwrite_enable=NO\n")
    s = server(user_config_dir=str(confdir), write_enable=True, chroot_local_user=True)
    f = s.ftp()
    assert f.pwd() == "/"
    assert get(f, "only-here.txt") == b"per-user root"
    with pytest.raises(ftplib.error_perm):
        f.storbinary("STOR x", io.BytesIO(b"x"))


def test_user_config_dir_missing_file_is_fine(server, workdir, tmp_path):
    confdir = tmp_path / "userconf"
    os.makedirs(confdir)
    s = server(user_config_dir=str(confdir))
    s.ftp()


@pytest.mark.parametrize("text,msg", [
    ("no_such_key=YES\n", r"unknown key \"no_such_key\""),
    ("listen_port=2121\nmax_clients=3\n", r"max_clients is global only"),
    ("write_enable=maybe\n", r"expected YES or NO"),
    ("[vhost x]\n", r"no sections"),
])
def test_user_config_dir_bad_file_refuses_login(server, tmp_path, text, msg):
    confdir = tmp_path / "userconf"
    os.makedirs(confdir)
    (confdir / USER).write_text(text)
    s = server(user_config_dir=str(confdir))
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 530)
    s.wait_log(r"user_config_dir: .*%s:\d+: .*%s" % (USER, msg))


def test_config_check_knows_user_keys(server, tmp_path):
    # ftp_username must exist now (-t checks it): nobody stands in for ftp.
    s = server(anonymous_enable=True, anon_upload_enable=True, chown_uploads=True,
               ftp_username="nobody", chown_username="root", guest_enable=False, userlist_enable=False,
               port_enable=True, connect_from_port_20=False, connect_timeout=30,
               force_anon_logins_ssl=False, force_anon_data_ssl=False)
    r = subprocess.run([s.proc.args[0], "-T", "-c", s.conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    out = r.stdout.decode()
    for k in ("anonymous_enable=YES", "anon_umask=077", "ftp_username=nobody",
              "userlist_file=/etc/ftpsd.user_list", "connect_timeout=30",
              "local_root=", "user_config_dir="):
        assert k in out, out
