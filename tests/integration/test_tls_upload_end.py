"""The end of a TLS upload (issue 10 item 2): only the client's close_notify
ends one. A TCP close without it, a FIN or a reset, is a cut-off upload:
426, and the previous version of the file stays.

How a reset became a "complete" upload: after a TLS 1.3 handshake the
server writes its NewSessionTickets (always after a full handshake, and on
every resumption once tickets are renewed). When the client has already
sent its Finished, part of the file and a reset, that write fails with
ECONNRESET, which OpenSSL ignores on purpose (so a server can still read
what such a client sent) and which the kernel reports only once: the next
read sees a plain end of file, and SSL_OP_IGNORE_UNEXPECTED_EOF made that
the end of the upload. The tests stop the engine so that the client's
last flight and its reset have both arrived before the server answers the
Finished: the order that the soak test met by chance."""
import ftplib
import os
import signal
import socket
import ssl
import struct

import pytest

from conftest import session_procs, tcp_sockets, wait_until
from test_tls_binding import victim
from tlsutil import client_context

TLS12 = ssl.TLSVersion.TLSv1_2
TLS13 = ssl.TLSVersion.TLSv1_3
OLD = b"the previous version"


def tls_server(factory, pki, **kw):
    return factory(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
                   implicit_ssl_port=0, **kw)


def login(srv, pki, workdir, version):
    ctx = client_context(ca=pki.ca, minimum=version, maximum=version)
    f = victim(srv, pki, ctx)
    f.voidcmd("TYPE I")
    f.cwd(workdir.virt)
    workdir.write("keep.bin", OLD)
    return f, ctx


def handshake_held_back(raw, ctx, session):
    """A client handshake over RAW whose last flight (TLS 1.3: the client's
    Finished) is kept back: returns the TLS object and its outgoing BIO."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost", session=session)
    while True:
        try:
            tls.do_handshake()
            return tls, outgoing
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                raw.sendall(pending)
            chunk = raw.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the data connection")
            incoming.write(chunk)


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def server_end_gone(client_sock_name, server_addr):
    """The server's end of the data connection has left /proc/net/tcp (a
    reset took it out of the hash tables)."""
    lip, lport = client_sock_name
    rip, rport = server_addr
    return not any(a == rip and p == rport and r == lip and rp == lport
                   for a, p, r, rp, _, _ in tcp_sockets())


def final_reply(f):
    try:
        return f.getresp()[:3]
    except ftplib.Error as e:
        return str(e)[:3]


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
@pytest.mark.parametrize("reuse", [True, False], ids=["resumed", "full-handshake"])
def test_reset_right_after_the_handshake_is_no_upload(server, pki, workdir, version, reuse):
    """Finished, half a file and a reset arrive before the server answers the
    Finished. Without renewal the full handshake already failed here (TLS 1.3
    sends tickets after every full handshake): the bug predates renewal."""
    s = tls_server(server, pki, require_ssl_reuse=reuse)
    f, ctx = login(s, pki, workdir, version)
    _, engine = session_procs(f.sock)
    assert engine is not None
    for i in range(5):
        raw, _ = ftplib.FTP.ntransfercmd(f, "STOR keep.bin")
        tls, outgoing = handshake_held_back(raw, ctx, f.sock.session if reuse else None)
        assert tls.session_reused == reuse
        tls.write(os.urandom(50_000))
        mine, theirs = raw.getsockname(), raw.getpeername()
        os.kill(engine.pid, signal.SIGSTOP)
        try:
            raw.sendall(outgoing.read())
            reset(raw)
            assert wait_until(lambda: server_end_gone(mine, theirs), 5)
        finally:
            os.kill(engine.pid, signal.SIGCONT)
        reply = final_reply(f)
        assert reply == "426", f"upload {i}: {reply}"
        assert open(workdir.path("keep.bin"), "rb").read() == OLD, f"upload {i}"
    f.quit()


@pytest.mark.parametrize("version", [TLS12, TLS13], ids=["tls1.2", "tls1.3"])
def test_upload_ended_without_close_notify_is_cut_off(server, pki, workdir, version):
    """A bare TCP FIN in the middle of the file (a client that died, or a
    forged FIN: the truncation close_notify exists to tell apart)."""
    s = tls_server(server, pki)
    f, ctx = login(s, pki, workdir, version)
    conn = f.transfercmd("STOR keep.bin")
    conn.sendall(os.urandom(100_000))
    raw = socket.socket(fileno=conn.detach())   # TCP close, no close_notify
    raw.shutdown(socket.SHUT_WR)
    assert final_reply(f) == "426"
    raw.close()
    assert open(workdir.path("keep.bin"), "rb").read() == OLD
    s.wait_log(r"upload from client 127\.0\.0\.1 ended without TLS close_notify")
    # The same session uploads whole files with close_notify.
    data = os.urandom(100_000)
    conn = f.transfercmd("STOR keep.bin")
    conn.sendall(data)
    conn.unwrap()
    conn.close()
    f.voidresp()
    assert open(workdir.path("keep.bin"), "rb").read() == data
    f.quit()
