#!/usr/bin/python3
"""ftpsd vs vsftpd, ProFTPD and Pure-FTPd, side by side, on loopback.

Run it as root through bench/run.sh (which checks the tools and gets the
peer daemons first); see bench/README.md for what each number means.
Debian's python3 and its standard library only; clients are curl
(transfers) and raw sockets + the ssl module (logins, banner, idle
sessions, LIST, scale).

What it changes on the machine, all undone at the end (also on Ctrl-C):
  - user `ftpsd-bench` (created with a marker in its GECOS field, deleted);
  - PAM service /etc/pam.d/ftpsd-bench (a copy of etc/pam.d/ftpsd), and
    /etc/pam.d/pure-ftpd (the same copy: Pure-FTPd's PAM service name is
    fixed; an existing file is saved and put back);
  - a work directory /var/tmp/ftpsd-bench.XXXX (configs, certificate, logs,
    the user's home with the 20,000-file directory and the uploads);
  - the server process trees it starts (each under its own reaper process),
    stopped by PID;
  - --scale only: RLIMIT_NOFILE/RLIMIT_NPROC of its own process, and
    kernel.pid_max / kernel.threads-max if they are too low (put back).
What it keeps: the payload /var/tmp/ftpsd-bench-cache/payload-SIZE.bin
(random bytes, generated once) and the unpacked peer daemons in
/var/tmp/ftpsd-bench-cache/peers (bench/run.sh); --clean-cache removes both.
"""

import argparse
import ctypes
import datetime
import errno
import gc
import json
import multiprocessing
import os
import platform
import pwd
import random
import re
import resource
import selectors
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
PAM_SRC = os.path.join(REPO, "etc", "pam.d", "ftpsd")
PAM_SERVICE = "ftpsd-bench"
PAM_DST = os.path.join("/etc/pam.d", PAM_SERVICE)
# Pure-FTPd's `-l pam` always uses the PAM service "pure-ftpd".
PURE_PAM_DST = "/etc/pam.d/pure-ftpd"
PAM_MARK = ("# temporary copy of ftpsd's etc/pam.d/ftpsd, made by bench/ftpbench.py; "
            "removed (or the original put back) at the end")
USER = "ftpsd-bench"
PASSWORD = "Bench7Pw4ftpsd"          # alphanumeric: safe in URLs
GECOS_MARK = "ftpsd benchmark user (bench/ftpbench.py)"
HOST = "127.0.0.1"
CACHE_DIR = "/var/tmp/ftpsd-bench-cache"
PEER_DIR = os.path.join(CACHE_DIR, "peers")          # unpacked by bench/run.sh
PAM_BACKUP = os.path.join(CACHE_DIR, "pam-backup")   # a saved /etc/pam.d/pure-ftpd
CLK_TCK = os.sysconf("SC_CLK_TCK")
GiB = 1 << 30
MAIN_PID = os.getpid()
CHEAP_HASH = ("SHA512", 1000)

PEERS = ("vsftpd", "proftpd", "pure-ftpd")
DAEMONS = ("ftpsd",) + PEERS
PEER_PACKAGES = {"vsftpd": ("vsftpd",), "proftpd": ("proftpd-core", "proftpd-mod-crypto"),
                 "pure-ftpd": ("pure-ftpd",)}

# The project brief's targets, against the best peer of the same run.
TARGETS = {
    "ftps_cpu_per_gib": "ftpsd <= 0.6x best peer",
    "ftps_logins_per_s": "ftpsd >= 2x best peer",
    "idle_session_pss_kib": "ftpsd <= 600 KiB",
    "list_s": "ftpsd <= 0.8x best peer",
}


def best_peer_value(vals, higher_better):
    """The best of the peers' values (None: no peer has one)."""
    peers = [v for d, v in vals.items() if d in PEERS and v is not None]
    return (max if higher_better else min)(peers) if peers else None


def daemon_root(name):
    """Where a daemon's files are: the repository for ftpsd, "/" for a peer
    that is installed (/usr/sbin/NAME), its tree under PEER_DIR if bench/run.sh
    unpacked it; None if it is missing."""
    if name == "ftpsd":
        return REPO if os.access(FTPSD, os.X_OK) else None
    if os.access(f"/usr/sbin/{name}", os.X_OK):
        return "/"
    root = os.path.join(PEER_DIR, name)
    if (os.access(os.path.join(root, "usr", "sbin", name), os.X_OK) and
            os.path.exists(os.path.join(root, ".complete"))):
        return root
    return None


def daemon_binary(name):
    if name == "ftpsd":
        return FTPSD
    root = daemon_root(name)
    return os.path.join(root, "usr", "sbin", name) if root else None

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


def port_ceiling():
    """Ports for the servers stay below the kernel's ephemeral range (the
    clients' side of thousands of connections)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return min(32000, int(f.read().split()[0]) - 1)
    except (OSError, ValueError):
        return 32000


def free_range(n):
    """N consecutive free ports (a passive range)."""
    top = port_ceiling()
    bottom = 20000 if n <= 2000 else 10000
    if top - bottom <= n:
        raise RuntimeError(f"no room for a passive range of {n} ports below {top}")
    for _ in range(200):
        start = random.randrange(bottom, top - n)
        ports = range(start, start + n)
        if any(p in _used_ports for p in ports):
            continue
        # A range of thousands (Pure-FTPd's at --scale) may hold a port some
        # other program listens on: the daemon skips it and takes another.
        taken = sum(1 for p in ports if not bindable(p))
        if taken == 0 or (n > 2000 and taken <= n // 100):
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


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def mem_available_kib(samples=1):
    """MemAvailable (KiB); with SAMPLES > 1, the median of that many
    readings 0.1 s apart, against short spikes of the rest of the machine."""
    xs = []
    for i in range(samples):
        if i:
            time.sleep(0.1)
        xs.append(meminfo()["MemAvailable"])
    return statistics.median(xs)


def uss_kib(m):
    """Unique set size from a smaps_rollup dict: the pages only this process maps."""
    return m.get("Private_Clean", 0) + m.get("Private_Dirty", 0) + m.get("Private_Hugetlb", 0)


def self_mem():
    """The benchmark process's own memory (it is the client of the idle
    sessions): USS and RSS, KiB."""
    gc.collect()
    m = smaps_rollup(os.getpid())
    return {"uss_kib": uss_kib(m), "rss_kib": m.get("Rss", 0)}


def tcp_mem_kib():
    """Memory of all TCP sockets' buffers (both ends of loopback connections
    alike), from /proc/net/sockstat, KiB."""
    try:
        with open("/proc/net/sockstat") as f:
            for line in f:
                if line.startswith("TCP:"):
                    x = line.split()
                    return int(x[x.index("mem") + 1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except (OSError, ValueError):
        pass
    return None


KSTACK_KIB = 16        # THREAD_SIZE on x86-64 (and arm64): each thread's kernel stack


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        pass
    return out


def tree_mem(srv, table=None):
    """Processes, threads, PSS, USS, RSS and page tables (KiB) of every
    process of SRV's tree."""
    table = table or proc_table()
    out = {"procs": 0, "threads": 0, "pss_kib": 0, "uss_kib": 0, "rss_kib": 0, "pte_kib": 0}
    for p in descendants(srv.reaper.pid, table):
        if table[p][1] in ("Z", "X"):
            continue
        m = smaps_rollup(p)
        st = proc_status(p)
        out["procs"] += 1
        out["threads"] += int(st.get("Threads", "1") or 1)
        out["pte_kib"] += int((st.get("VmPTE", "0 kB").split() or ["0"])[0])
        out["pss_kib"] += m.get("Pss", 0)
        out["uss_kib"] += uss_kib(m)
        out["rss_kib"] += m.get("Rss", 0)
    return out


def tree_growth(busy, idle, n):
    """Per-session growth of a tree_mem() reading over N sessions, with the
    kernel memory that can be counted per process: page tables and kernel
    stacks."""
    d = {k: (busy[k] - idle[k]) / n for k in busy}
    kern = d["pte_kib"] + KSTACK_KIB * d["threads"]
    return {"procs": d["procs"], "pss_kib": d["pss_kib"], "uss_kib": d["uss_kib"],
            "pte_kib": d["pte_kib"], "kernel_kib": kern, "uss_kernel_kib": d["uss_kib"] + kern}


def parse_reply(buf):
    """A complete FTP reply at the start of BUF (bytes): (code, text, rest),
    or None if it is not complete yet."""
    pos = 0
    first = None
    lines = []
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0:
            return None
        ln = buf[pos:nl].rstrip(b"\r").decode("utf-8", "replace")
        pos = nl + 1
        lines.append(ln)
        if first is None:
            if not re.match(r"^\d{3}[ -]", ln):
                raise FTPError(f"malformed reply {ln!r}")
            first = ln
            if ln[3] == " ":
                break
        elif ln.startswith(first[:3] + " "):
            break
    return int(first[:3]), "\n".join(lines), buf[pos:]


def fmt(v, f):
    return "-" if v is None else f.format(v)


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------

