"""PROXY protocol v1/v2 behind a reverse proxy (issue 11), on loopback: the
"proxy" is this test connecting from 127.0.0.1 (proxy_trusted) and sending
the header itself; anyone else connects from 127.0.0.2. The real client a
header names must drive the logs, the xferlog, max_per_ip, the login
throttle and the PORT check; a header from anyone else is not believed; a
trusted proxy's connection without a whole, valid header in time is refused
before any session starts."""

import re
import socket
import struct
import subprocess
import time

import pytest

from conftest import HOST, TIMEOUT, USER, Ctl, free_port, wait_until, write_settings
from test_daemon import Socat
from tlsutil import client_context

PROXY = "127.0.0.1"
OTHER = ("127.0.0.2", 0)
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst, sport, dport, proto="TCP4"):
    return f"PROXY {proto} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src, dst, sport, dport, family=socket.AF_INET, tlvs=b""):
    fam = 0x11 if family == socket.AF_INET else 0x21
    body = (socket.inet_pton(family, src) + socket.inet_pton(family, dst) +
            struct.pack("!HH", sport, dport) + tlvs)
    return V2_SIG + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body


V2_LOCAL = V2_SIG + b"\x20\x00\x00\x00"


def count(s, pattern):
    return len(re.findall(pattern, s.log(), re.M))


def wait_more(s, pattern, before):
    """Wait for PATTERN to appear in the log once more than BEFORE times
    (the module's server is shared, so older lines may match too)."""
    s.wait_log(pattern, count=before + 1)


def proxied(s, header, source=None):
    """A control connection that starts with HEADER, then reads the banner."""
    c = s.ctl(read_banner=False, source=source)
    c.send_raw(header)
    c.banner = c.reply()
    return c


@pytest.fixture(scope="module")
def psrv(module_server):
    return module_server(proxy_protocol=True, proxy_trusted=f"{PROXY}/32 192.0.2.0/24",
                         log_ftp_protocol=False)


def test_v1_names_the_client_everywhere(psrv, payloads):
    name, digest, data = payloads.files[64 * 1024]
    c = proxied(psrv, v1("203.0.113.9", HOST, 40001, psrv.port))
    assert c.banner[0] == 220, c.dump()
    c.login()
    code, got = c.data_cmd(f"RETR {payloads.virt}/{name}")
    assert code == 226 and got == data, c.dump()
    c.expect("QUIT", 221)
    psrv.wait_log(r"session start: client 203\.0\.113\.9 vhost \S+ via proxy 127\.0\.0\.1")
    psrv.wait_log(rf"login ok: user {USER} client 203\.0\.113\.9")
    assert wait_until(lambda: " 203.0.113.9 " in psrv.xferlog() and name in psrv.xferlog()), \
        psrv.xferlog()


def test_v2_tcp4_with_tlvs(psrv):
    # ALPN, a NOOP and an AWS-style custom TLV: walked and ignored.
    tlvs = b"\x01\x00\x03ftp" + b"\x04\x00\x02\x00\x00" + b"\xea\x00\x05vpc-1"
    c = proxied(psrv, v2("198.51.100.23", HOST, 50000, psrv.port, tlvs=tlvs))
    assert c.banner[0] == 220
    c.login().expect("QUIT", 221)
    psrv.wait_log(rf"login ok: user {USER} client 198\.51\.100\.23")


def test_v2_tcp6(psrv):
    c = proxied(psrv, v2("2001:db8::77", "2001:db8::1", 50000, 21, socket.AF_INET6))
    c.login().expect("QUIT", 221)
    psrv.wait_log(r"session start: client 2001:db8::77 vhost \S+ via proxy 127\.0\.0\.1")


