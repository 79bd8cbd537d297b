"""Behind a real reverse proxy (issue 11): Debian's HAProxy in its own
namespace on the LAN (10.99.0.30, `lab.sh proxy`); the router forwards the
public address 203.0.113.50's port 21 and passive range to it, and HAProxy
forwards both to ftpsd (10.99.0.10, port 2121 and the same passive ports).

With send-proxy-v2 the outside client that obeys the PASV reply is told the
public address and transfers byte-exact, the inside client that connects
straight to the server is told the LAN address, and ftpsd's log names the
outside client's real address, not the proxy's. Without the PROXY protocol
(the usual reverse-proxy guide) pasv_address_rule gives the proxy the public
address. A PROXY header from a host that is not the proxy is not believed.
Two instances behind the one HAProxy, each with its own half of the
passive range, or both with the same range and the second advertising it
shifted by pasv_port_offset, serve clients balanced between them
(scale-out). Two HAProxy frontends (two public names) in front of one
ftpsd: the header's destination selects the vhost (proxy_destination).
"""

import io
import os
import re
import subprocess
import time

import pytest

from conftest import (FTPS, IN_LAN, NS, OUT_WAN, PASSWORD, PUBLIC3, PUBLIC4, PXY_LAN,
                      PXY_LAN2, SRV_LAN, SRV_LAN2, TIMEOUT, USER, in_ns, lab, run_in,
                      stop_process)

import tlsutil

CTRL = 2121                     # ftpsd's control port behind the proxy
PMIN, PMAX = 40100, 40109       # forwarded by the router and by HAProxy
OFFSET = 10                     # the second instance's pasv_port_offset
PASV_RE = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


@pytest.fixture(scope="module")
def proxy_host(nat_lab):
    # The router forwards the offset instance's ports too.
    r = lab("proxy", str(PMIN), str(PMAX + OFFSET), check=False)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    # nat_lab's `lab.sh down` at the end removes the namespace too.


HAPROXY_HEAD = """global
    maxconn 256
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
"""


def haproxy_conf(path, ctrl_opts, data_opts):
    with open(path, "w") as f:
        f.write(HAPROXY_HEAD + f"""frontend ftp_control
    bind {PXY_LAN}:21
    default_backend ftpsd_control
backend ftpsd_control
    server ftpsd {SRV_LAN}:{CTRL} {ctrl_opts}
frontend ftp_passive
    bind {PXY_LAN}:{PMIN}-{PMAX}
    default_backend ftpsd_passive
backend ftpsd_passive
    # no port: the one the client connected to
    server ftpsd {SRV_LAN} {data_opts}
""")


def listening(ns, port):
    r = run_in(ns, "ss", "-Hltn", f"sport = :{port}")
    return r.returncode == 0 and f":{port}" in r.stdout.decode()


