"""FTPS (RFC 4217): explicit and implicit TLS with Python's ssl/ftplib, curl and
lftp (GnuTLS) verifying against a throwaway CA; login and data policies; data
connections that must resume this session's control TLS session (TLS 1.2 IDs
and tickets, TLS 1.3 tickets) and nothing else; protocol floors; RSA and
ECDSA certificates; client certificates; hostile handshakes; certificate
reload on SIGHUP; close_notify; a byte-exact 100 MiB transfer."""

import ftplib
import hashlib
import io
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import (HOST, PASSWORD, TIMEOUT, USER, Ctl, curl, curl_report, free_port,
                      holds_tcp, sha256, sha256_file, tcp_sockets, wait_until)
from tlsutil import (FTPS, FTPSNoResume, cert_info, cert_key_type, client_context,
                     ftps_connect, implicit_wrap, issue_cert)

TLS12 = ssl.TLSVersion.TLSv1_2
TLS13 = ssl.TLSVersion.TLSv1_3
SECLEVEL0 = "DEFAULT:@SECLEVEL=0"


# --------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------

def tls_settings(pki, **kw):
    s = {
        "ssl_enable": True,
        "rsa_cert_file": pki.rsa,
        "rsa_private_key_file": pki.rsa_key,
        "implicit_ssl_port": 0,
    }
    s.update(kw)
    return s


def start(factory, pki, **kw):
    return factory(**tls_settings(pki, **kw))


@pytest.fixture(scope="module")
def tsrv(module_server, pki):
    """One TLS server (defaults: logins and data must be TLS, reuse required,
    an implicit listener) shared by the module's tests that cause no violation."""
    return start(module_server, pki, implicit_ssl_port=free_port())


def ctx_for(pki, **kw):
    kw.setdefault("ca", pki.ca)
    return client_context(**kw)


def ftps(srv, pki, ctx=None, cls=FTPS, **kw):
    """A logged-in FTPS client (PROT P unless prot_p=False). It is closed at
    the server's teardown even if the login fails half way."""
    f = ftps_connect(srv.port, ctx or ctx_for(pki), host=srv.host, cls=cls,
                     user=kw.pop("user", USER), password=kw.pop("password", PASSWORD),
                     register=srv._clients.append, **kw)
    return f


def get(f, path, blocksize=65536):
    h = hashlib.sha256()
    n = [0]

    def cb(b):
        h.update(b)
        n[0] += len(b)
    f.retrbinary(f"RETR {path}", cb, blocksize=blocksize)
    return h.hexdigest(), n[0]


def put(f, path, data, blocksize=65536):
    f.storbinary(f"STOR {path}", io.BytesIO(data), blocksize=blocksize)


def starttls(c, ctx, server_hostname=HOST, mech="TLS"):
    """AUTH on the raw control client C, then TLS over its socket."""
    c.expect(f"AUTH {mech}", 234)
    c.sock = ctx.wrap_socket(c.sock, server_hostname=server_hostname)
    c.f = c.sock.makefile("rb")
    return c


def explicit_handshake(srv, ctx):
    """A raw control connection that did AUTH TLS and a handshake with CTX;
    raises what the handshake raises."""
    c = srv.ctl()
    return starttls(c, ctx)


def refused_after_handshake(c):
    """True if the server ends a TLS control connection C (one whose
    handshake seemed to complete on the client side, as a TLS 1.3 client
    does before the server has checked its certificate) instead of
    answering a command."""
    try:
        c.send("FEAT")
        c.final()
    except (ssl.SSLError, EOFError, ConnectionError, OSError):
        return True
    return False


def expect_data_refused(f, path):
    """A download on F must be refused with 425 (whatever the client-side
    TLS error on the data connection)."""
    try:
        get(f, path)
    except ftplib.error_temp as e:
        assert str(e).startswith("425"), e
        return str(e)
    except (ssl.SSLError, OSError, EOFError):
        try:
            f.getresp()
        except ftplib.error_temp as e:
            assert str(e).startswith("425"), e
            return str(e)
        raise AssertionError("no 425 after a data TLS failure")
    raise AssertionError(f"download of {path} was not refused")


