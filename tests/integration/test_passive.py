"""PASV and EPSV: reply formats, the advertised address, ports inside
pasv_min_port..pasv_max_port, data peers other than the control client
refused, and an exhausted range."""

import re
import socket

from conftest import (FTPEPSV, HOST, USER, PASSWORD, curl, curl_report,
                      ftp_get, ftp_put, free_port_range, TIMEOUT)

PASV_RX = re.compile(r"^227 .*\((\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\)")
EPSV_RX = re.compile(r"^229 .*\(\|\|\|(\d+)\|\)")


def test_pasv_reply_format_and_address(srv):
    c = srv.login_ctl()
    code, text = c.expect("PASV", 227)
    m = PASV_RX.match(text)
    assert m, f"227 reply without (h1,h2,h3,h4,p1,p2): {text!r}"
    n = [int(x) for x in m.groups()]
    assert all(0 <= x <= 255 for x in n), text
    assert n[:4] == [127, 0, 0, 1], f"PASV advertises {n[:4]}, control is on 127.0.0.1"


def test_epsv_reply_format(srv):
    c = srv.login_ctl()
    code, text = c.expect("EPSV", 229)
    assert EPSV_RX.match(text), f"229 reply without (|||port|): {text!r}"


def test_epsv_1_accepted(srv):
    c = srv.login_ctl()
    code, text = c.expect("EPSV 1", 229)
    assert EPSV_RX.match(text), text


def test_epsv_unsupported_protocol_522(srv):
    """RFC 2428: EPSV 2 on an IPv4 connection -> 522 (network protocol not supported)."""
    c = srv.login_ctl()
    c.expect("EPSV 2", 522)


def test_passive_ports_stay_inside_the_range(server):
    s = server(**_range(5))
    lo, hi = s.pasv_range
    c = s.login_ctl()
    seen = set()
    for i in range(12):
        if i % 2:
            port = c.epsv()
            host = HOST
        else:
            host, port = c.pasv()
        assert lo <= port <= hi, f"passive port {port} outside {lo}..{hi}\n" + c.dump()
        seen.add(port)
        # the port really listens: a listing goes through it
        d = socket.create_connection((host, port), timeout=TIMEOUT)
        code, text = c.cmd("NLST /")
        assert code in (125, 150), c.dump()
        while d.recv(65536):
            pass
        d.close()
        assert c.final()[0] == 226, c.dump()
    # ftplib and curl sessions too
    for epsv in (False, True):
        f = s.ftp(epsv=epsv)
        for _ in range(3):
            f.nlst("/")
        f.quit()


def _range(n):
    lo, hi = free_port_range(n)
    return {"pasv_min_port": lo, "pasv_max_port": hi}


def test_curl_uses_range_and_227_address(server, workdir, tmp_path):
    s = server(**_range(3))
    lo, hi = s.pasv_range
    workdir.write("f.bin", b"x" * 100)
    for _ in range(4):
        r = curl("--ftp-pasv", "--disable-epsv", "--no-ftp-skip-pasv-ip",
                 "--user", f"{USER}:{PASSWORD}", "-o", str(tmp_path / "o"),
                 f"ftp://{HOST}:{s.port}{workdir.virt}/f.bin")
        assert r.returncode == 0, curl_report(r)
        trace = r.stderr.decode()
        m = re.search(r"< (227 .*)", trace)
        assert m and PASV_RX.match(m.group(1)), curl_report(r)
        g = [int(x) for x in PASV_RX.match(m.group(1)).groups()]
        assert g[:4] == [127, 0, 0, 1] and lo <= g[4] * 256 + g[5] <= hi, curl_report(r)


def test_pasv_advertises_the_control_connections_local_address(server):
    """Listening on 127.0.0.3: PASV must advertise 127,0,0,3 and the
    data port must be bound there."""
    s = server(listen_address="127.0.0.3")
    c = s.login_ctl()
    code, text = c.expect("PASV", 227)
    n = [int(x) for x in PASV_RX.match(text).groups()]
    assert n[:4] == [127, 0, 0, 3], f"PASV advertises {n[:4]} on a 127.0.0.3 control connection"
    f = s.ftp()
    assert isinstance(f.nlst("/"), list)


