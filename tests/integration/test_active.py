"""Active mode: PORT and EPRT (RFC 959, RFC 2428), the monitor's connect,
bounce protection (RFC 2577), port_enable, connect_from_port_20."""

import ftplib
import hashlib
import io
import os
import socket

import pytest

from conftest import (HOST, PASSWORD, TIMEOUT, USER, curl, curl_report, sha256,
                      sha256_file)


def port_arg(ip, port):
    return ",".join(ip.split(".") + [str(port >> 8), str(port & 255)])


def listener(family=socket.AF_INET, host=HOST):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.bind((host, 0))
    s.listen(1)
    return s


def active_cmd(c, line, use_eprt=False, payload=None, family=socket.AF_INET, host=HOST):
    """PORT/EPRT to a fresh listener, run LINE, return (final code, data, data peer)."""
    ls = listener(family, host)
    port = ls.getsockname()[1]
    try:
        if use_eprt:
            c.expect(f"EPRT |{1 if family == socket.AF_INET else 2}|{host}|{port}|", 200)
        else:
            c.expect(f"PORT {port_arg(host, port)}", 200)
        code, _ = c.cmd(line)
        if code >= 200:
            return code, b"", None
        d, peer = ls.accept()
        d.settimeout(TIMEOUT)
        chunks = []
        with d:
            if payload is not None:
                d.sendall(payload)
                d.shutdown(socket.SHUT_WR)
            while True:
                b = d.recv(65536)
                if not b:
                    break
                chunks.append(b)
        code, _ = c.final()
        return code, b"".join(chunks), peer
    finally:
        ls.close()


def test_ftplib_active_download_and_upload(server, workdir):
    s = server()
    data = os.urandom(300 * 1024)
    workdir.write("a.bin", data)
    f = s.ftp()
    f.set_pasv(False)
    h = hashlib.sha256()
    f.retrbinary(f"RETR {workdir.virt}/a.bin", h.update)
    assert h.hexdigest() == sha256(data)
    f.storbinary(f"STOR {workdir.virt}/up.bin", io.BytesIO(data[::-1]))
    assert sha256_file(workdir.path("up.bin")) == sha256(data[::-1])
    lines = []
    f.retrlines(f"NLST {workdir.virt}", lines.append)
    assert sorted(os.path.basename(x) for x in lines) == ["a.bin", "up.bin"]
    f.quit()


def test_curl_active_download_upload_list(server, workdir, tmp_path):
    s = server()
    data = os.urandom(64 * 1024 + 7)
    workdir.write("c.bin", data)
    url = f"ftp://{USER}:{PASSWORD}@{HOST}:{s.port}{workdir.virt}/"
    out = tmp_path / "out.bin"
    r = curl("--ftp-port", HOST, "-o", str(out), url + "c.bin")
    assert r.returncode == 0, curl_report(r)
    assert out.read_bytes() == data
    assert "PORT " in r.stderr.decode() or "EPRT " in r.stderr.decode(), curl_report(r)
    src = tmp_path / "src.bin"
    src.write_bytes(data[::-1])
    r = curl("--ftp-port", HOST, "-T", str(src), url + "u.bin")
    assert r.returncode == 0, curl_report(r)
    assert open(workdir.path("u.bin"), "rb").read() == data[::-1]
    r = curl("--ftp-port", HOST, "-l", url)
    assert r.returncode == 0, curl_report(r)
    assert sorted(r.stdout.decode().split()) == ["c.bin", "u.bin"]


def test_raw_port_and_eprt_transfers(server, workdir):
    s = server()
    workdir.write("r.txt", b"hello active\n")
    c = s.login_ctl()
    c.expect("TYPE I", 200)
    code, data, peer = active_cmd(c, f"RETR {workdir.virt}/r.txt")
    assert (code, data) == (226, b"hello active\n"), c.dump()
    assert peer[0] == HOST
    code, data, _ = active_cmd(c, f"RETR {workdir.virt}/r.txt", use_eprt=True)
    assert (code, data) == (226, b"hello active\n"), c.dump()
    code, _, _ = active_cmd(c, f"STOR {workdir.virt}/w.txt", payload=b"up\n")
    assert code == 226, c.dump()
    assert open(workdir.path("w.txt"), "rb").read() == b"up\n"


