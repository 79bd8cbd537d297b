"""Uploads and downloads of 0 B, 1 B, 64 KiB and 10 MiB random files through
ftplib (PASV and EPSV) and curl (EPSV, PASV, PASV trusting the 227 address),
sha256 equality, ownership, the transfer log and xferlog."""

import os
import re
import stat

import pytest

from conftest import (HOST, USER, PASSWORD, curl, curl_report, ftp_get, ftp_put,
                      sha256_file)

SIZES = [0, 1, 64 * 1024, 10 * 1024 * 1024]
CURL_MODES = {
    "epsv": [],
    "pasv": ["--ftp-pasv", "--disable-epsv"],
    "pasv-227-address": ["--ftp-pasv", "--disable-epsv", "--no-ftp-skip-pasv-ip"],
}


def size_id(n):
    return {0: "0B", 1: "1B", 65536: "64KiB", 10485760: "10MiB"}[n]


@pytest.mark.parametrize("size", SIZES, ids=size_id)
@pytest.mark.parametrize("epsv", [False, True], ids=["pasv", "epsv"])
def test_ftplib_download(srv, payloads, size, epsv):
    name, digest, _ = payloads.files[size]
    f = srv.ftp(epsv=epsv)
    f.voidcmd("TYPE I")
    got, n = ftp_get(f, f"{payloads.virt}/{name}")
    assert n == size
    assert got == digest
    f.quit()


@pytest.mark.parametrize("size", SIZES, ids=size_id)
@pytest.mark.parametrize("epsv", [False, True], ids=["pasv", "epsv"])
def test_ftplib_upload(srv, payloads, workdir, size, epsv):
    _, digest, data = payloads.files[size]
    f = srv.ftp(epsv=epsv)
    ftp_put(f, f"{workdir.virt}/up.bin", data)
    p = workdir.path("up.bin")
    assert os.path.getsize(p) == size
    assert sha256_file(p) == digest
    got, n = ftp_get(f, f"{workdir.virt}/up.bin")
    assert got == digest and n == size
    f.quit()


@pytest.mark.parametrize("size", SIZES, ids=size_id)
@pytest.mark.parametrize("mode", list(CURL_MODES))
def test_curl_download(srv, payloads, tmp_path, size, mode):
    name, digest, _ = payloads.files[size]
    out = tmp_path / "out.bin"
    r = curl(*CURL_MODES[mode], "--user", f"{USER}:{PASSWORD}", "-o", str(out),
             f"ftp://{HOST}:{srv.port}{payloads.virt}/{name}")
    assert r.returncode == 0, curl_report(r)
    assert sha256_file(out) == digest, curl_report(r)
    trace = r.stderr.decode("utf-8", "replace")
    want = "> EPSV" if mode == "epsv" else "> PASV"
    assert want in trace, f"curl did not use {want[2:]}\n" + curl_report(r)


@pytest.mark.parametrize("size", SIZES, ids=size_id)
@pytest.mark.parametrize("mode", ["epsv", "pasv-227-address"])
def test_curl_upload(srv, payloads, workdir, tmp_path, size, mode):
    _, digest, data = payloads.files[size]
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = curl(*CURL_MODES[mode], "--user", f"{USER}:{PASSWORD}", "-T", str(src),
             f"ftp://{HOST}:{srv.port}{workdir.virt}/curl-up.bin")
    assert r.returncode == 0, curl_report(r)
    p = workdir.path("curl-up.bin")
    assert os.path.exists(p), curl_report(r)
    assert sha256_file(p) == digest, curl_report(r)


def test_upload_owned_by_user_with_umask(server, workdir):
    s = server(local_umask="027")
    f = s.ftp()
    ftp_put(f, f"{workdir.virt}/owned.bin", b"owner check")
    st = os.stat(workdir.path("owned.bin"))
    assert (st.st_uid, st.st_gid) == (workdir.user.uid, workdir.user.gid), \
        f"uploaded file owned by {st.st_uid}:{st.st_gid}, want the user"
    assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)


def test_upload_overwrites_existing_file(srv, workdir):
    workdir.write("over.bin", b"old content that is longer than the new one")
    f = srv.ftp()
    ftp_put(f, f"{workdir.virt}/over.bin", b"new")
    assert open(workdir.path("over.bin"), "rb").read() == b"new"


def test_upload_relative_to_cwd(srv, workdir):
    f = srv.ftp()
    f.cwd(workdir.virt)
    ftp_put(f, "rel.bin", b"relative")
    assert open(workdir.path("rel.bin"), "rb").read() == b"relative"