class Server:
    """One daemon instance (ftpsd, vsftpd, proftpd or pure-ftpd; FTPS or
    plain) under a reaper. SCALE: the settings for many idle sessions (no
    session limits, day-long idle timeouts)."""

    def __init__(self, daemon, tls, work, home, cert, key, spares=None, scale=False,
                 max_sessions=1000, list_files=20000, pasv_ports=50):
        self.daemon, self.tls = daemon, tls
        self.spares = spares  # ftpsd's prefork_spares; None = its default
        self.scale = scale
        self.max_sessions = max_sessions
        self.list_files = list_files
        self.name = ("scale-" if scale else "") + f"{daemon}-{'ftps' if tls else 'plain'}" + (
            "" if spares is None else f"-spares{spares}")
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir, mode=0o755)
        self.home, self.cert, self.key = home, cert, key
        self.port = free_port()
        self.pasv = free_range(pasv_ports)
        self.conf = os.path.join(self.dir, "server.conf")
        self.empty = os.path.join(self.dir, "empty")
        os.makedirs(self.empty, mode=0o755)
        self.seccomp = True
        self.broken_with = []
        self.reaper = None
        self.master = None
        self.notes = []
        self.out = None

    # -- configuration ------------------------------------------------------

    def settings(self):
        """key=value settings of ftpsd and vsftpd (the same keys where both
        have them)."""
        lo, hi = self.pasv
        common = [
            ("listen", "YES"), ("listen_address", HOST), ("listen_port", self.port),
            ("local_enable", "YES"), ("write_enable", "YES"), ("local_umask", "022"),
            ("chroot_local_user", "YES"), ("pam_service_name", PAM_SERVICE),
            ("pasv_enable", "YES"), ("pasv_min_port", lo), ("pasv_max_port", hi),
            ("secure_chroot_dir", self.empty),
        ]
        # Every client of the bench comes from 127.0.0.1 (memory: 200 sessions).
        common += [("max_clients", 0), ("max_per_ip", 0)]
        if self.scale:
            common += [("idle_session_timeout", 86400)]
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

    def proftpd_conf(self):
        """ProFTPD: the same listening address, passive range, PAM service,
        chroot, umask and certificate; TLS required for login and data, with
        mod_tls's default of requiring TLS session reuse on data connections.
        mod_delay is off (it sleeps to hide login timing: no cost, only
        latency), as are reverse DNS and wtmp (the others do neither); the
        CA file is the server's own certificate (see below)."""
        lo, hi = self.pasv
        mods = os.path.join(daemon_root("proftpd"), "usr", "lib", "proftpd")
        d = self.dir
        c = [
            "ServerType standalone", 'ServerName "ftpsd bench"', "DefaultServer on",
            "UseIPv6 off", f"DefaultAddress {HOST}", "SocketBindTight on",
            f"Port {self.port}", f"PassivePorts {lo} {hi}",
            f"PidFile {d}/proftpd.pid", f"ScoreboardFile {d}/proftpd.scoreboard",
            "User nobody", "Group nogroup", "Umask 022", "AllowOverwrite on",
            "DefaultRoot ~", "UseReverseDNS off", "WtmpLog off", "DelayEngine off",
            "AuthOrder mod_auth_pam.c* mod_auth_unix.c", "AuthPAM on",
            f"AuthPAMConfig {PAM_SERVICE}",
            f"SystemLog {d}/proftpd.log", f"TransferLog {d}/xferlog",
            "<IfModule mod_ctrls.c>", "  ControlsEngine off", "</IfModule>",
            "<IfModule mod_dso.c>", f"  ModulePath {mods}", "  LoadModule mod_tls.c",
            "</IfModule>",
            "<IfModule mod_tls.c>", f"  TLSEngine {'on' if self.tls else 'off'}",
        ]
        if self.tls:
            c += ["  TLSRequired on", f"  TLSRSACertificateFile {self.cert}",
                  f"  TLSRSACertificateKeyFile {self.key}",
                  # else mod_tls parses the system CA bundle in every session
                  # (~60 ms before the banner) though it asks for no client
                  # certificate
                  f"  TLSCACertificateFile {self.cert}", "  TLSVerifyClient off",
                  "  TLSRenegotiate none"]
        c += ["</IfModule>"]
        if self.scale:
            c += ["TimeoutIdle 86400", "TimeoutNoTransfer 86400"]
        return "".join(x + "\n" for x in c)

    def pure_ftpd_args(self):
        """Pure-FTPd's options: the same address, passive range, PAM (service
        "pure-ftpd", a copy of the same file), chroot (-A), umask, and
        certificate; -Y 3 (TLS required for login and data) or -Y 0 for
        plain. Client limits are raised above the test's session count, and
        the listing limit (-L, 10,000 files by default) above the LIST test's
        directory. Transfers go to a CLF log, syslog is off, no DNS."""
        lo, hi = self.pasv
        d = self.dir
        a = ["-S", f"{HOST},{self.port}", "-p", f"{lo}:{hi}", "-l", "pam", "-E", "-A", "-H",
             "-U", "022:022", "-c", str(self.max_sessions), "-C", str(self.max_sessions),
             "-L", f"{max(10000, 2 * self.list_files)}:8", "-f", "none",
             "-O", f"clf:{d}/transfer.log", "-g", f"{d}/pure-ftpd.pid",
             "-Y", "3" if self.tls else "0"]
        if self.tls:
            a += ["-2", f"{self.cert},{self.key}"]
        if self.scale:
            a += ["-I", "1440"]
        return a

    def conf_text(self):
        if self.daemon == "proftpd":
            return self.proftpd_conf()
        if self.daemon == "pure-ftpd":
            return " ".join(["pure-ftpd"] + self.pure_ftpd_args()) + "\n"
        return "".join(f"{k}={v}\n" for k, v in self.settings())

    def command(self):
        if self.daemon == "ftpsd":
            return [FTPSD, "-f", "-c", self.conf]
        if self.daemon == "vsftpd":
            return [daemon_binary("vsftpd"), self.conf]
        if self.daemon == "proftpd":
            return [daemon_binary("proftpd"), "-n", "-c", self.conf]
        return [daemon_binary("pure-ftpd")] + self.pure_ftpd_args()

    # -- life cycle ---------------------------------------------------------

    def start(self):
        with open(self.conf, "w") as f:
            f.write(self.conf_text())
        cmd = self.command()
        self.master = None
        self.out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.reaper = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--reaper", "--"] + cmd,
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT,
            cwd=self.dir)
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
        text = ""
        for name in ("stdout.log", "proftpd.log"):
            try:
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    text += f.read()[-3000:]
            except OSError:
                pass
        return text

    def alive(self):
        return self.reaper is not None and self.reaper.poll() is None and \
            self.master is not None and os.path.exists(f"/proc/{self.master}")

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

    # Processes that serve all sessions, not one: a session's root is never
    # one of these or above them (ftpsd's zygote's spawners fork the sessions).
    SHARED_COMMS = ("ftpsd-master", "ftpsd-zygote", "ftpsd-spawner", "ftpsd-keys")

    def session_roots(self, conns, table):
        """The top process serving each client connection in CONNS: from the
        processes holding the server end of its socket, up the tree to just
        below the first process that is shared: the master, a process named in
        SHARED_COMMS, or one above the holders of another connection too."""
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
        holders = {}                    # rport -> pids holding its socket
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
                if rport is not None:
                    holders.setdefault(rport, set()).add(pid)

        def chain(pid):                 # pid and its ancestors, below the master
            out = []
            while pid in table and pid != self.master:
                out.append(pid)
                pid = table[pid][2]
            return out if pid == self.master else []
        above = {}                      # pid -> connections it is (an ancestor of) a holder of
        for rport, pids in holders.items():
            for h in pids:
                for p in chain(h):
                    above.setdefault(p, set()).add(rport)
        roots = {}
        for rport, pids in holders.items():
            best = None
            for h in sorted(pids):
                top = None
                for p in chain(h):
                    if table[p][0] in self.SHARED_COMMS or len(above[p]) > 1:
                        break
                    top = p
                if top is not None and (best is None or top in chain(best)):
                    best = top
            if best is not None:
                roots[rport] = best
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
                self.reaper.wait(60)      # it reaps what was killed (30,000 in --scale)
            except subprocess.TimeoutExpired:
                self.reaper.kill()
                self.reaper.wait(5)
        if self.out:
            self.out.close()


# --------------------------------------------------------------------------
# the benchmarks
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