def test_v2_local_health_check_is_the_proxy(psrv):
    pat = r"session start: client 127\.0\.0\.1 vhost \S+ via proxy 127\.0\.0\.1"
    before = count(psrv, pat)
    c = proxied(psrv, V2_LOCAL)
    assert c.banner[0] == 220
    c.expect("QUIT", 221)
    c = proxied(psrv, b"PROXY UNKNOWN\r\n")
    assert c.banner[0] == 220
    c.expect("QUIT", 221)
    wait_more(psrv, pat, before + 1)


def test_untrusted_header_not_believed(psrv):
    """127.0.0.2 is no proxy: it is served as itself, and its forged header
    (it comes after the banner: an untrusted client is greeted at once)
    ends the session, logged."""
    c = psrv.ctl(source=OTHER)
    assert c.banner[0] == 220
    c.send_raw(v1("10.9.9.9", HOST, 1, 21))
    code, text = c.reply()
    assert code == 500, c.dump()
    assert c.eof(), c.dump()
    psrv.wait_log(r"session start: client 127\.0\.0\.2 vhost")
    psrv.wait_log(r"PROXY header from client 127\.0\.0\.2 not believed")
    assert "10.9.9.9" not in psrv.log().replace("PROXY TCP4 10.9.9.9", "")


def test_header_inside_a_proxied_stream_not_believed(psrv):
    """The client behind a real proxy forges a second header."""
    c = proxied(psrv, v1("203.0.113.50", HOST, 1, 21))
    c.send_raw(v1("10.8.8.8", HOST, 1, 21))
    assert c.reply()[0] == 500
    psrv.wait_log(r"PROXY header from client 203\.0\.113\.50 not believed")


def refused_before_banner(s, data, why, close=False, timeout=8.0):
    pat = r"refused: connection from proxy 127\.0\.0\.1: " + why
    before = count(s, pat)
    c = s.ctl(read_banner=False)
    t0 = time.monotonic()
    if data:
        c.send_raw(data)
    if close:
        c.sock.shutdown(socket.SHUT_WR)
    assert c.eof(timeout=timeout), c.dump()
    got = [l for l in c.transcript if l.startswith("S: ") and l not in ("S: <EOF>", "S: <RST>")]
    assert not got, f"the server spoke to a connection it must refuse: {got}"
    wait_more(s, pat, before)
    return time.monotonic() - t0


def test_trusted_proxy_without_header_is_refused(psrv):
    """A trusted proxy's connection that sends nothing (a client straight
    from the proxy's network) gets no banner and is closed at the deadline."""
    took = refused_before_banner(psrv, b"", r"no whole PROXY header within the deadline")
    assert 4.0 < took < 7.5, took


def test_slow_header_hits_the_deadline(psrv):
    """One byte a second: the deadline is for the whole header, not per read."""
    pat = r"refused: connection from proxy 127\.0\.0\.1: no whole PROXY header"
    before = count(psrv, pat)
    c = psrv.ctl(read_banner=False)
    t0 = time.monotonic()
    header = v1("203.0.113.60", HOST, 1, 21)
    for b in header[:10]:
        try:
            c.send_raw(bytes([b]))
        except OSError:
            break
        time.sleep(0.8)
    assert c.eof(timeout=5), c.dump()
    assert 4.0 < time.monotonic() - t0 < 9.5
    wait_more(psrv, pat, before)
    assert "203.0.113.60" not in psrv.log()


