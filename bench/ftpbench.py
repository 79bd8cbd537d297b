#!/usr/bin/python3
"""ftpsd vs vsftpd, side by side, on loopback.

Run it as root through bench/run.sh (which checks the tools first); see
bench/README.md for what each number means. Debian's python3 and its
standard library only; clients are curl (transfers) and raw sockets + the
ssl module (logins, banner, idle sessions, LIST).

What it changes on the machine, all undone at the end (also on Ctrl-C):
  - user `ftpsd-bench` (created with a marker in its GECOS field, deleted);
  - PAM service /etc/pam.d/ftpsd-bench (a copy of etc/pam.d/ftpsd);
  - a work directory /var/tmp/ftpsd-bench.XXXX (configs, certificate, logs,
    the user's home with the 20,000-file directory and the uploads);
  - four server process trees it starts (each under its own reaper process)
    and stops by PID.
What it keeps: the payload /var/tmp/ftpsd-bench-cache/payload-SIZE.bin
(random bytes, generated once; --clean-cache removes it).
"""

import argparse
import ctypes
import datetime
import json
import multiprocessing
import os
import platform
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FTPSD = os.path.join(REPO, "ftpsd")
VSFTPD = "/usr/sbin/vsftpd"
PAM_SRC = os.path.join(REPO, "etc", "pam.d", "ftpsd")
PAM_SERVICE = "ftpsd-bench"
PAM_DST = os.path.join("/etc/pam.d", PAM_SERVICE)
USER = "ftpsd-bench"
PASSWORD = "Bench7Pw4ftpsd"          # alphanumeric: safe in URLs
GECOS_MARK = "ftpsd benchmark user (bench/ftpbench.py)"
HOST = "127.0.0.1"
CACHE_DIR = "/var/tmp/ftpsd-bench-cache"
CLK_TCK = os.sysconf("SC_CLK_TCK")
GiB = 1 << 30
MAIN_PID = os.getpid()

TARGETS = {
    "ftps_download_cpu_per_gib": "ftpsd <= 0.5 CPU-s/GiB",
    "ftps_logins_seq_per_s": "ftpsd >= 2x vsftpd",
    "ftps_logins_par8_per_s": "ftpsd >= 2x vsftpd",
    "idle_session_pss_kib": "ftpsd <= 600 KiB",
    "list20k_ftps_s": "ftpsd < 0.27 s",
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# /proc
# --------------------------------------------------------------------------

def proc_table():
    """{pid: (comm, state, ppid, own CPU ticks, reaped-children CPU ticks)}"""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        r = s.rfind(")")
        comm = s[s.find("(") + 1:r]
        f = s[r + 2:].split()
        # fields 3.. of proc(5): state ppid ... utime(14) stime(15) cutime(16) cstime(17)
        out[int(d)] = (comm, f[0], int(f[1]), int(f[11]) + int(f[12]), int(f[13]) + int(f[14]))
    return out


def descendants(root, table):
    kids = {}
    for pid, p in table.items():
        kids.setdefault(p[2], []).append(pid)
    out, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def smaps_rollup(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1])
    except OSError:
        pass
    return out


def machine_busy_s():
    """CPU-seconds the whole machine has spent not idle (all CPUs), /proc/stat."""
    with open("/proc/stat") as f:
        x = [int(v) for v in f.readline().split()[1:]]
    return (sum(x[:8]) - x[3] - x[4]) / CLK_TCK


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


# --------------------------------------------------------------------------
# the reaper: parent of one server, child subreaper of its whole tree
# --------------------------------------------------------------------------

