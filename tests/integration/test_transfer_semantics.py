"""Transfer semantics: REST both ways, APPE, STOU, TYPE A, ABOR of running
downloads and uploads (426 then 226, also as urgent data), STAT during a
transfer, atomic_uploads on disconnect and disk full (a small tmpfs),
data_connection_timeout during a stalled transfer."""

import ftplib
import io
import os
import re
import socket
import struct
import subprocess
import time

import pytest

from conftest import HOST, TIMEOUT, USER, PASSWORD, curl, curl_report, data_sock, wait_until

BIG = 8 * 1024 * 1024


def leftovers(wd):
    return [n for n in os.listdir(wd.real) if n.startswith(".ftpsd-upload.")]


def test_rest_download(srv, workdir):
    data = os.urandom(100000)
    workdir.write("r.bin", data)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE I", 200)
    c.expect("REST 40000", 350)
    code, got = c.data_cmd("RETR r.bin")
    assert code == 226 and got == data[40000:]
    c.expect("REST 100000", 350)
    code, got = c.data_cmd("RETR r.bin")
    assert code == 226 and got == b""
    c.expect("REST 100001", 350)
    c.expect("PASV", 227)
    c.expect("RETR r.bin", 554)
    # the offset was used up: a plain RETR sends everything
    code, got = c.data_cmd("RETR r.bin")
    assert got == data
    for bad in ("REST -1", "REST abc", "REST 1x", "REST 99999999999999999999"):
        c.expect(bad, 501)
    c.expect("REST", 501)


def test_rest_upload_resumes(srv, workdir):
    data = os.urandom(50000)
    workdir.write("u.bin", data[:20000] + b"garbage after the offset")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("REST 20000", 350)
    code, _ = c.data_cmd("STOR u.bin", payload=data[20000:])
    assert code == 226, c.dump()
    assert open(workdir.path("u.bin"), "rb").read() == data
    c.expect("REST 999999", 350)
    c.expect("PASV", 227)
    c.expect("STOR u.bin", 554)
    assert open(workdir.path("u.bin"), "rb").read() == data


def test_curl_resume_both_ways(srv, workdir, tmp_path):
    data = os.urandom(300000)
    workdir.write("c.bin", data)
    out = tmp_path / "c.bin"
    out.write_bytes(data[:123456])
    r = curl("--user", f"{USER}:{PASSWORD}", "-C", "-", "-o", str(out),
             f"ftp://{HOST}:{srv.port}{workdir.virt}/c.bin")
    assert r.returncode == 0, curl_report(r)
    assert out.read_bytes() == data
    assert "REST 123456" in r.stderr.decode()
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    workdir.write("up.bin", data[:99999])
    r = curl("--user", f"{USER}:{PASSWORD}", "-C", "-", "-T", str(src),
             f"ftp://{HOST}:{srv.port}{workdir.virt}/up.bin")
    assert r.returncode == 0, curl_report(r)
    assert open(workdir.path("up.bin"), "rb").read() == data


def test_appe_and_stou(srv, workdir):
    f = srv.ftp()
    f.cwd(workdir.virt)
    f.storbinary("APPE log.txt", io.BytesIO(b"one\n"))
    f.storbinary("APPE log.txt", io.BytesIO(b"two\n"))
    assert open(workdir.path("log.txt"), "rb").read() == b"one\ntwo\n"
    names = []
    for i in range(3):
        f.voidcmd("TYPE I")
        conn = f.transfercmd("STOU up")
        conn.sendall(b"unique %d" % i)
        conn.close()
        resp = f.voidresp()
        m = re.search(r"unique file name: ([^)]+)\)", resp)
        assert m, resp
        names.append(m.group(1))
    assert names == ["up", "up.1", "up.2"]
    for i, n in enumerate(names):
        assert open(workdir.path(n), "rb").read() == b"unique %d" % i
    f.quit()


def test_stou_150_names_the_file(srv, workdir):
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    code, text = c.cmd("STOU")
    assert code == 150 and re.match(r"150 FILE: ftpsd-upload$", text), text
    d.sendall(b"abc")
    d.close()
    code, text = c.final()
    assert code == 226
    assert open(workdir.path("ftpsd-upload"), "rb").read() == b"abc"