@pytest.mark.parametrize("data,why", [
    (b"USER anonymous\r\n", r"not a PROXY header"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", r"not a PROXY header"),
    (b"PROXY TCP4 203.0.113.1 127.0.0.1 99999 21\r\n", r"PROXY v1: bad address or port"),
    (b"PROXY " + b"A" * 120, r"PROXY v1: longer than 107 bytes"),
    (V2_SIG + b"\x21\x11\xff\xff", r"PROXY v2: longer than we accept"),
    (V2_SIG + b"\x21\x11\x00\x0c" + b"\x01" * 8, None),   # truncated, then closed
    (V2_SIG + b"\x21\x12\x00\x0c" + b"\x01" * 12, r"PROXY v2: not a stream connection"),
], ids=["ftp", "tls", "v1-port", "v1-long", "v2-oversized", "v2-truncated", "v2-udp"])
def test_broken_headers_refused(psrv, data, why):
    if why is None:
        refused_before_banner(psrv, data, r"closed before its PROXY header", close=True)
    else:
        refused_before_banner(psrv, data, why, timeout=3.0)


def test_max_per_ip_counts_real_clients(server):
    s = server(proxy_protocol=True, proxy_trusted=PROXY, max_per_ip=1)
    a = proxied(s, v1("203.0.113.1", HOST, 1, 21))
    assert a.banner[0] == 220
    again = proxied(s, v1("203.0.113.1", HOST, 2, 21))
    assert again.banner[0] == 421 and "too many connections" in again.banner[1], again.dump()
    # Another client through the same proxy is not the first one.
    b = proxied(s, v1("203.0.113.2", HOST, 3, 21))
    assert b.banner[0] == 220
    for c in (a, b):
        c.expect("QUIT", 221)


def test_login_throttle_is_per_real_client(server):
    s = server(proxy_protocol=True, proxy_trusted=PROXY, login_throttle_fails=2,
               login_throttle_window=60, max_login_fails=1)
    for port in (1, 2):
        c = proxied(s, v1("203.0.113.66", HOST, port, 21))
        c.expect("USER " + USER, 331)
        c.expect("PASS wrong-password", 530)
        assert c.eof()
    s.wait_log(r"client 203\.0\.113\.66 throttled: 2 failed logins in 60 s")
    c = proxied(s, v1("203.0.113.66", HOST, 3, 21))
    assert c.banner[0] == 421 and "failed logins" in c.banner[1], c.dump()
    # The attacker's failures do not lock out the proxy's other clients.
    proxied(s, v1("203.0.113.67", HOST, 4, 21)).login().expect("QUIT", 221)


def test_port_is_checked_against_the_real_client(psrv):
    c = proxied(psrv, v1("203.0.113.70", HOST, 1, 21))
    c.login()
    c.expect("PORT 127,0,0,1,200,0", 501)
    c.expect("QUIT", 221)
    psrv.wait_log(r"PORT refused: address 127\.0\.0\.1 is not the client's \(203\.0\.113\.70\)")


def test_data_must_come_from_the_control_proxy(server, payloads):
    """Without data headers: the control's proxy may connect, no one else."""
    s = server(proxy_protocol=True, proxy_trusted=PROXY, allow_violations=True)
    name, digest, data = payloads.files[64 * 1024]
    c = proxied(s, v1("203.0.113.80", HOST, 1, 21)).login()
    code, _ = c.data_cmd(f"RETR {payloads.virt}/{name}", source=OTHER)
    assert code == 425, c.dump()
    s.wait_log(r"violation: data connection from 127\.0\.0\.2 refused \(control client "
               r"203\.0\.113\.80\)")
    code, got = c.data_cmd(f"RETR {payloads.virt}/{name}")
    assert code == 226 and got == data


def data_with_header(c, line, header):
    return c.data_cmd(line, preamble=header)


def test_data_headers_name_the_control_client(server, payloads):
    """proxy_protocol_data: the data connection's header must name the same
    real client as the control's; another client, LOCAL or none is refused."""
    s = server(proxy_protocol=True, proxy_trusted=PROXY, proxy_protocol_data=True,
               allow_violations=True)
    name, digest, data = payloads.files[64 * 1024]
    c = proxied(s, v2("203.0.113.90", HOST, 1, 21)).login()
    retr = f"RETR {payloads.virt}/{name}"
    code, got = data_with_header(c, retr, v2("203.0.113.90", HOST, 2, 40000))
    assert code == 226 and got == data, c.dump()
    code, _ = data_with_header(c, retr, v2("203.0.113.91", HOST, 2, 40000))
    assert code == 425
    s.wait_log(r"data connection from 127\.0\.0\.1 refused \(control client "
               r"203\.0\.113\.90\): PROXY header names another client")
    code, _ = data_with_header(c, retr, V2_LOCAL)
    assert code == 425
    s.wait_log(r"PROXY header names no client")
    # v1 works on data too.
    code, got = data_with_header(c, retr, v1("203.0.113.90", HOST, 3, 40000))
    assert code == 226 and got == data
    c.expect("QUIT", 221)


def test_implicit_tls_after_the_header(server, pki):
    """On an implicit FTPS port the header comes before the ClientHello."""
    iport = free_port()
    s = server(proxy_protocol=True, proxy_trusted=PROXY, ssl_enable=True,
               rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
               implicit_ssl_port=iport)
    raw = socket.create_connection((HOST, iport), timeout=TIMEOUT)
    raw.sendall(v2("203.0.113.99", HOST, 1, 990))
    t = client_context(ca=pki.ca).wrap_socket(raw, server_hostname=HOST)
    c = Ctl.__new__(Ctl)
    c.transcript, c.sock, c.timeout, c.host = [], t, TIMEOUT, HOST
    c.f = t.makefile("rb")
    assert c.reply()[0] == 220
    c.login()
    c.expect("QUIT", 221)
    t.close()
    s.wait_log(r"session start: client 203\.0\.113\.99 vhost \S+ \(implicit TLS\) via proxy")


def test_config_test_refuses_proxy_without_trusted(tmp_path, ftpsd_bin):
    conf = tmp_path / "p.conf"
    conf.write_text("proxy_protocol=YES\n")
    r = subprocess.run([ftpsd_bin, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "proxy_protocol=YES needs proxy_trusted" in r.stderr
    conf.write_text("proxy_protocol=YES\nproxy_trusted=10.0.0.0/8\n")
    r = subprocess.run([ftpsd_bin, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "overlaps" not in r.stderr
    # A trusted network that holds exempt (LAN) clients: they would be
    # refused when they connect directly. A warning, not an error; a
    # single proxy address in a private network is fine.
    conf.write_text("proxy_protocol=YES\nproxy_trusted=10.0.0.0/24\n"
                    "pasv_address_exempt=private\n")
    r = subprocess.run([ftpsd_bin, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert ("warning: vhost default: proxy_trusted 10.0.0.0/24 overlaps "
            "pasv_address_exempt 10.0.0.0/8") in r.stderr, r.stderr
    conf.write_text("proxy_protocol=YES\nproxy_trusted=10.0.0.30\n"
                    "pasv_address_exempt=private\n")
    r = subprocess.run([ftpsd_bin, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert r.returncode == 0 and "overlaps" not in r.stderr, r.stderr


@pytest.fixture
def inetd(tmp_path, test_user, ftpsd_bin, pam_service):
    s = Socat(str(tmp_path), pam_service)
    yield s
    s.stop()


def test_inetd_mode_reads_the_header(inetd):
    """inetd mode (socat runs `ftpsd -i` per connection): the header is
    read before the session, with the same rules."""
    inetd.settings.update(proxy_protocol=True, proxy_trusted=PROXY)
    write_settings(inetd.conf, inetd.settings)
    c = Ctl(HOST, inetd.port, read_banner=False)
    c.send_raw(v2("203.0.113.120", HOST, 1, 21))
    assert c.reply()[0] == 220, c.dump()
    c.login().expect("QUIT", 221)
    assert wait_until(lambda: "login ok: user %s client 203.0.113.120" % USER in inetd.log())
    c = Ctl(HOST, inetd.port, read_banner=False)
    c.send_raw(b"USER x\r\n")
    assert c.eof(timeout=8), c.dump()
    assert wait_until(lambda: "refused: connection from proxy 127.0.0.1: not a PROXY header"
                      in inetd.log()), inetd.log()
