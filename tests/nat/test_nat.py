"""The NAT lab: passive FTPS through a real NAT router (DESIGN §3, issue 5).

Every client runs in the mode that obeys the server's reply (ftplib with
trust_server_pasv_ipv4_address, curl --no-ftp-skip-pasv-ip, lftp with
ftp:fix-pasv-address no), and every test asserts on the reply text too: a
client that ignores the 227 address would hide a wrong one.
"""

import ftplib
import hashlib
import os
import re
import socket
import time

import pytest

from conftest import (FTPS, FTPSEPSV, HOSTS, IN_LAN, OUT_WAN, PASSWORD, PASV_MAX,
                      PASV_MIN, PUBLIC, PUBLIC2, SRV_LAN, SRV_LAN2, TIMEOUT, USER,
                      PlainFTP, in_ns, run_in)

import tlsutil

PASV_RE = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")


def parse227(resp):
    m = PASV_RE.search(resp)
    assert resp.startswith("227 ") and m, resp
    n = [int(x) for x in m.groups()]
    return ".".join(map(str, n[:4])), n[4] * 256 + n[5]


def ftps(host, ca, cls=FTPS, sni=None, login=True):
    f = cls(context=tlsutil.client_context(ca=ca), timeout=TIMEOUT)
    f.sni = sni
    f.connect(host, 21, timeout=TIMEOUT)
    f.auth()
    if login:
        f.login(USER, PASSWORD)
        f.prot_p()
    return f


def get(f, path):
    chunks = []
    f.retrbinary(f"RETR {path}", chunks.append)
    return b"".join(chunks)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def curl_get(ns, url, ca, out, *extra):
    return run_in(ns, "curl", "-sS", "--max-time", "20", "--ssl-reqd", "--cacert", ca,
                  "-u", f"{USER}:{PASSWORD}", *extra, url, "-o", out)


def lftp_get(ns, host, ca, path, out, epsv=False):
    script = (f"set ssl:ca-file {ca}; set ftp:ssl-force yes; "
              "set ftp:ssl-protect-data yes; set ftp:fix-pasv-address no; "
              f"set ftp:prefer-epsv {'yes' if epsv else 'no'}; set ftp:passive-mode yes; "
              "set net:max-retries 1; set net:timeout 15; set xfer:clobber yes; "
              f"open -u {USER},{PASSWORD} {host}; get {path} -o {out}; bye")
    return run_in(ns, "lftp", "-c", script)


def file_sha(path):
    with open(path, "rb") as f:
        return sha(f.read())


# 1 ------------------------------------------------------------------------

def test_outside_client_ftps_pasv_told_public_address(nat_server, pki, payload, tmp_path):
    s = nat_server(pasv_address=PUBLIC, pasv_address_exempt="private")
    s.wait_log(r"vhost default: listening on 10\.99\.0\.10:21, masquerading as "
               r"203\.0\.113\.10 for clients outside private, passive ports 40000-40009")

    def client():
        f = ftps(PUBLIC, pki.wan[0] and pki.ca)
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.storbinary("STOR up1.bin", __import__("io").BytesIO(payload[1][:100000]))
        f.quit()
        return resp, data

    resp, data = in_ns("out", client)
    ip, port = parse227(resp)
    assert ip == PUBLIC and PASV_MIN <= port <= PASV_MAX, resp
    assert sha(data) == sha(payload[1])
    s.wait_log(r"PASV: client 198\.51\.100\.7 told 203\.0\.113\.10:\d+ \(client outside "
               r"exemptions: pasv_address")
    out = str(tmp_path / "curl.bin")
    r = curl_get("out", f"ftp://{PUBLIC}{payload[0]}", pki.ca, out, "--ftp-pasv",
                 "--disable-epsv", "--no-ftp-skip-pasv-ip")
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])
    out = str(tmp_path / "lftp.bin")
    r = lftp_get("out", PUBLIC, pki.ca, payload[0], out)
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])