def reaper_main(argv):
    """`ftpbench.py --reaper CMD...`: run CMD as our child and reap every
    process of its tree, including orphans (PR_SET_CHILD_SUBREAPER), so that
    the CPU time of every process the server ever ran ends up either in a live
    process or in our cutime/cstime. SIGTERM is passed on to CMD."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)                      # PR_SET_CHILD_SUBREAPER
    libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)     # PR_SET_PDEATHSIG
    if os.getppid() == 1:
        sys.exit(1)
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)

    def forward(sig, frame):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    sys.exit(0)


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def run(cmd, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("timeout", 120)
    r = subprocess.run(cmd, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: "
                           f"{(r.stderr or b'').decode(errors='replace').strip()}")
    return r


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


_used_ports = set()


def bindable(port):
    s = socket.socket()
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    for _ in range(200):
        p = random.randrange(20000, 32000)
        if p not in _used_ports and bindable(p):
            _used_ports.add(p)
            return p
    raise RuntimeError("no free port")


def free_range(n):
    for _ in range(200):
        start = random.randrange(20000, 32000 - n)
        ports = range(start, start + n)
        if any(p in _used_ports for p in ports):
            continue
        if all(bindable(p) for p in ports):
            _used_ports.update(ports)
            return start, start + n - 1
    raise RuntimeError("no free port range")


def client_ctx():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# --------------------------------------------------------------------------
# a minimal FTP control connection
# --------------------------------------------------------------------------

class FTPError(Exception):
    pass


class Conn:
    def __init__(self, port, timeout=30):
        self.s = socket.create_connection((HOST, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # as curl does
        self.timeout = timeout
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise FTPError("control connection closed by the server")
            self.buf += d
        ln, _, self.buf = self.buf.partition(b"\n")
        return ln.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self, expect=None, what="reply"):
        first = self.line()
        if not re.match(r"^\d{3}[ -]", first):
            raise FTPError(f"malformed reply {first!r}")
        code = first[:3]
        text = [first]
        if first[3] == "-":
            while True:
                ln = self.line()
                text.append(ln)
                if ln.startswith(code + " "):
                    break
        text = "\n".join(text)
        if expect and int(code) not in expect:
            raise FTPError(f"{what}: {text}")
        return int(code), text

    def send(self, line):
        self.s.sendall(line.encode() + b"\r\n")

    def cmd(self, line, expect=None):
        self.send(line)
        return self.reply(expect, line.split()[0] if not line.startswith("PASS") else "PASS")

    def starttls(self, ctx):
        self.cmd("AUTH TLS", (234,))
        if self.buf:
            raise FTPError("data after 234")
        self.s = ctx.wrap_socket(self.s)

    def login(self, ctx=None, prot_p=False):
        if ctx is not None:
            self.starttls(ctx)
        self.cmd(f"USER {USER}", (331,))
        self.cmd(f"PASS {PASSWORD}", (230,))
        if ctx is not None and prot_p:
            self.cmd("PBSZ 0", (200,))
            self.cmd("PROT P", (200,))
        return self

    def data(self, line, ctx=None, payload=None):
        """EPSV + LINE over a data connection; returns the bytes received."""
        marks = [("start", time.perf_counter())]
        _, text = self.cmd("EPSV", (229,))
        marks.append(("229", time.perf_counter()))
        m = re.search(r"\(\|\|\|(\d+)\|\)", text)
        if not m:
            raise FTPError(f"EPSV: {text}")
        d = socket.create_connection((HOST, int(m.group(1))), timeout=self.timeout)
        try:
            self.cmd(line, (125, 150))
            marks.append(("150", time.perf_counter()))
            if ctx is not None:
                d = ctx.wrap_socket(d, session=self.s.session)
                marks.append(("tls", time.perf_counter()))
            chunks = []
            if payload is not None:
                d.sendall(payload)
                if ctx is not None:
                    d = d.unwrap()
                d.shutdown(socket.SHUT_WR)
            t_prev = t_last = None
            while True:
                b = d.recv(1 << 20)
                if not b:
                    break
                t_prev, t_last = t_last, time.perf_counter()
                if not chunks:
                    marks.append(("first byte", t_last))
                chunks.append(b)
        finally:
            d.close()
        if t_prev is not None:
            marks.append(("last byte", t_last))
        marks.append(("eof", time.perf_counter()))
        self.reply((226, 250), line.split()[0] + " (completion)")
        marks.append(("226", time.perf_counter()))
        self.completion_wait = marks[-1][1] - marks[-2][1]
        # milliseconds from the previous mark to each mark
        self.marks = {n: (t - p) * 1000 for (n, t), (_, p) in zip(marks[1:], marks)}
        if t_prev is not None:
            self.marks["gap before last read"] = (t_last - t_prev) * 1000
        return b"".join(chunks)

    def quit(self):
        try:
            self.cmd("QUIT", (221,))
        finally:
            self.close()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------

class Server:
    """One daemon instance (ftpsd or vsftpd, FTPS or plain) under a reaper."""

    def __init__(self, daemon, tls, work, home, cert, key, spares=None):
        self.daemon, self.tls = daemon, tls
        self.spares = spares  # ftpsd's prefork_spares; None = its default
        self.name = f"{daemon}-{'ftps' if tls else 'plain'}" + (
            "" if spares is None else f"-spares{spares}")
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, mode=0o755)
        self.home, self.cert, self.key = home, cert, key
        self.port = free_port()
        self.pasv = free_range(50)
        self.conf = os.path.join(self.dir, "server.conf")
        self.empty = os.path.join(self.dir, "empty")
        os.makedirs(self.empty, mode=0o755)
        self.seccomp = True
        self.broken_with = []
        self.reaper = None
        self.master = None
        self.notes = []

    def settings(self):
        lo, hi = self.pasv
        common = [
            ("listen", "YES"), ("listen_address", HOST), ("listen_port", self.port),
            ("local_enable", "YES"), ("write_enable", "YES"), ("local_umask", "022"),
            ("chroot_local_user", "YES"), ("pam_service_name", PAM_SERVICE),
            ("pasv_enable", "YES"), ("pasv_min_port", lo), ("pasv_max_port", hi),
            ("secure_chroot_dir", self.empty),
        ]
        if self.daemon == "ftpsd":
            s = common + [
                ("pid_file", os.path.join(self.dir, "ftpsd.pid")),
                ("log_file", os.path.join(self.dir, "ftpsd.log")),
                ("syslog_enable", "NO"), ("xferlog_enable", "NO"),
                ("ssl_enable", "YES" if self.tls else "NO"), ("implicit_ssl_port", 0),
            ] + ([] if self.spares is None else [("prefork_spares", self.spares)])
            if self.tls:
                s += [("rsa_cert_file", self.cert), ("rsa_private_key_file", self.key),
                      ("require_ssl_reuse", "YES")]
        else:
            # Debian's /etc/vsftpd.conf where it matters (use_localtime,
            # xferlog_enable with the vsftpd-style log, seccomp as shipped),
            # plus the settings ftpsd gets. dirmessage/connect_from_port_20
            # are left out: ftpsd has no such features (and no active mode
            # is used here).
            s = common + [
                ("listen_ipv6", "NO"), ("background", "NO"), ("anonymous_enable", "NO"),
                ("allow_writeable_chroot", "YES"), ("use_localtime", "YES"),
                ("xferlog_enable", "YES"),
                ("vsftpd_log_file", os.path.join(self.dir, "vsftpd.log")),
            ] + ([] if self.seccomp is None else
                 [("seccomp_sandbox", "YES" if self.seccomp else "NO")]) + [
                ("ssl_enable", "YES" if self.tls else "NO"),
            ]
            if self.tls:
                s += [("rsa_cert_file", self.cert), ("rsa_private_key_file", self.key),
                      ("require_ssl_reuse", "YES"), ("force_local_logins_ssl", "YES"),
                      ("force_local_data_ssl", "YES")]
        return s

    def conf_text(self):
        return "".join(f"{k}={v}\n" for k, v in self.settings())

    def start(self):
        with open(self.conf, "w") as f:
            f.write(self.conf_text())
        cmd = ([FTPSD, "-f", "-c", self.conf] if self.daemon == "ftpsd"
               else [VSFTPD, self.conf])
        self.master = None
        self.out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.reaper = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--reaper", "--"] + cmd,
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.reaper.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.output()}")
            if self.master is None:
                kids = [p for p, v in proc_table().items() if v[2] == self.reaper.pid]
                if kids:
                    self.master = kids[0]
            if self.master is not None:
                try:
                    c = Conn(self.port, timeout=5)
                    c.reply((220,))
                    c.quit()
                    self.wait_quiet()
                    return
                except (OSError, FTPError):
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not answering on port {self.port}:\n{self.output()}")

    def output(self):
        try:
            with open(os.path.join(self.dir, "stdout.log"), errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def tree(self, table=None):
        table = table or proc_table()
        return [p for p in descendants(self.reaper.pid, table)]

    def sessions(self, table=None):
        table = table or proc_table()
        return [p for p in descendants(self.master, table) if table[p][1] != "Z"]

    def wait_quiet(self, timeout=20.0):
        """Until the tree is at rest: the same processes, none a zombie, and
        no CPU tick spent, over four samples 50 ms apart. That is the master
        alone for vsftpd, the master and its idle pre-forked spares for an
        ftpsd that has them. Only at rest is cpu() exact (no exit racing
        with the reading)."""
        deadline = time.monotonic() + timeout
        last, same = None, 0
        while True:
            t = proc_table()
            tree = descendants(self.reaper.pid, t)
            sig = (t[self.reaper.pid][4],) + tuple(sorted((p, t[p][1], t[p][3], t[p][4])
                                                          for p in tree))
            zombies = any(t[p][1] in ("Z", "X") for p in tree)
            if not zombies and sig == last:
                same += 1
                if same >= 3:
                    return True
            else:
                same = 0
            last = sig
            if time.monotonic() > deadline:
                self.notes.append(f"tree not at rest after {timeout}s: "
                                  f"{[(p, t[p][0], t[p][1]) for p in tree]}")
                return False
            time.sleep(0.05)

    def session_roots(self, conns, table):
        """The master's child serving each client connection in CONNS (found
        from the process holding the server end of its socket)."""
        ports = {c.s.getsockname()[1] for c in conns}
        inodes = {}
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name) as f:
                    next(f)
                    for line in f:
                        x = line.split()
                        lport = int(x[1].split(":")[1], 16)
                        rport = int(x[2].split(":")[1], 16)
                        if lport == self.port and rport in ports and x[9] != "0":
                            inodes[f"socket:[{x[9]}]"] = rport
            except FileNotFoundError:
                pass
        roots = {}
        for pid in descendants(self.master, table):
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    rport = inodes.get(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    continue
                if rport is None:
                    continue
                p = pid
                while p in table and table[p][2] != self.master:
                    p = table[p][2]
                if p in table:
                    roots.setdefault(rport, p)
        return roots

    def cpu(self):
        """CPU-seconds (user+system) used by every process the server ever ran:
        the reaper's reaped-children times (orphans reparented to it) plus, for
        each live process of the tree, its own and its reaped children's times.
        Exact only when the tree is quiet (call wait_quiet first)."""
        t = proc_table()
        total = t[self.reaper.pid][4]
        for p in descendants(self.reaper.pid, t):
            total += t[p][3] + t[p][4]
        return total / CLK_TCK

    def stop(self):
        if self.reaper is None or self.reaper.poll() is not None:
            return
        if self.master:
            try:
                os.kill(self.master, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.reaper.wait(5)
        except subprocess.TimeoutExpired:
            t = proc_table()
            for p in descendants(self.reaper.pid, t):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.reaper.wait(5)
            except subprocess.TimeoutExpired:
                self.reaper.kill()
                self.reaper.wait(5)
        self.out.close()


# --------------------------------------------------------------------------
# the benchmarks
# --------------------------------------------------------------------------

def curl_transfer(srv, direction, payload, size):
    url = f"ftp://{USER}:{PASSWORD}@{HOST}:{srv.port}/"
    cmd = ["curl", "-sS", "--max-time", "600", "-w", "%{json}"]
    if srv.tls:
        cmd += ["--ssl-reqd", "-k"]
    if direction == "download":
        cmd += ["-o", "/dev/null", url + "big.bin"]
    else:
        cmd += ["-T", payload, url + "up.bin"]
    up = os.path.join(srv.home, "up.bin")
    if direction == "upload":
        os.sync()                       # earlier writes must not be flushed now
    srv.wait_quiet()
    cpu0 = srv.cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m0 = machine_busy_s()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=700)
    m1 = machine_busy_s()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    srv.wait_quiet()
    cpu1 = srv.cpu()
    if r.returncode != 0:
        raise RuntimeError(f"{srv.name} {direction}: curl exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace')}")
    w = json.loads(r.stdout.decode().strip().splitlines()[-1])
    n = w["size_download"] if direction == "download" else w["size_upload"]
    if direction == "upload":
        on_disk = os.path.getsize(up)
        os.unlink(up)                   # before its pages are written back
        if on_disk != size:
            raise RuntimeError(f"{srv.name} upload: {on_disk} bytes on disk, want {size}")
    if n != size:
        raise RuntimeError(f"{srv.name} {direction}: {n} bytes, want {size}")
    data_time = w["time_total"] - w["time_pretransfer"]
    return {
        "bytes": n,
        "time_total_s": w["time_total"],
        "time_pretransfer_s": w["time_pretransfer"],
        "mb_per_s": n / 1e6 / data_time,
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_per_gib": (cpu1 - cpu0) / (n / GiB),
        "client_cpu_s": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
        "machine_busy_cpu_s": m1 - m0,
        "other_cpu_s": (m1 - m0) - (cpu1 - cpu0) -
                       ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)),
    }


def bench_transfers(servers, payload, size, runs):
    out = {}
    pairs = [("ftps", "download"), ("ftps", "upload"), ("plain", "download"),
             ("plain", "upload")]
    for run_i in range(runs):
        for mode, direction in pairs:
            order = ["ftpsd", "vsftpd"] if run_i % 2 == 0 else ["vsftpd", "ftpsd"]
            for d in order:
                srv = servers[(d, mode == "ftps")]
                res = curl_transfer(srv, direction, payload, size)
                out.setdefault(f"{mode}_{direction}", {}).setdefault(d, []).append(res)
                log(f"  run {run_i + 1}/{runs} {mode:5} {direction:8} {d:6}: "
                    f"{res['mb_per_s']:7.0f} MB/s  {res['server_cpu_per_gib']:.3f} CPU-s/GiB")
    return out


STEPS = ("banner", "tls", "user", "pass", "quit")


def one_login(port, ctx, steps=None):
    """One FTPS login; returns its duration, and adds each step's to STEPS."""
    t = [time.perf_counter()]
    c = Conn(port)
    try:
        c.reply((220,))
        t.append(time.perf_counter())
        c.starttls(ctx)
        t.append(time.perf_counter())
        c.cmd(f"USER {USER}", (331,))
        t.append(time.perf_counter())
        c.cmd(f"PASS {PASSWORD}", (230,))
        t.append(time.perf_counter())
        c.cmd("QUIT", (221,))
        t.append(time.perf_counter())
    finally:
        c.close()
    if steps is not None:
        for name, a, b in zip(STEPS, t, t[1:]):
            steps.setdefault(name, []).append(b - a)
    return t[-1] - t[0]