def served(srv, pki):
    """A new FTPS session can log in and list (the server still serves)."""
    f = ftps(srv, pki)
    lines = []
    f.retrlines("NLST", lines.append)
    f.quit()
    return True


def relays(srv):
    """Relays that serve a connection; the ones waiting in every monitor
    for AUTH TLS (DESIGN.md §1) hold none."""
    return [p for p in srv.descendants()
            if p.comm == "ftpsd-relay" and p.state != "Z" and holds_tcp(p.pid)]


def held_server_sides(srv, client_ports):
    """Server ends of the connections from CLIENT_PORTS that a process still
    holds (closed ones linger in TIME_WAIT/FIN states without an inode)."""
    ports = {srv.port, int(srv.settings.get("implicit_ssl_port") or 0)}
    return [r for r in tcp_sockets()
            if r[1] in ports and r[3] in client_ports and r[5] != 0]


def lftp(*commands, timeout=60):
    script = "; ".join(commands)
    cmd = ["lftp", "-c", script]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    r.report = (f"$ lftp -c {script!r}\nexit {r.returncode}\nstdout:\n"
                f"{r.stdout.decode(errors='replace')}\nstderr:\n"
                f"{r.stderr.decode(errors='replace')}")
    return r


def lftp_setup(pki, srv):
    return ["set cmd:fail-exit true", "set net:max-retries 1", "set net:timeout 10",
            "set net:reconnect-interval-base 1",
            "set ftp:ssl-force true", "set ftp:ssl-protect-data true",
            "set ftp:ssl-allow true", "set ssl:verify-certificate true",
            f"set ssl:ca-file {pki.ca}", "set ftp:passive-mode true",
            f"open -u {USER},{PASSWORD} -p {srv.port} {srv.host}"]


# --------------------------------------------------------------------------
# explicit FTPS with ftplib
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_ftplib_login_and_transfers_resume(tsrv, pki, workdir, version):
    ctx = ctx_for(pki, minimum=version, maximum=version)
    f = ftps(tsrv, pki, ctx)
    assert f.sock.version() == {TLS12: "TLSv1.2", TLS13: "TLSv1.3"}[version]
    data = os.urandom(256 * 1024 + 7)
    put(f, f"{workdir.virt}/a.bin", data)
    assert sha256_file(workdir.path("a.bin")) == sha256(data)
    assert get(f, f"{workdir.virt}/a.bin") == (sha256(data), len(data))
    lines = []
    f.retrlines(f"NLST {workdir.virt}", lines.append)
    assert any(l.endswith("a.bin") for l in lines), lines
    # every data connection resumed the control session
    assert f.data_sessions and all(r for r, _ in f.data_sessions), f.data_sessions
    f.quit()


def test_feat_announces_tls(tsrv):
    c = tsrv.ctl()
    code, text = c.expect("FEAT", 211)
    for word in ("AUTH TLS", "PBSZ", "PROT"):
        assert word in text, text
    c.close()


def test_auth_ssl_is_a_synonym(tsrv, pki):
    c = starttls(tsrv.ctl(), ctx_for(pki), mech="SSL")
    c.login()
    c.expect("PBSZ 0", 200)
    c.expect("PROT P", 200)
    c.expect("QUIT", 221)
    c.close()


@pytest.mark.parametrize("verify", [True, False], ids=["verifying", "non-verifying"])
def test_transfer_without_resumption_refused(server, pki, payloads, verify):
    """A fresh data handshake is refused (425, violation logged). A
    verifying client already balks at the resume-only placeholder
    certificate; a non-verifying one completes the handshake, and the
    server must still refuse it because it is not a resumption."""
    s = start(server, pki, allow_violations=True)
    name, digest, _ = payloads.files[64 * 1024]
    f = ftps(s, pki, ctx_for(pki, verify=verify), cls=FTPSNoResume)
    expect_data_refused(f, f"{payloads.virt}/{name}")
    s.wait_log(r"violation: data TLS")
    # the session goes on; a resuming client on the same server works
    f.voidcmd("NOOP")
    g = ftps(s, pki)
    assert get(g, f"{payloads.virt}/{name}")[0] == digest
    f.quit()
    g.quit()


