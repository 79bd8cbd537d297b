"""Soak and fault test (issue 10): many sessions upload, download and check
files at once while random clients hang up in the middle of an upload and
random session processes (monitor, engine, relay, spares) are SIGKILLed.

What must hold: nothing the test uploaded is lost or corrupt (SHA-256 of
every file on disk is its last completed upload, or, for an upload whose
session was killed before the client saw the 226, that upload); a failed
upload never replaces the previous version; every download returns a
version that was uploaded whole; the master's descriptors and memory stay
flat; every spare is replaced; the master, zygote and key holder survive.

`make integration` runs a short version (SOAK_SECONDS=15, SOAK_SESSIONS=16);
`make soak` the long one (SOAK_SECONDS=300, SOAK_SESSIONS=200 by default).
"""
import ftplib
import hashlib
import io
import os
import random
import signal
import socket
import struct
import threading
import time

import pytest

from conftest import (HOST, PASSWORD, USER, all_procs, descendants, free_port_range,
                      sessions_of, tcp_sockets, wait_until)
from test_pool import spares
from tlsutil import FTPS, client_context, make_pki

SECONDS = float(os.environ.get("SOAK_SECONDS", "15"))
SESSIONS = int(os.environ.get("SOAK_SESSIONS", "16"))
KILLS_PER_SECOND = float(os.environ.get("SOAK_KILLS_PER_SECOND", "3"))
SPARES = 4
NAMES_PER_WORKER = 3
SESSION_COMMS = ("ftpsd-monitor", "ftpsd-engine", "ftpsd-relay", "ftpsd-preauth",
                 "ftpsd-standby")


class Plain(ftplib.FTP):
    trust_server_pasv_ipv4_address = True