def login_worker(args):
    port, seconds, start_at = args
    ctx = client_ctx()
    while time.time() < start_at:
        time.sleep(0.001)
    t_end = time.monotonic() + seconds
    t0 = time.monotonic()
    n, errors, lat, first_err, steps = 0, 0, [], None, {}
    while time.monotonic() < t_end:
        try:
            lat.append(one_login(port, ctx, steps))
            n += 1
        except Exception as e:          # counted, and the first one reported
            errors += 1
            first_err = first_err or f"{type(e).__name__}: {e}"
            time.sleep(0.01)
    return n, errors, time.monotonic() - t0, lat, first_err, steps


def worker_init():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def login_chunk(srv, seconds, parallel):
    srv.wait_quiet()
    cpu0 = srv.cpu()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ru_self0 = resource.getrusage(resource.RUSAGE_SELF)
    m0 = machine_busy_s()
    if parallel == 1:
        results = [login_worker((srv.port, seconds, 0))]
    else:
        mp = multiprocessing.get_context("fork")
        with mp.Pool(parallel, initializer=worker_init) as pool:
            start_at = time.time() + 0.3
            results = pool.map(login_worker, [(srv.port, seconds, start_at)] * parallel)
            pool.close()
            pool.join()
    m1 = machine_busy_s()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    ru_self1 = resource.getrusage(resource.RUSAGE_SELF)
    srv.wait_quiet()
    cpu1 = srv.cpu()
    client = ((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime) +
              (ru_self1.ru_utime + ru_self1.ru_stime) - (ru_self0.ru_utime + ru_self0.ru_stime))
    return {"logins": sum(r[0] for r in results), "errors": sum(r[1] for r in results),
            "elapsed_s": max(r[2] for r in results),
            "lat": [x for r in results for x in r[3]],
            "steps": {k: [x for r in results for x in r[5].get(k, [])] for k in STEPS},
            "first_error": next((r[4] for r in results if r[4]), None),
            "server_cpu_s": cpu1 - cpu0, "client_cpu_s": client,
            "other_cpu_s": (m1 - m0) - (cpu1 - cpu0) - client}