def bench_transfers(servers, daemons, payload, size, runs):
    out = {}
    pairs = [("ftps", "download"), ("ftps", "upload"), ("plain", "download"),
             ("plain", "upload")]
    for run_i in range(runs):
        for mode, direction in pairs:
            k = run_i % len(daemons)            # who goes first rotates
            order = list(daemons[k:]) + list(daemons[:k])
            for d in order:
                srv = servers[(d, mode == "ftps")]
                res = curl_transfer(srv, direction, payload, size)
                out.setdefault(f"{mode}_{direction}", {}).setdefault(d, []).append(res)
                log(f"  run {run_i + 1}/{runs} {mode:5} {direction:8} {d:9}: "
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



def bench_logins(servers, seconds, parallel):
    """Logins for SECONDS per server, in half-length chunks A B C D D C B A so
    that a change in the machine's background load hits all servers alike."""
    acc = {}
    for srv in list(servers) + list(reversed(servers)):
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



class NBSession:
    """One control connection driven by SessionDriver; .s is its socket (an
    SSLSocket after AUTH TLS), non-blocking, kept open once logged in."""
    __slots__ = ("s", "fd", "buf", "script", "idx", "phase", "out", "events", "deadline",
                 "t0", "t_done")


class SessionDriver:
    """Many FTP control connections at once, with non-blocking sockets and one
    selector (epoll): at most WINDOW of them in progress at a time. Used to
    open the idle sessions of the memory and scale tests (connect, 220, AUTH
    TLS, TLS handshake, USER, PASS, PBSZ 0, PROT P) and to send a command to
    all of them."""

    def __init__(self, port, ctx, window=8, timeout=60.0):
        self.port, self.ctx, self.window, self.timeout = port, ctx, window, timeout

    def login_script(self):
        s = [(None, (220,))]
        if self.ctx is not None:
            s += [("AUTH TLS", (234,)), ("<tls>", None)]
        s += [(f"USER {USER}", (331,)), (f"PASS {PASSWORD}", (230,))]
        if self.ctx is not None:
            s += [("PBSZ 0", (200,)), ("PROT P", (200,))]
        return s

    @staticmethod
    def _want(sel, c, ev):
        if c.events != ev:
            sel.modify(c.fd, ev, c)
            c.events = ev

    def _begin(self, c):
        """Set C up for its script's current step; True when the script is done."""
        if c.idx >= len(c.script):
            return True
        line, _ = c.script[c.idx]
        if line is None:
            c.phase = "recv"
        elif line == "<tls>":
            if c.buf:
                raise FTPError("data after 234")
            c.s = self.ctx.wrap_socket(c.s, do_handshake_on_connect=False)
            c.phase = "tls"
        else:
            c.out = (line + "\r\n").encode()
            c.phase = "send"
        return False

    def _step(self, sel, c):
        """Advance C as far as it goes without blocking; True when done."""
        R, W = selectors.EVENT_READ, selectors.EVENT_WRITE
        while True:
            if c.phase == "connect":
                err = c.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
                if self._begin(c):
                    return True
            elif c.phase == "send":
                try:
                    k = c.s.send(c.out)
                except (BlockingIOError, ssl.SSLWantWriteError):
                    self._want(sel, c, W)
                    return False
                except ssl.SSLWantReadError:
                    self._want(sel, c, R)
                    return False
                c.out = c.out[k:]
                if c.out:
                    self._want(sel, c, W)
                    return False
                c.phase = "recv"
            elif c.phase == "recv":
                while True:
                    try:
                        d = c.s.recv(65536)
                    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        break
                    if not d:
                        raise FTPError("control connection closed by the server")
                    c.buf += d
                r = parse_reply(c.buf)
                if r is None:
                    self._want(sel, c, R)
                    return False
                code, text, c.buf = r
                line, expect = c.script[c.idx]
                if code not in expect:
                    what = "banner" if line is None else line.split()[0]
                    raise FTPError(f"{what}: {text}")
                c.idx += 1
                if self._begin(c):
                    return True
            elif c.phase == "tls":
                try:
                    c.s.do_handshake()
                except ssl.SSLWantReadError:
                    self._want(sel, c, R)
                    return False
                except ssl.SSLWantWriteError:
                    self._want(sel, c, W)
                    return False
                c.idx += 1
                if self._begin(c):
                    return True

    def _drive(self, start_next, count, window, deadline=None, stop=None, progress=None,
               max_errors=None):
        sel = selectors.DefaultSelector()
        active, done, errors = {}, [], []
        launched, stopped = 0, None
        t_start = last_check = last_progress = time.monotonic()

        def finish(c, err=None):
            sel.unregister(c.fd)
            del active[c.fd]
            if err is None:
                c.t_done = time.monotonic()
                done.append(c)
            else:
                step = c.script[min(c.idx, len(c.script) - 1)][0]
                step = ("connect" if c.phase == "connect" else "banner" if step is None
                        else "TLS handshake" if step == "<tls>" else step.split()[0])
                errors.append(f"{step}: {type(err).__name__}: {err}")
                try:
                    c.s.close()
                except OSError:
                    pass
        try:
            while True:
                now = time.monotonic()
                if stopped is None and deadline is not None and now > deadline:
                    stopped = "the deadline (--scale-deadline) passed"
                if stopped is None and max_errors is not None and len(errors) > max_errors:
                    stopped = f"more than {max_errors} failed logins (first: {errors[0]})"
                if stopped is None and stop is not None and now - last_check >= 1.0:
                    last_check = now
                    stopped = stop()
                if progress is not None and now - last_progress >= 5.0:
                    last_progress = now
                    progress(len(done), len(errors), now - t_start)
                while stopped is None and launched < count and len(active) < window:
                    launched += 1
                    try:
                        c = start_next()
                    except OSError as e:
                        errors.append(f"connect: {type(e).__name__}: {e}")
                        continue
                    c.deadline = now + self.timeout
                    c.t0 = now
                    active[c.fd] = c
                    c.events = selectors.EVENT_WRITE if c.phase == "connect" else \
                        selectors.EVENT_READ
                    sel.register(c.fd, c.events, c)
                    if c.phase != "connect":
                        try:
                            if self._step(sel, c):
                                finish(c)
                        except (OSError, FTPError, ssl.SSLError, ValueError) as e:
                            finish(c, e)
                if not active:
                    break
                for key, _ in sel.select(0.2):
                    c = key.data
                    if c.fd not in active:
                        continue
                    try:
                        if self._step(sel, c):
                            finish(c)
                    except (OSError, FTPError, ssl.SSLError, ValueError) as e:
                        finish(c, e)
                now = time.monotonic()
                for c in [c for c in active.values() if now > c.deadline]:
                    finish(c, TimeoutError(f"no answer in {self.timeout:g} s"))
        finally:
            for c in list(active.values()):
                finish(c, RuntimeError("abandoned"))
            sel.close()
        return {"sessions": done, "errors": errors, "stopped": stopped,
                "elapsed_s": time.monotonic() - t_start,
                "login_s": [c.t_done - c.t0 for c in done]}

    def open(self, n, deadline=None, stop=None, progress=None, max_errors=None):
        """Open N logged-in sessions. Returns {"sessions", "errors", "stopped",
        "elapsed_s", "login_s"}; stopped is why it stopped early (deadline,
        STOP()'s answer, too many errors) or None."""
        def start_next():
            c = NBSession()
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            raw.setblocking(False)
            err = raw.connect_ex((HOST, self.port))
            if err not in (0, errno.EINPROGRESS):
                raw.close()
                raise OSError(err, os.strerror(err))
            c.s, c.fd, c.buf, c.out = raw, raw.fileno(), b"", b""
            c.script, c.idx, c.phase = self.login_script(), 0, "connect"
            return c
        return self._drive(start_next, n, self.window, deadline, stop, progress, max_errors)

    def command(self, sessions, line, expect, window=256):
        """Send LINE to each of SESSIONS (WINDOW at a time) and check the reply."""
        it = iter(sessions)

        def start_next():
            c = next(it)
            c.script, c.idx, c.buf = [(line, expect)], 0, b""
            self._begin(c)
            return c
        return self._drive(start_next, len(sessions), window)

    def close_all(self, sessions, quit=True):
        if quit and sessions:
            try:
                self.command(sessions, "QUIT", (221,))
            except Exception:
                pass
        for c in sessions:
            try:
                c.s.close()
            except OSError:
                pass


def bench_memory(srv, n, ctx, window=4):
    """N idle logged-in FTPS sessions (PROT P done, all answering a NOOP): what
    they add to the server's process tree (PSS, USS, processes) and to the
    machine's MemAvailable, which also counts page tables, kernel stacks,
    socket buffers and the client's own memory (the client's USS growth is
    measured and subtracted; the client's kernel socket memory is not).
    MemAvailable is read before, with and after the sessions, and the drop
    is taken from the mean of before and after, so that a steady drift of
    the rest of the machine cancels out."""
    srv.wait_quiet()
    t = proc_table()
    idle = tree_mem(srv, t)
    avail0, client0, tcp0 = mem_available_kib(5), self_mem(), tcp_mem_kib()
    drv = SessionDriver(srv.port, ctx, window)
    r = drv.open(n)
    sessions = r["sessions"]
    try:
        if r["errors"]:
            raise RuntimeError(f"{srv.name}: {len(r['errors'])} of {n} sessions failed to "
                               f"log in; first: {r['errors'][0]}")
        time.sleep(1.0)
        rr = drv.command(sessions, "NOOP", (200,))      # all still alive and answering
        if rr["errors"]:
            raise RuntimeError(f"{srv.name}: NOOP failed on {len(rr['errors'])} sessions; "
                               f"first: {rr['errors'][0]}")
        time.sleep(0.5)
        t = proc_table()
        busy = tree_mem(srv, t)
        avail1, client1, tcp1 = mem_available_kib(5), self_mem(), tcp_mem_kib()
        roots = srv.session_roots(sessions, t)
        if len(set(roots.values())) != n:
            raise RuntimeError(f"{srv.name}: found {len(set(roots.values()))} session "
                               f"processes for {n} connections")
        procs = sorted({p for r_ in set(roots.values()) for p in [r_] + descendants(r_, t)})
        pss = rss = uss = 0
        by_comm = {}
        for p in procs:
            m = smaps_rollup(p)
            pss += m.get("Pss", 0)
            rss += m.get("Rss", 0)
            uss += uss_kib(m)
            e = by_comm.setdefault(t[p][0], {"count": 0, "pss_kib": 0, "uss_kib": 0})
            e["count"] += 1
            e["pss_kib"] += m.get("Pss", 0)
            e["uss_kib"] += uss_kib(m)
        others = [p for p in descendants(srv.master, t) if p not in procs]
        others_pss = sum(smaps_rollup(p).get("Pss", 0) for p in others)
        master = smaps_rollup(srv.master)
    finally:
        drv.close_all(sessions)
    srv.wait_quiet()
    avail2 = mem_available_kib(5)
    drop = (avail0 + avail2) / 2 - avail1
    g = tree_growth(busy, idle, n)
    client = client1["uss_kib"] - client0["uss_kib"]
    return {"sessions": n, "processes": len(procs), "procs_per_session": len(procs) / n,
            "pss_kib_total": pss, "pss_kib_per_session": pss / n,
            "uss_kib_per_session": uss / n,
            "rss_kib_per_session": rss / n, "by_process_name": by_comm,
            "master_pss_kib": master.get("Pss", 0),
            "other_processes": len(others), "other_pss_kib": others_pss,
            "idle_tree_processes": idle["procs"], "idle_tree_pss_kib": idle["pss_kib"],
            "idle_tree_uss_kib": idle["uss_kib"],
            "busy_tree_processes": busy["procs"], "busy_tree_pss_kib": busy["pss_kib"],
            "busy_tree_uss_kib": busy["uss_kib"],
            "marginal_pss_kib_per_session": (busy["pss_kib"] - idle["pss_kib"]) / n,
            "marginal_uss_kib_per_session": (busy["uss_kib"] - idle["uss_kib"]) / n,
            "tree_procs_per_session": g["procs"],
            "page_tables_kib_per_session": g["pte_kib"],
            "kernel_stacks_page_tables_kib_per_session": g["kernel_kib"],
            "uss_plus_kernel_kib_per_session": g["uss_kernel_kib"],
            "mem_available_drop_kib_per_session": drop / n,
            "client_uss_kib_per_session": client / n,
            "mem_available_drop_minus_client_kib_per_session": (drop - client) / n,
            "mem_available_kib": {"before": avail0, "with_sessions": avail1, "after": avail2},
            "tcp_mem_kib_per_session": (None if tcp0 is None or tcp1 is None
                                        else (tcp1 - tcp0) / n),
            "open_s": r["elapsed_s"], "login_ms_median": (median(r["login_s"]) or 0) * 1000}


# --------------------------------------------------------------------------
# scale: many idle sessions
# --------------------------------------------------------------------------

def read_sysctl(name):
    with open(f"/proc/sys/{name.replace('.', '/')}") as f:
        return f.read().strip()


def raise_limits(env, n, procs_per_session, kib_per_session=None):
    """What N idle sessions need, and raise what is too low: this process's
    RLIMIT_NOFILE (one socket per session, inherited by the servers it starts
    from now on) and RLIMIT_NPROC, and kernel.pid_max / kernel.threads-max
    (put back by Env.cleanup). Returns what it changed, warnings, and the
    number of sessions the file limit allows (N, or fewer when the hard
    limit is too low and cannot be raised: no CAP_SYS_RESOURCE)."""
    changes, warns = [], []
    need_fds = n + 2048                 # one socket per session, probes, the rest
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need_fds:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need_fds, max(need_fds, hard)))
            changes.append(f"RLIMIT_NOFILE {soft}/{hard} -> {need_fds}/{max(need_fds, hard)} "
                           "(this process and the servers it starts for the scale test)")
        except (ValueError, OSError):
            if soft < hard:
                resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
                changes.append(f"RLIMIT_NOFILE {soft}/{hard} -> {hard}/{hard} (the hard "
                               "limit cannot be raised here: no CAP_SYS_RESOURCE)")
            if hard < need_fds:
                n_ok = max(0, hard - 2048)
                warns.append(f"RLIMIT_NOFILE hard limit {hard} allows only {n_ok} sessions "
                             f"(of {n}): the test stops there")
                n = n_ok
    nprocs_now = sum(1 for d in os.listdir("/proc") if d.isdigit())
    need_procs = nprocs_now + int(procs_per_session * n * 1.1) + 4096
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if soft != resource.RLIM_INFINITY and soft < need_procs:
        new_hard = hard if hard == resource.RLIM_INFINITY else max(hard, need_procs)
        try:
            resource.setrlimit(resource.RLIMIT_NPROC, (need_procs, new_hard))
            changes.append(f"RLIMIT_NPROC {soft}/{hard} -> {need_procs}/{new_hard}")
        except (ValueError, OSError):
            warns.append(f"RLIMIT_NPROC {soft}/{hard} is below the ~{need_procs} processes "
                         "needed and cannot be raised (root's own processes are exempt)")
    for key, need in (("kernel.pid_max", need_procs), ("kernel.threads-max", need_procs)):
        cur = int(read_sysctl(key))
        if cur < need:
            new = min(max(need, 2 * cur), 4194304)
            with open(f"/proc/sys/{key.replace('.', '/')}", "w") as f:
                f.write(str(new))
            env.sysctl_restore.setdefault(key, cur)
            changes.append(f"{key} {cur} -> {new} (sysctl; put back to {cur} at the end)")
    lo, hi = (int(x) for x in read_sysctl("net.ipv4.ip_local_port_range").split())
    if hi - lo + 1 < n + 2000:
        warns.append(f"net.ipv4.ip_local_port_range {lo}-{hi} has fewer ports than "
                     f"{n} sessions + probes need (not changed)")
    m = meminfo()
    # KiB: what the memory test measured, else a guess of 2 MiB a session
    est = n * (kib_per_session or 2048)
    if est > m["MemAvailable"] * 0.8:
        warns.append(f"{n} sessions may need ~{est / 1048576:.1f} GiB, MemAvailable is "
                     f"{m['MemAvailable'] / 1048576:.1f} GiB: the ramp stops early when "
                     "MemAvailable gets low")
    return changes, warns, n