def test_no_resumption_needed_when_reuse_off(server, pki, payloads):
    s = start(server, pki, require_ssl_reuse=False)
    name, digest, _ = payloads.files[64 * 1024]
    f = ftps(s, pki, cls=FTPSNoResume)
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    f.quit()


RESUME_KINDS = {
    "tls1.2-tickets": dict(minimum=TLS12, maximum=TLS12),
    "tls1.2-ids": dict(minimum=TLS12, maximum=TLS12, no_ticket=True),
    "tls1.3": dict(minimum=TLS13, maximum=TLS13),
}


@pytest.mark.parametrize("verify", [True, False], ids=["verifying", "non-verifying"])
@pytest.mark.parametrize("kind", list(RESUME_KINDS))
def test_session_of_another_connection_refused(server, pki, payloads, kind, verify):
    """Session A's ticket/session on session B's data connection: 425."""
    s = start(server, pki, allow_violations=True)
    name, digest, _ = payloads.files[64 * 1024]
    ctx = ctx_for(pki, verify=verify, **RESUME_KINDS[kind])
    a = ftps(s, pki, ctx)
    assert get(a, f"{payloads.virt}/{name}")[0] == digest  # A has a session
    b = ftps(s, pki, ctx)
    b.resume_session = a.sock.session
    expect_data_refused(b, f"{payloads.virt}/{name}")
    s.wait_log(r"violation: data TLS")
    # B's own session still works, and so does A
    b.resume_session = None
    assert get(b, f"{payloads.virt}/{name}")[0] == digest
    assert get(a, f"{payloads.virt}/{name}")[0] == digest
    a.quit()
    b.quit()


@pytest.mark.parametrize("tickets", [True, False], ids=["tickets", "session-ids"])
def test_tls12_resumption(tsrv, pki, payloads, tickets):
    name, digest, _ = payloads.files[64 * 1024]
    ctx = ctx_for(pki, minimum=TLS12, maximum=TLS12, no_ticket=not tickets)
    f = ftps(tsrv, pki, ctx)
    sess = f.sock.session
    assert sess.has_ticket == tickets
    for _ in range(2):
        assert get(f, f"{payloads.virt}/{name}")[0] == digest
    assert f.data_sessions == [(True, "TLSv1.2")] * 2
    f.quit()


def test_tls13_resumes_with_newest_ticket(tsrv, pki, payloads):
    """A client that resumes from the ticket its last data connection got
    (DESIGN §4: data tickets are sealed with the same session key)."""
    name, digest, _ = payloads.files[64 * 1024]
    ctx = ctx_for(pki, minimum=TLS13, maximum=TLS13)
    f = ftps(tsrv, pki, ctx)
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    got = b""
    while True:
        b = conn.recv(65536)
        if not b:
            break
        got += b
    newest = conn.session
    conn.unwrap()
    conn.close()
    f.voidresp()
    assert sha256(got) == digest
    f.resume_session = newest
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    assert all(r for r, _ in f.data_sessions), f.data_sessions
    f.quit()


# --------------------------------------------------------------------------
# policies and RFC 4217 replies
# --------------------------------------------------------------------------

def test_plaintext_login_refused(tsrv):
    c = tsrv.ctl()
    code, text = c.cmd(f"USER {USER}")
    assert code == 530, c.dump()
    code, _ = c.cmd(f"PASS {PASSWORD}")
    assert code in (503, 530), c.dump()
    c.close()


def test_prot_c_refused_and_data_needs_prot_p(tsrv, pki, payloads):
    c = starttls(tsrv.ctl(), ctx_for(pki)).login()
    c.expect("PBSZ 0", 200)
    c.expect("PROT C", 534)
    c.pasv()
    code, _ = c.final(f"RETR {payloads.virt}/{payloads.files[1][0]}")
    assert code == 521, c.dump()
    c.expect("QUIT", 221)
    c.close()


def test_prot_s_e_and_unknown(tsrv, pki):
    c = starttls(tsrv.ctl(), ctx_for(pki))
    c.expect("PBSZ 0", 200)
    c.expect("PROT S", 536)
    c.expect("PROT E", 536)
    c.expect("PROT X", 504)
    c.close()