def bench_logins(pair, seconds, parallel):
    """Logins for SECONDS per server, in four half-length chunks A B B A so
    that a change in the machine's background load hits both servers alike."""
    acc = {}
    a, b = pair
    for srv in (a, b, b, a):
        r = login_chunk(srv, seconds / 2, parallel)
        t = acc.setdefault(srv.daemon, {"logins": 0, "errors": 0, "elapsed_s": 0.0, "lat": [],
                                        "steps": {k: [] for k in STEPS},
                                        "first_error": None, "server_cpu_s": 0.0,
                                        "client_cpu_s": 0.0, "other_cpu_s": 0.0})
        for k in ("logins", "errors", "elapsed_s", "server_cpu_s", "client_cpu_s",
                  "other_cpu_s"):
            t[k] += r[k]
        t["lat"] += r["lat"]
        for k in STEPS:
            t["steps"][k] += r["steps"][k]
        t["first_error"] = t["first_error"] or r["first_error"]
    out = {}
    for d, t in acc.items():
        n, lat, steps = t["logins"], t.pop("lat"), t.pop("steps")
        t.update({
            "step_ms_median": {k: round((median(v) or 0) * 1000, 2) for k, v in steps.items()},
            "per_s": n / t["elapsed_s"] if t["elapsed_s"] else 0,
            "latency_ms_median": (median(lat) or 0) * 1000,
            "latency_ms_p90": (pct(lat, 90) or 0) * 1000,
            "server_cpu_ms_per_login": t["server_cpu_s"] / n * 1000 if n else None,
            "client_cpu_ms_per_login": t["client_cpu_s"] / n * 1000 if n else None,
        })
        out[d] = t
    return out


def bench_banner(srv, count):
    lat = []
    for _ in range(count):
        t0 = time.perf_counter()
        c = Conn(srv.port)
        try:
            c.reply((220,))
            lat.append(time.perf_counter() - t0)
            c.cmd("QUIT", (221,))
        finally:
            c.close()
    srv.wait_quiet()
    return {"count": count, "ms_median": median(lat) * 1000, "ms_p90": pct(lat, 90) * 1000,
            "ms_min": min(lat) * 1000}


def tree_pss(srv, table):
    return sum(smaps_rollup(p).get("Pss", 0) for p in descendants(srv.reaper.pid, table))


def bench_memory(srv, n, ctx):
    srv.wait_quiet()
    t = proc_table()
    idle_tree = tree_pss(srv, t)
    idle_procs = len(descendants(srv.reaper.pid, t))
    conns = []
    try:
        for _ in range(n):
            c = Conn(srv.port)
            conns.append(c)
            c.reply((220,))
            c.login(ctx, prot_p=True)
        time.sleep(1.0)
        for c in conns:                 # all still alive and answering
            c.cmd("NOOP", (200,))
        time.sleep(0.5)
        t = proc_table()
        roots = srv.session_roots(conns, t)
        if len(set(roots.values())) != n:
            raise RuntimeError(f"{srv.name}: found {len(set(roots.values()))} session "
                               f"processes for {n} connections")
        procs = sorted({p for r in set(roots.values()) for p in [r] + descendants(r, t)})
        pss = rss = 0
        by_comm = {}
        for p in procs:
            m = smaps_rollup(p)
            pss += m.get("Pss", 0)
            rss += m.get("Rss", 0)
            e = by_comm.setdefault(t[p][0], {"count": 0, "pss_kib": 0})
            e["count"] += 1
            e["pss_kib"] += m.get("Pss", 0)
        others = [p for p in descendants(srv.master, t) if p not in procs]
        others_pss = sum(smaps_rollup(p).get("Pss", 0) for p in others)
        busy_tree = tree_pss(srv, t)
        master = smaps_rollup(srv.master)
    finally:
        for c in conns:
            try:
                c.quit()
            except Exception:
                c.close()
    srv.wait_quiet()
    return {"sessions": n, "processes": len(procs), "procs_per_session": len(procs) / n,
            "pss_kib_total": pss, "pss_kib_per_session": pss / n,
            "rss_kib_per_session": rss / n, "by_process_name": by_comm,
            "master_pss_kib": master.get("Pss", 0),
            "other_processes": len(others), "other_pss_kib": others_pss,
            "idle_tree_processes": idle_procs, "idle_tree_pss_kib": idle_tree,
            "busy_tree_pss_kib": busy_tree,
            "marginal_pss_kib_per_session": (busy_tree - idle_tree) / n}


def bench_list(srv, ctx, reps, nfiles):
    c = Conn(srv.port)
    try:
        c.reply((220,))
        c.login(ctx, prot_p=True)
        c.cmd("TYPE A", (200,))
        data = c.data("LIST list20k", ctx)             # warm-up, not timed
        lines = [ln for ln in data.split(b"\r\n") if ln.strip()]
        times, waits, marks = [], [], {}
        for _ in range(reps):
            t0 = time.perf_counter()
            data = c.data("LIST list20k", ctx)
            times.append(time.perf_counter() - t0)
            waits.append(c.completion_wait)
            for k, v in c.marks.items():
                marks.setdefault(k, []).append(v)
        c.quit()
    finally:
        c.close()
    srv.wait_quiet()
    files = [ln for ln in lines if not ln.startswith(b"total")]
    if len(files) != nfiles:
        raise RuntimeError(f"{srv.name}: LIST gave {len(files)} lines, want {nfiles}")
    return {"reps": reps, "s_median": median(times), "s_min": min(times),
            "times_s": times, "bytes": len(data), "lines": len(files),
            "ms_from_data_eof_to_226_median": median(waits) * 1000,
            "step_ms_median": {k: round(median(v), 2) for k, v in marks.items()}}


def probe(srv, ctx):
    """LIST, RETR, STOR: the paths a seccomp sandbox could break."""
    c = Conn(srv.port, timeout=10)
    try:
        c.reply((220,))
        c.login(ctx, prot_p=True)
        c.cmd("TYPE I", (200,))
        if b"probe.txt" not in c.data("LIST", ctx):
            raise FTPError("LIST does not show probe.txt")
        if c.data("RETR probe.txt", ctx) != b"probe\n":
            raise FTPError("RETR probe.txt: wrong content")
        c.data("STOR probe-up.txt", ctx, payload=b"x" * 100000)
        c.quit()
    finally:
        c.close()
    up = os.path.join(srv.home, "probe-up.txt")
    if os.path.getsize(up) != 100000:
        raise FTPError("STOR probe-up.txt: wrong size on disk")
    os.unlink(up)
    srv.wait_quiet()


