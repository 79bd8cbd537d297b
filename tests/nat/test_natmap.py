"""Zero-config NAT (issue 16): pasv_address=auto and nat_port_mapping=YES
against a real router daemon, Debian's miniupnpd (nftables backend), in
the lab's router namespace.

The router's WAN address 198.51.100.1 has no static forwarding at all
(the lab's DNAT rules are for 203.0.113.x): an outside client reaches the
server there only through the mappings ftpsd asks miniupnpd for. Lab
pitfalls planned for: miniupnpd maps nothing on an RFC 5737 address unless
STUN confirmed it (tests/nat/stun.py runs in the outside namespace), and
it writes every line to /dev/console when there is no syslog socket (it
runs in a mount namespace whose /dev/console is its log file).
"""

import io
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (FTPSD, HERE, NS, PASSWORD, PASV_MAX, PASV_MIN, SRV_LAN, TIMEOUT, USER,
                      FTPS, in_ns, run_in, stop_process)
from test_nat import get, parse227, sha

import tlsutil

RTR_WAN, RTR_LAN, OUT_WAN = "198.51.100.1", "10.99.0.1", "198.51.100.7"
RTR_WAN2 = "198.51.100.2"   # the router's address after the "ISP" changed it
SRV6, IN6 = "fd99::10", "fd99::20"   # ULAs on the LAN, added by the IPv6 test
TABLE = "ftpsd_natmap"
MAPPED = f"21, 990, {PASV_MIN}-{PASV_MAX}"
MAPPED_PORTS = [21, 990] + list(range(PASV_MIN, PASV_MAX + 1))
ALLOW_LAN = "allow 1-65535 10.99.0.0/24 1-65535"
DENY_ALL = "deny 0-65535 0.0.0.0/0 0-65535"

NFT_TABLES = f"""table inet {TABLE} {{
	chain forward {{
		type filter hook forward priority 0; policy accept;
		jump miniupnpd
	}}
	chain miniupnpd {{
	}}
	chain prerouting {{
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}}
	chain postrouting {{
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
	}}
	chain prerouting_miniupnpd {{
	}}
	chain postrouting_miniupnpd {{
	}}
}}
"""


