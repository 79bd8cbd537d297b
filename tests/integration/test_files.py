"""File and directory commands without a data connection (DELE RNFR RNTO MKD
XMKD RMD XRMD SIZE MDTM MFMT ALLO SITE HELP STAT MLST), write_enable gating,
listings with globbing and -a, UTF-8 and odd names, byte-exact."""

import calendar
import ftplib
import os
import time

import pytest

from conftest import HOST, USER, PASSWORD, curl, curl_report


def test_dele_mkd_rmd_rename(srv, workdir):
    workdir.write("a.txt", b"hello")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("DELE a.txt", 250)
    assert not os.path.exists(workdir.path("a.txt"))
    c.expect("DELE a.txt", 550)
    code, text = c.expect('MKD sub"q', 257)
    assert f'"{workdir.virt}/sub""q" created' in text
    assert os.path.isdir(workdir.path('sub"q'))
    c.expect("XMKD x2", 257)
    c.expect("MKD x2", 550)
    c.expect("DELE x2", 550)                      # a directory
    workdir.write("x2/inside", b"1")
    c.expect("RMD x2", 550)                       # not empty
    os.unlink(workdir.path("x2/inside"))
    c.expect("XRMD x2", 250)
    c.expect('RMD sub"q', 250)
    workdir.write("old.bin", b"data")
    c.expect("RNFR old.bin", 350)
    c.expect("RNTO new.bin", 250)
    assert open(workdir.path("new.bin"), "rb").read() == b"data"
    c.expect("RNTO again.bin", 503)               # RNFR used up
    c.expect("RNFR new.bin", 350)
    c.expect("NOOP", 200)
    c.expect("RNTO again.bin", 503)               # RNTO must follow at once
    c.expect("RNFR missing.bin", 550)
    c.expect("RNFR new.bin", 350)
    c.expect("RNTO nodir/x.bin", 550)
    c.expect("QUIT", 221)


def test_size_mdtm_mfmt(srv, workdir):
    workdir.write("t.txt", b"a\nb\nc\r\n")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    assert c.expect("SIZE t.txt", 213)[1] == "213 7"
    c.expect("TYPE A", 200)
    # TYPE A without ascii_download_enable (vsftpd's default) sends the
    # file as stored: its size is the file's (test_vsftpd_compat.py has
    # the converting case)
    assert c.expect("SIZE t.txt", 213)[1] == "213 7"
    c.expect("TYPE I", 200)
    c.expect("SIZE nothere", 550)
    c.expect(f"SIZE {workdir.virt}", 550)
    code, text = c.expect("MFMT 20200229123456 t.txt", 213)
    assert text == "213 Modify=20200229123456; t.txt"
    assert os.stat(workdir.path("t.txt")).st_mtime == calendar.timegm(
        (2020, 2, 29, 12, 34, 56))
    assert c.expect("MDTM t.txt", 213)[1] == "213 20200229123456"
    c.expect("MFMT 20210229000000 t.txt", 501)   # no 29 February in 2021
    c.expect("MFMT 2020 t.txt", 501)
    c.expect("MFMT 20200101000000 missing", 550)
    c.expect("MDTM missing", 550)
    c.expect("ALLO 1000", 202)
    c.expect("FEAT", 211)
    feat = c.transcript
    text = "\n".join(feat)
    for f in (" MDTM", " MFMT", " REST STREAM", " SIZE", " MLST "):
        assert f in text