# --------------------------------------------------------------------------
# setup and cleanup
# --------------------------------------------------------------------------

class Env:
    def __init__(self, args):
        self.args = args
        self.created_user = False
        self.created_pam = False
        self.work = None
        self.servers = {}
        self.notes = []

    def setup_user(self, home):
        try:
            pw = pwd.getpwnam(USER)
            if GECOS_MARK not in pw.pw_gecos:
                raise RuntimeError(f"user {USER} exists and was not made by this benchmark; "
                                   "remove it or rename it first")
            log(f"user {USER} left over from an earlier run: reusing, removed at the end")
            run(["usermod", "-d", home, USER])
        except KeyError:
            run(["useradd", "-M", "-d", home, "-s", "/bin/bash", "-c", GECOS_MARK, USER])
        self.created_user = True
        self.set_password()

    def set_password(self, method=None):
        cmd = ["chpasswd"] + (["-c", method[0], "-s", str(method[1])] if method else [])
        run(cmd, input=f"{USER}:{PASSWORD}\n".encode())
        with open("/etc/shadow") as f:
            for line in f:
                if line.startswith(USER + ":"):
                    h = line.split(":")[1]
        return h

    def setup_pam(self):
        if os.path.exists(PAM_DST):
            with open(PAM_DST) as f, open(PAM_SRC) as g:
                if f.read() != g.read():
                    raise RuntimeError(f"{PAM_DST} exists with other content; not touching it")
            log(f"{PAM_DST} exists (same content as {PAM_SRC}): using it, leaving it")
            return
        shutil.copyfile(PAM_SRC, PAM_DST)
        os.chmod(PAM_DST, 0o644)
        self.created_pam = True

    def cleanup(self):
        for srv in self.servers.values():
            try:
                srv.stop()
            except Exception as e:
                log(f"stopping {srv.name}: {e}")
        if self.created_user:
            run(["userdel", USER], check=False)
            if run(["getent", "group", USER], check=False).returncode == 0:
                run(["groupdel", USER], check=False)
        if self.created_pam:
            try:
                os.unlink(PAM_DST)
            except FileNotFoundError:
                pass
        if self.work and os.path.isdir(self.work):
            if self.args.keep_workdir:
                log(f"work directory kept: {self.work}")
            else:
                shutil.rmtree(self.work, ignore_errors=True)


def make_payload(size):
    os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
    path = os.path.join(CACHE_DIR, f"payload-{size}.bin")
    if os.path.exists(path) and os.path.getsize(path) == size:
        log(f"payload {path} (cached)")
    else:
        log(f"generating {size >> 20} MiB of random data in {path} (kept for later runs)")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            left = size
            while left:
                n = min(left, 1 << 20)
                f.write(os.urandom(n))
                left -= n
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    with open(path, "rb") as f:     # into the page cache: measure the servers, not the disk
        while f.read(1 << 22):
            pass
    return path


def versions():
    v = {}
    try:
        v["ftpsd_git"] = run(["git", "-C", REPO, "rev-parse", "HEAD"]).stdout.decode().strip()
    except Exception:
        v["ftpsd_git"] = None
    for pkg in ("vsftpd", "curl", "openssl", "libssl3", "libpam-modules"):
        r = run(["dpkg-query", "-W", "-f", "${Version}", pkg], check=False)
        v[pkg] = r.stdout.decode() if r.returncode == 0 else None
    try:
        import hashlib
        with open(FTPSD, "rb") as f:
            v["ftpsd_binary_sha256"] = hashlib.sha256(f.read()).hexdigest()
        v["ftpsd_binary_mtime"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(FTPSD)).astimezone().isoformat(timespec="seconds")
    except OSError:
        pass
    v["kernel"] = platform.release()
    v["python"] = platform.python_version()
    return v


def session_sandbox(srv, ctx):
    """comm, uid, Seccomp and NoNewPrivs of the processes of one logged-in
    session."""
    c = Conn(srv.port)
    out = []
    try:
        c.reply((220,))
        c.login(ctx if srv.tls else None)
        c.cmd("NOOP", (200,))
        t = proc_table()
        for r in set(srv.session_roots([c], t).values()):
            for p in [r] + descendants(r, t):
                try:
                    with open(f"/proc/{p}/status") as f:
                        st = dict(ln.rstrip("\n").split(":\t", 1) for ln in f if ":\t" in ln)
                except OSError:
                    continue
                out.append({"comm": st.get("Name"), "uid": st.get("Uid", "").split("\t")[1],
                            "Seccomp": st.get("Seccomp"), "NoNewPrivs": st.get("NoNewPrivs")})
        c.quit()
    finally:
        c.close()
    srv.wait_quiet()
    return out


def tls_info(srv, ctx):
    c = Conn(srv.port)
    try:
        c.reply((220,))
        c.starttls(ctx)
        info = {"version": c.s.version(), "cipher": c.s.cipher()[0]}
        c.cmd("QUIT", (221,))
    finally:
        c.close()
    srv.wait_quiet()
    return info


def hash_cost_ms(h):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import crypt
        except ImportError:
            return None
    t0 = time.perf_counter()
    for _ in range(5):
        if crypt.crypt(PASSWORD, h) != h:
            return None
    return (time.perf_counter() - t0) / 5 * 1000


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------