def test_ipv6_eprt(server, workdir):
    s = server(listen_address="::1")
    workdir.write("six.bin", b"v6 data")
    f = ftplib.FTP()
    f.connect("::1", s.port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    f.set_pasv(False)
    buf = io.BytesIO()
    f.retrbinary(f"RETR {workdir.virt}/six.bin", buf.write)   # ftplib sends EPRT on IPv6
    assert buf.getvalue() == b"v6 data"
    f.quit()
    c = s.ctl(host="::1", family=socket.AF_INET6).login()
    # PORT cannot name an IPv6 address; EPRT |1| cannot reach an IPv6 client.
    c.expect("PORT 127,0,0,1,8,0", 522)
    c.expect(f"EPRT |1|127.0.0.1|2048|", 522)
    code, data, peer = active_cmd(c, f"RETR {workdir.virt}/six.bin", use_eprt=True,
                                  family=socket.AF_INET6, host="::1")
    assert (code, data) == (226, b"v6 data"), c.dump()


def test_foreign_address_refused_without_violation(server, workdir):
    s = server()
    workdir.write("x", b"x")
    c = s.login_ctl()
    c.expect(f"PORT {port_arg('127.0.0.2', 4000)}", 501)
    c.expect("EPRT |1|127.0.0.2|4000|", 501)
    c.expect("EPRT |1|10.9.8.7|4000|", 501)
    # Nothing was remembered: a transfer has no data connection to use.
    c.expect(f"RETR {workdir.virt}/x", 425)
    c.expect("NOOP", 200)
    s.wait_log(r"PORT refused: address 127\.0\.0\.2 is not the client's \(127\.0\.0\.1\)")
    assert "violation:" not in s.log()


@pytest.mark.parametrize("port", [19, 0, 1, 20, 21, 1023])
def test_low_port_refused(server, port):
    s = server()
    c = s.login_ctl()
    c.expect(f"PORT {port_arg(HOST, port)}", 501)
    c.expect(f"EPRT |1|{HOST}|{port}|", 501)
    c.expect("NOOP", 200)
    s.wait_log(r"port %d below 1024" % port)


@pytest.mark.parametrize("arg", ["127,0,0,1,256,1", "256,0,0,1,4,1", "127,0,0,1,-4,1",
                                 "127,0,0,1,4", "1,2,3,4,5,6,7", "garbage",
                                 "127,0,0,1,4,1" + "1" * 600])
def test_malformed_port_501(server, arg):
    s = server()
    c = s.login_ctl()
    c.expect(f"PORT {arg}", 501, 500)
    c.expect("NOOP", 200)


def test_eprt_syntax_and_family(server):
    s = server()
    c = s.login_ctl()
    c.expect("EPRT |1|127.0.0.1|70000|", 501)
    c.expect("EPRT |1|127.0.0.1|2000", 501)
    c.expect("EPRT garbage", 501)
    code, text = c.expect("EPRT |3|127.0.0.1|2000|", 522)
    assert "(1)" in text
    code, text = c.expect("EPRT |2|::1|2000|", 522)
    assert "(1)" in text
    c.expect("PORT", 501)
    c.expect("NOOP", 200)


def test_epsv_all_locks_out_port(server):
    s = server()
    c = s.login_ctl()
    c.expect("EPSV ALL", 200)
    c.expect(f"PORT {port_arg(HOST, 4000)}", 501)
    c.expect(f"EPRT |1|{HOST}|4000|", 501)


def test_port_enable_no(server, workdir):
    s = server(port_enable=False)
    workdir.write("x", b"x")
    c = s.login_ctl()
    c.expect(f"PORT {port_arg(HOST, 4000)}", 502)
    c.expect(f"EPRT |1|{HOST}|4000|", 502)
    c.expect(f"RETR {workdir.virt}/x", 425)
    f = s.ftp()
    f.set_pasv(False)
    with pytest.raises(ftplib.error_perm):
        f.retrbinary(f"RETR {workdir.virt}/x", lambda b: None)


def test_pasv_and_port_cancel_each_other(server, workdir):
    s = server()
    workdir.write("p.txt", b"which one")
    c = s.login_ctl()
    # PASV then PORT: the active connection is used.
    c.pasv()
    code, data, _ = active_cmd(c, f"RETR {workdir.virt}/p.txt")
    assert (code, data) == (226, b"which one"), c.dump()
    # PORT then PASV: passive is used, nobody connects to the listener.
    ls = listener()
    try:
        c.expect(f"PORT {port_arg(HOST, ls.getsockname()[1])}", 200)
        code, data = c.data_cmd(f"RETR {workdir.virt}/p.txt")
        assert (code, data) == (226, b"which one"), c.dump()
        ls.settimeout(0.3)
        with pytest.raises(socket.timeout):
            ls.accept()
    finally:
        ls.close()
    # One PORT is good for one transfer.
    code, data, _ = active_cmd(c, f"RETR {workdir.virt}/p.txt")
    assert code == 226
    c.expect(f"RETR {workdir.virt}/p.txt", 425)


def test_connect_failure_is_425(server, workdir):
    s = server()
    workdir.write("f", b"f")
    ls = listener()
    port = ls.getsockname()[1]
    ls.close()                      # nobody listens there now
    c = s.login_ctl()
    c.expect(f"PORT {port_arg(HOST, port)}", 200)
    c.expect(f"RETR {workdir.virt}/f", 425)
    c.expect("NOOP", 200)
    s.wait_log(r"active data connection to 127\.0\.0\.1:%d failed" % port)


def test_connect_from_port_20(server, workdir):
    s = server(connect_from_port_20=True)
    workdir.write("t", b"twenty")
    c = s.login_ctl()
    code, data, peer = active_cmd(c, f"RETR {workdir.virt}/t")
    assert (code, data) == (226, b"twenty"), c.dump()
    assert peer == (HOST, 20)
    # Twice in a row: SO_REUSEADDR lets port 20 be bound again at once.
    code, data, peer = active_cmd(c, f"RETR {workdir.virt}/t", use_eprt=True)
    assert (code, data, peer) == (226, b"twenty", (HOST, 20)), c.dump()


def test_feat_lists_eprt(server):
    s = server()
    c = s.ctl()
    code, text = c.expect("FEAT", 211)
    assert " EPRT" in text.split("\n")