def test_retr_missing_file_550(srv, workdir):
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/no-such-file")
    assert code == 550, c.dump()
    c.expect("NOOP", 200)


def test_retr_directory_550(srv, workdir):
    workdir.mkdir("adir")
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/adir")
    assert code == 550, c.dump()


def test_retr_unreadable_file_550(srv, workdir):
    """The engine runs as the user, so a root-only file cannot be read."""
    workdir.write("root-only", b"top secret", mode=0o600, owner=(0, 0))
    c = srv.login_ctl()
    code, data = c.data_cmd(f"RETR {workdir.virt}/root-only")
    assert code == 550, c.dump()
    assert b"top secret" not in data


def test_stor_into_unwritable_dir_550(srv, workdir):
    workdir.mkdir("rootdir", mode=0o755, owner=(0, 0))
    c = srv.login_ctl()
    code, data = c.data_cmd(f"STOR {workdir.virt}/rootdir/x.bin", payload=b"nope")
    assert code in (550, 553), c.dump()          # RFC 959: 553 = name not allowed
    assert not os.path.exists(workdir.path("rootdir", "x.bin"))


def test_stor_refused_when_write_disabled(server, workdir):
    s = server(write_enable=False)
    c = s.login_ctl()
    code, data = c.data_cmd(f"STOR {workdir.virt}/nope.bin", payload=b"data")
    assert code == 550, c.dump()
    assert not os.path.exists(workdir.path("nope.bin"))
    # downloads still work
    workdir.write("ok.bin", b"readable")
    code, data = c.data_cmd(f"RETR {workdir.virt}/ok.bin")
    assert code == 226 and data == b"readable", c.dump()


def test_ascii_type_transfer_completes(srv, workdir):
    workdir.write("text.txt", b"line one\nline two\n")
    f = srv.ftp()
    lines = []
    f.retrlines(f"RETR {workdir.virt}/text.txt", lines.append)
    assert lines == ["line one", "line two"]


def test_transfer_log_lines(server, workdir):
    s = server()
    data = os.urandom(65536)
    f = s.ftp()
    ftp_put(f, f"{workdir.virt}/logged.bin", data)
    got, n = ftp_get(f, f"{workdir.virt}/logged.bin")
    f.quit()
    s.wait_log(rf"transfer: user {USER} client {re.escape(HOST)} STOR "
               rf"{re.escape(workdir.virt)}/logged\.bin 65536 bytes")
    s.wait_log(rf"transfer: user {USER} client {re.escape(HOST)} RETR "
               rf"{re.escape(workdir.virt)}/logged\.bin 65536 bytes")
    # the log file has the same lines
    s.wait_log(r"transfer: .* RETR .*logged\.bin 65536 bytes", source=s.logfile)


XFERLOG = re.compile(
    r"^(?P<date>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) (?P<secs>\d+) (?P<host>\S+) "
    r"(?P<size>\d+) (?P<file>\S+) (?P<type>[ab]) (?P<action>\S+) (?P<dir>[oid]) "
    r"(?P<mode>[agr]) (?P<user>\S+) (?P<service>\S+) (?P<auth>[01]) (?P<authuser>\S+) "
    r"(?P<status>[ci])$")


def test_xferlog_wu_ftpd_format(server, workdir):
    s = server(xferlog_enable=True)
    f = s.ftp()
    f.voidcmd("TYPE I")
    ftp_put(f, f"{workdir.virt}/x.bin", b"y" * 1000)
    ftp_get(f, f"{workdir.virt}/x.bin")
    f.quit()
    s.wait_log(r"x\.bin", source=s.xferlog, count=2)
    rows = [l for l in s.xferlog().splitlines() if l.strip()]
    ms = [XFERLOG.match(l) for l in rows]
    assert all(ms), "not wu-ftpd xferlog lines:\n" + "\n".join(rows)
    by_dir = {m["dir"]: m for m in ms}
    assert set(by_dir) == {"i", "o"}, rows
    for m in ms:
        assert m["host"] == HOST, m.string
        assert m["size"] == "1000", m.string
        assert m["file"] == f"{workdir.virt}/x.bin", m.string
        assert m["type"] == "b", m.string
        assert m["mode"] == "r", m.string
        assert m["user"] == USER, m.string
        assert m["status"] == "c", m.string


def test_no_xferlog_when_disabled(server, workdir):
    s = server(xferlog_enable=False)
    f = s.ftp()
    ftp_put(f, f"{workdir.virt}/x.bin", b"y")
    f.quit()
    s.wait_log(r"transfer: .*STOR")
    assert s.xferlog() == ""