def test_type_a_both_directions(server, workdir):
    workdir.write("unix.txt", b"l1\nl2\r\nl3\n")
    srv = server(ascii_upload_enable=True, ascii_download_enable=True)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE A", 200)
    code, got = c.data_cmd("RETR unix.txt")
    assert got == b"l1\r\nl2\r\nl3\r\n"
    code, _ = c.data_cmd("STOR dos.txt", payload=b"a\r\nb\r\nc\rd\r\n")
    assert open(workdir.path("dos.txt"), "rb").read() == b"a\nb\nc\rd\n"


def test_abor_download_426_then_226(srv, payloads):
    name = payloads.files[10 * 1024 * 1024][0]
    c = srv.login_ctl()
    d = data_sock(c, rcvbuf=4096)
    c.expect(f"RETR {payloads.virt}/{name}", 150)
    d.recv(1000)
    time.sleep(0.3)                     # the server is now blocked on a full socket
    code, text = c.expect("STAT", 213)
    m = re.search(r"Status: (\d+) of (\d+) bytes", text)
    assert m and 0 < int(m.group(1)) < int(m.group(2)) == 10 * 1024 * 1024, text
    c.send("ABOR")
    assert c.reply()[0] == 426
    assert c.reply()[0] == 226
    d.close()
    c.expect("NOOP", 200)
    c.expect("ABOR", 225)               # nothing left to abort


def test_abor_as_urgent_data_with_telnet_sync(srv, payloads):
    name = payloads.files[10 * 1024 * 1024][0]
    c = srv.login_ctl()
    d = data_sock(c, rcvbuf=4096)
    c.expect(f"RETR {payloads.virt}/{name}", 150)
    time.sleep(0.2)
    # RFC 959 4.1.3: IAC IP, IAC DM as urgent data, then ABOR
    c.sock.sendall(b"\xff\xf4\xff")
    c.sock.send(b"\xf2", socket.MSG_OOB)
    c.sock.sendall(b"ABOR\r\n")
    assert c.reply()[0] == 426
    assert c.reply()[0] == 226
    d.close()
    c.expect("NOOP", 200)


def test_ftplib_abort_mid_download(srv, payloads):
    name = payloads.files[10 * 1024 * 1024][0]
    f = srv.ftp()
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    conn.recv(1000)
    resp = f.abort()                    # "ABOR\r\n" sent as urgent data
    assert resp[:3] in ("426", "226")
    conn.close()
    if resp.startswith("426"):
        assert f.getresp().startswith("226")
    assert f.voidcmd("NOOP").startswith("200")
    f.quit()


def test_abor_upload_keeps_old_file(srv, workdir):
    workdir.write("keep.bin", b"old content")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR keep.bin", 150)
    d.sendall(os.urandom(500000))
    time.sleep(0.2)
    c.send("ABOR")
    assert c.reply()[0] == 426
    assert c.reply()[0] == 226
    d.close()
    assert open(workdir.path("keep.bin"), "rb").read() == b"old content"
    assert leftovers(workdir) == []
    c.expect("NOOP", 200)


def test_upload_is_atomic_while_running(srv, workdir):
    workdir.write("live.bin", b"previous")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR live.bin", 150)
    d.sendall(b"x" * 100000)
    time.sleep(0.2)
    # readers see the old file until the upload is complete
    assert open(workdir.path("live.bin"), "rb").read() == b"previous"
    assert len(leftovers(workdir)) == 1
    # the temp name is a dot file: hidden from a plain listing
    d.sendall(b"y")
    d.close()
    assert c.final()[0] == 226
    assert open(workdir.path("live.bin"), "rb").read() == b"x" * 100000 + b"y"
    assert leftovers(workdir) == []


def test_disconnect_mid_upload_keeps_old_file(srv, workdir):
    workdir.write("keep.bin", b"old content")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR keep.bin", 150)
    d.sendall(os.urandom(300000))
    c.close()                           # the client vanishes
    time.sleep(0.3)
    d.close()
    assert wait_until(lambda: leftovers(workdir) == [], 5)
    assert open(workdir.path("keep.bin"), "rb").read() == b"old content"