@pytest.fixture
def haproxy(proxy_host, tmp_path):
    """Factory: haproxy(ctrl_opts, data_opts) runs HAProxy in the proxy's
    namespace until the test ends."""
    procs = []

    def start(ctrl_opts="", data_opts="", text=None):
        conf = str(tmp_path / f"haproxy{len(procs)}.cfg")
        if text:
            with open(conf, "w") as f:
                f.write(HAPROXY_HEAD + text)
        else:
            haproxy_conf(conf, ctrl_opts, data_opts)
        check = run_in("pxy", "haproxy", "-c", "-f", conf)
        assert check.returncode == 0, check.stdout + check.stderr
        p = subprocess.Popen(["ip", "netns", "exec", NS["pxy"], "haproxy", "-db", "-f",
                              conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        procs.append(p)
        deadline = time.time() + 10
        while not (listening("pxy", 21) and listening("pxy", PMAX)):
            assert p.poll() is None and time.time() < deadline, \
                p.stderr.read().decode(errors="replace") if p.poll() is not None else \
                "haproxy is not listening after 10 s"
            time.sleep(0.05)
        return p

    yield start
    for p in procs:
        stop_process(p)


def server_settings(**kw):
    s = {"listen_port": CTRL, "pasv_min_port": PMIN, "pasv_max_port": PMAX}
    s.update(kw)
    return s


def ftps(host, port, ca):
    f = FTPS(context=tlsutil.client_context(ca=ca), timeout=TIMEOUT)
    f.connect(host, port, timeout=TIMEOUT)
    f.auth()
    f.login(USER, PASSWORD)
    f.prot_p()
    return f


def session(host, port, ca, payload, upload=None):
    """Log in, PASV, download the payload, upload UPLOAD; the 227 reply and
    the bytes downloaded."""
    f = ftps(host, port, ca)
    resp = f.sendcmd("PASV")
    chunks = []
    f.retrbinary(f"RETR {payload[0]}", chunks.append)
    if upload:
        f.storbinary(f"STOR {upload[0]}", io.BytesIO(upload[1]))
    f.quit()
    return resp, b"".join(chunks)


def told(resp):
    m = PASV_RE.search(resp)
    assert resp.startswith("227 ") and m, resp
    n = [int(x) for x in m.groups()]
    return ".".join(map(str, n[:4])), n[4] * 256 + n[5]


@pytest.mark.parametrize("data_headers", [True, False], ids=["data-v2", "data-plain"])
def test_haproxy_send_proxy_v2(nat_server, haproxy, pki, payload, nat_user, data_headers):
    """send-proxy-v2 on control; on the passive range too (the data
    header must name the control's client), or not (data must then come
    from the proxy that carried the control connection)."""
    s = nat_server(**server_settings(pasv_address=PUBLIC3, pasv_address_exempt="private",
                                     proxy_protocol=True, proxy_trusted=PXY_LAN,
                                     proxy_protocol_data=data_headers))
    haproxy("send-proxy-v2", "send-proxy-v2" if data_headers else "")
    up = (f"up-{data_headers}.bin", os.urandom(300000))

    resp, data = in_ns("out", session, PUBLIC3, 21, pki.ca, payload, up)
    ip, port = told(resp)
    assert ip == PUBLIC3 and PMIN <= port <= PMAX, resp
    assert data == payload[1]
    with open(os.path.join(nat_user.pw_dir, up[0]), "rb") as f:
        assert f.read() == up[1]
    s.wait_log(rf"session start: client {re.escape(OUT_WAN)} vhost default via proxy "
               rf"{re.escape(PXY_LAN)}")
    s.wait_log(rf"login ok: user {USER} client {re.escape(OUT_WAN)}")
    s.wait_log(rf"PASV: client {re.escape(OUT_WAN)} told {re.escape(PUBLIC3)}:\d+ "
               r"\(client outside exemptions: pasv_address")

    resp, data = in_ns("in", session, SRV_LAN, CTRL, pki.ca, payload)
    ip, port = told(resp)
    assert ip == SRV_LAN and PMIN <= port <= PMAX, resp
    assert data == payload[1]
    s.wait_log(rf"PASV: client {re.escape(IN_LAN)} told {re.escape(SRV_LAN)}:\d+")
    assert f"client {PXY_LAN}" not in s.log(), s.log()
    assert "violation" not in s.log(), s.log()


def test_haproxy_without_proxy_protocol_uses_pasv_address_rule(nat_server, haproxy, pki,
                                                              payload):
    """The usual guide: the proxy's connections get the public address by a
    rule, LAN clients the LAN address; ftpsd sees the proxy as the client."""
    s = nat_server(**server_settings(pasv_address_rule=f"{PXY_LAN}/32 {PUBLIC3}"))
    haproxy()
    resp, data = in_ns("out", session, PUBLIC3, 21, pki.ca, payload)
    ip, port = told(resp)
    assert ip == PUBLIC3 and PMIN <= port <= PMAX, resp
    assert data == payload[1]
    s.wait_log(rf"session start: client {re.escape(PXY_LAN)} vhost default")
    resp, data = in_ns("in", session, SRV_LAN, CTRL, pki.ca, payload)
    assert told(resp)[0] == SRV_LAN, resp
    assert data == payload[1]


def forged(host, port):
    """Plain FTP: read the banner, send a PROXY line naming someone else."""
    import socket
    c = socket.create_connection((host, port), timeout=TIMEOUT)
    try:
        f = c.makefile("rb")
        banner = f.readline()
        c.sendall(b"PROXY TCP4 192.0.2.66 10.99.0.10 1234 2121\r\n")
        return banner, f.readline()
    finally:
        c.close()


def test_forged_header_not_believed(nat_server, haproxy):
    """From the inside client (no proxy) and from behind the proxy (a second
    header in the stream): refused, logged, the real address kept."""
    s = nat_server(**server_settings(ssl_enable=False, proxy_protocol=True,
                                     proxy_trusted=PXY_LAN))
    haproxy("send-proxy-v2")
    banner, reply = in_ns("in", forged, SRV_LAN, CTRL)
    assert banner.startswith(b"220") and reply.startswith(b"500"), (banner, reply)
    s.wait_log(rf"PROXY header from client {re.escape(IN_LAN)} not believed")
    banner, reply = in_ns("out", forged, PUBLIC3, 21)
    assert banner.startswith(b"220") and reply.startswith(b"500"), (banner, reply)
    s.wait_log(rf"PROXY header from client {re.escape(OUT_WAN)} not believed")
    assert "192.0.2.66" not in s.log().replace("PROXY TCP4 192.0.2.66", "")


# Scale-out, two shapes: (a's bound range, b's bound range, b's offset).
HALF = (PMIN + PMAX) // 2
SHAPES = {"own-ranges": ((PMIN, HALF), (HALF + 1, PMAX), 0),
          "one-range-offset": ((PMIN, PMAX), (PMIN, PMAX), OFFSET)}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scale_out_two_instances_behind_one_haproxy(nat_server, haproxy, pki, payload,
                                                   tmp_path, shape):
    """Two ftpsd instances (10.99.0.10 and .11), control connections
    balanced round-robin; each instance its own half of the passive range
    forwarded to it, or both the same range with b advertising it shifted
    by pasv_port_offset and HAProxy mapping the shifted ports back (server
    b ADDR:-OFFSET). Clients of both are told the public address and a port
    of their instance, reach it through the proxy, and transfer byte-exact."""
    (amin, amax), (bmin, bmax), off = SHAPES[shape]
    common = dict(pasv_address=PUBLIC3, pasv_address_exempt="private",
                  proxy_protocol=True, proxy_trusted=PXY_LAN, proxy_protocol_data=True)
    a = nat_server(**server_settings(listen_address=SRV_LAN, pasv_min_port=amin,
                                     pasv_max_port=amax, log_file=str(tmp_path / "a.log"),
                                     **common))
    b = nat_server(**server_settings(listen_address=SRV_LAN2, pasv_min_port=bmin,
                                     pasv_max_port=bmax, pasv_port_offset=off or None,
                                     log_file=str(tmp_path / "b.log"), **common))
    haproxy(text=f"""frontend ftp_control
    bind {PXY_LAN}:21
    default_backend ftpsd_control
backend ftpsd_control
    balance roundrobin
    server a {SRV_LAN}:{CTRL} send-proxy-v2
    server b {SRV_LAN2}:{CTRL} send-proxy-v2
frontend passive_a
    bind {PXY_LAN}:{amin}-{amax}
    default_backend passive_a
backend passive_a
    server a {SRV_LAN} send-proxy-v2
frontend passive_b
    bind {PXY_LAN}:{bmin + off}-{bmax + off}
    default_backend passive_b
backend passive_b
    server b {SRV_LAN2}{f":-{off}" if off else ""} send-proxy-v2
""")
    ports = []
    for _ in range(4):
        resp, data = in_ns("out", session, PUBLIC3, 21, pki.ca, payload)
        ip, port = told(resp)
        assert ip == PUBLIC3, resp
        assert data == payload[1]
        ports.append(port)
    # Round-robin: each instance served two of the four, from its range.
    in_a = [p for p in ports if amin <= p <= amax]
    in_b = [p for p in ports if bmin + off <= p <= bmax + off]
    assert len(in_a) == 2 and len(in_b) == 2, ports
    for s in (a, b):
        s.wait_log(rf"login ok: user {USER} client {re.escape(OUT_WAN)}")
        assert f"client {PXY_LAN}" not in s.log(), s.log()


def welcome_and_session(host, port, ca, payload):
    """(banner, 227 reply, bytes downloaded) of one session to HOST:PORT."""
    f = ftps(host, port, ca)
    resp = f.sendcmd("PASV")
    chunks = []
    f.retrbinary(f"RETR {payload[0]}", chunks.append)
    f.quit()
    return f.welcome, resp, b"".join(chunks)


def test_proxy_destination_selects_the_vhost(nat_server, haproxy, pki, payload, tmp_path):
    """One ftpsd behind one HAProxy with two frontends (10.99.0.30 and .31,
    reached from outside as 203.0.113.50 and .51), both sent to the same
    ftpsd port: the v2 header's destination (the frontend the client
    dialled) selects vhost b for the second. Each client gets its vhost's
    banner and certificate (b's names only 203.0.113.51, and the client
    checks it), is told its own public address, and transfers byte-exact."""
    d = str(tmp_path / "pdst")
    os.mkdir(d)
    os.chmod(d, 0o755)
    bcert = tlsutil.issue_cert(d, "b", "ftpsd vhost b", (pki.ca, pki.ca_key), "rsa",
                               serial=3201, names=(PUBLIC4,))
    proxied = dict(proxy_protocol=True, proxy_trusted=PXY_LAN + "," + PXY_LAN2,
                   proxy_protocol_data=True, pasv_address_exempt="private")
    s = nat_server(vhosts=[
        ("a", dict(listen_address=SRV_LAN, ftpd_banner="vhost a", pasv_address=PUBLIC3,
                   **proxied)),
        ("b", dict(listen_address=SRV_LAN, ftpd_banner="vhost b", pasv_address=PUBLIC4,
                   proxy_destination=PXY_LAN2, rsa_cert_file=bcert[0],
                   rsa_private_key_file=bcert[1], **proxied)),
    ], **server_settings())
    haproxy(text=f"""frontend ftp_a
    bind {PXY_LAN}:21
    default_backend ftpsd_control
frontend ftp_b
    bind {PXY_LAN2}:21
    default_backend ftpsd_control
backend ftpsd_control
    server ftpsd {SRV_LAN}:{CTRL} send-proxy-v2
frontend ftp_passive
    bind :{PMIN}-{PMAX}
    default_backend ftpsd_passive
backend ftpsd_passive
    server ftpsd {SRV_LAN} send-proxy-v2
""")
    for public, name in ((PUBLIC4, "b"), (PUBLIC3, "a")):
        banner, resp, data = in_ns("out", welcome_and_session, public, 21, pki.ca, payload)
        assert banner == f"220 vhost {name}", banner
        ip, port = told(resp)
        assert ip == public and PMIN <= port <= PMAX, resp
        assert data == payload[1]
        s.wait_log(rf"session start: client {re.escape(OUT_WAN)} vhost {name} via proxy "
                   r"10\.99\.0\.3[01]")
    # From the LAN, straight to the server: no header, the listener's vhost.
    banner, resp, data = in_ns("in", welcome_and_session, SRV_LAN, CTRL, pki.ca, payload)
    assert banner == "220 vhost a", banner
    assert told(resp)[0] == SRV_LAN, resp
    assert data == payload[1]
    assert "violation" not in s.log(), s.log()