# 2 ------------------------------------------------------------------------

def test_inside_client_told_lan_address_by_exemption(nat_server, pki, payload, tmp_path):
    s = nat_server(pasv_address=PUBLIC, pasv_address_exempt="private")

    def client():
        f = ftps(SRV_LAN, pki.ca)
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.quit()
        return resp, data

    resp, data = in_ns("in", client)
    ip, port = parse227(resp)
    assert ip == SRV_LAN and PASV_MIN <= port <= PASV_MAX, resp
    assert sha(data) == sha(payload[1])
    s.wait_log(r"PASV: client 10\.99\.0\.20 told 10\.99\.0\.10:\d+ \(client in "
               r"pasv_address_exempt")
    out = str(tmp_path / "curl.bin")
    r = curl_get("in", f"ftp://{SRV_LAN}{payload[0]}", pki.ca, out, "--ftp-pasv",
                 "--disable-epsv", "--no-ftp-skip-pasv-ip")
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])
    out = str(tmp_path / "lftp.bin")
    r = lftp_get("in", SRV_LAN, pki.ca, payload[0], out)
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])


# 3 ------------------------------------------------------------------------

def test_without_exemption_inside_client_is_told_public_and_fails(nat_server, pki,
                                                                  payload, tmp_path):
    """What the operator sees without pasv_address_exempt: the router does no
    NAT reflection, so the data connection to the public address fails."""
    nat_server(pasv_address=PUBLIC)

    def client():
        f = ftps(SRV_LAN, pki.ca)
        resp = f.sendcmd("PASV")
        try:
            get(f, payload[0])
            failure = None
        except (OSError, ftplib.Error) as e:
            failure = e
        f.close()
        return resp, failure

    resp, failure = in_ns("in", client)
    ip, _ = parse227(resp)
    assert ip == PUBLIC, resp
    assert isinstance(failure, (ConnectionRefusedError, socket.timeout, TimeoutError)), failure
    out = str(tmp_path / "curl.bin")
    r = curl_get("in", f"ftp://{SRV_LAN}{payload[0]}", pki.ca, out, "--ftp-pasv",
                 "--disable-epsv", "--no-ftp-skip-pasv-ip", "--connect-timeout", "5")
    assert r.returncode != 0
    assert "203.0.113.10" in r.stderr.decode() or r.returncode in (7, 28), r.stderr


# 4 ------------------------------------------------------------------------

def test_outside_client_epsv_without_masquerade(nat_server, pki, payload, tmp_path):
    nat_server()

    def client():
        f = ftps(PUBLIC, pki.ca, cls=FTPSEPSV)
        resp = f.sendcmd("EPSV")
        data = get(f, payload[0])
        f.quit()
        return resp, data

    resp, data = in_ns("out", client)
    m = re.fullmatch(r"229 Entering Extended Passive Mode \(\|\|\|(\d+)\|\)", resp)
    assert m and PASV_MIN <= int(m.group(1)) <= PASV_MAX, resp
    assert sha(data) == sha(payload[1])
    out = str(tmp_path / "curl.bin")
    r = curl_get("out", f"ftp://{PUBLIC}{payload[0]}", pki.ca, out, "--ftp-pasv")
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])
    out = str(tmp_path / "lftp.bin")
    r = lftp_get("out", PUBLIC, pki.ca, payload[0], out, epsv=True)
    assert r.returncode == 0, r.stderr
    assert file_sha(out) == sha(payload[1])


# 5 ------------------------------------------------------------------------

