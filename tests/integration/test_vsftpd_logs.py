"""vsftpd's log keys (issue 12): xferlog_std_format=NO writes vsftpd's own
lines to vsftpd_log_file instead of the wu-ftpd xferlog, dual_log_enable
writes both, the default writes only the xferlog. Driven by ftplib and
curl; the lines are checked as vsftpd.log parsers read them."""

import ftplib
import io
import os
import re

import pytest

from conftest import HOST, PASSWORD, USER, curl, curl_report, wait_until

STAMP = r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def session(s, workdir):
    """A failed login, then a download (curl) and an upload (ftplib)."""
    f = ftplib.FTP()
    f.connect(HOST, s.port, timeout=10)
    with pytest.raises(ftplib.error_perm):
        f.login(USER, "wrong password")
    f.close()
    workdir.write("down.txt", b"x" * 1000)
    r = curl("-s", "-u", f"{USER}:{PASSWORD}", f"ftp://{HOST}:{s.port}{workdir.virt}/down.txt")
    assert r.returncode == 0, curl_report(r)
    f = s.ftp()
    f.storbinary(f"STOR {workdir.virt}/up.txt", io.BytesIO(b"y" * 300))
    f.quit()


def test_vsftpd_format(server, workdir, tmp_path):
    vlog = str(tmp_path / "vsftpd.log")
    s = server(xferlog_std_format=False, vsftpd_log_file=vlog)
    session(s, workdir)
    assert wait_until(lambda: "OK UPLOAD" in read(vlog)), read(vlog)
    text = read(vlog)
    pid = r"\[pid \d+\]"
    assert re.search(rf"^{STAMP} {pid} CONNECT: Client \"{HOST}\"$", text, re.M), text
    assert re.search(rf"^{STAMP} {pid} \[{USER}\] FAIL LOGIN: Client \"{HOST}\"$", text, re.M), text
    assert re.search(rf"^{STAMP} {pid} \[{USER}\] OK LOGIN: Client \"{HOST}\"$", text, re.M), text
    assert re.search(rf"^{STAMP} {pid} \[{USER}\] OK DOWNLOAD: Client \"{HOST}\", "
                     rf"\"{workdir.virt}/down.txt\", 1000 bytes, \d+\.\d\dKbyte/sec$", text, re.M), text
    assert re.search(rf"^{STAMP} {pid} \[{USER}\] OK UPLOAD: Client \"{HOST}\", "
                     rf"\"{workdir.virt}/up.txt\", 300 bytes, \d+\.\d\dKbyte/sec$", text, re.M), text
    # instead of the xferlog, as in vsftpd
    assert not os.path.exists(s.settings["xferlog_file"]) or s.xferlog() == ""


def test_dual_log_writes_both(server, workdir, tmp_path):
    vlog = str(tmp_path / "vsftpd.log")
    s = server(xferlog_enable=False, dual_log_enable=True, vsftpd_log_file=vlog)
    session(s, workdir)
    assert wait_until(lambda: "OK UPLOAD" in read(vlog) and "up.txt" in s.xferlog())
    assert re.search(r" \d+ \S+ 1000 \S*down\.txt b _ o r ", s.xferlog()), s.xferlog()


def test_default_is_the_xferlog_only(server, workdir, tmp_path):
    vlog = str(tmp_path / "vsftpd.log")
    s = server(vsftpd_log_file=vlog)
    session(s, workdir)
    assert wait_until(lambda: "up.txt" in s.xferlog()), s.xferlog()
    assert not os.path.exists(vlog)


def test_incomplete_transfer_is_fail(server, workdir, tmp_path):
    vlog = str(tmp_path / "vsftpd.log")
    workdir.write("big.bin", os.urandom(4 << 20))
    s = server(xferlog_std_format=False, vsftpd_log_file=vlog, local_max_rate=200000)
    f = s.ftp()
    conn = f.transfercmd(f"RETR {workdir.virt}/big.bin")
    assert conn.recv(1024)
    f.putcmd("ABOR")
    f.getmultiline()
    f.getmultiline()
    conn.close()
    assert wait_until(lambda: "FAIL DOWNLOAD" in read(vlog)), read(vlog)
    f.quit()