def test_prot_c_allowed_when_data_tls_optional(server, pki, payloads):
    s = start(server, pki, force_local_data_ssl=False)
    name, digest, _ = payloads.files[64 * 1024]
    f = ftps(s, pki, prot_p=False)
    f.voidcmd("PBSZ 0")            # ftplib's prot_c() does not send it
    f.prot_c()
    assert get(f, f"{payloads.virt}/{name}") == (digest, 64 * 1024)
    assert f.data_sessions is None       # data went in the clear
    f.prot_p()
    assert get(f, f"{payloads.virt}/{name}") == (digest, 64 * 1024)
    assert f.data_sessions == [(True, f.sock.version())]
    f.quit()


def test_pbsz_prot_before_auth(tsrv):
    c = tsrv.ctl()
    c.expect("PBSZ 0", 503)
    c.expect("PROT P", 503)
    c.close()


def test_auth_unknown_mechanism(tsrv):
    c = tsrv.ctl()
    c.expect("AUTH KERBEROS_V4", 504)
    c.expect("AUTH GSSAPI", 504)
    c.close()


def test_ccc_refused(tsrv, pki):
    c = starttls(tsrv.ctl(), ctx_for(pki)).login()
    c.expect("CCC", 534)
    c.expect("NOOP", 200)          # still on TLS
    c.expect("QUIT", 221)
    c.close()


def test_auth_twice_refused(tsrv, pki):
    c = starttls(tsrv.ctl(), ctx_for(pki))
    code, _ = c.cmd("AUTH TLS")
    assert code == 503, c.dump()
    c.expect("NOOP", 200)
    c.close()


def test_pipelined_plaintext_after_auth_dropped(tsrv, pki):
    """Bytes sent in the clear right behind AUTH TLS are not commands."""
    c = tsrv.ctl()
    c.send_raw(f"AUTH TLS\r\nUSER {USER}\r\n".encode())
    code, _ = c.reply()
    assert code == 234, c.dump()
    ctx = ctx_for(pki)
    try:
        c.sock = ctx.wrap_socket(c.sock, server_hostname=HOST)
    except (ssl.SSLError, OSError):
        c.close()
        return                     # refusing the garbled handshake is fine too
    c.f = c.sock.makefile("rb")
    code, _ = c.cmd(f"PASS {PASSWORD}")
    assert code == 503, c.dump()   # USER never reached the engine
    c.close()


# --------------------------------------------------------------------------
# curl and lftp
# --------------------------------------------------------------------------

def test_curl_explicit(tsrv, pki, payloads, workdir, tmp_path):
    name, digest, data = payloads.files[64 * 1024]
    out = tmp_path / "out.bin"
    r = curl("--ssl-reqd", "--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}",
             "-o", str(out), f"ftp://{HOST}:{tsrv.port}{payloads.virt}/{name}")
    assert r.returncode == 0, curl_report(r)
    assert sha256_file(out) == digest
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = curl("--ssl-reqd", "--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}",
             "-T", str(src), f"ftp://{HOST}:{tsrv.port}{workdir.virt}/up.bin")
    assert r.returncode == 0, curl_report(r)
    assert sha256_file(workdir.path("up.bin")) == digest
    assert "> AUTH " in r.stderr.decode(errors="replace"), curl_report(r)


def test_curl_wrong_ca_fails(tsrv, pki, payloads, tmp_path):
    r = curl("--ssl-reqd", "--cacert", pki.rogue_ca, "--user", f"{USER}:{PASSWORD}",
             "-o", str(tmp_path / "x"), f"ftp://{HOST}:{tsrv.port}{payloads.virt}/")
    assert r.returncode != 0, curl_report(r)


def test_curl_implicit(tsrv, pki, payloads, workdir, tmp_path):
    iport = tsrv.settings["implicit_ssl_port"]
    name, digest, data = payloads.files[10 * 1024 * 1024]
    out = tmp_path / "out.bin"
    r = curl("--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}", "-o", str(out),
             f"ftps://{HOST}:{iport}{payloads.virt}/{name}")
    assert r.returncode == 0, curl_report(r)
    assert sha256_file(out) == digest
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    r = curl("--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}", "-T", str(src),
             f"ftps://{HOST}:{iport}{workdir.virt}/up.bin")
    assert r.returncode == 0, curl_report(r)
    assert sha256_file(workdir.path("up.bin")) == digest