def sha(data):
    return hashlib.sha256(data).hexdigest()


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Worker(threading.Thread):
    """One client at a time, reconnecting after each failure, on names of
    its own (no other worker touches them, so what each file may hold is
    known exactly)."""

    def __init__(self, idx, port, workdir, tls_ctx, deadline, seed):
        super().__init__(daemon=True)
        self.idx = idx
        self.port = port
        self.wd = workdir
        self.tls_ctx = tls_ctx
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.names = [f"w{idx:03d}-{k}.bin" for k in range(NAMES_PER_WORKER)]
        # name -> set of SHA-256s (None = absent) the file may hold now
        self.possible = {n: {None} for n in self.names}
        self.good = {n: None for n in self.names}
        self.stats = dict(uploads=0, downloads=0, hangups=0, failures=0, sessions=0)
        self.problems = []

    def connect(self):
        if self.tls_ctx is not None:
            f = FTPS(context=self.tls_ctx, timeout=20)
            f.connect(HOST, self.port, timeout=20)
            f.auth()
            f.login(USER, PASSWORD)
            f.prot_p()
        else:
            f = Plain(timeout=20)
            f.connect(HOST, self.port, timeout=20)
            f.login(USER, PASSWORD)
        f.voidcmd("TYPE I")
        f.cwd(self.wd.virt)
        return f

    def upload(self, f, name):
        data = os.urandom(self.rng.choice((0, 1, 4096, 65536, 300_000)))
        h = sha(data)
        # Until the 226 arrives the upload may or may not have landed.
        self.possible[name] = {self.good[name], h}
        f.storbinary(f"STOR {name}", io.BytesIO(data))
        self.good[name] = h
        self.possible[name] = {h}
        self.stats["uploads"] += 1

    def hangup(self, f, name):
        """Half an upload, then a reset data connection and a vanished
        client: the previous version must stay."""
        data = os.urandom(200_000)
        conn = f.transfercmd(f"STOR {name}")
        conn.sendall(data[: self.rng.randrange(1, len(data) // 2)])
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        f.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        f.sock.close()
        self.stats["hangups"] += 1

    def download(self, f, name):
        if self.good[name] is None:
            return
        h = hashlib.sha256()
        f.retrbinary(f"RETR {name}", h.update)
        if h.hexdigest() not in self.possible[name]:
            self.problems.append(f"RETR {name}: got {h.hexdigest()[:12]}, "
                                 f"want one of {sorted(str(x)[:12] for x in self.possible[name])}")
        self.stats["downloads"] += 1

    def run(self):
        while time.monotonic() < self.deadline:
            f = None
            try:
                f = self.connect()
                self.stats["sessions"] += 1
                for _ in range(self.rng.randint(1, 8)):
                    name = self.rng.choice(self.names)
                    r = self.rng.random()
                    if r < 0.55:
                        self.upload(f, name)
                    elif r < 0.9:
                        self.download(f, name)
                    else:
                        self.hangup(f, name)
                        f = None
                        break
                if f is not None:
                    f.quit()
            except (OSError, EOFError, ftplib.Error):
                self.stats["failures"] += 1   # killed session, or refused
            finally:
                if f is not None:
                    try:
                        f.close()
                    except OSError:
                        pass


class Killer(threading.Thread):
    """SIGKILLs a random session process of the server now and then."""

    def __init__(self, master, deadline, seed):
        super().__init__(daemon=True)
        self.master = master
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.kills = {}
        self.errors = []

    def run(self):
        while time.monotonic() < self.deadline:
            time.sleep(self.rng.expovariate(KILLS_PER_SECOND))
            try:
                self.kill_one()
            except Exception as e:      # a process that vanished mid-scan
                self.errors.append(repr(e))

    def kill_one(self):
        procs = all_procs()
        tcp = {f"socket:[{row[5]}]" for row in tcp_sockets()}

        def serving(pid):           # holds a TCP connection: not a spare
            try:
                return any(os.readlink(f"/proc/{pid}/fd/{fd}") in tcp
                           for fd in os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                return False
        # Spares' pre-auth engines too: their monitor must notice and go.
        victims = [p for p in descendants(self.master, procs)
                   if p.comm in SESSION_COMMS and p.state != "Z"]
        if not victims:
            return
        p = self.rng.choice(victims)
        try:
            os.kill(p.pid, signal.SIGKILL)
            self.kills[p.comm] = self.kills.get(p.comm, 0) + 1
        except ProcessLookupError:
            pass


def where(pid):
    """What PID waits in: its system call and kernel stack (root reads
    both), so a hang names itself."""
    def read(name):
        try:
            with open(f"/proc/{pid}/{name}") as f:
                return f.read().strip()
        except OSError as e:
            return f"({e.strerror})"
    call = read("syscall").split()
    stack = read("stack").replace("\n", " | ")
    return f"syscall {' '.join(call[:3])}, wchan {read('wchan')}, stack {stack}"


def describe_sessions(master, log=""):
    """The monitors that are not quiet spares: children, fds, where each
    waits, and the log lines of the monitor's pid."""
    quiet = {p.pid for p in spares(master)}
    out = []
    procs = all_procs()
    for mon in sessions_of(master, procs):
        if mon.pid in quiet:
            continue
        kids = [k for k in procs.values() if k.ppid == mon.pid]
        try:
            fds = sorted(os.readlink(f"/proc/{mon.pid}/fd/{fd}")
                         for fd in os.listdir(f"/proc/{mon.pid}/fd"))
        except OSError:
            fds = []
        out.append(f"monitor {mon.pid} {mon.state}: fds {fds}, {where(mon.pid)}")
        out += [f"  {k.comm}/{k.pid}/{k.state}: {where(k.pid)}" for k in kids]
        out += [f"  log: {line}" for line in log.splitlines() if f"[{mon.pid}]" in line][-20:]
    return "\n".join(out)


@pytest.fixture(scope="module")
def soak_pki(tmp_path_factory):
    return make_pki(str(tmp_path_factory.mktemp("pki")))


def test_soak(server, workdir, soak_pki):
    pmin, pmax = free_port_range(max(40, 2 * SESSIONS))
    s = server(ssl_enable=True, rsa_cert_file=soak_pki.rsa,
               rsa_private_key_file=soak_pki.rsa_key, implicit_ssl_port=0,
               force_local_logins_ssl=False, force_local_data_ssl=False,
               pasv_min_port=pmin, pasv_max_port=pmax, prefork_spares=SPARES,
               idle_session_timeout=30, data_connection_timeout=20)
    assert wait_until(lambda: len(spares(s.pid)) == SPARES, 10)
    helpers = {p.pid: p.comm for p in descendants(s.pid)
               if p.comm in ("ftpsd-zygote", "ftpsd-keys")}
    fds0, rss0 = fd_count(s.pid), rss_kib(s.pid)
    ctx = client_context(ca=soak_pki.ca)
    ctx.check_hostname = False

    deadline = time.monotonic() + SECONDS
    seed = int(os.environ.get("SOAK_SEED", str(int(time.time()))))
    workers = [Worker(i, s.port, workdir, ctx if i % 3 == 0 else None, deadline, seed + i)
               for i in range(SESSIONS)]
    killer = Killer(s.pid, deadline, seed - 1)
    for w in workers:
        w.start()
    killer.start()
    for w in workers:
        w.join(SECONDS + 120)
        assert not w.is_alive(), f"worker {w.idx} hangs"
    killer.join(10)

    totals = {}
    for w in workers:
        for k, v in w.stats.items():
            totals[k] = totals.get(k, 0) + v
    report = (f"seed {seed}: {totals}, kills {killer.kills}, "
              f"killer errors {killer.errors[:3]} ({len(killer.errors)})")
    print(report)
    problems = [p for w in workers for p in w.problems]

    # Every file holds a version that was uploaded whole, and the newest
    # completed one unless a later upload was cut off by a kill.
    for w in workers:
        for name in w.names:
            p = workdir.path(name)
            have = sha(open(p, "rb").read()) if os.path.exists(p) else None
            if have not in w.possible[name]:
                problems.append(f"{name}: on disk {str(have)[:12]}, want one of "
                                f"{sorted(str(x)[:12] for x in w.possible[name])}")
    assert not problems, report + "\n" + "\n".join(problems[:20])
    assert totals["uploads"] > 0 and totals["downloads"] > 0, report
    assert sum(killer.kills.values()) > 0 or KILLS_PER_SECOND == 0, report

    # The master, its zygote and key holder survived; spares are back; the
    # master holds what it held before.
    assert s.proc.poll() is None, "master died"
    for pid, comm in helpers.items():
        assert os.path.exists(f"/proc/{pid}"), f"{comm} {pid} died"
    assert wait_until(lambda: len(spares(s.pid)) == SPARES and
                      len(sessions_of(s.pid)) == SPARES, 30), \
        f"spares {len(spares(s.pid))}, sessions {len(sessions_of(s.pid))}: " + \
        describe_sessions(s.pid, s.log())
    assert wait_until(lambda: fd_count(s.pid) == fds0, 10), \
        f"master fds {fds0} -> {fd_count(s.pid)}"
    assert rss_kib(s.pid) - rss0 < 2048, f"master RSS {rss0} -> {rss_kib(s.pid)} KiB"
    # A service that still works.
    f = s.ftp()
    f.cwd(workdir.virt)
    f.storbinary("STOR after.bin", io.BytesIO(b"after"))
    assert open(workdir.path("after.bin"), "rb").read() == b"after"