def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def build_summary(R):
    rows = []

    def add(key, label, unit, f, fs_val, vs_val, higher_better, target=None, target_ok=None):
        r = ratio(fs_val, vs_val)
        better = None
        if fs_val is not None and vs_val is not None:
            better = ("ftpsd" if (fs_val > vs_val) == higher_better else "vsftpd")
            if fs_val == vs_val:
                better = "tie"
        rows.append({"key": key, "label": label, "unit": unit, "fmt": f,
                     "ftpsd": fs_val, "vsftpd": vs_val, "ratio": r,
                     "higher_is_better": higher_better, "better": better,
                     "target": target, "target_met": target_ok})

    T = R.get("transfers", {})
    for mode in ("ftps", "plain"):
        for d in ("download", "upload"):
            k = f"{mode}_{d}"
            if k not in T:
                continue
            fs = T[k]["ftpsd"]
            vs = T[k]["vsftpd"]
            add(f"{k}_mb_per_s", f"{mode.upper()} {d} throughput", "MB/s", "{:.0f}",
                median([x["mb_per_s"] for x in fs]), median([x["mb_per_s"] for x in vs]), True)
            fcpu = median([x["server_cpu_per_gib"] for x in fs])
            tgt = ok = None
            if k == "ftps_download":
                tgt, ok = TARGETS["ftps_download_cpu_per_gib"], fcpu <= 0.5
            add(f"{k}_cpu_per_gib", f"{mode.upper()} {d} server CPU", "CPU-s/GiB", "{:.3f}",
                fcpu, median([x["server_cpu_per_gib"] for x in vs]), False, tgt, ok)
    L = R.get("logins", {})
    for k, label in (("default_seq", "FTPS logins, sequential"),
                     ("default_par8", "FTPS logins, 8 parallel"),
                     ("cheap_seq", "FTPS logins, sequential, cheap hash"),
                     ("cheap_par8", "FTPS logins, 8 parallel, cheap hash")):
        if k not in L:
            continue
        fs, vs = L[k]["ftpsd"], L[k]["vsftpd"]
        tgt = ok = None
        if k.startswith("default"):
            tk = "ftps_logins_seq_per_s" if k.endswith("seq") else "ftps_logins_par8_per_s"
            rr = ratio(fs["per_s"], vs["per_s"])
            tgt, ok = TARGETS[tk], rr is not None and rr >= 2.0
        add(f"logins_{k}_per_s", label, "logins/s", "{:.1f}", fs["per_s"], vs["per_s"], True,
            tgt, ok)
        add(f"logins_{k}_cpu_ms", label + ": server CPU", "ms/login", "{:.2f}",
            fs["server_cpu_ms_per_login"], vs["server_cpu_ms_per_login"], False)
        add(f"logins_{k}_latency_ms", label + ": latency median", "ms", "{:.1f}",
            fs["latency_ms_median"], vs["latency_ms_median"], False)
    for k, r in R.get("logins_nospares", {}).items():
        if k in L and r.get("elapsed_s"):
            add(f"logins_{k}_nospares_per_s",
                f"FTPS logins ({k}), ftpsd WITHOUT spares vs vsftpd", "logins/s", "{:.1f}",
                r["logins"] / r["elapsed_s"], L[k]["vsftpd"]["per_s"], True)
    if "banner" in R and "ftpsd_nospares" in R["banner"]:
        add("banner_nospares_ms", "time to first banner, ftpsd WITHOUT spares vs vsftpd",
            "ms", "{:.2f}", R["banner"]["ftpsd_nospares"]["ms_median"],
            R["banner"]["vsftpd"]["ms_median"], False)
    if "banner" in R:
        add("banner_ms", "time to first banner (median)", "ms", "{:.2f}",
            R["banner"]["ftpsd"]["ms_median"], R["banner"]["vsftpd"]["ms_median"], False)
    if "memory" in R:
        fs, vs = R["memory"]["ftpsd"], R["memory"]["vsftpd"]
        add("idle_session_pss_kib", f"PSS per idle FTPS session (N={fs['sessions']})", "KiB",
            "{:.0f}", fs["pss_kib_per_session"], vs["pss_kib_per_session"], False,
            TARGETS["idle_session_pss_kib"], fs["pss_kib_per_session"] <= 600)
        add("idle_session_marginal_pss_kib", "  whole tree PSS growth per session", "KiB",
            "{:.0f}", fs["marginal_pss_kib_per_session"], vs["marginal_pss_kib_per_session"],
            False)
        add("idle_session_procs", "processes per idle FTPS session", "procs", "{:.1f}",
            fs["procs_per_session"], vs["procs_per_session"], False)
        add("idle_tree_procs", "server processes when idle (master, spares)", "procs", "{:.0f}",
            fs["idle_tree_processes"], vs["idle_tree_processes"], False)
    if "list" in R:
        for mode in ("ftps", "plain"):
            if mode not in R["list"]:
                continue
            fs, vs = R["list"][mode]["ftpsd"], R["list"][mode]["vsftpd"]
            tgt = ok = None
            if mode == "ftps":
                tgt, ok = TARGETS["list20k_ftps_s"], fs["s_median"] < 0.27
            add(f"list20k_{mode}_s", f"LIST {fs['lines']:,} files, {mode.upper()} (median)", "s",
                "{:.3f}", fs["s_median"], vs["s_median"], False, tgt, ok)
    return rows