def test_two_vhosts_lan_and_wan(nat_server, pki, payload):
    s = nat_server(vhosts=[
        ("lan", {"listen_address": SRV_LAN, "ftpd_banner": "LAN server",
                 "rsa_cert_file": pki.lan[0], "rsa_private_key_file": pki.lan[1]}),
        ("wan", {"listen_address": SRV_LAN2, "ftpd_banner": "WAN server",
                 "rsa_cert_file": pki.wan[0], "rsa_private_key_file": pki.wan[1],
                 "pasv_address": PUBLIC2, "pasv_address_exempt": "private"}),
    ])
    s.wait_log(r"vhost wan: listening on 10\.99\.0\.11:21, masquerading as "
               r"203\.0\.113\.99 for clients outside private")
    s.wait_log(r"vhost lan: listening on 10\.99\.0\.10:21, masquerading as none")

    def client(host):
        f = ftps(host, pki.ca)
        cn = tlsutil.cert_info(f.sock.getpeercert(binary_form=True))[0]
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.quit()
        return f.welcome, cn, resp, data

    banner, cn, resp, data = in_ns("out", client, PUBLIC2)
    assert banner == "220 WAN server" and cn == "ftpsd wan"
    assert parse227(resp)[0] == PUBLIC2 and sha(data) == sha(payload[1])
    banner, cn, resp, data = in_ns("in", client, SRV_LAN)
    assert banner == "220 LAN server" and cn == "ftpsd lan"
    assert parse227(resp)[0] == SRV_LAN and sha(data) == sha(payload[1])


def test_host_and_sni_select_vhost_on_shared_address(nat_server, pki, payload):
    """RFC 7151 HOST and TLS SNI pick a vhost that shares the address."""
    s = nat_server(ftpd_banner="default vhost", vhosts=[
        ("a", {"ftpd_banner": "vhost A", "rsa_cert_file": pki.lan[0],
               "rsa_private_key_file": pki.lan[1], "server_name": "a.nat.test"}),
        ("b", {"ftpd_banner": "vhost B", "rsa_cert_file": pki.sni[0],
               "rsa_private_key_file": pki.sni[1], "server_name": "b.nat.test",
               "pasv_address": PUBLIC2}),
    ])

    # b's pasv_address is for outside clients: this inside client checks the
    # PASV text (b's policy applies) and transfers over EPSV.
    def by_host():
        f = FTPSEPSV(context=tlsutil.client_context(ca=pki.ca), timeout=TIMEOUT)
        welcome = f.connect(SRV_LAN, 21, timeout=TIMEOUT)
        unknown = None
        try:
            f.sendcmd("HOST nope.nat.test")
        except ftplib.error_perm as e:
            unknown = str(e)
        host_reply = f.sendcmd("HOST b.nat.test")
        f.auth()
        cn = tlsutil.cert_info(f.sock.getpeercert(binary_form=True))[0]
        f.login(USER, PASSWORD)
        f.prot_p()
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        late = None
        try:
            f.sendcmd("HOST a.nat.test")
        except ftplib.error_perm as e:
            late = str(e)
        f.quit()
        return welcome, unknown, host_reply, cn, resp, data, late

    welcome, unknown, host_reply, cn, resp, data, late = in_ns("in", by_host)
    assert welcome == "220 vhost A"      # the first vhost owns the address
    assert unknown.startswith("504"), unknown
    assert host_reply == "220 vhost B"
    assert cn == "ftpsd sni"             # the certificate of the vhost HOST chose
    assert parse227(resp)[0] == PUBLIC2 and sha(data) == sha(payload[1])
    assert late.startswith("503"), late
    s.wait_log(r"HOST b\.nat\.test selects vhost b \(was a\)")

    def by_sni(name):
        f = ftps(SRV_LAN, pki.ca, cls=FTPSEPSV, sni=name, login=False)
        cn = tlsutil.cert_info(f.sock.getpeercert(binary_form=True))[0]
        f.login(USER, PASSWORD)
        f.prot_p()
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.quit()
        return cn, resp, data

    cn, resp, data = in_ns("in", by_sni, "b.nat.test")
    assert cn == "ftpsd sni" and parse227(resp)[0] == PUBLIC2
    assert sha(data) == sha(payload[1])
    s.wait_log(r"SNI b\.nat\.test selects vhost b \(was a\)")
    # An unknown name gets the default vhost's certificate (and no check
    # of the name by this client, which did ask for another one).
    ctx = tlsutil.client_context(ca=pki.ca, verify=False)

    def unknown_sni():
        f = FTPS(context=ctx, timeout=TIMEOUT)
        f.sni = "zzz.nat.test"
        f.connect(SRV_LAN, 21, timeout=TIMEOUT)
        f.auth()
        cn = tlsutil.cert_info(f.sock.getpeercert(binary_form=True))[0]
        f.close()
        return cn

    assert in_ns("in", unknown_sni) == "ftpsd lan"