def test_site_chmod_umask_help(srv, workdir):
    workdir.write("f", b"x", mode=0o644)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("SITE CHMOD 600 f", 200)
    assert os.stat(workdir.path("f")).st_mode & 0o7777 == 0o600
    c.expect("site chmod 0640 f", 200)
    assert os.stat(workdir.path("f")).st_mode & 0o7777 == 0o640
    c.expect("SITE CHMOD 999 f", 501)
    # Set-uid, set-gid and sticky bits are refused, the mode left alone.
    for mode in ("4755", "2755", "1777", "6777", "7777", "1000"):
        code, text = c.expect(f"SITE CHMOD {mode} f", 550)
        assert "set-uid" in text, text
        assert os.stat(workdir.path("f")).st_mode & 0o7777 == 0o640
    c.expect("SITE CHMOD 04755 f", 501)           # four digits at most
    c.expect("SITE CHMOD 17777 f", 501)
    c.expect("SITE CHMOD 0777 f", 200)
    assert os.stat(workdir.path("f")).st_mode & 0o7777 == 0o777
    c.expect("SITE CHMOD 600", 501)
    c.expect("SITE CHMOD 600 missing", 550)
    assert "0022" in c.expect("SITE UMASK", 200)[1]
    c.expect("SITE UMASK 077", 200)
    assert "0077" in c.expect("SITE UMASK", 200)[1]
    c.expect("MKD d", 257)
    assert os.stat(workdir.path("d")).st_mode & 0o777 == 0o700
    c.expect("SITE UMASK 9", 501)
    c.expect("SITE HELP", 214)
    c.expect("SITE EXEC ls", 500)
    code, text = c.expect("HELP", 214)
    for verb in ("RETR", "STOR", "APPE", "MLST", "SITE", "ABOR"):
        assert verb in text
    assert "ACCT" not in text
    c.expect("HELP retr", 214)
    c.expect("HELP ACCT", 502)


def test_help_before_login(srv):
    c = srv.ctl()
    c.expect("HELP", 214)
    c.expect("STAT", 530)


def test_write_enable_no_gates_every_change(server, workdir):
    s = server(write_enable=False)
    workdir.write("f", b"keep")
    workdir.mkdir("d")
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    for cmd in ("DELE f", "RNFR f", "MKD n", "XMKD n", "RMD d", "XRMD d",
                "MFMT 20200101000000 f", "SITE CHMOD 777 f", "SITE UMASK 000"):
        c.expect(cmd, 550)
    c.expect("RNTO g", 503)
    for cmd in ("STOR f", "APPE f", "STOU", "STOU f"):
        c.expect("PASV", 227)
        c.expect(cmd, 550)
    c.expect("SITE UMASK", 200)                   # reading it is fine
    assert open(workdir.path("f"), "rb").read() == b"keep"
    assert os.path.isdir(workdir.path("d"))
    assert sorted(os.listdir(workdir.real)) == ["d", "f"]
    # MLSD perm facts follow write_enable
    code, data = c.data_cmd(f"MLSD {workdir.virt}")
    assert code == 226
    line = [l for l in data.decode().split("\r\n") if l.endswith(" f")][0]
    perm = [x for x in line.split(";") if x.startswith("perm=")][0]
    assert perm == "perm=r"


def test_stat_server_and_path(srv, workdir):
    workdir.write("a.txt", b"1")
    workdir.write("b.txt", b"22")
    workdir.write("c.log", b"333")
    c = srv.login_ctl()
    code, text = c.expect("STAT", 211)
    assert "Logged in as " + USER in text and "TYPE: BINARY" in text
    assert text.splitlines()[-1].startswith("211 ")
    code, text = c.expect(f"STAT {workdir.virt}", 213)
    lines = text.splitlines()
    assert lines[0].startswith("213-") and lines[-1].startswith("213 ")
    assert any(l.endswith(" a.txt") and l.startswith("-rw") for l in lines)
    assert any(l.endswith(" c.log") for l in lines)
    code, text = c.expect(f"STAT {workdir.virt}/*.txt", 213)
    names = [l.split()[-1] for l in text.splitlines()[1:-1]]
    assert sorted(names) == ["a.txt", "b.txt"]
    c.expect(f"STAT {workdir.virt}/missing", 550)


