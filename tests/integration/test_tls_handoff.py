"""At login the relay hands a TLS 1.3 control connection's records to the
user's engine and ends (DESIGN.md, "Control TLS after login"): a logged-in
TLS 1.3 session is two processes. Everything must keep working across the
handoff: commands, commands the client pipelined behind PASS, transfers,
KeyUpdate from the client in both forms (OpenSSL's s_client), and our
close_notify after QUIT. TLS 1.2, and a KeyUpdate before login, keep the
relay for the whole session."""

import io
import os
import select
import signal
import socket
import ssl
import subprocess
import time

import pytest

from conftest import (PASSWORD, USER, alive, children, pids_holding_inode, session_procs, sha256,
                      sha256_file, tcp_sockets, wait_until)
from tlsutil import client_context, ftps_connect

TLS12 = ssl.TLSVersion.TLSv1_2


@pytest.fixture(scope="module")
def hsrv(module_server, pki):
    return module_server(ssl_enable=True, rsa_cert_file=pki.rsa,
                         rsa_private_key_file=pki.rsa_key, implicit_ssl_port=0)


def relays(sock):
    mon, _ = session_procs(sock)
    assert mon is not None
    return [c for c in children(mon.pid) if c.comm == "ftpsd-relay" and c.state != "Z"]


def engine_of(sock):
    return session_procs(sock)[1]


def login(srv, pki, **ctx_kw):
    f = ftps_connect(srv.port, client_context(ca=pki.ca, **ctx_kw), host=srv.host,
                     user=USER, password=PASSWORD, register=srv._clients.append)
    return f


def test_tls13_session_is_two_processes(hsrv, pki, workdir):
    f = login(hsrv, pki)
    assert f.sock.version() == "TLSv1.3"
    assert wait_until(lambda: not relays(f.sock)), "the relay stayed after login"
    assert engine_of(f.sock).comm == "ftpsd-engine"
    data = os.urandom(3 * 1024 * 1024 + 17)
    f.storbinary(f"STOR {workdir.virt}/up.bin", io.BytesIO(data))
    assert sha256_file(workdir.path("up.bin")) == sha256(data)
    got = bytearray()
    f.retrbinary(f"RETR {workdir.virt}/up.bin", got.extend)
    assert sha256(bytes(got)) == sha256(data)
    # A reply longer than one TLS record crosses records intact.
    names = [f"n{i:05d}-{'x' * 60}" for i in range(400)]
    for n in names:
        open(workdir.path(n), "wb").close()
    lines = []
    f.retrlines(f"NLST {workdir.virt}", lines.append)
    assert sorted(os.path.basename(x) for x in lines if "/n" in x or x.startswith("n")) \
        == sorted(names)
    assert f.pwd()


def test_quit_sends_close_notify(hsrv, pki):
    f = login(hsrv, pki)
    assert wait_until(lambda: not relays(f.sock))
    assert f.sendcmd("QUIT").startswith("221")
    # unwrap() waits for the server's close_notify; a bare TCP close would
    # raise (the test context does not ignore unexpected EOF).
    f.sock.settimeout(10)
    f.sock.unwrap().close()


def test_commands_pipelined_behind_pass_survive(hsrv, pki):
    ctx = client_context(ca=pki.ca)
    raw = socket.create_connection((hsrv.host, hsrv.port), timeout=10)
    rf = raw.makefile("rb")
    assert rf.readline().startswith(b"220")
    raw.sendall(b"AUTH TLS\r\n")
    assert rf.readline().startswith(b"234")
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    hsrv._clients.append(s)
    r = s.makefile("rb")
    s.sendall(f"USER {USER}\r\n".encode())
    assert r.readline().startswith(b"331")
    s.sendall(f"PASS {PASSWORD}\r\nPWD\r\nSYST\r\nNOOP\r\n".encode())
    codes = [r.readline()[:3] for _ in range(4)]
    assert codes == [b"230", b"257", b"215", b"200"]
    assert wait_until(lambda: not relays(s))


def test_tls12_keeps_the_relay(hsrv, pki):
    f = login(hsrv, pki, maximum=TLS12)
    assert f.sock.version() == "TLSv1.2"
    assert f.pwd()
    time.sleep(0.3)
    assert len(relays(f.sock)) == 1
    assert f.sendcmd("NOOP").startswith("200")


class SClient:
    """openssl s_client -starttls ftp, driven line by line. A line "K" makes it
    send a KeyUpdate that asks for ours, "k" one that does not."""

    def __init__(self, srv):
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-starttls", "ftp", "-crlf", "-tls1_3",
             "-connect", f"{srv.host}:{srv.port}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def expect(self, code, timeout=10, exact=False):
        """Wait for a reply CODE (or, EXACT, a line that is just CODE)."""
        end = time.monotonic() + timeout
        while True:
            for line in self.buf.split(b"\n"):
                if line.rstrip(b"\r") == code.encode() if exact else \
                        line.startswith(code.encode() + b" "):
                    self.buf = self.buf[self.buf.index(line) + len(line):]
                    return line
            left = end - time.monotonic()
            assert left > 0, f"no {code} reply; got {self.buf[-400:]!r}"
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                assert chunk, f"s_client ended; got {self.buf[-400:]!r}"
                self.buf += chunk

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