# 6 ------------------------------------------------------------------------

def test_three_port_range_fourth_request_gets_425_at_once(nat_server, pki):
    s = nat_server(pasv_address=PUBLIC, pasv_min_port=PASV_MIN,
                   pasv_max_port=PASV_MIN + 2)

    def client():
        sessions, replies = [], []
        for _ in range(3):
            f = ftps(PUBLIC, pki.ca)
            sessions.append(f)
            replies.append(f.sendcmd("PASV"))
        f = ftps(PUBLIC, pki.ca)
        sessions.append(f)
        t0 = time.monotonic()
        try:
            f.sendcmd("PASV")
            fourth = "no error"
        except ftplib.error_temp as e:
            fourth = str(e)
        took = time.monotonic() - t0
        for f in sessions:
            f.close()
        return replies, fourth, took

    replies, fourth, took = in_ns("out", client)
    ports = sorted(parse227(r)[1] for r in replies)
    assert ports == [PASV_MIN, PASV_MIN + 1, PASV_MIN + 2]
    assert fourth == "425 No passive port available in the configured range.", fourth
    assert took < 1.0, took
    s.wait_log(r"passive port range 40000-40002 exhausted \(3 in use\), client 198\.51\.100\.7")


def test_port_fallback_gives_a_kernel_port(nat_server, pki):
    s = nat_server(pasv_min_port=PASV_MIN, pasv_max_port=PASV_MIN, pasv_port_fallback=True)

    def client():
        a = ftps(SRV_LAN, pki.ca)
        b = ftps(SRV_LAN, pki.ca)
        r1, r2 = a.sendcmd("PASV"), b.sendcmd("PASV")
        a.close()
        b.close()
        return r1, r2

    r1, r2 = in_ns("in", client)
    assert parse227(r1)[1] == PASV_MIN
    assert parse227(r2)[1] != PASV_MIN
    s.wait_log(r"exhausted \(1 in use\).*pasv_port_fallback: kernel port")


def test_port_offset_for_load_balancers(nat_server, pki):
    """pasv_port_offset: the advertised port is the bound port + offset, in PASV
    and EPSV alike (an L4 balancer maps it back)."""
    nat_server(pasv_port_offset=1000)

    def client():
        f = ftps(SRV_LAN, pki.ca)
        r1, r2 = f.sendcmd("PASV"), f.sendcmd("EPSV")
        f.close()
        return r1, r2

    r1, r2 = in_ns("in", client)
    assert PASV_MIN + 1000 <= parse227(r1)[1] <= PASV_MAX + 1000
    assert PASV_MIN + 1000 <= int(re.search(r"\|\|\|(\d+)\|", r2).group(1)) <= PASV_MAX + 1000


# 7 ------------------------------------------------------------------------

def test_active_mode_from_inside_and_foreign_port_refused(nat_server, pki, payload):
    nat_server(pasv_address=PUBLIC, pasv_address_exempt="private")

    def client():
        f = ftps(SRV_LAN, pki.ca)
        try:
            f.sendcmd("PORT 10,99,0,30,156,64")
            foreign = "accepted"
        except ftplib.error_perm as e:
            foreign = str(e)
        if foreign.startswith("502"):
            f.close()
            return foreign, None
        f.set_pasv(False)
        data = get(f, payload[0])
        f.quit()
        return foreign, data

    foreign, data = in_ns("in", client)
    # 502 would mean PORT is missing: that is a failure, not a skip.
    assert foreign[:1] == "5" and not foreign.startswith("502"), foreign
    assert sha(data) == sha(payload[1])


