"""Data-TLS binding against a neighbour behind the same NAT (issue 10, items
1 and 2): a data connection that does not resume this session's TLS session
fails during its handshake, so no session is ever born that could be
resumed later; and every resumption hands out a fresh ticket, so a client
that offers each ticket once (RFC 8446 C.4) never runs dry."""
import ftplib
import socket
import ssl

import pytest

from conftest import HOST, PASSWORD, TIMEOUT, USER
from tlsutil import FTPS, client_context

TLS12 = ssl.TLSVersion.TLSv1_2
TLS13 = ssl.TLSVersion.TLSv1_3


def tls_server(factory, pki, **kw):
    settings = {"ssl_enable": True, "rsa_cert_file": pki.rsa,
                "rsa_private_key_file": pki.rsa_key, "implicit_ssl_port": 0,
                "require_ssl_reuse": True}
    settings.update(kw)
    return factory(**settings)


def victim(srv, pki, ctx=None):
    f = FTPS(context=ctx or client_context(ca=pki.ca), timeout=TIMEOUT)
    srv._clients.append(f)
    f.connect(HOST, srv.port, timeout=TIMEOUT)
    f.auth()
    f.login(USER, PASSWORD)
    f.prot_p()
    return f


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
@pytest.mark.parametrize("tickets", [True, False], ids=["tickets", "session-ids"])
def test_neighbour_full_handshake_fails_inside_the_handshake(server, pki, version, tickets):
    s = tls_server(server, pki, allow_violations=True)
    f = victim(s, pki)
    host, port = f.makepasv()
    f.putcmd("NLST")
    # The neighbour (same address) is first on the passive port, with a
    # full handshake: it must fail there, not complete and then be refused.
    neighbour = client_context(verify=False, minimum=version, maximum=version,
                               no_ticket=not tickets)
    raw = socket.create_connection((host, port), timeout=TIMEOUT)
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls = neighbour.wrap_socket(raw, server_hostname="localhost")
        tls.recv(1)  # TLS 1.3: a client sees the server's alert on its first read
    raw.close()
    replies = [f.getmultiline()[:3]]
    if replies[0] == "150":
        replies.append(f.getmultiline()[:3])
    assert replies[-1] == "425", replies
    s.wait_log(r"violation: data TLS refused for client 127\.0\.0\.1")
    # The victim's next transfer still works, resuming its own session.
    assert f.nlst() is not None
    assert f.data_sessions[-1][0], "the data connection did not resume"
    f.quit()


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_every_resumption_hands_out_a_fresh_ticket(server, pki, version):
    """1,000 transfers by a client that offers each ticket once: the newest
    one, from the previous data connection."""
    s = tls_server(server, pki)
    ctx = client_context(ca=pki.ca, minimum=version, maximum=version)
    f = victim(s, pki, ctx)
    offer = f.sock.session
    offered = set()
    for i in range(1000):
        assert offer.id not in offered, f"transfer {i}: no unused ticket left"
        offered.add(offer.id)
        raw, _ = ftplib.FTP.ntransfercmd(f, "NLST")  # TCP only: we wrap it
        conn = ctx.wrap_socket(raw, server_hostname="localhost", session=offer)
        assert conn.session_reused, f"transfer {i} did not resume"
        while conn.recv(65536):
            pass
        newest = conn.session
        conn.close()
        f.voidresp()
        assert newest is not None and newest.id != offer.id, f"transfer {i}: no new ticket"
        offer = newest
    f.quit()


def fresh_ticket(f, ctx):
    """The ticket the server handed out on a data connection of F."""
    raw, _ = ftplib.FTP.ntransfercmd(f, "NLST")
    conn = ctx.wrap_socket(raw, server_hostname="localhost", session=f.sock.session)
    while conn.recv(65536):
        pass
    reused, newest = conn.session_reused, conn.session
    conn.close()
    f.voidresp()
    assert reused and newest.id != f.sock.session.id
    return newest


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_a_fresh_ticket_resumes_no_other_session(server, pki, version):
    """The ticket a data connection hands out is sealed with its session's
    key: on another session's data connection it is refused (425)."""
    s = tls_server(server, pki, allow_violations=True)
    ctx = client_context(ca=pki.ca, minimum=version, maximum=version)
    a, b = victim(s, pki, ctx), victim(s, pki, ctx)
    b.resume_session = fresh_ticket(a, ctx)
    try:
        b.nlst()
        raise AssertionError("another session's ticket was accepted")
    except ftplib.error_temp as e:
        assert str(e).startswith("425"), e
    except (ssl.SSLError, OSError, EOFError):
        with pytest.raises(ftplib.error_temp, match="^425"):
            b.getresp()
    s.wait_log(r"violation: data TLS refused for client 127\.0\.0\.1")
    b.resume_session = None
    assert fresh_ticket(b, ctx) is not None
    a.quit()
    b.quit()


def client_hello():
    """The bytes of a real ClientHello, made without a socket."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(verify=False).wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_a_trickled_client_hello_meets_the_handshake_deadline(server, pki):
    """Issue 10 item 7: one byte every 0.4 s never trips a per-read timeout
    of 2 s, but the whole handshake must end within data_connection_timeout."""
    import time
    s = tls_server(server, pki, data_connection_timeout=2)
    c = socket.create_connection((HOST, s.port), timeout=TIMEOUT)
    f = c.makefile("rb")
    assert f.readline().startswith(b"220")
    c.sendall(b"AUTH TLS\r\n")
    assert f.readline().startswith(b"234")
    hello = client_hello()
    start, closed = time.monotonic(), False
    c.settimeout(0.4)
    for b in hello:
        try:
            c.sendall(bytes([b]))
            if c.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
        if time.monotonic() - start > 15:
            break
    elapsed = time.monotonic() - start
    c.close()
    assert closed, "the server still waits for the trickled ClientHello"
    assert elapsed < 6, elapsed
    s.wait_log(r"control TLS handshake: not finished within the deadline")