def scale_levels(n, spec):
    if spec:
        levels = sorted({min(n, int(x)) for x in spec.split(",")})
    elif n == 10000:
        levels = [0, 1000, 5000, 10000]
    else:
        levels = sorted({0, n // 10, n // 2, n})
    if n not in levels:
        levels.append(n)
    return levels


def sessionless(srv):
    """Processes of SRV's tree, not counting ftpsd's spawners: one forks up to
    128 sessions and ends with the last of them, so after a ramp the tree may
    keep one more than it started with while it is back at rest."""
    t = proc_table()
    return sum(1 for p in descendants(srv.reaper.pid, t) if t[p][0] != "ftpsd-spawner")


def kdamond_cpu_s(table):
    """CPU-seconds of the kernel's DAMON threads (kdamond.N). Some kernels run
    DAMON's proactive reclaim, whose reverse-map walks cost in proportion to
    the number of processes mapping each page: with 20,000 processes it took
    most of a core here, whoever's processes they were."""
    return sum(p[3] for p in table.values() if p[0].startswith("kdamond")) / CLK_TCK


def scale_probes(srv, ctx, count, time_budget, gap=0.0):
    """COUNT fresh FTPS logins (AUTH TLS, USER, PASS, QUIT), one after
    another, GAP seconds apart; stops after TIME_BUDGET seconds or 5 failures
    in a row. Also the server's CPU per login and the kdamond threads' share
    of a core meanwhile."""
    lat, errors, in_a_row, steps = [], [], 0, {}
    t0, cpu0, kd0 = time.monotonic(), srv.cpu(), kdamond_cpu_s(proc_table())
    t_end = time.monotonic() + time_budget
    for _ in range(count):
        if time.monotonic() > t_end or in_a_row >= 5:
            break
        if gap and lat:
            time.sleep(gap)
        try:
            lat.append(one_login(srv.port, ctx, steps))
            in_a_row = 0
        except Exception as e:
            errors.append(f"{type(e).__name__}: {e}")
            in_a_row += 1
    time.sleep(0.5)                     # the last session ends and is reaped
    cpu1, kd1, t1 = srv.cpu(), kdamond_cpu_s(proc_table()), time.monotonic()
    return {"logins": len(lat), "errors": len(errors),
            "server_cpu_ms_per_login": (cpu1 - cpu0) * 1000 / len(lat) if lat else None,
            "kdamond_core_share": (kd1 - kd0) / (t1 - t0),
            "first_error": errors[0] if errors else None,
            "ms_median": (median(lat) or 0) * 1000 if lat else None,
            "ms_p95": (pct(lat, 95) or 0) * 1000 if lat else None,
            "ms_max": max(lat) * 1000 if lat else None,
            "step_ms_p95": {k: round((pct(v, 95) or 0) * 1000, 1) for k, v in steps.items()}}


def bench_scale(env, daemon, args, ctx, home, cert, key, procs_per_session,
                kib_per_session=None):
    """Hold up to --scale-sessions idle logged-in FTPS sessions against DAEMON;
    at each level, the latency of --scale-probes fresh logins (cheap and
    default hash) and what the sessions cost in memory. The sessions are
    opened with the cheap hash (SHA-512, 1000 rounds) to save time; the
    whole test ends by --scale-deadline, or earlier if MemAvailable falls
    under max(1 GiB, 10 % of RAM), the server dies or logins keep failing."""
    n = args.scale_sessions
    levels = scale_levels(n, args.scale_levels)
    t_end = time.monotonic() + args.scale_deadline
    changes, warns, n_ok = raise_limits(env, n, procs_per_session, kib_per_session)
    for c in changes:
        log(f"scale: raised {c}")
    for w in warns:
        log(f"scale: warning: {w}")
    limit_msg = None
    if n_ok < n:
        levels = sorted({min(x, n_ok) for x in levels})
        limit_msg = (f"held at most {n_ok:,} of {n:,} sessions: the client's RLIMIT_NOFILE "
                     "hard limit is too low and cannot be raised")
    out = {"daemon": daemon, "target_sessions": n, "levels_planned": levels,
           "probe_gap_ms": args.scale_probe_gap, "spares": args.scale_spares,
           "window": args.scale_window, "probes": args.scale_probes,
           "deadline_s": args.scale_deadline, "limits_raised": changes, "warnings": warns,
           "levels": [], "ramps": [], "stopped_early": None}
    # Pure-FTPd serves at most half as many sessions as it has passive ports
    # (the others need only a few); the range stays below the ephemeral ports.
    width = 50
    if daemon == "pure-ftpd":
        width = min(2 * n + 200, port_ceiling() - 10000 - 100)
        if width < 2 * n:
            warns.append(f"pure-ftpd: a passive range of {width} ports lets it serve only "
                         f"{width // 2} sessions")
            log(f"scale: warning: {warns[-1]}")
    srv = Server(daemon, True, env.work, home, cert, key, scale=True,
                 spares=args.scale_spares if daemon == "ftpsd" else None,
                 max_sessions=n + 2000, list_files=max(args.list_files), pasv_ports=width)
    env.servers[("scale-" + daemon, True)] = srv
    srv.start()
    probe(srv, ctx)
    out["config"] = srv.conf_text()
    floor = max(1 << 20, meminfo()["MemTotal"] // 10)
    srv.wait_quiet()
    base_tree = tree_mem(srv)
    base_sessionless = sessionless(srv)
    base_avail, base_client = mem_available_kib(5), self_mem()
    held = []
    drv = SessionDriver(srv.port, ctx, window=args.scale_window, timeout=120.0)
    try:
        for level in levels:
            if level > len(held):
                env.set_password(CHEAP_HASH)
                need, start_n = level - len(held), len(held)

                def stop():
                    if not srv.alive():
                        return "the server exited"
                    av = mem_available_kib()
                    if av < floor:
                        return f"MemAvailable fell to {av >> 10} MiB (floor {floor >> 10} MiB)"
                    return None

                def progress(done, errs, elapsed):
                    log(f"  scale {daemon}: {start_n + done:,}/{level:,} sessions "
                        f"({done / elapsed:.0f} logins/s), {errs} failed, MemAvailable "
                        f"{mem_available_kib() >> 10:,} MiB")
                log(f"scale {daemon}: opening sessions {start_n:,} -> {level:,}")
                r = drv.open(need, deadline=t_end, stop=stop, progress=progress,
                             max_errors=max(20, need // 100))
                held += r["sessions"]
                out["ramps"].append({
                    "from": start_n, "to": len(held), "target": level,
                    "seconds": r["elapsed_s"], "per_s": len(r["sessions"]) / r["elapsed_s"]
                    if r["elapsed_s"] else None, "errors": len(r["errors"]),
                    "first_error": r["errors"][0] if r["errors"] else None,
                    "login_ms_median": (median(r["login_s"]) or 0) * 1000,
                    "stopped": r["stopped"]})
                if r["stopped"] or len(held) < level:
                    out["stopped_early"] = (
                        f"stopped at {len(held):,} of {level:,} idle sessions: "
                        f"{r['stopped'] or str(len(r['errors'])) + ' failed logins'}"
                        + (f" (first failure: {r['errors'][0]})" if r["errors"] else ""))
                    log(f"scale {daemon}: STOPPED EARLY: {out['stopped_early']}")
            time.sleep(1.0)
            t = proc_table()
            tm = tree_mem(srv, t)
            avail, client = mem_available_kib(5), self_mem()
            k = len(held)
            lvl = {"target": level, "sessions": k, "server_procs": tm["procs"],
                   "server_pss_kib": tm["pss_kib"], "server_uss_kib": tm["uss_kib"],
                   "mem_available_kib": avail}
            if k:
                g = tree_growth(tm, base_tree, k)
                lvl.update({
                    "server_procs_per_session": g["procs"],
                    "server_pss_kib_per_session": g["pss_kib"],
                    "server_uss_kib_per_session": g["uss_kib"],
                    "server_uss_plus_kernel_kib_per_session": g["uss_kernel_kib"],
                    "mem_available_drop_kib_per_session": (base_avail - avail) / k,
                    "client_uss_kib_per_session":
                        (client["uss_kib"] - base_client["uss_kib"]) / k,
                    "mem_available_drop_minus_client_kib_per_session":
                        (base_avail - avail - (client["uss_kib"] - base_client["uss_kib"])) / k,
                })
            budget = max(30.0, min(120.0, t_end - time.monotonic()))
            for label, method in (("cheap", CHEAP_HASH), ("default", None)):
                env.set_password(method)
                lvl[f"login_{label}"] = scale_probes(srv, ctx, args.scale_probes, budget,
                                                     args.scale_probe_gap / 1000)
            out["levels"].append(lvl)
            c, d = lvl["login_cheap"], lvl["login_default"]
            log(f"scale {daemon}: {k:,} idle sessions: fresh login median/p95 "
                f"{fmt(c['ms_median'], '{:.1f}')}/{fmt(c['ms_p95'], '{:.1f}')} ms (cheap hash), "
                f"{fmt(d['ms_median'], '{:.1f}')}/{fmt(d['ms_p95'], '{:.1f}')} ms "
                f"(default hash), {c['errors'] + d['errors']} failed; server CPU "
                f"{fmt(c['server_cpu_ms_per_login'], '{:.1f}')} ms/login (cheap); kdamond "
                f"{c['kdamond_core_share'] * 100:.0f}% of a core; MemAvailable drop "
                f"{fmt(lvl.get('mem_available_drop_kib_per_session'), '{:.0f}')} KiB/session")
            log(f"scale {daemon}: {k:,} idle sessions: p95 ms per login step (cheap hash) "
                + ", ".join(f"{name} {v}" for name, v in c["step_ms_p95"].items()))
            if out["stopped_early"]:
                break
            if time.monotonic() > t_end and level != levels[-1]:
                out["stopped_early"] = (f"the deadline (--scale-deadline "
                                        f"{args.scale_deadline:g} s) passed at {k:,} sessions")
                log(f"scale {daemon}: STOPPED EARLY: {out['stopped_early']}")
                break
        if limit_msg and not out["stopped_early"]:
            out["stopped_early"] = limit_msg
    finally:
        env.set_password()
        log(f"scale {daemon}: closing {len(held):,} sessions")
        for c in held:
            try:
                c.s.close()
            except OSError:
                pass
        held.clear()
        t_wait = time.monotonic() + 300
        while time.monotonic() < t_wait:
            if sessionless(srv) <= base_sessionless:
                break
            time.sleep(1.0)
        try:
            if out["levels"] and not out["stopped_early"]:
                out["control"] = scale_control(env, srv, ctx, args, out["levels"][-1])
        finally:
            env.set_password()
            srv.stop()
    return out


IDLE_FORKER = """
import os, signal, sys
n, made = int(sys.argv[1]), 0
for _ in range(n):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        while True:
            signal.pause()
    made += 1
print(made, flush=True)
while True:
    signal.pause()
"""


def idle_processes(n):
    """N idle processes, none of them the server's, forked by a small fresh
    interpreter in a process group of its own (not by this process: its heap
    is large after the ramp, and forking it 20,000 times is slow). Returns
    (the forker, how many it made); end them with end_idle_processes."""
    p = subprocess.Popen([sys.executable, "-c", IDLE_FORKER, str(n)],
                         stdout=subprocess.PIPE, text=True, start_new_session=True)
    made = int(p.stdout.readline() or 0)
    return p, made


def end_idle_processes(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


def scale_control(env, srv, ctx, args, top):
    """The control for the top level: no sessions, but as many unrelated idle
    processes as the sessions had (the server's whole tree), and the same
    probes. What grows here grows for any server on this machine (the
    kernel's process-count costs, kdamond), not because of its sessions."""
    n = max(0, top["server_procs"] - 10)
    log(f"scale {srv.daemon}: control: 0 sessions and {n:,} idle processes of ours")
    forker, made = idle_processes(n)
    try:
        time.sleep(2.0)
        ctl = {"idle_processes": made}
        for label, method in (("cheap", CHEAP_HASH), ("default", None)):
            env.set_password(method)
            ctl[f"login_{label}"] = scale_probes(srv, ctx, args.scale_probes, 120.0,
                                                 args.scale_probe_gap / 1000)
        c = ctl["login_cheap"]
        log(f"scale {srv.daemon}: control: fresh login median/p95 "
            f"{fmt(c['ms_median'], '{:.1f}')}/{fmt(c['ms_p95'], '{:.1f}')} ms (cheap hash), "
            f"server CPU {fmt(c['server_cpu_ms_per_login'], '{:.1f}')} ms/login, kdamond "
            f"{c['kdamond_core_share'] * 100:.0f}% of a core")
        return ctl
    finally:
        end_idle_processes(forker)


def list_dir(nfiles):
    """The directory of NFILES files that the LIST and MLSD rows read."""
    return f"list-{nfiles}"


def listed_files(verb, data):
    """Entries for files in a LIST or MLSD reply: LIST's lines but its
    "total" line, MLSD's lines with the fact type=file (not cdir, pdir)."""
    lines = [ln for ln in data.split(b"\r\n") if ln.strip()]
    if verb == "LIST":
        return sum(1 for ln in lines if not ln.startswith(b"total"))
    return sum(1 for ln in lines if b"type=file;" in ln.split(b" ", 1)[0].lower())


def session_hwm_kib(srv):
    """{pid: VmHWM (peak resident KiB)} of SRV's session processes."""
    out = {}
    for p in srv.sessions():
        v = proc_status(p).get("VmHWM")
        if v:
            out[p] = int(v.split()[0])
    return out


def hwm_growth_kib(before, after):
    """The most any session process's peak RSS grew between two readings:
    what listing cost the process that served it (a streaming listing costs
    the same at any directory size)."""
    return max((after[p] - before[p] for p in after if p in before), default=None)


def bench_list(srv, ctx, reps, nfiles, verb):
    """VERB (LIST or MLSD) of the NFILES directory: one untimed listing, then
    REPS timed ones (EPSV to 226); None if the server has no MLSD (FEAT does
    not name MLST)."""
    c = Conn(srv.port, timeout=300)
    try:
        c.reply((220,))
        c.login(ctx, prot_p=True)
        if verb == "MLSD" and "MLST" not in c.cmd("FEAT", (211,))[1].upper():
            c.quit()
            return None
        c.cmd("TYPE A", (200,))
        line = f"{verb} {list_dir(nfiles)}"
        hwm0 = session_hwm_kib(srv)
        data = c.data(line, ctx)                        # warm-up, not timed
        files = listed_files(verb, data)
        times, waits, marks = [], [], {}
        for _ in range(reps):
            t0 = time.perf_counter()
            data = c.data(line, ctx)
            times.append(time.perf_counter() - t0)
            waits.append(c.completion_wait)
            for k, v in c.marks.items():
                marks.setdefault(k, []).append(v)
        hwm1 = session_hwm_kib(srv)
        c.quit()
    finally:
        c.close()
    srv.wait_quiet()
    if files != nfiles:
        raise RuntimeError(f"{srv.name}: {verb} gave {files} files, want {nfiles}")
    return {"reps": reps, "s_median": median(times), "s_min": min(times),
            "times_s": times, "bytes": len(data), "lines": files,
            "session_vmhwm_kib": max(hwm1.values(), default=None),
            "session_vmhwm_growth_kib": hwm_growth_kib(hwm0, hwm1),
            "ms_from_data_eof_to_226_median": median(waits) * 1000,
            "step_ms_median": {k: round(median(v), 2) for k, v in marks.items()}}


def bench_lists(servers, daemons, ctx, args):
    """R["list"][VERB][SIZE][MODE][DAEMON]: LIST and MLSD of each directory
    size, over FTPS and plain."""
    out = {}
    for verb in ("LIST", "MLSD"):
        for n in args.list_files:
            for mode, tls in (("ftps", True), ("plain", False)):
                log(f"{verb} of {n} files, {mode}")
                out.setdefault(verb, {}).setdefault(str(n), {})[mode] = {
                    d: bench_list(servers[(d, tls)], ctx if tls else None,
                                  args.list_reps, n, verb)
                    for d in daemons}
    return out


def make_list_dir(d, nfiles, pw):
    """NFILES files of 0-4095 bytes (sparse: only the listing is measured),
    owned by the bench user."""
    os.mkdir(d)
    for i in range(nfiles):
        fd = os.open(os.path.join(d, f"file-{i:06d}.dat"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.ftruncate(fd, i % 4096)
            os.fchown(fd, pw.pw_uid, pw.pw_gid)
        finally:
            os.close(fd)
    os.chown(d, pw.pw_uid, pw.pw_gid)


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
class Env:
    def __init__(self, args):
        self.args = args
        self.created_user = False
        self.created_pam = False
        self.pure_pam = None        # None, "remove" or "restore"
        self.sysctl_restore = {}
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

    def setup_pure_pam(self):
        """/etc/pam.d/pure-ftpd := a marked copy of the same PAM file. An
        existing file (Debian's pure-ftpd-common ships one) is saved in
        PAM_BACKUP and put back at the end; a marked copy left by a killed run
        is replaced (its saved original, if any, is kept for the end)."""
        backup = os.path.join(PAM_BACKUP, "pure-ftpd")
        try:
            with open(PURE_PAM_DST) as f:
                cur = f.read()
        except FileNotFoundError:
            cur = None
        if cur is not None and PAM_MARK not in cur:
            os.makedirs(PAM_BACKUP, mode=0o700, exist_ok=True)
            shutil.copy2(PURE_PAM_DST, backup + ".tmp")
            os.rename(backup + ".tmp", backup)
            self.pure_pam = "restore"
            log(f"{PURE_PAM_DST} exists: saved as {backup}, put back at the end")
        elif cur is not None and os.path.exists(backup):
            self.pure_pam = "restore"
            log(f"{PURE_PAM_DST} left over from an earlier run: the original saved in "
                f"{backup} is put back at the end")
        else:
            self.pure_pam = "remove"
        with open(PAM_SRC) as f:
            text = PAM_MARK + "\n" + f.read()
        with open(PURE_PAM_DST + ".tmp", "w") as f:
            f.write(text)
        os.chmod(PURE_PAM_DST + ".tmp", 0o644)
        os.rename(PURE_PAM_DST + ".tmp", PURE_PAM_DST)

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
        if self.pure_pam == "remove":
            try:
                os.unlink(PURE_PAM_DST)
            except FileNotFoundError:
                pass
        elif self.pure_pam == "restore":
            backup = os.path.join(PAM_BACKUP, "pure-ftpd")
            try:
                shutil.copy2(backup, PURE_PAM_DST + ".tmp")
                os.rename(PURE_PAM_DST + ".tmp", PURE_PAM_DST)
                os.unlink(backup)
            except OSError as e:
                log(f"putting back {PURE_PAM_DST} from {backup}: {e}")
        for key, val in self.sysctl_restore.items():
            try:
                with open(f"/proc/sys/{key.replace('.', '/')}", "w") as f:
                    f.write(str(val))
                log(f"{key} put back to {val}")
            except OSError as e:
                log(f"putting back {key}={val}: {e}")
        self.sysctl_restore = {}
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



def daemon_version(name):
    """{"binary", "source", "packages": {pkg: version}, "version": the
    daemon's own version string}."""
    root = daemon_root(name)
    if root is None:
        return None
    binary = daemon_binary(name)
    v = {"binary": binary, "packages": {}}
    if name == "ftpsd":
        v["source"] = "this repository, as built"
        return v
    if root == "/":
        v["source"] = "installed Debian package"
        for pkg in PEER_PACKAGES[name]:
            r = run(["dpkg-query", "-W", "-f", "${Version}", pkg], check=False)
            if r.returncode == 0 and r.stdout:
                v["packages"][pkg] = r.stdout.decode()
    else:
        v["source"] = f"Debian package unpacked by bench/run.sh into {root}"
        try:
            with open(os.path.join(root, ".versions")) as f:
                for line in f:
                    p, _, ver = line.strip().partition(" ")
                    v["packages"][p] = ver
        except OSError:
            pass
    try:
        if name == "vsftpd":        # vsftpd -v writes its version to fd 0
            r = run(["/bin/sh", "-c", '"$0" -v 0>&1', binary], check=False, timeout=10)
        elif name == "proftpd":
            r = run([binary, "-v"], check=False, timeout=10)
        else:
            r = run([binary, "--help"], check=False, timeout=10)
        text = (r.stdout + r.stderr).decode(errors="replace").strip().splitlines()
        v["version"] = text[0].strip() if text else None
    except Exception:
        v["version"] = None
    return v


def versions(daemons):
    v = {}
    try:
        v["ftpsd_git"] = run(["git", "-C", REPO, "rev-parse", "HEAD"]).stdout.decode().strip()
    except Exception:
        v["ftpsd_git"] = None
    for pkg in ("curl", "openssl", "libssl3", "libpam-modules"):
        r = run(["dpkg-query", "-W", "-f", "${Version}", pkg], check=False)
        v[pkg] = r.stdout.decode() if r.returncode == 0 else None
    v["daemons"] = {d: daemon_version(d) for d in daemons}
    pk = (v["daemons"].get("vsftpd") or {}).get("packages", {})
    v["vsftpd"] = pk.get("vsftpd")
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


def short_version(name, vinfo):
    if not vinfo:
        return f"{name} (missing)"
    if name == "ftpsd":
        return "ftpsd"
    pk = vinfo.get("packages", {})
    main = pk.get(PEER_PACKAGES[name][0])
    return f"{name} {main or '?'}" + ("" if vinfo.get("source", "").startswith("installed")
                                      else " (unpacked .deb)")


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
    """One row per metric: every daemon's value, the best peer (the best of
    vsftpd, proftpd and pure-ftpd), ftpsd / best peer, and the target."""
    rows = []

    def add(key, label, unit, f, vals, higher_better, target=None, target_ok=None,
            compare=True):
        vals = {d: v for d, v in vals.items() if v is not None}
        peers = {d: v for d, v in vals.items() if d in PEERS and compare}
        best = None
        if peers:
            best = (max if higher_better else min)(peers, key=lambda d: peers[d])
        fs = vals.get("ftpsd")
        better = None
        if fs is not None and best is not None:
            bv = peers[best]
            better = ("tie" if abs(fs - bv) <= 1e-6 * max(abs(fs), abs(bv)) else
                      "ftpsd" if (fs > bv) == higher_better else best)
        rows.append({"key": key, "label": label, "unit": unit, "fmt": f, "values": vals,
                     "best_peer": best, "best_peer_value": peers.get(best),
                     "ratio_vs_best": ratio(fs, peers.get(best)),
                     "ratio_vs_vsftpd": ratio(fs, vals.get("vsftpd")),
                     "higher_is_better": higher_better, "better": better,
                     "target": target, "target_met": target_ok})

    T = R.get("transfers", {})
    for mode in ("ftps", "plain"):
        for d in ("download", "upload"):
            k = f"{mode}_{d}"
            if k not in T:
                continue
            mb = {x: median([r["mb_per_s"] for r in runs]) for x, runs in T[k].items()}
            cpu = {x: median([r["server_cpu_per_gib"] for r in runs]) for x, runs in T[k].items()}
            add(f"{k}_mb_per_s", f"{mode.upper()} {d} throughput", "MB/s", "{:.0f}", mb, True)
            tgt = ok = None
            best = best_peer_value(cpu, False)
            if mode == "ftps" and cpu.get("ftpsd") is not None and best is not None:
                tgt, ok = TARGETS["ftps_cpu_per_gib"], cpu["ftpsd"] <= 0.6 * best
            add(f"{k}_cpu_per_gib", f"{mode.upper()} {d} server CPU", "CPU-s/GiB", "{:.3f}",
                cpu, False, tgt, ok)
    L = R.get("logins", {})
    for k, label in (("default_seq", "FTPS logins, sequential"),
                     ("default_par8", "FTPS logins, 8 parallel"),
                     ("cheap_seq", "FTPS logins, sequential, cheap hash"),
                     ("cheap_par8", "FTPS logins, 8 parallel, cheap hash")):
        if k not in L:
            continue
        per = L[k]
        tgt = ok = None
        best = best_peer_value({d: x["per_s"] for d, x in per.items()}, True)
        if k.startswith("default") and "ftpsd" in per and best is not None:
            tgt, ok = TARGETS["ftps_logins_per_s"], per["ftpsd"]["per_s"] >= 2 * best
        add(f"logins_{k}_per_s", label, "logins/s", "{:.1f}",
            {d: x["per_s"] for d, x in per.items()}, True, tgt, ok)
        add(f"logins_{k}_cpu_ms", label + ": server CPU", "ms/login", "{:.2f}",
            {d: x["server_cpu_ms_per_login"] for d, x in per.items()}, False)
        add(f"logins_{k}_latency_ms", label + ": latency median", "ms", "{:.1f}",
            {d: x["latency_ms_median"] for d, x in per.items()}, False)
    for k, r in R.get("logins_nospares", {}).items():
        if k in L and r.get("elapsed_s"):
            vals = {d: x["per_s"] for d, x in L[k].items() if d != "ftpsd"}
            vals["ftpsd"] = r["logins"] / r["elapsed_s"]
            add(f"logins_{k}_nospares_per_s", f"FTPS logins ({k}), ftpsd WITHOUT spares",
                "logins/s", "{:.1f}", vals, True)
    B = R.get("banner", {})
    if B:
        add("banner_ms", "time to first banner (median)", "ms", "{:.2f}",
            {d: x["ms_median"] for d, x in B.items() if d in DAEMONS}, False)
        if "ftpsd_nospares" in B:
            vals = {d: x["ms_median"] for d, x in B.items() if d in PEERS}
            vals["ftpsd"] = B["ftpsd_nospares"]["ms_median"]
            add("banner_nospares_ms", "time to first banner, ftpsd WITHOUT spares", "ms",
                "{:.2f}", vals, False)
    M = R.get("memory", {})
    if M:
        n = next(iter(M.values()))["sessions"]
        fs = M.get("ftpsd")
        tgt = ok = None
        if fs:
            tgt, ok = TARGETS["idle_session_pss_kib"], fs["pss_kib_per_session"] <= 600
        add("idle_session_pss_kib", f"PSS per idle FTPS session (N={n})", "KiB", "{:.0f}",
            {d: x["pss_kib_per_session"] for d, x in M.items()}, False, tgt, ok)
        for key, label, field, f in (
                ("idle_session_marginal_pss_kib", "  whole tree PSS growth per session",
                 "marginal_pss_kib_per_session", "{:.0f}"),
                ("idle_session_marginal_uss_kib", "  whole tree USS growth per session",
                 "marginal_uss_kib_per_session", "{:.0f}"),
                ("idle_session_uss_kernel_kib",
                 "  USS + page tables + kernel stacks per session",
                 "uss_plus_kernel_kib_per_session", "{:.0f}"),
                ("idle_session_memavail_kib", "  MemAvailable drop per session (all)",
                 "mem_available_drop_kib_per_session", "{:.0f}"),
                ("idle_session_memavail_server_kib", "  MemAvailable drop - client USS",
                 "mem_available_drop_minus_client_kib_per_session", "{:.0f}"),
                ("idle_session_client_uss_kib", "  client (this script) USS per session",
                 "client_uss_kib_per_session", "{:.0f}")):
            add(key, label, "KiB", f, {d: x[field] for d, x in M.items()}, False,
                compare=not key.endswith("client_uss_kib"))
        add("idle_session_procs", "processes per idle FTPS session", "procs", "{:.1f}",
            {d: x["tree_procs_per_session"] for d, x in M.items()}, False)
        add("idle_tree_procs", "server processes when idle (master, spares)", "procs", "{:.0f}",
            {d: x["idle_tree_processes"] for d, x in M.items()}, False)
    for verb, sizes in R.get("list", {}).items():
        for n, modes in sizes.items():
            for mode, per in modes.items():
                t = {d: x and x["s_median"] for d, x in per.items()}
                tgt = ok = None
                best = min((v for d, v in t.items() if d in PEERS and v is not None),
                           default=None)
                if mode == "ftps" and t.get("ftpsd") is not None and best is not None:
                    tgt, ok = TARGETS["list_s"], t["ftpsd"] <= 0.8 * best
                add(f"{verb.lower()}{n}_{mode}_s",
                    f"{verb} {int(n):,} files, {mode.upper()} (median)", "s", "{:.3f}", t,
                    False, tgt, ok)
            add(f"{verb.lower()}{n}_ftps_hwm_growth_kib",
                f"  peak RSS growth of the session while listing, {verb} {int(n):,}", "KiB",
                "{:.0f}", {d: x and x["session_vmhwm_growth_kib"]
                           for d, x in modes.get("ftps", {}).items()}, False)
    return rows


def format_table(hdr, lines, left):
    w = [max(len(str(x[i])) for x in lines + [hdr]) for i in range(len(hdr))]
    out = ["  ".join(h.ljust(w[i]) if i in left else h.rjust(w[i])
                     for i, h in enumerate(hdr)).rstrip(),
           "  ".join("-" * x for x in w)]
    for ln in lines:
        out.append("  ".join(str(v).ljust(w[i]) if i in left else str(v).rjust(w[i])
                             for i, v in enumerate(ln)).rstrip())
    return "\n".join(out)


def print_table(rows, meta, daemons):
    peers = [d for d in PEERS if d in daemons]
    hdr = ("metric", "unit", "ftpsd") + tuple(peers) + ("best peer", "ftpsd/best", "better",
                                                        "target")
    lines = []
    for r in rows:
        f = r["fmt"]
        tgt = ""
        if r["target"]:
            tgt = ("MET  " if r["target_met"] else "MISSED ") + r["target"]
        lines.append((r["label"], r["unit"], fmt(r["values"].get("ftpsd"), f)) +
                     tuple(fmt(r["values"].get(d), f) for d in peers) +
                     (r["best_peer"] or "-", fmt(r["ratio_vs_best"], "{:.2f}"),
                      r["better"] or "-", tgt))
    left = {0, 1, len(hdr) - 4, len(hdr) - 2, len(hdr) - 1}
    V = meta["versions"]
    print()
    print(f"ftpsd {(V.get('ftpsd_git') or '?')[:12]}"
          + ("" if "ftpsd" in daemons else " (NOT BUILT: no ftpsd numbers)"
             if daemon_root("ftpsd") is None else " (left out with --daemons)") + " vs "
          + ", ".join(short_version(d, V["daemons"].get(d)) for d in peers)
          + f" - {meta['nproc']} CPUs, {meta['date']}")
    print("ftpsd/best = ftpsd's value / the best peer's value on that row (the best of "
          + ", ".join(peers) + "); 'better' names who wins the row")
    print(format_table(hdr, lines, left))
    print()


def print_scale(S, meta):
    for d, s in S.items():
        print(f"scale: {short_version(d, meta['versions']['daemons'].get(d))}"
              + (f" {(meta['versions'].get('ftpsd_git') or '?')[:12]}" if d == "ftpsd" else "")
              + f", up to {s['target_sessions']:,} idle logged-in FTPS sessions "
              f"(opened {s['window']} at a time with the cheap hash); fresh logins: "
              f"{s['probes']} per hash and level; times in ms, memory in KiB per session")
        hdr = ("idle sessions", "login ms median", "p95", "default hash: median", "p95",
               "failed", "server CPU ms/login", "kdamond % core", "MemAvailable drop/sess", "minus client USS", "server PSS/sess",
               "server USS/sess", "USS+PTE+stacks", "procs/sess")
        lines = []
        for lv in s["levels"]:
            c, h = lv["login_cheap"], lv["login_default"]
            lines.append((f"{lv['sessions']:,}", fmt(c["ms_median"], "{:.1f}"),
                          fmt(c["ms_p95"], "{:.1f}"), fmt(h["ms_median"], "{:.1f}"),
                          fmt(h["ms_p95"], "{:.1f}"), str(c["errors"] + h["errors"]),
                          fmt(c.get("server_cpu_ms_per_login"), "{:.1f}"),
                          fmt(c.get("kdamond_core_share", 0) * 100, "{:.0f}"),
                          fmt(lv.get("mem_available_drop_kib_per_session"), "{:.0f}"),
                          fmt(lv.get("mem_available_drop_minus_client_kib_per_session"),
                              "{:.0f}"),
                          fmt(lv.get("server_pss_kib_per_session"), "{:.0f}"),
                          fmt(lv.get("server_uss_kib_per_session"), "{:.0f}"),
                          fmt(lv.get("server_uss_plus_kernel_kib_per_session"), "{:.0f}"),
                          fmt(lv.get("server_procs_per_session"), "{:.2f}")))
        ctl = s.get("control")
        if ctl:
            c, h = ctl["login_cheap"], ctl["login_default"]
            lines.append((f"0 + {ctl['idle_processes']:,} idle processes", fmt(c["ms_median"], "{:.1f}"),
                          fmt(c["ms_p95"], "{:.1f}"), fmt(h["ms_median"], "{:.1f}"),
                          fmt(h["ms_p95"], "{:.1f}"), str(c["errors"] + h["errors"]),
                          fmt(c.get("server_cpu_ms_per_login"), "{:.1f}"),
                          fmt(c.get("kdamond_core_share", 0) * 100, "{:.0f}"))
                         + ("-",) * 6)
        print(format_table(hdr, lines, {0}))
        if ctl:
            print("  last row, the control: no sessions, but as many unrelated idle processes as "
                  "the top level's server tree; what grows there grows for any server here")
        for lv in s["levels"]:
            steps = lv["login_cheap"].get("step_ms_p95")
            if steps:
                print(f"  p95 per login step at {lv['sessions']:,} (cheap hash, ms): "
                      + ", ".join(f"{k} {v}" for k, v in steps.items()))
        if s.get("probe_gap_ms"):
            print(f"  probe logins {s['probe_gap_ms']:g} ms apart (--scale-probe-gap)")
        for rp in s["ramps"]:
            print(f"  ramp {rp['from']:,} -> {rp['to']:,}: {rp['seconds']:.1f} s, "
                  f"{fmt(rp['per_s'], '{:.0f}')} logins/s, {rp['errors']} failed"
                  + (f" (first: {rp['first_error']})" if rp["first_error"] else ""))
        for c in s["limits_raised"]:
            print(f"  raised {c}")
        for w in s["warnings"]:
            print(f"  warning: {w}")
        if s["stopped_early"]:
            print(f"  STOPPED EARLY: {s['stopped_early']}")
        print()


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def pasv_ports(args):
    """The passive range of every instance: Pure-FTPd caps its client limit
    at half its passive range, so the range is twice the most sessions a
    test holds at once (the memory test), and the same for all daemons."""
    return max(50, 2 * (max(args.sessions, args.parallel) + 50))


def start_server(env, daemon, tls, home, cert, key, ctx, args):
    srv = Server(daemon, tls, env.work, home, cert, key,
                 max_sessions=max(args.sessions, args.parallel, 50) + 1000,
                 list_files=max(args.list_files), pasv_ports=pasv_ports(args))
    env.servers[(daemon, tls)] = srv
    # vsftpd: seccomp_sandbox=YES first; if that breaks, the key left out as
    # Debian's /etc/vsftpd.conf does; then NO.
    modes = [True, None, False] if daemon == "vsftpd" else [True]
    for i, mode in enumerate(modes):
        srv.seccomp = mode
        srv.start()
        try:
            probe(srv, ctx if tls else None)
            break
        except (OSError, FTPError, ssl.SSLError) as e:
            if i == len(modes) - 1:
                raise RuntimeError(f"{srv.name} fails the probe (login, LIST, RETR, STOR): "
                                   f"{e}\n{srv.output()}")
            srv.stop()
            srv.broken_with.append((mode, f"{type(e).__name__}: {e}"))
            log(f"{srv.name}: broken with seccomp_sandbox={'YES' if mode else 'NO'}: {e}")
    log(f"{srv.name} up and serving (probe: login, LIST, RETR, STOR): port {srv.port}, "
        f"master pid {srv.master}")
    return srv


def main():
    ap = argparse.ArgumentParser(
        description="ftpsd vs vsftpd, ProFTPD and Pure-FTPd benchmark (run as root, "
                    "through bench/run.sh)")
    ap.add_argument("--size-mib", type=int, default=1024, help="transfer size (default 1024)")
    ap.add_argument("--runs", type=int, default=3, help="runs per transfer (median reported)")
    ap.add_argument("--login-seconds", type=float, default=10.0)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--sessions", type=int, default=200,
                    help="idle sessions per daemon in the memory test (default 200)")
    ap.add_argument("--list-files", type=lambda v: [int(x) for x in v.split(",")],
                    default=[20000, 200000],
                    help="sizes of the LIST/MLSD directories (default 20000,200000)")
    ap.add_argument("--list-reps", type=int, default=5)
    ap.add_argument("--banner-count", type=int, default=200)
    ap.add_argument("--no-cheap-hash", action="store_true",
                    help="skip the logins with a cheap password hash (SHA-512, 1000 rounds)")
    ap.add_argument("--only", default="banner,transfers,list,logins,memory",
                    help="comma list of: banner,transfers,list,logins,memory,scale")
    ap.add_argument("--daemons", default=",".join(DAEMONS),
                    help="comma list of the daemons to run (default: " + ",".join(DAEMONS)
                    + "; a missing one is left out with a note)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 64 MiB, 1 run, 2 s logins, 2,000 files, 50 sessions")
    ap.add_argument("--scale", action="store_true",
                    help="also run the scale test (long: see --scale-sessions)")
    ap.add_argument("--scale-sessions", type=int, default=10000,
                    help="idle sessions to hold in the scale test (default 10000)")
    ap.add_argument("--scale-levels", default=None,
                    help="session counts to measure at (default 0,1000,5000,10000, or "
                         "0,N/10,N/2,N for another --scale-sessions)")
    ap.add_argument("--scale-daemons", default="ftpsd",
                    help="daemons for the scale test (default ftpsd)")
    ap.add_argument("--scale-probe-gap", type=float, default=0.0,
                    help="ms between two probe logins (default 0: back to back)")
    ap.add_argument("--scale-spares", type=int, default=None,
                    help="ftpsd's prefork_spares in the scale test (default: its own default)")
    ap.add_argument("--scale-probes", type=int, default=50,
                    help="fresh logins timed per level and hash (default 50)")
    ap.add_argument("--scale-window", type=int, default=16,
                    help="logins in progress at once while opening the sessions (default 16)")
    ap.add_argument("--scale-deadline", type=float, default=1800.0,
                    help="seconds the scale test may spend per daemon opening sessions "
                         "(default 1800); it then stops with a message")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--keep-workdir", action="store_true")
    ap.add_argument("--clean-cache", action="store_true",
                    help="remove the cached payload(s) and unpacked peers in " + CACHE_DIR +
                         " and exit")
    ap.add_argument("--setup-only", action="store_true",
                    help="(bench/run.sh) get the tools and peers, run nothing")
    args = ap.parse_args()
    if args.quick:
        args.size_mib, args.runs, args.login_seconds = 64, 1, 2.0
        args.list_reps, args.banner_count = 2, 30
        if "--list-files" not in " ".join(sys.argv):
            args.list_files = [2000]
        if "--sessions" not in " ".join(sys.argv):
            args.sessions = 50
    only = set(args.only.split(","))
    if args.scale:
        only.add("scale")
    regular = only & {"banner", "transfers", "list", "logins", "memory"}

    if args.clean_cache:
        shutil.rmtree(CACHE_DIR, ignore_errors=True)
        log(f"removed {CACHE_DIR}")
        return 0
    if args.setup_only:
        return 0
    if os.geteuid() != 0:
        sys.exit("ftpbench: run as root (sudo bench/run.sh)")
    for p in (shutil.which("curl"), shutil.which("openssl"), PAM_SRC):
        if not p or not os.path.exists(p):
            sys.exit(f"ftpbench: missing {p}")
    notes = []
    wanted = [d for d in args.daemons.split(",") if d]
    for d in wanted:
        if d not in DAEMONS:
            sys.exit(f"ftpbench: unknown daemon {d!r} (known: {', '.join(DAEMONS)})")
    daemons = [d for d in DAEMONS if d in wanted and daemon_root(d)]
    for d in wanted:
        if d not in daemons:
            msg = (f"{FTPSD} is not built ('make' first): no ftpsd numbers in this run"
                   if d == "ftpsd" else
                   f"{d} is missing (neither /usr/sbin/{d} nor unpacked by bench/run.sh): "
                   "left out")
            log(msg)
            notes.append(msg)
    if not daemons:
        sys.exit("ftpbench: no daemon to run")
    scale_daemons = [d for d in args.scale_daemons.split(",") if d]
    if "scale" in only:
        for d in scale_daemons:
            if d not in daemons:
                notes.append(f"scale test: {d} is not available; skipped")
        scale_daemons = [d for d in scale_daemons if d in daemons]

    size = args.size_mib << 20
    t_start = time.monotonic()
    env = Env(args)
    env.notes = notes

    def on_signal(sig, frame):
        raise KeyboardInterrupt(f"signal {sig}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    R = {}
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(), "nproc": os.cpu_count(),
        "mem_total_kib": None, "loadavg_start": loadavg(), "versions": versions(daemons),
        "daemons": daemons,
        "settings": {"size_bytes": size, "runs": args.runs,
                     "login_seconds": args.login_seconds, "parallel": args.parallel,
                     "sessions": args.sessions, "list_files": args.list_files,
                     "list_reps": args.list_reps, "banner_count": args.banner_count,
                     "only": sorted(only)},
        "cpu_method": ("each server runs under its own reaper process (prctl "
                       "PR_SET_CHILD_SUBREAPER), so every process of its tree is reaped "
                       "either by its parent or by the reaper; with the tree quiet before "
                       "and after a test, server CPU = reaper's cutime+cstime + for every "
                       "live process of the tree utime+stime+cutime+cstime from "
                       "/proc/PID/stat; the test's cost is the difference"),
        "notes": env.notes,
    }
    with open("/proc/meminfo") as f:
        meta["mem_total_kib"] = int(f.readline().split()[1])
    for d in daemons:
        vi = meta["versions"]["daemons"][d]
        log(f"{d}: {vi.get('version') or ''} {vi.get('packages') or ''} - {vi['source']}, "
            f"{vi['binary']}")
    busy = [f"{v[0]}({p})" for p, v in proc_table().items()
            if v[0] in ("ftpsd-master", "vsftpd", "proftpd", "pure-ftpd", "pytest",
                        "ftpbench.py") and p != MAIN_PID]
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
        if "pure-ftpd" in daemons:
            env.setup_pure_pam()
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
            for n in args.list_files:
                log(f"creating {n} files for LIST and MLSD")
                make_list_dir(os.path.join(home, list_dir(n)), n, pw)

        ctx = client_ctx()
        S = {}
        if regular:
            for daemon in daemons:
                for tls in (True, False):
                    start_server(env, daemon, tls, home, cert, key, ctx, args)
            ftps = [env.servers[(d, True)] for d in daemons]
            ns = None
            if "ftpsd" in daemons:
                # The same ftpsd without pre-forked spares, for the pool's
                # effect on logins and the first banner.
                ns = Server("ftpsd", True, env.work, home, cert, key, spares=0,
                            max_sessions=args.sessions + 1000, list_files=max(args.list_files),
                            pasv_ports=pasv_ports(args))
                env.servers[("ftpsd-nospares", True)] = ns
                ns.start()
                probe(ns, ctx)
            meta["tls"] = {s.daemon: tls_info(s, ctx) for s in ftps}
            meta["session_sandbox"] = {s.daemon: session_sandbox(s, ctx) for s in ftps}
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
                    + (f" - Debian's build has it off by default (its session processes "
                       f"show Seccomp: {', '.join(sc)})" if s.seccomp is None else ""))
            meta["configs"] = {s.name: s.conf_text() for s in env.servers.values()}

            if "banner" in only:
                log(f"time to first banner, {args.banner_count} connections each")
                R["banner"] = {s.daemon: bench_banner(s, args.banner_count) for s in ftps}
                if ns:
                    R["banner"]["ftpsd_nospares"] = bench_banner(ns, args.banner_count)
            if "transfers" in only:
                log(f"transfers of {size >> 20} MiB, {args.runs} runs each")
                R["transfers"] = bench_transfers(env.servers, daemons, payload, size,
                                                 args.runs)
            if "list" in only:
                R["list"] = bench_lists(env.servers, daemons, ctx, args)

            def memory():
                log(f"memory: {args.sessions} idle FTPS sessions each")
                R["memory"] = {}
                for s in ftps:
                    R["memory"][s.daemon] = m = bench_memory(s, args.sessions, ctx)
                    log(f"  {s.daemon:9}: PSS {m['pss_kib_per_session']:.0f} KiB/session "
                        f"(tree growth: PSS {m['marginal_pss_kib_per_session']:.0f}, USS "
                        f"{m['marginal_uss_kib_per_session']:.0f}), "
                        f"{m['tree_procs_per_session']:.1f} procs/session, MemAvailable drop "
                        f"{m['mem_available_drop_kib_per_session']:.0f} KiB/session "
                        f"(client USS {m['client_uss_kib_per_session']:.0f})")
            if "logins" in only:
                R["logins"] = {}
                variants = [("default", None)]
                if not args.no_cheap_hash:
                    variants.append(("cheap", CHEAP_HASH))
                for label, method in variants:
                    h = env.set_password(method)
                    meta["password_hash"][label + "_verify_ms"] = hash_cost_ms(h)
                    meta["password_hash"][label + "_prefix"] = h[:h.find("$", 4) + 1]
                    for par in (1, args.parallel):
                        k = f"{label}_{'seq' if par == 1 else f'par{par}'}"
                        log(f"logins {k}: {args.login_seconds:g} s per server "
                            f"({' '.join(s.daemon for s in ftps)}, then back)")
                        order = ftps if par == 1 else list(reversed(ftps))
                        R["logins"][k] = bench_logins(order, args.login_seconds, par)
                        if label == "default" and ns:
                            log(f"logins {k}: ftpsd without spares")
                            R.setdefault("logins_nospares", {})[k] = login_chunk(
                                ns, args.login_seconds, par)
                        for d, res in R["logins"][k].items():
                            cpu = res["server_cpu_ms_per_login"]
                            log(f"  {d:9}: {res['per_s']:.1f}/s, "
                                f"{cpu if cpu is None else round(cpu, 2)} ms server CPU per "
                                f"login, latency {res['latency_ms_median']:.1f} ms, "
                                f"{res['errors']} errors {res['first_error'] or ''}")
                            if res["errors"]:
                                env.notes.append(f"logins {k} {d}: {res['errors']} errors, "
                                                 f"first: {res['first_error']}")
                    if label == "default" and "memory" in only:
                        memory()
                env.set_password()
            elif "memory" in only:
                memory()
            # the instances are not needed any more: the scale test gets the CPU
            if "scale" in only:
                for k in list(env.servers):
                    env.servers[k].stop()
        if "scale" in only:
            for d in scale_daemons:
                md = R.get("memory", {}).get(d, {})
                pps = (md.get("tree_procs_per_session")
                       or {"ftpsd": 3, "vsftpd": 3, "proftpd": 1, "pure-ftpd": 2}[d])
                kps = md.get("mem_available_drop_kib_per_session")
                log(f"scale {d}: {args.scale_sessions:,} idle FTPS sessions, deadline "
                    f"{args.scale_deadline:g} s")
                S[d] = bench_scale(env, d, args, ctx, home, cert, key, max(1.0, pps),
                                   kps if kps and kps > 0 else None)
                R["scale"] = S
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
                for d in L["default_seq"]
                if d in L["cheap_seq"] and
                L["default_seq"][d]["server_cpu_ms_per_login"] is not None and
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
                for d in L[k]))
            break
    for n, modes in R.get("list", {}).get("LIST", {}).items():
        env.notes.append(f"LIST of {int(n):,} files over FTPS, median ms to each step from the "
                         "one before: " + "; ".join(f"{d} " + " ".join(
                             f"{k}={v:g}" for k, v in x["step_ms_median"].items())
                             for d, x in modes.get("ftps", {}).items()))
        break
    if meta.get("tls"):
        env.notes.append("TLS negotiated: " + ", ".join(
            f"{d} {v['version']} {v['cipher']}" for d, v in meta["tls"].items()))
    if rc == 0 or R:
        rows = build_summary(R)
        doc = {"meta": meta,
               "summary": {r["key"]: {k: r[k] for k in
                                      ("label", "unit", "values", "best_peer", "best_peer_value",
                                       "ratio_vs_best", "ratio_vs_vsftpd", "higher_is_better",
                                       "better", "target", "target_met")} for r in rows},
               "raw": R, "complete": rc == 0}
        out = args.out
        if rc != 0:     # never overwrite a complete result with a partial one
            out = (out[:-5] if out.endswith(".json") else out) + ".partial.json"
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out + ".tmp", "w") as f:
            json.dump(doc, f, indent=2, default=str)
            f.write("\n")
        os.rename(out + ".tmp", out)
        if rows:
            print_table(rows, meta, daemons)
        if R.get("scale"):
            print_scale(R["scale"], meta)
        for n in meta["notes"]:
            print("note: " + n)
        print(f"JSON: {out}   (run took {meta['duration_s']:.0f} s)"
              + ("" if rc == 0 else " - INCOMPLETE RUN"))
    return rc


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--reaper" and sys.argv[2] == "--":
        reaper_main(sys.argv[3:])
    sys.exit(main())