# 8 ------------------------------------------------------------------------

def test_plain_ftp_through_conntrack_helper(nat_server, payload):
    """No masquerade, plain FTP: the router's FTP helper (nf_conntrack_ftp +
    nf_nat_ftp) rewrites the 227 and opens the data path."""
    from conftest import lab
    lab("helper", "on")
    try:
        nat_server(ssl_enable=False, rsa_cert_file=None, rsa_private_key_file=None)

        def client():
            f = PlainFTP(timeout=TIMEOUT)
            f.connect(PUBLIC, 21, timeout=TIMEOUT)
            f.login(USER, PASSWORD)
            resp = f.sendcmd("PASV")
            try:
                data = get(f, payload[0])
            except (OSError, ftplib.Error) as e:
                data = e
            f.close()
            return resp, data

        resp, data = in_ns("out", client)
    finally:
        lab("helper", "off")
    ip, _ = parse227(resp)
    if ip == SRV_LAN:
        pytest.skip("the kernel's FTP conntrack helper is loaded but did not rewrite "
                    "the 227 reply: nf_nat_ftp is not available on this kernel "
                    "(no modprobe, no /lib/modules)")
    assert ip == PUBLIC, resp
    assert isinstance(data, bytes) and sha(data) == sha(payload[1]), data


# 9 ------------------------------------------------------------------------

def test_pasv_address_dns_name_change_is_picked_up(nat_server, pki, payload):
    with open(HOSTS, "w") as f:
        f.write(f"127.0.0.1 localhost\n{PUBLIC} ftp.nat.test\n")
    s = nat_server(listen_address="0.0.0.0", pasv_address="ftp.nat.test",
                   pasv_address_refresh=1, pasv_address_exempt="private")
    s.wait_log(r"masquerading as ftp\.nat\.test \(203\.0\.113\.10\)")

    def client(host):
        f = ftps(host, pki.ca)
        resp = f.sendcmd("PASV")
        data = get(f, payload[0])
        f.quit()
        return resp, data

    resp, data = in_ns("out", client, PUBLIC)
    assert parse227(resp)[0] == PUBLIC and sha(data) == sha(payload[1])
    # The dynamic address changes: edit the hosts file in place (it is
    # bind-mounted over /etc/hosts in the server's namespace).
    with open(HOSTS, "w") as f:
        f.write(f"127.0.0.1 localhost\n{PUBLIC2} ftp.nat.test\n")
    s.wait_log(r"pasv_address ftp\.nat\.test now 203\.0\.113\.99 \(was 203\.0\.113\.10\)",
               timeout=5)
    resp, data = in_ns("out", client, PUBLIC2)
    assert parse227(resp)[0] == PUBLIC2 and sha(data) == sha(payload[1])
    # A failed lookup keeps the last good value.
    with open(HOSTS, "w") as f:
        f.write("127.0.0.1 localhost\n")
    s.wait_log(r"pasv_address ftp\.nat\.test: lookup failed .*; keeping 203\.0\.113\.99",
               timeout=5)
    resp, _ = in_ns("out", client, PUBLIC2)
    assert parse227(resp)[0] == PUBLIC2


def test_config_test_warns_when_pasv_address_is_private(nat_lab, tmp_path):
    with open(HOSTS, "w") as f:
        f.write(f"127.0.0.1 localhost\n{SRV_LAN} ftp.nat.test\n")
    conf = tmp_path / "t.conf"
    conf.write_text("listen=YES\nnopriv_user=nobody\npasv_address=ftp.nat.test\n")
    r = run_in("srv", os.path.join(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))), "ftpsd"), "-t", "-c", str(conf))
    assert r.returncode == 0, r.stderr
    assert re.search(r"warning: vhost default: pasv_address ftp\.nat\.test is the private "
                     r"address 10\.99\.0\.10", r.stderr.decode()), r.stderr