class Router:
    """miniupnpd in the router namespace, with a STUN responder outside."""

    def __init__(self, tmp, rules=(ALLOW_LAN, DENY_ALL), natpmp=True, upnp=True):
        self.log_path = os.path.join(tmp, "miniupnpd.log")
        conf = os.path.join(tmp, "miniupnpd.conf")
        with open(conf, "w") as f:
            f.write(f"""ext_ifname=wan
listening_ip=br0
http_port=0
enable_natpmp={'yes' if natpmp else 'no'}
enable_upnp={'yes' if upnp else 'no'}
ext_perform_stun=yes
ext_stun_host={OUT_WAN}
ext_stun_port=3478
secure_mode=yes
system_uptime=yes
min_lifetime=10
upnp_table_name={TABLE}
upnp_nat_table_name={TABLE}
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
""")
            for r in rules:
                f.write(r + "\n")
        run_in("rtr", "nft", "delete", "table", "inet", TABLE)
        r = run_in("rtr", "nft", "-f", "-", input=NFT_TABLES.encode())
        assert r.returncode == 0, r.stderr
        open(self.log_path, "w").close()
        self.stun = subprocess.Popen(["ip", "netns", "exec", NS["out"], "/usr/bin/python3",
                                      os.path.join(HERE, "stun.py"), OUT_WAN, "3478"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        log = open(self.log_path, "a")
        # unshare execs sh, sh execs ip, ip execs miniupnpd: one pid.
        self.proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c",
             f'mount --bind "$0" /dev/console && exec ip netns exec {NS["rtr"]} '
             f'miniupnpd -d -f "$1" -P "$2"', self.log_path, conf,
             os.path.join(tmp, "miniupnpd.pid")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        want = "Listening for NAT-PMP/PCP traffic" if natpmp else "HTTP listening on port"
        deadline = time.time() + 15
        while want not in self.log():
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError("miniupnpd did not start:\n" + self.log())
            time.sleep(0.1)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def mappings(self):
        """{external port: internal address:port} of miniupnpd's DNAT rules."""
        r = run_in("rtr", "nft", "list", "chain", "inet", TABLE, "prerouting_miniupnpd")
        assert r.returncode == 0, r.stderr
        return {int(m.group(1)): m.group(2) for m in
                re.finditer(r"dport (\d+) dnat ip to (\S+)", r.stdout.decode())}

    def stop(self):
        for p in (self.proc, self.stun):
            stop_process(p)
        run_in("rtr", "nft", "delete", "table", "inet", TABLE)


@pytest.fixture
def router(nat_lab, tmp_path):
    routers = []

    def start(**kw):
        r = Router(str(tmp_path), **kw)
        routers.append(r)
        return r

    yield start
    for r in routers:
        r.stop()


@pytest.fixture(scope="module")
def wan_cert(pki, tmp_path_factory):
    d = str(tmp_path_factory.mktemp("natmapcert"))
    os.chmod(d, 0o755)
    return tlsutil.issue_cert(d, "rtr", "ftpsd natmap", (pki.ca, pki.ca_key), "rsa",
                              serial=3101, names=(RTR_WAN, RTR_WAN2, SRV_LAN, SRV6))


def auto_server(nat_server, wan_cert, **kw):
    settings = dict(pasv_address="auto", nat_port_mapping=True, implicit_ssl_port=990,
                    rsa_cert_file=wan_cert[0], rsa_private_key_file=wan_cert[1])
    settings.update(kw)
    return nat_server(**settings)


def reachable(host, port):
    """Whether a TCP connection from outside to HOST:PORT is accepted."""
    def probe():
        try:
            socket.create_connection((host, port), timeout=3).close()
            return True
        except OSError:
            return False
    return in_ns("out", probe)


def login(host, ca):
    f = FTPS(context=tlsutil.client_context(ca=ca), timeout=TIMEOUT)
    f.connect(host, 21, timeout=TIMEOUT)
    f.auth()
    f.login(USER, PASSWORD)
    f.prot_p()
    return f


def inside_pasv(ca, payload=None):
    """From the LAN: the 227 reply, and the download of PAYLOAD."""
    def client():
        f = login(SRV_LAN, ca)
        resp = f.sendcmd("PASV")
        data = get(f, payload[0]) if payload else None
        f.quit()
        return resp, data
    return in_ns("in", client)


def outside_transfer(ca, payload, host=RTR_WAN):
    """Log in from outside, PASV, download and upload; (227 reply, data)."""
    def client():
        f = login(host, ca)
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.storbinary("STOR natmap-up.bin", io.BytesIO(payload[1][:200000]))
        up = get(f, "/natmap-up.bin")
        f.quit()
        return resp, data, up
    return in_ns("out", client)


def expect_mapped(r, ports):
    m = r.mappings()
    assert sorted(m) == sorted(ports), m
    assert all(v == f"{SRV_LAN}:{p}" for p, v in m.items()), m


def transfer_through_mappings(r, ca, payload):
    """Every port mapped to the server; an outside FTPS session told the
    router's address gets byte-exact files both ways through them."""
    expect_mapped(r, MAPPED_PORTS)
    resp, data, up = outside_transfer(ca, payload)
    ip, port = parse227(resp)
    assert ip == RTR_WAN and PASV_MIN <= port <= PASV_MAX, resp
    assert sha(data) == sha(payload[1])
    assert up == payload[1][:200000]


def live_nat_state(s):
    """`ftpsd -T` while S runs: the lines of its live NAT state."""
    r = subprocess.run([FTPSD, "-T", "-c", s.conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "\n# live NAT state of the running server" in out, out
    return [line[2:] for line in out.split("# live NAT state", 1)[1].splitlines()[1:]]


def stop_removes_mappings(r, s):
    s.stop()
    assert s.proc.returncode == 0
    assert re.search(r"ftpsd-natmap: removed 12 port mappings from the gateway", s.log())
    assert r.mappings() == {}
    assert not reachable(RTR_WAN, 21)


# 1 ------------------------------------------------------------------------

def test_pcp_maps_ports_outside_client_transfers_and_sigterm_removes(
        router, nat_server, wan_cert, pki, payload):
    r = router()
    assert r.mappings() == {}
    assert not reachable(RTR_WAN, 21), "a static forwarding exists"
    s = auto_server(nat_server, wan_cert)
    s.wait_log(rf"vhost default: NAT: PCP: external address 198\.51\.100\.1, "
               rf"mapped TCP ports {MAPPED} \(lease 3600 s\)", timeout=15)
    transfer_through_mappings(r, pki.ca, payload)
    s.wait_log(r"PASV: client 198\.51\.100\.7 told 198\.51\.100\.1:\d+")
    # ftpsd -T asks the running master (who_socket) what it learned.
    state = live_nat_state(s)
    assert len(state) == 1 and re.fullmatch(
        rf"vhost default: NAT: PCP: external address 198\.51\.100\.1, mapped TCP ports "
        rf"{MAPPED} \(lease 3600 s, (\d+) s left, renewed at half\)", state[0]), state
    assert 3500 < int(re.search(r"(\d+) s left", state[0]).group(1)) <= 3600, state
    # The helper runs sandboxed: nopriv, empty root, seccomp.
    pid = subprocess.run(["pgrep", "-x", "ftpsd-natmap"], stdout=subprocess.PIPE,
                         check=True).stdout.split()[0].decode()
    with open(f"/proc/{pid}/status") as f:
        status = f.read()
    assert re.search(r"Uid:\s+65534", status) and "Seccomp:\t2" in status, status
    assert os.readlink(f"/proc/{pid}/root") != "/"
    stop_removes_mappings(r, s)
    assert live_nat_state(s) == ["(not available: see the message above)"]


# 2 ------------------------------------------------------------------------

def test_natpmp_used_when_pcp_is_switched_off(router, nat_server, wan_cert, pki, payload):
    r = router()
    s = auto_server(nat_server, wan_cert, nat_protocols="natpmp")
    s.wait_log(rf"vhost default: NAT: NAT-PMP: external address 198\.51\.100\.1, "
               rf"mapped TCP ports {MAPPED}", timeout=15)
    transfer_through_mappings(r, pki.ca, payload)
    stop_removes_mappings(r, s)


# 3 ------------------------------------------------------------------------

def test_refusing_router_logs_and_keeps_static_settings(router, nat_server, wan_cert,
                                                        pki, payload):
    router(rules=(DENY_ALL,))
    s = auto_server(nat_server, wan_cert)
    m = s.wait_log(r"vhost default: NAT: no gateway protocol worked \((.*)\); using the "
                   r"static settings", timeout=20)
    assert "PCP: port 21: not authorized" in m.group(1), m.group(1)
    # miniupnpd looks for another port to offer, all 65535 of them, for
    # each (re)transmitted refusal: NAT-PMP's turn may find it still busy.
    assert re.search(r"NAT-PMP: (port 21: not authorized or refused|no answer from the "
                     r"gateway)", m.group(1)), m.group(1)
    # Still serving, with what it had without NAT: the local address.
    resp, data = inside_pasv(pki.ca, payload)
    assert parse227(resp)[0] == SRV_LAN, resp
    assert sha(data) == sha(payload[1])


# 4 ------------------------------------------------------------------------

def test_upnp_used_when_the_router_has_no_pcp_or_natpmp(router, nat_server, wan_cert,
                                                        pki, payload):
    r = router(natpmp=False)
    s = auto_server(nat_server, wan_cert)
    s.wait_log(rf"vhost default: NAT: UPnP-IGD: external address 198\.51\.100\.1, "
               rf"mapped TCP ports {MAPPED} \(lease 3600 s\)", timeout=30)
    transfer_through_mappings(r, pki.ca, payload)
    stop_removes_mappings(r, s)


def test_natpmp_used_when_the_router_has_no_upnp(router, nat_server, wan_cert):
    r = router(upnp=False)
    s = auto_server(nat_server, wan_cert, nat_protocols="upnp,natpmp")
    s.wait_log(rf"vhost default: NAT: NAT-PMP: external address 198\.51\.100\.1, "
               rf"mapped TCP ports {MAPPED}", timeout=30)
    expect_mapped(r, MAPPED_PORTS)


def test_no_protocol_left(nat_lab, nat_server, wan_cert):
    # No router daemon at all (miniupnpd will not run with all three off):
    # the gateway's ports 5351 and 1900 are closed.
    s = auto_server(nat_server, wan_cert)
    m = s.wait_log(r"NAT: no gateway protocol worked \((.*)\)", timeout=30)
    for proto in ("PCP", "NAT-PMP", "UPnP-IGD"):
        assert proto in m.group(1), m.group(1)
    assert s.proc.poll() is None


# 5 ------------------------------------------------------------------------

class HostileGateway(threading.Thread):
    """A 'router' on 10.99.0.1:5351 that says nothing (silent), floods
    (1000 datagrams that fit no request per request), or lies: 100 such
    datagrams, then a well-formed success with MODE's external address
    (NAT-PMP and PCP)."""

    def __init__(self, mode):
        super().__init__(daemon=True)
        self.mode, self.stopped, self.requests = mode, False, 0

    def reply(self, req):
        if self.mode == "silent":
            return []
        junk = [b"\x00\x80\x00\x00junk", b"\x02\x81" + os.urandom(58)] * 50
        if self.mode == "flood":
            return junk * 10
        ext = {"zero": "0.0.0.0", "cgnat": "100.64.1.2", "loop": "127.0.0.1"}[self.mode]
        if req[:1] == b"\x02" and len(req) >= 60:  # PCP MAP
            ok = (b"\x02\x81\x00\x00" + struct.pack(">II", 3600, 1) + bytes(12) +
                  req[24:44] + bytes(10) + b"\xff\xff" + socket.inet_aton(ext))
            return junk + [ok]
        if req[:2] == b"\x00\x00":                 # NAT-PMP address
            return junk + [b"\x00\x80\x00\x00" + struct.pack(">I", 1) + socket.inet_aton(ext)]
        if req[:2] == b"\x00\x02" and len(req) >= 12:
            return junk + [b"\x00\x82\x00\x00" + struct.pack(">I", 1) + req[4:8] +
                           struct.pack(">I", 3600)]
        return junk

    def run(self):
        def serve():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((RTR_LAN, 5351))
            s.settimeout(0.2)
            while not self.stopped:
                try:
                    req, peer = s.recvfrom(2048)
                except socket.timeout:
                    continue
                self.requests += 1
                for d in self.reply(req):
                    s.sendto(d, peer)
            s.close()
        in_ns("rtr", serve)


@pytest.mark.parametrize("mode,why", [
    ("cgnat", r"external address 100\.64\.1\.2 \(private or carrier-grade NAT shared "
              r"space: this gateway is itself behind another NAT"),
    ("zero", r"external address 0\.0\.0\.0 \(not an address a client can reach"),
    ("flood", r"no gateway protocol worked \(the gateway sent more than 256 replies "
              r"that fit no request"),
    ("loop", r"external address 127\.0\.0\.1 \(not an address a client can reach"),
    ("silent", r"no gateway protocol worked \(PCP: no answer from the gateway; NAT-PMP: "
               r"no answer from the gateway; UPnP-IGD: the gateway does not speak it\)"),
])
def test_hostile_gateway_logged_and_static(nat_lab, nat_server, wan_cert, pki, mode, why):
    g = HostileGateway(mode)
    g.start()
    try:
        time.sleep(0.3)
        t0 = time.time()
        s = auto_server(nat_server, wan_cert)
        assert time.time() - t0 < 10, "the master waited for the gateway"
        s.wait_log(why, timeout=40)
        assert g.requests > 0
        # The master serves on, and advertises no learned address.
        assert parse227(inside_pasv(pki.ca)[0])[0] == SRV_LAN
        assert "violation" not in s.log()
        # ftpsd -T says the same of the running server.
        state = live_nat_state(s)
        assert len(state) == 1 and re.search(why, state[0]), state
    finally:
        g.stopped = True
        g.join(5)


# 6 ------------------------------------------------------------------------

def test_leases_are_renewed_before_they_expire(router, nat_server, wan_cert):
    r = router()
    s = auto_server(nat_server, wan_cert, nat_protocols="natpmp", nat_mapping_lifetime=10)
    s.wait_log(r"NAT: NAT-PMP: external address 198\.51\.100\.1, mapped TCP ports "
               rf"{MAPPED} \(lease 10 s\)", timeout=15)
    # miniupnpd drops a mapping once its lease ran out; ours are renewed
    # every 5 s, so after three leases they are all still there.
    time.sleep(30)
    expect_mapped(r, MAPPED_PORTS)
    s.stop()
    assert r.mappings() == {}


# 7 ------------------------------------------------------------------------

def change_wan_address(old, new):
    """The router's WAN address becomes NEW (the outside client's route
    follows); OLD goes."""
    for cmd in (["sysctl", "-qw", "net.ipv4.conf.wan.promote_secondaries=1"],
                ["ip", "addr", "add", f"{new}/24", "dev", "wan"],
                ["ip", "addr", "del", f"{old}/24", "dev", "wan"]):
        r = run_in("rtr", *cmd)
        assert r.returncode == 0, r.stderr
    r = run_in("out", "ip", "route", "replace", "default", "via", new)
    assert r.returncode == 0, r.stderr


def test_router_address_change_is_followed(router, nat_server, wan_cert, pki, payload):
    r = router()
    s = auto_server(nat_server, wan_cert, pasv_address_refresh=3)
    s.wait_log(r"NAT: PCP: external address 198\.51\.100\.1, mapped", timeout=15)
    change_wan_address(RTR_WAN, RTR_WAN2)
    try:
        # miniupnpd learns its new address by STUN again (SIGUSR1 asks it to).
        r.proc.send_signal(signal.SIGUSR1)
        s.wait_log(rf"vhost default: NAT: PCP: external address 198\.51\.100\.2, "
                   rf"mapped TCP ports {MAPPED}", timeout=60)
        expect_mapped(r, MAPPED_PORTS)
        time.sleep(0.5)  # the spares forked with the old address are replaced
        resp, data, _ = outside_transfer(pki.ca, payload, host=RTR_WAN2)
        assert parse227(resp)[0] == RTR_WAN2, resp
        assert sha(data) == sha(payload[1])
    finally:
        change_wan_address(RTR_WAN2, RTR_WAN)


# 8 ------------------------------------------------------------------------

def test_config_test_warns_on_contradictions(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("listen_address=127.0.0.1\npasv_address=203.0.113.5\n"
                    "nat_port_mapping=YES\npasv_min_port=40000\npasv_max_port=41000\n")
    r = subprocess.run([FTPSD, "-t", "-c", str(conf)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "nat_port_mapping=YES with a static pasv_address=203.0.113.5" in err, err
    assert "will be cut to 40000-40031" in err, err


# 9 ------------------------------------------------------------------------

def lan_ipv6(add):
    """SRV6 on the server, IN6 on the inside client (one bridge): IPv6
    on the LAN, which no NAT touches."""
    for ns, addr in (("srv", SRV6), ("in", IN6)):
        cmd = ["ip", "-6", "addr", "add" if add else "del", f"{addr}/64", "dev", "eth0"]
        r = run_in(ns, *(cmd + ["nodad"] if add else cmd))
        assert r.returncode == 0 or not add, r.stderr


def test_ipv6_listener_served_beside_ipv4_mappings(router, nat_server, wan_cert, pki,
                                                   payload):
    """nat_port_mapping maps IPv4 only: an IPv6 listen address of the same
    vhost is served as ever (EPSV, byte-exact), the IPv4 mappings are made,
    and the log says that nothing is opened for IPv6."""
    r = router()
    lan_ipv6(True)
    try:
        s = auto_server(nat_server, wan_cert, listen_address=f"{SRV_LAN},{SRV6}")
        s.wait_log(r"vhost default: nat_port_mapping maps IPv4 ports only: IPv6 "
                   r"\(listening on fd99::10\) is served without NAT")
        s.wait_log(rf"vhost default: NAT: PCP: external address 198\.51\.100\.1, "
                   rf"mapped TCP ports {MAPPED}", timeout=15)
        expect_mapped(r, MAPPED_PORTS)

        def client():
            f = FTPS(context=tlsutil.client_context(ca=pki.ca), timeout=TIMEOUT)
            f.connect(SRV6, 21, timeout=TIMEOUT)
            f.auth()
            f.login(USER, PASSWORD)
            f.prot_p()
            data = get(f, payload[0])   # ftplib uses EPSV on IPv6
            f.quit()
            return data
        assert sha(in_ns("in", client)) == sha(payload[1])
        s.wait_log(r"client fd99::20")
        assert "violation" not in s.log()
    finally:
        lan_ipv6(False)
