"""chroot_local_user=YES: `..`, absolute paths and symlinks cannot reach
outside the user's home."""

import os
import uuid

import pytest

from conftest import HOST, USER, PASSWORD, curl, curl_report

PASSWD = open("/etc/passwd", "rb").read()


def assert_not_passwd(data, c):
    assert b"root:x:0:0" not in data and data != PASSWD, \
        "/etc/passwd content escaped the chroot\n" + c.dump()


def test_cwd_dotdot_stays_in_home(srv, workdir):
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    code, text = c.cmd("CWD ../../../..")
    assert code in (250, 550), c.dump()
    code, text = c.expect("PWD", 257)
    assert text.startswith('257 "/"'), f"climbed above / : {text}\n" + c.dump()
    code, data = c.data_cmd("NLST")
    names = {os.path.basename(n) for n in data.decode("utf-8", "replace").split("\r\n") if n}
    assert workdir.name in names, f"after CWD ../../.. the listing is not the home: {names}"
    assert "etc" not in names and "proc" not in names, names


def test_cwd_absolute_system_dirs_refused(srv):
    c = srv.login_ctl()
    for d in ("/etc", "/proc", "/root", "/home"):
        c.expect(f"CWD {d}", 550)


@pytest.mark.parametrize("path", [
    "../../etc/passwd",
    "../../../../../../etc/passwd",
    "/etc/passwd",
    "/../../etc/passwd",
    "..//..//etc//passwd",
    "./../.././etc/passwd",
])
def test_retr_passwd_by_dotdot_refused(srv, workdir, path):
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    code, data = c.data_cmd(f"RETR {path}")
    assert_not_passwd(data, c)
    assert code == 550, c.dump()


def test_symlink_to_etc_does_not_escape(srv, workdir):
    os.symlink("/etc", workdir.path("etclink"))
    os.lchown(workdir.path("etclink"), workdir.user.uid, workdir.user.gid)
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/etclink/passwd")
    assert_not_passwd(data, c)
    assert code == 550, c.dump()
    # a listing through it shows no system files either
    code, data = c.data_cmd(f"NLST {workdir.virt}/etclink")
    assert b"passwd" not in data and b"shadow" not in data, c.dump()
    code, text = c.cmd(f"CWD {workdir.virt}/etclink")
    if code == 250:
        code, data = c.data_cmd("RETR passwd")
        assert_not_passwd(data, c)


def test_relative_symlink_climbing_out_does_not_escape(srv, workdir):
    os.symlink("../../../../../../..", workdir.path("up"))
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/up/etc/passwd")
    assert_not_passwd(data, c)
    assert code == 550, c.dump()


def test_symlink_to_passwd_file_does_not_escape(srv, workdir):
    os.symlink("/etc/passwd", workdir.path("pw"))
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/pw")
    assert_not_passwd(data, c)
    assert code == 550, c.dump()


def test_curl_symlink_escape_refused(srv, workdir, tmp_path):
    os.symlink("/etc", workdir.path("etc2"))
    out = tmp_path / "o"
    r = curl("--user", f"{USER}:{PASSWORD}", "-o", str(out),
             f"ftp://{HOST}:{srv.port}{workdir.virt}/etc2/passwd")
    assert r.returncode != 0, curl_report(r)
    assert not out.exists() or b"root:x:0:0" not in out.read_bytes()


def test_stor_cannot_write_outside_home(srv, workdir):
    name = f"ftpsd-escape-{uuid.uuid4().hex[:8]}"
    os.symlink("/tmp", workdir.path("tmplink"))
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    for path in (f"../../../../tmp/{name}", f"/tmp/{name}", f"tmplink/{name}"):
        code, data = c.data_cmd(f"STOR {path}", payload=b"escaped")
    for outside in (f"/tmp/{name}", f"/{name}", f"/home/{name}"):
        present = os.path.exists(outside)
        if present:
            os.unlink(outside)
        assert not present, f"STOR wrote {outside} outside the chroot\n" + c.dump()


def test_without_chroot_pwd_is_the_home(server, workdir):
    """chroot_local_user=NO: the user starts in the home, with real paths."""
    s = server(chroot_local_user=False)
    c = s.login_ctl()
    code, text = c.expect("PWD", 257)
    assert text.startswith(f'257 "{workdir.user.home}"'), c.dump()
    workdir.write("nc.txt", b"no chroot")
    code, data = c.data_cmd(f"RETR {workdir.virt_nochroot}/nc.txt")
    assert code == 226 and data == b"no chroot", c.dump()