def test_implicit_ftplib(tsrv, pki, payloads):
    """Implicit FTPS: TLS from the first byte, banner inside TLS."""
    iport = tsrv.settings["implicit_ssl_port"]
    ctx = ctx_for(pki)
    s = implicit_wrap(iport, ctx)
    try:
        c = Ctl.__new__(Ctl)
        c.transcript, c.sock, c.timeout, c.host = [], s, TIMEOUT, HOST
        c.f = s.makefile("rb")
        code, _ = c.reply()
        assert code == 220, c.dump()
        c.login()
        c.expect("PBSZ 0", 200)
        c.expect("PROT P", 200)
        c.expect("QUIT", 221)
    finally:
        s.close()


@pytest.mark.parametrize("priority,version", [
    (None, "TLSv1.3"),
    ("NORMAL:-VERS-TLS1.3", "TLSv1.2"),
    ("NORMAL:-VERS-TLS1.3:%NO_TICKETS", "TLSv1.2"),
], ids=["default", "tls1.2", "tls1.2-no-tickets"])
def test_lftp(server, pki, payloads, workdir, tmp_path, priority, version):
    """GnuTLS: verification against the CA, data connections that resume,
    close_notify on them (no "non-properly terminated")."""
    s = start(server, pki, log_ftp_protocol=True)
    name, digest, data = payloads.files[10 * 1024 * 1024]
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    out = tmp_path / "out.bin"
    extra = [f'set ssl:priority "{priority}"'] if priority else []
    r = lftp(*extra, *lftp_setup(pki, s),
             f"get {payloads.virt}/{name} -o {out}",
             f"put {src} -o {workdir.virt}/lftp-up.bin",
             f"cls {workdir.virt}")
    assert r.returncode == 0, r.report
    assert sha256_file(out) == digest, r.report
    assert sha256_file(workdir.path("lftp-up.bin")) == digest, r.report
    err = r.stderr.decode(errors="replace")
    assert "non-properly terminated" not in err and "Fatal error" not in err, r.report
    s.wait_log(rf"control TLS: {version} ")


# --------------------------------------------------------------------------
# protocol versions, certificates
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1],
                         ids=["tls1.0", "tls1.1"])
def test_old_versions_refused(server, pki, version):
    s = start(server, pki, ssl_ciphers=SECLEVEL0)
    ctx = client_context(ca=pki.ca, minimum=version, maximum=version, ciphers=SECLEVEL0)
    c = s.ctl()
    c.expect("AUTH TLS", 234)
    with pytest.raises(ssl.SSLError) as e:
        ctx.wrap_socket(c.sock, server_hostname=HOST)
    # the server's alert, not a client-side refusal to offer the version
    assert "PROTOCOL_VERSION" in str(e.value).upper() or "ALERT" in str(e.value).upper(), e.value
    s.wait_log(r"control TLS .*(unsupported protocol|version)")
    c.close()
    assert served(s, pki)


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_current_versions_accepted(tsrv, pki, version):
    c = explicit_handshake(tsrv, ctx_for(pki, minimum=version, maximum=version))
    assert c.sock.version() == {TLS12: "TLSv1.2", TLS13: "TLSv1.3"}[version]
    c.login()
    c.expect("QUIT", 221)
    c.close()


def test_min_protocol_tls13(server, pki):
    s = start(server, pki, ssl_min_protocol="TLSv1.3")
    c = s.ctl()
    c.expect("AUTH TLS", 234)
    with pytest.raises(ssl.SSLError):
        ctx_for(pki, maximum=TLS12).wrap_socket(c.sock, server_hostname=HOST)
    c.close()
    c = explicit_handshake(s, ctx_for(pki))
    assert c.sock.version() == "TLSv1.3"
    c.close()