class ClientEnd:
    """Stands for a client socket we do not own (session_procs asks it)."""

    def __init__(self, local, peer):
        self.local, self.peer = local, peer

    def getsockname(self):
        return self.local

    def getpeername(self):
        return self.peer


def sclient_socket(srv, c):
    """The s_client's end of its control connection."""
    def find():
        for (a, p, r, rp, state, inode) in tcp_sockets():
            if rp == srv.port and r == srv.host and state == "01" and \
                    c.p.pid in pids_holding_inode(inode):
                return ClientEnd((a, p), (r, rp))
        return None
    end = wait_until(find)
    assert end, "s_client's connection not found"
    return end


@pytest.fixture
def sclient(hsrv):
    c = SClient(hsrv)
    yield c
    c.close()


def test_key_updates_after_login(hsrv, sclient):
    c = sclient
    c.expect("220")
    c.send(f"USER {USER}")
    c.expect("331")
    c.send(f"PASS {PASSWORD}")
    c.expect("230")
    sock = sclient_socket(hsrv, c)
    assert wait_until(lambda: not relays(sock)), "no handoff"
    for kind in ("K", "k", "K"):
        c.send(kind)
        c.expect("KEYUPDATE", exact=True)  # s_client takes one command per read
        c.send("PWD")
        c.expect("257")
    c.send("SYST")
    c.expect("215")


def test_key_update_before_login_keeps_the_relay(hsrv, sclient):
    c = sclient
    c.expect("220")
    c.send("K")
    c.expect("KEYUPDATE", exact=True)
    c.send(f"USER {USER}")
    c.expect("331")
    c.send(f"PASS {PASSWORD}")
    c.expect("230")
    sock = sclient_socket(hsrv, c)
    c.send("PWD")
    c.expect("257")
    assert len(relays(sock)) == 1


def test_no_zombie_after_login(hsrv, pki):
    """The pre-auth engine and the relay are killed at a TLS login and not
    waited for there (DESIGN.md §1): the monitor reaps them soon after, so
    no zombie child stays under an idle logged-in session."""
    sessions = [login(hsrv, pki) for _ in range(3)]
    sessions.append(login(hsrv, pki, maximum=TLS12))
    mons = [session_procs(f.sock)[0] for f in sessions]
    assert all(m is not None for m in mons)

    def zombies():
        return [c for m in mons for c in children(m.pid) if c.state == "Z"]

    assert wait_until(lambda: not zombies()), f"zombie children: {zombies()}"
    for f in sessions:
        assert f.voidcmd("NOOP").startswith("200")
    assert not zombies()


def test_a_relay_that_stays_is_ended(server, pki):
    """A relay that does not exit when its session ends (here: stopped, as
    one stuck on its client or a hostile one would stay) does not hold the
    root monitor: after a short grace the monitor kills it and ends."""
    s = server(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
               implicit_ssl_port=0, login_timeout=2)
    f = ftps_connect(s.port, client_context(ca=pki.ca), host=s.host, login=False,
                     register=s._clients.append)
    mon, _ = session_procs(f.sock)
    [relay] = relays(f.sock)
    os.kill(relay.pid, signal.SIGSTOP)
    # login_timeout ends the session; the stopped relay never reads the
    # 421 nor sees its plaintext side close.
    assert wait_until(lambda: not alive(mon.pid), 10), \
        f"monitor {mon.pid} still waits on its stopped relay {relay.pid}"
    assert not alive(relay.pid)
    s.wait_log(r"no login within login_timeout=2 s")


def test_engine_killed_before_the_handshake(server, pki):
    """The pre-auth engine dies between AUTH TLS and the ClientHello: the
    monitor ends the session while its relay asks it for the handshake's
    signature. Neither may wait for the other for ever."""
    s = server(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
               implicit_ssl_port=0)
    sock = socket.create_connection((s.host, s.port), timeout=10)
    f = sock.makefile("rb")
    assert f.readline().startswith(b"220")
    sock.sendall(b"AUTH TLS\r\n")
    assert f.readline().startswith(b"234")
    mon, engine = session_procs(sock)
    [relay] = relays(sock)
    os.kill(engine.pid, signal.SIGKILL)
    time.sleep(0.5)         # the monitor is ending the session now
    try:
        client_context(ca=pki.ca).wrap_socket(sock, server_hostname=s.host).close()
    except (OSError, ssl.SSLError):
        pass                # refused or cut: either is fine
    assert wait_until(lambda: not alive(mon.pid) and not alive(relay.pid), 8), \
        f"monitor {mon.pid} or relay {relay.pid} still there"
    sock.close()