def test_data_reset_mid_upload_is_426(srv, workdir):
    workdir.write("keep.bin", b"old content")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR keep.bin", 150)
    d.sendall(os.urandom(300000))
    d.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    d.close()                           # RST, not a clean end of data
    assert c.final()[0] == 426
    assert open(workdir.path("keep.bin"), "rb").read() == b"old content"
    assert leftovers(workdir) == []


def test_non_atomic_upload_writes_in_place(server, workdir):
    s = server(atomic_uploads=False)
    workdir.write("keep.bin", b"old content")
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR keep.bin", 150)
    d.sendall(b"z" * 1000)
    time.sleep(0.2)
    assert open(workdir.path("keep.bin"), "rb").read() == b"z" * 1000
    c.send("ABOR")
    assert c.reply()[0] == 426 and c.reply()[0] == 226
    d.close()
    assert open(workdir.path("keep.bin"), "rb").read() == b"z" * 1000


@pytest.fixture
def small_fs(workdir, test_user):
    mnt = workdir.path("small")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    f"size=256k,uid={test_user.uid},gid={test_user.gid},mode=0755",
                    "ftpsd-test-small", mnt], check=True, timeout=10)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], timeout=10)


@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "in-place"])
def test_disk_full_452(server, workdir, small_fs, atomic):
    s = server(atomic_uploads=atomic)
    old = os.urandom(20000)
    p = os.path.join(small_fs, "f.bin")
    with open(p, "wb") as fh:
        fh.write(old)
    os.chown(p, workdir.user.uid, workdir.user.gid)
    c = s.login_ctl()
    d = data_sock(c)
    c.expect(f"STOR {workdir.virt}/small/f.bin", 150)
    try:
        d.sendall(os.urandom(1 << 20))  # the server may hang up early
        d.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    code, text = c.final()
    d.close()
    assert code == 452, c.dump()
    assert [n for n in os.listdir(small_fs) if n.startswith(".ftpsd-upload.")] == []
    if atomic:
        assert open(p, "rb").read() == old
    else:
        assert open(p, "rb").read() != old
    c.expect("NOOP", 200)


def test_data_connection_timeout_during_transfer(server, payloads):
    s = server(data_connection_timeout=2)
    name = payloads.files[10 * 1024 * 1024][0]
    c = s.login_ctl()
    d = data_sock(c, rcvbuf=4096)
    c.expect(f"RETR {payloads.virt}/{name}", 150)
    t0 = time.monotonic()
    code, text = c.final()
    assert code == 426 and "timed out" in text
    assert 1.5 < time.monotonic() - t0 < 8
    d.close()
    c.expect("NOOP", 200)


def test_quit_during_transfer_waits_for_it(srv, workdir):
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect("STOR q.bin", 150)
    d.sendall(b"q" * 1000)
    c.send("QUIT")                      # pipelined: answered after the 226
    time.sleep(0.2)
    d.close()
    assert c.reply()[0] == 226
    assert c.reply()[0] == 221
    assert open(workdir.path("q.bin"), "rb").read() == b"q" * 1000


# --------------------------------------------------------------------------
# the same loop over TLS: control through the relay, data TLS in the engine
# --------------------------------------------------------------------------

def test_tls_abor_download_and_upload(tls_ftp, payloads, workdir):
    f = tls_ftp
    name = payloads.files[10 * 1024 * 1024][0]
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    conn.recv(1000)
    time.sleep(0.3)
    f.putcmd("ABOR")                    # over TLS: no urgent data
    first = f.getline()
    assert first.startswith("426"), first
    assert f.getline().startswith("226")
    conn.close()
    workdir.write("keep.bin", b"old")
    conn = f.transfercmd(f"STOR {workdir.virt}/keep.bin")
    conn.sendall(os.urandom(300000))
    time.sleep(0.2)
    f.putcmd("ABOR")
    assert f.getline().startswith("426")
    assert f.getline().startswith("226")
    conn.close()
    assert open(workdir.path("keep.bin"), "rb").read() == b"old"
    assert leftovers(workdir) == []
    f.storbinary(f"STOR {workdir.virt}/keep.bin", io.BytesIO(b"new"))
    assert open(workdir.path("keep.bin"), "rb").read() == b"new"
    f.quit()