@pytest.mark.parametrize("want,cipher", [
    ("ecdsa", "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ("rsa", "ECDHE-RSA-AES128-GCM-SHA256"),
])
def test_rsa_and_ecdsa(server, pki, payloads, want, cipher):
    s = start(server, pki, ecdsa_cert_file=pki.ecdsa, ecdsa_private_key_file=pki.ecdsa_key)
    ctx = ctx_for(pki, maximum=TLS12, ciphers=cipher)
    f = ftps(s, pki, ctx)
    assert cert_key_type(f.sock.getpeercert(binary_form=True)) == want
    name, digest, _ = payloads.files[64 * 1024]
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    f.quit()


def test_ecdsa_only(server, pki, payloads):
    s = start(server, pki, rsa_cert_file=None, rsa_private_key_file=None,
              ecdsa_cert_file=pki.ecdsa, ecdsa_private_key_file=pki.ecdsa_key)
    f = ftps(s, pki)
    assert cert_key_type(f.sock.getpeercert(binary_form=True)) == "ecdsa"
    name, digest, _ = payloads.files[64 * 1024]
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    f.quit()


@pytest.fixture(scope="module")
def certsrv(module_server, pki):
    return start(module_server, pki, require_cert=True, validate_cert=True,
                 ca_certs_file=pki.ca)


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_client_cert_accepted(certsrv, pki, payloads, version):
    ctx = ctx_for(pki, cert=(pki.client, pki.client_key), minimum=version,
                  maximum=version)
    f = ftps(certsrv, pki, ctx)
    name, digest, _ = payloads.files[64 * 1024]
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    f.quit()


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
@pytest.mark.parametrize("which", ["untrusted", "none"])
def test_client_cert_refused(certsrv, pki, which, version):
    cert = (pki.rogue, pki.rogue_key) if which == "untrusted" else None
    ctx = ctx_for(pki, cert=cert, minimum=version, maximum=version)
    c = certsrv.ctl()
    c.expect("AUTH TLS", 234)
    try:
        c.sock = ctx.wrap_socket(c.sock, server_hostname=HOST)
    except (ssl.SSLError, ConnectionError):
        c.close()
        return
    c.f = c.sock.makefile("rb")
    assert refused_after_handshake(c), c.dump()
    c.close()


# --------------------------------------------------------------------------
# hostile or broken clients
# --------------------------------------------------------------------------

def client_hello_bytes(pki):
    """The first flight of a real TLS client, for truncation tests."""
    ctx = ctx_for(pki)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=HOST)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def test_garbage_and_vanishing_handshakes(server, pki):
    s = start(server, pki, data_connection_timeout=3, implicit_ssl_port=free_port())
    hello = client_hello_bytes(pki)
    assert len(hello) > 100
    ports = set()

    def ctl():
        c = s.ctl()
        ports.add(c.sock.getsockname()[1])
        return c
    # 1. garbage after AUTH TLS
    c = ctl()
    c.expect("AUTH TLS", 234)
    c.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(512))
    assert c.eof(5), c.dump()
    c.close()
    s.wait_log(r"control TLS handshake")
    # 2. half a ClientHello, then gone
    c = ctl()
    c.expect("AUTH TLS", 234)
    c.send_raw(hello[:len(hello) // 2])
    c.close()
    # 3. gone right after AUTH TLS
    c = ctl()
    c.expect("AUTH TLS", 234)
    c.close()
    # 4. implicit port: garbage, a bare connect/close, a truncated hello
    iport = s.settings["implicit_ssl_port"]
    for payload in (b"USER x\r\n" * 20, b"", hello[:40]):
        k = socket.create_connection((HOST, iport), timeout=TIMEOUT)
        ports.add(k.getsockname()[1])
        if payload:
            k.sendall(payload)
        k.close()
    # 5. a client that stalls mid-handshake is cut at the handshake timeout
    stall = ctl()
    stall.expect("AUTH TLS", 234)
    stall.send_raw(hello[:len(hello) // 2])
    # meanwhile others are served
    assert served(s, pki)
    assert served(s, pki)
    assert stall.eof(8), stall.dump()
    stall.close()
    # nothing of those sessions is left: no relay, no process holding them
    ok = wait_until(lambda: not relays(s) and not held_server_sides(s, ports), 6)
    assert ok, f"relays {relays(s)}, held {held_server_sides(s, ports)}\n{s.log()}"
    assert s.proc.poll() is None
    assert served(s, pki)


# --------------------------------------------------------------------------
# certificate reload on SIGHUP
# --------------------------------------------------------------------------

def test_certificate_reload(server, pki, payloads, tmp_path):
    cert, key = str(tmp_path / "cur.pem"), str(tmp_path / "cur.key")
    shutil.copyfile(pki.rsa, cert)
    shutil.copyfile(pki.rsa_key, key)
    s = start(server, pki, rsa_cert_file=cert, rsa_private_key_file=key)
    name, digest, _ = payloads.files[64 * 1024]
    old = ftps(s, pki)
    assert cert_info(old.sock.getpeercert(True)) == ("ftpsd rsa", 1001)

    new_cert, new_key = pki.issue_server("renewed", "ftpsd renewed", serial=3003)
    shutil.copyfile(new_cert, cert)
    shutil.copyfile(new_key, key)
    os.kill(s.pid, signal.SIGHUP)
    s.wait_log(r"reloaded ")
    new = ftps(s, pki)
    assert cert_info(new.sock.getpeercert(True)) == ("ftpsd renewed", 3003)
    assert get(new, f"{payloads.virt}/{name}")[0] == digest
    # the session opened before the reload keeps working, data TLS included
    assert get(old, f"{payloads.virt}/{name}")[0] == digest
    old.quit()
    new.quit()

    # a broken certificate: error logged, the current one stays in service
    with open(cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    os.kill(s.pid, signal.SIGHUP)
    s.wait_log(r"reload: .*keeping the old config")
    f = ftps(s, pki)
    assert cert_info(f.sock.getpeercert(True)) == ("ftpsd renewed", 3003)
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    f.quit()


# --------------------------------------------------------------------------
# close_notify, big transfers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_close_notify_at_quit(tsrv, pki, version):
    ctx = ctx_for(pki, minimum=version, maximum=version)
    c = tsrv.ctl()
    c.expect("AUTH TLS", 234)
    c.sock = ctx.wrap_socket(c.sock, server_hostname=HOST, suppress_ragged_eofs=False)
    c.f = c.sock.makefile("rb")
    c.login()
    c.expect("QUIT", 221)
    # read to the end: a clean close_notify reads as b"", a bare TCP close
    # raises SSLEOFError ("EOF occurred in violation of protocol")
    rest = c.sock.recv(4096)
    while rest:
        rest = c.sock.recv(4096)
    c.sock.close()


def test_close_notify_on_data(tsrv, pki, payloads, workdir):
    """ftplib unwraps each data connection after EOF: that fails unless the
    server ended it with close_notify (and answers ours)."""
    name, digest, data = payloads.files[64 * 1024]
    ctx = ctx_for(pki)
    f = ftps(tsrv, pki, ctx)
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    conn.suppress_ragged_eofs = False
    got = b""
    while True:
        b = conn.recv(65536)
        if not b:
            break
        got += b
    conn.unwrap()
    conn.close()
    f.voidresp()
    assert sha256(got) == digest
    put(f, f"{workdir.virt}/u.bin", data)    # storbinary unwraps too
    assert sha256_file(workdir.path("u.bin")) == digest
    f.quit()


def test_100mib_upload_and_download(tsrv, pki, workdir):
    data = os.urandom(100 * 1024 * 1024)
    digest = sha256(data)
    f = ftps(tsrv, pki, timeout=30)
    t0 = time.monotonic()
    put(f, f"{workdir.virt}/big.bin", data, blocksize=256 * 1024)
    assert sha256_file(workdir.path("big.bin")) == digest
    assert get(f, f"{workdir.virt}/big.bin", blocksize=256 * 1024) == (digest, len(data))
    assert all(r for r, _ in f.data_sessions)
    assert time.monotonic() - t0 < 30
    f.quit()


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("kind", list(RESUME_KINDS))
def test_aborted_download_keeps_session_resumable(tsrv, pki, payloads, kind, how):
    """A client that drops a data connection mid-download (no close_notify,
    or a TCP reset) can still resume the control session on the next one:
    the aborted connection must not evict the session from the engine's
    cache (TLS 1.2 session IDs)."""
    name, digest, _ = payloads.files[10 * 1024 * 1024]
    f = ftps(tsrv, pki, ctx_for(pki, **RESUME_KINDS[kind]))
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    assert conn.recv(65536)
    raw = socket.socket(fileno=conn.detach())   # drop TLS without close_notify
    if how == "reset":
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    raw.close()
    try:
        f.voidresp()                             # 426/451, or 226 if it all fit
    except ftplib.Error:
        pass
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    assert f.data_sessions[-1][0], f.data_sessions
    f.quit()


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_control_session_outlives_two_hours(tsrv, pki, payloads, version):
    """Data connections resume the control session for the whole life of
    the control connection: the session (and its tickets) must not expire
    after OpenSSL's default 2 hours. Seen through the ticket lifetime hint
    (TLS 1.3 caps it at a week); the server-side session timeout is the
    same value, which also governs TLS 1.2 session IDs."""
    f = ftps(tsrv, pki, ctx_for(pki, minimum=version, maximum=version))
    get(f, f"{payloads.virt}/{payloads.files[1][0]}")   # TLS 1.3: tickets have arrived
    sess = f.sock.session
    assert sess.has_ticket
    assert sess.ticket_lifetime_hint >= 7 * 24 * 3600, sess.ticket_lifetime_hint
    f.quit()


# --------------------------------------------------------------------------
# SNI: server_name per vhost selects the certificate
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sni_pki(pki):
    return issue_cert(pki.dir, "sni-beta", "ftpsd beta", (pki.ca, pki.ca_key), "rsa",
                      serial=4004, names=("beta.example.test",))


@pytest.fixture(scope="module")
def snisrv(module_server, pki, sni_pki):
    """Two vhosts on one address and port: the default one, and beta
    selected by its server_name."""
    return start(module_server, pki, extra_lines=[
        "[vhost alpha]",           # first: the default for its address
        "ftpd_banner=alpha ready.",
        "[vhost beta]",
        "server_name=beta.example.test",
        f"rsa_cert_file={sni_pki[0]}",
        f"rsa_private_key_file={sni_pki[1]}",
        "write_enable=NO",
    ])


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
@pytest.mark.parametrize("name,want", [
    ("beta.example.test", ("ftpsd beta", 4004)),
    ("unknown.example.test", ("ftpsd rsa", 1001)),
    (None, ("ftpsd rsa", 1001)),
], ids=["beta", "unknown-name", "no-sni"])
def test_sni_selects_certificate(snisrv, pki, payloads, name, want, version):
    ctx = ctx_for(pki, verify=False, minimum=version, maximum=version)
    c = snisrv.ctl()
    c.expect("AUTH TLS", 234)
    c.sock = ctx.wrap_socket(c.sock, server_hostname=name)
    c.f = c.sock.makefile("rb")
    assert cert_info(c.sock.getpeercert(True)) == want
    c.expect("QUIT", 221)
    c.close()


def test_sni_session_verifies_and_transfers(snisrv, pki, payloads, workdir):
    """A verifying client that asks for beta by name logs in and its data
    connections resume (the data side uses the same vhost's contexts)."""
    ctx = ctx_for(pki)
    f = FTPS(context=ctx, timeout=TIMEOUT)
    snisrv._clients.append(f)
    f.connect(HOST, snisrv.port, timeout=TIMEOUT)
    f.host = "beta.example.test"          # server_hostname for SNI and checks
    f.auth()
    assert cert_info(f.sock.getpeercert(True)) == ("ftpsd beta", 4004)
    f.login(USER, PASSWORD)
    f.prot_p()
    name, digest, _ = payloads.files[64 * 1024]
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    assert all(r for r, _ in f.data_sessions)
    # beta's settings apply to the session SNI chose: it is read-only
    with pytest.raises(ftplib.error_perm, match="^550"):
        put(f, f"{workdir.virt}/beta.bin", b"x")
    f.quit()


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_active_mode_data_tls(tsrv, pki, payloads, workdir, version):
    """PORT/EPRT: the server connects, and is still the TLS server of the
    data connection (RFC 4217 §7), resuming the control session."""
    name, digest, data = payloads.files[64 * 1024]
    f = ftps(tsrv, pki, ctx_for(pki, minimum=version, maximum=version))
    f.set_pasv(False)
    assert get(f, f"{payloads.virt}/{name}")[0] == digest
    put(f, f"{workdir.virt}/act.bin", data)
    assert sha256_file(workdir.path("act.bin")) == digest
    assert all(r for r, _ in f.data_sessions), f.data_sessions
    f.quit()