def print_table(rows, meta):
    hdr = ("metric", "unit", "ftpsd", "vsftpd", "ftpsd/vsftpd", "better", "target")
    lines = []
    for r in rows:
        f = r["fmt"]
        tgt = ""
        if r["target"]:
            tgt = ("MET  " if r["target_met"] else "MISSED ") + r["target"]
        lines.append((r["label"], r["unit"],
                      f.format(r["ftpsd"]) if r["ftpsd"] is not None else "-",
                      f.format(r["vsftpd"]) if r["vsftpd"] is not None else "-",
                      f"{r['ratio']:.2f}" if r["ratio"] is not None else "-",
                      r["better"] or "-", tgt))
    w = [max(len(str(x[i])) for x in lines + [hdr]) for i in range(len(hdr))]
    out = []
    out.append("  ".join(h.ljust(w[i]) if i in (0, 1, 5, 6) else h.rjust(w[i])
                         for i, h in enumerate(hdr)))
    out.append("  ".join("-" * x for x in w))
    for ln in lines:
        out.append("  ".join(str(v).ljust(w[i]) if i in (0, 1, 5, 6) else str(v).rjust(w[i])
                             for i, v in enumerate(ln)).rstrip())
    print()
    print(f"ftpsd {(meta['versions'].get('ftpsd_git') or '?')[:12]} vs vsftpd "
          f"{meta['versions'].get('vsftpd')} - {meta['nproc']} CPUs, "
          f"{meta['date']}")
    print("\n".join(out))
    print()
    for n in meta["notes"]:
        print("note: " + n)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="ftpsd vs vsftpd benchmark (run as root)")
    ap.add_argument("--size-mib", type=int, default=1024, help="transfer size (default 1024)")
    ap.add_argument("--runs", type=int, default=3, help="runs per transfer (median reported)")
    ap.add_argument("--login-seconds", type=float, default=10.0)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--sessions", type=int, default=50, help="idle sessions for the PSS test")
    ap.add_argument("--list-files", type=int, default=20000)
    ap.add_argument("--list-reps", type=int, default=5)
    ap.add_argument("--banner-count", type=int, default=200)
    ap.add_argument("--no-cheap-hash", action="store_true",
                    help="skip the logins with a cheap password hash (SHA-512, 1000 rounds)")
    ap.add_argument("--only", default="banner,transfers,list,logins,memory",
                    help="comma list of: banner,transfers,list,logins,memory")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 64 MiB, 1 run, 2 s logins, 2,000 files")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--keep-workdir", action="store_true")
    ap.add_argument("--clean-cache", action="store_true",
                    help="remove the cached payload(s) in " + CACHE_DIR + " and exit")
    args = ap.parse_args()
    if args.quick:
        args.size_mib, args.runs, args.login_seconds = 64, 1, 2.0
        args.list_files, args.list_reps, args.banner_count = 2000, 2, 30
    only = set(args.only.split(","))

    if args.clean_cache:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
        log(f"removed {CACHE_DIR}")
        return 0
    if os.geteuid() != 0:
        sys.exit("ftpbench: run as root (sudo bench/run.sh)")
    for p in (FTPSD, VSFTPD, shutil.which("curl"), shutil.which("openssl"), PAM_SRC):
        if not p or not os.path.exists(p):
            sys.exit(f"ftpbench: missing {p}")

    size = args.size_mib << 20
    t_start = time.monotonic()
    env = Env(args)

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    R = {}
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(), "nproc": os.cpu_count(),
        "mem_total_kib": None, "loadavg_start": loadavg(), "versions": versions(),
        "settings": {"size_bytes": size, "runs": args.runs,
                     "login_seconds": args.login_seconds, "parallel": args.parallel,
                     "sessions": args.sessions, "list_files": args.list_files,
                     "list_reps": args.list_reps, "banner_count": args.banner_count},
        "cpu_method": ("each server runs under its own reaper process (prctl "
                       "PR_SET_CHILD_SUBREAPER), so every process of its tree is reaped "
                       "either by its parent or by the reaper; with the tree quiet (the "
                       "master alone) before and after a test, server CPU = reaper's "
                       "cutime+cstime + master's utime+stime+cutime+cstime from "
                       "/proc/PID/stat; the test's cost is the difference"),
        "notes": env.notes,
    }
    with open("/proc/meminfo") as f:
        meta["mem_total_kib"] = int(f.readline().split()[1])
    busy = [f"{v[0]}({p})" for p, v in proc_table().items()
            if v[0] in ("ftpsd-master", "vsftpd", "pytest", "ftpbench.py") and p != MAIN_PID]
    if busy:
        env.notes.append("other FTP servers/test runs were active on this machine during "
                         f"the run: {', '.join(busy[:8])} - numbers may be noisy")
    rc = 0
    try:
        env.work = tempfile.mkdtemp(prefix="ftpsd-bench.", dir="/var/tmp")
        os.chmod(env.work, 0o755)
        home = os.path.join(env.work, "home")
        os.makedirs(home)
        env.setup_pam()
        env.setup_user(home)
        pw = pwd.getpwnam(USER)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        os.chmod(home, 0o755)
        default_hash = env.set_password()
        meta["password_hash"] = {"default_prefix": default_hash[:default_hash.find("$", 4) + 1]
                                 if default_hash.startswith("$") else default_hash[:3],
                                 "default_verify_ms": hash_cost_ms(default_hash)}

        cert, key = os.path.join(env.work, "cert.pem"), os.path.join(env.work, "key.pem")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"])
        os.chmod(key, 0o600)

        with open(os.path.join(home, "probe.txt"), "w") as f:
            f.write("probe\n")
        os.chown(os.path.join(home, "probe.txt"), pw.pw_uid, pw.pw_gid)
        if "transfers" in only:
            payload = make_payload(size)
            big = os.path.join(home, "big.bin")
            try:
                os.link(payload, big)
            except OSError:
                log("payload is on another file system than the home: copying")
                shutil.copyfile(payload, big)
                os.chmod(big, 0o644)
        if "list" in only:
            log(f"creating {args.list_files} files for LIST")
            d = os.path.join(home, "list20k")
            os.mkdir(d)
            for i in range(args.list_files):
                p = os.path.join(d, f"file-{i:05d}.dat")
                with open(p, "wb") as f:
                    f.write(b"x" * (i % 4096))
                os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chown(d, pw.pw_uid, pw.pw_gid)

        ctx = client_ctx()
        for daemon in ("ftpsd", "vsftpd"):
            for tls in (True, False):
                srv = Server(daemon, tls, env.work, home, cert, key)
                env.servers[(daemon, tls)] = srv
                # vsftpd: seccomp_sandbox=YES first; if that breaks, the key
                # left out as Debian's /etc/vsftpd.conf does; then NO.
                modes = [True, None, False] if daemon == "vsftpd" else [True]
                for i, mode in enumerate(modes):
                    srv.seccomp = mode
                    srv.start()
                    try:
                        probe(srv, ctx if tls else None)
                        break
                    except (OSError, FTPError, ssl.SSLError) as e:
                        if i == len(modes) - 1:
                            raise RuntimeError(f"{srv.name} fails the probe: {e}\n"
                                               f"{srv.output()}")
                        srv.stop()
                        srv.broken_with.append((mode, f"{type(e).__name__}: {e}"))
                        log(f"{srv.name}: broken with seccomp_sandbox="
                            f"{'YES' if mode else 'NO'}: {e}")
                log(f"{srv.name} up: port {srv.port}, master pid {srv.master}")
        fs, vs = env.servers[("ftpsd", True)], env.servers[("vsftpd", True)]
        # The same ftpsd without pre-forked spares, for the pool's effect on
        # logins and the first banner (issue: "with and without spares").
        ns = Server("ftpsd", True, env.work, home, cert, key, spares=0)
        env.servers[("ftpsd-nospares", True)] = ns
        ns.start()
        probe(ns, ctx)
        meta["tls"] = {"ftpsd": tls_info(fs, ctx), "vsftpd": tls_info(vs, ctx)}
        meta["session_sandbox"] = {"ftpsd": session_sandbox(fs, ctx),
                                   "vsftpd": session_sandbox(vs, ctx)}
        meta["vsftpd_seccomp_sandbox"] = {
            s.name: {True: "YES", False: "NO", None: "not set (Debian's default)"}[s.seccomp]
            for s in env.servers.values() if s.daemon == "vsftpd"}
        for s in env.servers.values():
            if s.daemon != "vsftpd":
                continue
            if not s.broken_with:
                env.notes.append(f"{s.name}: seccomp_sandbox=YES works on this system; "
                                 "benchmarked with it")
                continue
            sc = sorted({p["Seccomp"] for p in meta["session_sandbox"]["vsftpd"]})
            env.notes.append(
                f"{s.name}: seccomp_sandbox=YES breaks vsftpd on this system "
                f"({s.broken_with[0][1]}); benchmarked with seccomp_sandbox "
                f"{meta['vsftpd_seccomp_sandbox'][s.name]}"
                + (f" - Debian's build has it off by default (its session processes show "
                   f"Seccomp: {', '.join(sc)})" if s.seccomp is None else ""))
        meta["configs"] = {s.name: s.conf_text() for s in env.servers.values()}

        if "banner" in only:
            log(f"time to first banner, {args.banner_count} connections each")
            R["banner"] = {"ftpsd": bench_banner(fs, args.banner_count),
                           "vsftpd": bench_banner(vs, args.banner_count),
                           "ftpsd_nospares": bench_banner(ns, args.banner_count)}
        if "transfers" in only:
            log(f"transfers of {size >> 20} MiB, {args.runs} runs each")
            R["transfers"] = bench_transfers(env.servers, payload, size, args.runs)
        if "list" in only:
            R["list"] = {}
            for mode, tls in (("ftps", True), ("plain", False)):
                log(f"LIST of {args.list_files} files, {mode}")
                R["list"][mode] = {
                    d: bench_list(env.servers[(d, tls)], ctx if tls else None,
                                  args.list_reps, args.list_files)
                    for d in ("ftpsd", "vsftpd")}
        if "logins" in only:
            R["logins"] = {}
            variants = [("default", None)]
            if not args.no_cheap_hash:
                variants.append(("cheap", ("SHA512", 1000)))
            for label, method in variants:
                h = env.set_password(method)
                meta["password_hash"][label + "_verify_ms"] = hash_cost_ms(h)
                meta["password_hash"][label + "_prefix"] = h[:h.find("$", 4) + 1]
                for par in (1, args.parallel):
                    k = f"{label}_{'seq' if par == 1 else f'par{par}'}"
                    log(f"logins {k}: {args.login_seconds:g} s per server (A B B A)")
                    pair = ((fs, vs) if par == 1 else (vs, fs))
                    R["logins"][k] = bench_logins(pair, args.login_seconds, par)
                    if label == "default":
                        log(f"logins {k}: ftpsd without spares")
                        R.setdefault("logins_nospares", {})[k] = login_chunk(
                            ns, args.login_seconds, par)
                    for d, res in R["logins"][k].items():
                        cpu = res["server_cpu_ms_per_login"]
                        log(f"  {d:6}: {res['per_s']:.1f}/s, "
                            f"{cpu if cpu is None else round(cpu, 2)} ms server CPU per login, "
                            f"latency {res['latency_ms_median']:.1f} ms, "
                            f"{res['errors']} errors {res['first_error'] or ''}")
                        if res["errors"]:
                            env.notes.append(f"logins {k} {d}: {res['errors']} errors, "
                                             f"first: {res['first_error']}")
                if label == "default" and "memory" in only:
                    log(f"memory: {args.sessions} idle FTPS sessions each")
                    R["memory"] = {d: bench_memory(env.servers[(d, True)], args.sessions, ctx)
                                   for d in ("ftpsd", "vsftpd")}
            env.set_password()
        elif "memory" in only:
            log(f"memory: {args.sessions} idle FTPS sessions each")
            R["memory"] = {d: bench_memory(env.servers[(d, True)], args.sessions, ctx)
                           for d in ("ftpsd", "vsftpd")}
        for s in env.servers.values():
            for n in s.notes:
                env.notes.append(f"{s.name}: {n}")
    except KeyboardInterrupt as e:
        log(f"interrupted ({e}); cleaning up")
        rc = 130
    except Exception as e:
        log(f"FAILED: {type(e).__name__}: {e}")
        rc = 1
    finally:
        env.cleanup()

    meta["loadavg_end"] = loadavg()
    meta["duration_s"] = round(time.monotonic() - t_start, 1)
    loads = []
    for k, per in R.get("transfers", {}).items():
        for d, runs in per.items():
            loads += [x["other_cpu_s"] / x["time_total_s"] for x in runs if x["time_total_s"]]
    for k, per in R.get("logins", {}).items():
        for d, x in per.items():
            if x["elapsed_s"]:
                loads.append(x["other_cpu_s"] / x["elapsed_s"])
    if loads:
        meta["other_load_cpus"] = {"max": max(loads), "median": median(loads)}
        if max(loads) > 0.25:
            env.notes.append(
                f"CPU used by other processes (not the servers, not the clients) during the "
                f"measurements: median {median(loads):.2f}, max {max(loads):.2f} of "
                f"{os.cpu_count()} CPUs - numbers are noisy; rerun on a quiet machine")
    if max(meta["loadavg_start"][0], meta["loadavg_end"][0]) > 0.5 * os.cpu_count():
        env.notes.append(f"load average at start {meta['loadavg_start'][0]:.2f}, at end "
                         f"{meta['loadavg_end'][0]:.2f} on {os.cpu_count()} CPUs")
    ph = meta.get("password_hash", {})
    L = R.get("logins", {})
    if "default_seq" in L and "cheap_seq" in L:
        diff = {d: L["default_seq"][d]["server_cpu_ms_per_login"] -
                L["cheap_seq"][d]["server_cpu_ms_per_login"]
                for d in ("ftpsd", "vsftpd")
                if L["default_seq"][d]["server_cpu_ms_per_login"] is not None and
                L["cheap_seq"][d]["server_cpu_ms_per_login"] is not None}
        env.notes.append(
            f"the user's default password hash ({ph.get('default_prefix')}, what chpasswd "
            f"makes on this system) costs "
            + ", ".join(f"{d} {v:.1f}" for d, v in diff.items())
            + " ms of server CPU per login more than SHA-512/1000 rounds (cheap-hash rows); "
            f"crypt() of it in this process alone: {ph.get('default_verify_ms') or 0:.1f} ms")
    for k in ("cheap_seq", "default_seq"):
        if k in L:
            env.notes.append(f"login steps, median ms ({k}): " + "; ".join(
                f"{d} " + " ".join(f"{s}={v:g}" for s, v in L[k][d]["step_ms_median"].items())
                for d in ("ftpsd", "vsftpd") if d in L[k]))
            break
    if "list" in R and "ftps" in R["list"]:
        env.notes.append("LIST over FTPS, median ms to each step from the one before: " +
                         "; ".join(f"{d} " + " ".join(
                             f"{k}={v:g}"
                             for k, v in R["list"]["ftps"][d]["step_ms_median"].items())
                             for d in ("ftpsd", "vsftpd")))
    if meta.get("tls"):
        env.notes.append("TLS negotiated: " + ", ".join(
            f"{d} {v['version']} {v['cipher']}" for d, v in meta["tls"].items()))
    if rc == 0 or R:
        rows = build_summary(R)
        doc = {"meta": meta, "summary": {r["key"]: {k: r[k] for k in
                                                    ("label", "unit", "ftpsd", "vsftpd", "ratio",
                                                     "higher_is_better", "better", "target",
                                                     "target_met")} for r in rows},
               "raw": R, "complete": rc == 0}
        out = args.out
        if rc != 0:     # never overwrite a complete result with a partial one
            out = (out[:-5] if out.endswith(".json") else out) + ".partial.json"
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out + ".tmp", "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        os.rename(out + ".tmp", out)
        print_table(rows, meta)
        print(f"JSON: {out}   (run took {meta['duration_s']:.0f} s)"
              + ("" if rc == 0 else " - INCOMPLETE RUN"))
    return rc


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--reaper" and sys.argv[2] == "--":
        reaper_main(sys.argv[3:])
    sys.exit(main())