def test_data_connection_from_another_ip_is_refused(server):
    """Control from 127.0.0.1, data from 127.0.0.2: 425 and a log line."""
    s = server(accept_timeout=3, allow_violations=True)
    c = s.ctl(source=("127.0.0.1", 0)).login()
    host, port = c.pasv()
    thief = socket.create_connection((host, port), timeout=TIMEOUT,
                                     source_address=("127.0.0.2", 0))
    thief.settimeout(8)
    code, text = c.final("LIST /")
    stolen = b""
    try:
        while True:
            b = thief.recv(65536)
            if not b:
                break
            stolen += b
    except (ConnectionResetError, socket.timeout, TimeoutError):
        pass
    thief.close()
    assert stolen == b"", f"a foreign peer got data: {stolen[:200]!r}\n" + c.dump()
    assert code == 425, c.dump()
    s.wait_log(r"127\.0\.0\.2")
    # the session goes on: a data connection from the right address works
    code, data = c.data_cmd("NLST /")
    assert code == 226, c.dump()


def test_data_connection_from_another_ip_refused_for_retr(server, workdir):
    s = server(accept_timeout=3, allow_violations=True)
    workdir.write("secret.bin", b"S" * 5000)
    c = s.ctl(source=("127.0.0.1", 0)).login()
    port = c.epsv()
    thief = socket.create_connection((HOST, port), timeout=TIMEOUT,
                                     source_address=("127.0.0.2", 0))
    thief.settimeout(8)
    code, text = c.final(f"RETR {workdir.virt}/secret.bin")
    stolen = b""
    try:
        while True:
            b = thief.recv(65536)
            if not b:
                break
            stolen += b
    except (ConnectionResetError, socket.timeout, TimeoutError):
        pass
    assert b"S" not in stolen, c.dump()
    assert code == 425, c.dump()
    s.wait_log(r"127\.0\.0\.2")


def test_pasv_promiscuous_accepts_another_ip(server):
    s = server(pasv_promiscuous=True)
    c = s.ctl(source=("127.0.0.1", 0)).login()
    code, data = c.data_cmd("NLST /", source=("127.0.0.2", 0))
    assert code == 226, c.dump()


def test_exhausted_port_range_is_425(server):
    """DESIGN §3: with every port of the range busy, PASV answers 425 and
    the log says the range is exhausted."""
    r = _range(1)
    s = server(**r)
    port = r["pasv_min_port"]
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
    blocker.bind((HOST, port))
    blocker.listen(1)
    try:
        c = s.login_ctl()
        code, text = c.cmd("PASV")
        assert code == 425, c.dump()
        code, text = c.cmd("EPSV")
        assert code == 425, c.dump()
        s.wait_log(r"(?i)exhaust|range")
    finally:
        blocker.close()
    # freed: works again
    host, p = c.pasv()
    assert p == port


def test_ipv6_control_and_epsv_transfer(server, workdir):
    s = server(listen_address="127.0.0.1,::1")
    s.wait_log(r"listening on .*::1.*" + str(s.port), timeout=5)
    workdir.write("six.bin", b"6" * 4096)
    f = FTPEPSV()
    f.connect("::1", s.port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    got, n = ftp_get(f, f"{workdir.virt}/six.bin")
    assert n == 4096
    ftp_put(f, f"{workdir.virt}/six-up.bin", b"up" * 100)
    f.quit()
    assert open(workdir.path("six-up.bin"), "rb").read() == b"up" * 100
    # and the IPv4 address of the same vhost
    f = s.ftp()
    f.quit()
    s.wait_log(r"session start: client ::1 vhost default")


def test_pasv_disabled(server):
    s = server(pasv_enable=False)
    c = s.login_ctl()
    for line in ("PASV", "EPSV"):
        code, text = c.cmd(line)
        assert 500 <= code < 600, f"{line} accepted with pasv_enable=NO\n" + c.dump()
    c.expect("NOOP", 200)