def test_mlst(srv, workdir):
    workdir.write("m.bin", b"12345")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    code, text = c.expect("MLST m.bin", 250)
    lines = text.splitlines()
    assert lines[0] == f"250-Listing {workdir.virt}/m.bin"
    assert lines[1].startswith(" type=file;size=5;modify=")
    assert lines[1].endswith(f"; {workdir.virt}/m.bin")
    assert lines[2] == "250 End"
    code, text = c.expect("MLST", 250)
    assert "type=dir;" in text.splitlines()[1]
    c.expect("MLST nothere", 550)


def test_list_glob_and_options(srv, workdir):
    for n in ("a.txt", "b.txt", "c.log", ".h.txt", "[x].txt"):
        workdir.write(n, b"x")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)

    def names(cmd, long=True):
        code, data = c.data_cmd(cmd)
        assert code == 226, c.dump()
        rows = [l for l in data.decode().split("\r\n") if l]
        return sorted(r.split()[-1] if long else r for r in rows)

    assert names("LIST *.txt") == ["[x].txt", "a.txt", "b.txt"]
    assert names("NLST *.txt", long=False) == ["[x].txt", "a.txt", "b.txt"]
    assert names("NLST ?.txt", long=False) == ["a.txt", "b.txt"]
    assert names("NLST [ab].txt", long=False) == ["a.txt", "b.txt"]
    assert names("LIST -a *.txt") == [".h.txt", "[x].txt", "a.txt", "b.txt"]
    assert names("NLST .*.txt", long=False) == [".h.txt"]
    # an existing name is literal, never a pattern
    assert names("NLST [x].txt", long=False) == ["[x].txt"]
    assert names(f"LIST -l {workdir.virt}/*.log") == ["c.log"]
    assert names("NLST *.none", long=False) == []
    assert "." in names("LIST -a")
    assert ".h.txt" not in names("LIST")
    c.expect("PASV", 227)
    c.expect("LIST nodir/*.txt", 550)


def test_curl_glob_listing(srv, workdir):
    workdir.write("one.txt", b"1")
    workdir.write("two.dat", b"2")
    r = curl("--user", f"{USER}:{PASSWORD}", "-X", "NLST *.txt",
             f"ftp://{HOST}:{srv.port}{workdir.virt}/")
    assert r.returncode == 0, curl_report(r)
    assert r.stdout.decode().split() == ["one.txt"]


NAMES = ["dir with spaces", "ünïcødé ✓.txt", "日本語", " leading space",
         "trailing space ", "semi;colon=eq", "quote\"d", "pct%20"]


@pytest.mark.parametrize("name", NAMES)
def test_odd_names_roundtrip(srv, workdir, name):
    f = srv.ftp()
    f.cwd(workdir.virt)
    data = ("payload for " + name).encode()
    f.storbinary("STOR " + name, __import__("io").BytesIO(data))
    assert open(os.path.join(workdir.real, name), "rb").read() == data
    assert name in f.nlst()
    got = []
    f.retrbinary("RETR " + name, got.append)
    assert b"".join(got) == data
    f.rename(name, name + ".2")
    assert os.path.exists(os.path.join(workdir.real, name + ".2"))
    f.delete(name + ".2")
    f.mkd(name)
    assert os.path.isdir(os.path.join(workdir.real, name))
    f.rmd(name)
    f.quit()


def test_non_utf8_and_iac_bytes_exact(srv, workdir):
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    # 0xff must be doubled on the control connection (Telnet IAC IAC)
    c.send_raw(b"MKD odd\xff\xff\x01\xe9name\r\n")
    assert c.reply()[0] == 257
    assert os.listdir(workdir.real.encode()) == [b"odd\xff\x01\xe9name"]
    code, data = c.data_cmd("NLST")
    assert data == b"odd\xff\x01\xe9name\r\n"
    c.send_raw(b"RMD odd\xff\xff\x01\xe9name\r\n")
    assert c.reply()[0] == 250
