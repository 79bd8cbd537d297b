"""Shared fixtures of the ftpsd integration suite.

The suite starts the real daemon as root on loopback and drives it with real
clients (Python's ftplib, curl, raw sockets). Everything it changes on the
machine is undone at the end of the session:

- a PAM service /etc/pam.d/ftpsd-test, a copy of the repo's etc/pam.d/ftpsd;
- a user `ftpsd-test` (created, and removed with its home, only if absent);
- files under that user's home (one directory per test, removed after it).

Every socket has a timeout, every subprocess a deadline: a hang fails a test
instead of blocking the run.
"""

import ftplib
import grp
import hashlib
import io
import os
import pwd
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FTPSD = os.path.join(REPO, "ftpsd")
PAM_SRC = os.path.join(REPO, "etc", "pam.d", "ftpsd")
PAM_SERVICE = "ftpsd-test"
PAM_DST = os.path.join("/etc/pam.d", PAM_SERVICE)

USER = "ftpsd-test"
PASSWORD = "Ftpsd7TestPw"       # alphanumeric: safe in URLs and shells
HOST = "127.0.0.1"
TIMEOUT = 10                    # seconds, for every client socket
DEFAULT_SECURE_CHROOT = "/run/ftpsd/empty"

# What the repo's PAM file is documented to contain; used only when the repo
# does not ship the file yet (test_pam_service_file_is_shipped fails then).
PAM_FALLBACK = """\
auth required pam_listfile.so item=user sense=deny file=/etc/ftpusers onerr=succeed
@include common-auth
auth required pam_shells.so
@include common-account
@include common-session
"""


# --------------------------------------------------------------------------
# /proc helpers
# --------------------------------------------------------------------------

def proc_status(pid):
    """Fields of /proc/PID/status as a dict of strings, or None if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            out = {}
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
            return out
    except (FileNotFoundError, ProcessLookupError):
        return None


class Proc:
    def __init__(self, pid, st):
        self.pid = pid
        self.comm = st["Name"]
        self.ppid = int(st["PPid"])
        self.state = st["State"].split()[0]
        self.ruid, self.euid, self.suid, self.fsuid = map(int, st["Uid"].split())
        self.rgid, self.egid, self.sgid, self.fsgid = map(int, st["Gid"].split())
        self.groups = sorted(int(g) for g in st.get("Groups", "").split())
        self.status = st

    @property
    def root(self):
        try:
            return os.readlink(f"/proc/{self.pid}/root")
        except OSError:
            return None

    def __repr__(self):
        return (f"<{self.comm} pid={self.pid} ppid={self.ppid} uid={self.ruid}/"
                f"{self.euid} gid={self.rgid} state={self.state} root={self.root}>")


def all_procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_status(int(d))
            if st:
                try:
                    out[int(d)] = Proc(int(d), st)
                except (KeyError, ValueError):
                    pass
    return out


def proc(pid):
    st = proc_status(pid)
    return Proc(pid, st) if st else None


def alive(pid):
    """True if PID exists and is not a zombie."""
    p = proc(pid)
    return p is not None and p.state != "Z"


def descendants(pid, procs=None):
    procs = procs or all_procs()
    kids = {}
    for p in procs.values():
        kids.setdefault(p.ppid, []).append(p)
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c.pid)
    return out


def children(pid, procs=None):
    procs = procs or all_procs()
    return [p for p in procs.values() if p.ppid == pid]


def zygotes(master_pid, procs=None):
    """The master's zygotes: the clean images sessions are forked from."""
    procs = procs or all_procs()
    return [p for p in children(master_pid, procs) if p.comm == "ftpsd-zygote"]


def spawners(master_pid, procs=None):
    """The zygotes' spawners: each forks and reaps up to 128 sessions."""
    procs = procs or all_procs()
    zs = {z.pid for z in zygotes(master_pid, procs)}
    return [p for p in procs.values() if p.ppid in zs and p.comm == "ftpsd-spawner"]


def sessions_of(master_pid, procs=None):
    """The monitors (sessions and spares) of MASTER: children of a spawner
    of its zygote, or of the master itself once a reload retired their
    zygote."""
    procs = procs or all_procs()
    parents = {master_pid} | {s.pid for s in spawners(master_pid, procs)}
    return [p for p in procs.values() if p.ppid in parents and p.comm == "ftpsd-monitor"]


def wait_until(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def _hexaddr(h):
    if len(h) == 8:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(h)[::-1])
    b = bytes.fromhex(h)
    b = b"".join(b[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, b)


def tcp_sockets():
    """Rows of /proc/net/tcp{,6}: (local_ip, local_port, rem_ip, rem_port, state, inode)."""
    rows = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    la, lp = parts[1].split(":")
                    ra, rp = parts[2].split(":")
                    a = _hexaddr(la)
                    r = _hexaddr(ra)
                    if a.startswith("::ffff:"):
                        a = a[7:]
                    if r.startswith("::ffff:"):
                        r = r[7:]
                    rows.append((a, int(lp, 16), r, int(rp, 16), parts[3], int(parts[9])))
        except FileNotFoundError:
            pass
    return rows


def is_listening(port, addr=None):
    return any(r[1] == port and r[4] == "0A" and (addr is None or r[0] == addr)
               for r in tcp_sockets())


def pids_holding_inode(inode):
    target = f"socket:[{inode}]"
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{d}/fd"):
                try:
                    if os.readlink(f"/proc/{d}/fd/{fd}") == target:
                        out.append(int(d))
                        break
                except OSError:
                    pass
        except OSError:
            pass
    return out


def holds_tcp(pid):
    """True if PID holds a TCP socket (a waiting relay or spare holds none)."""
    inodes = {str(r[5]) for r in tcp_sockets() if r[5]}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in inodes:
            return True
    return False


def server_side_holders(sock):
    """PIDs that hold the server end of the TCP connection SOCK (a client socket)."""
    lip, lport = sock.getsockname()[:2]
    rip, rport = sock.getpeername()[:2]
    for (a, p, r, rp, state, inode) in tcp_sockets():
        if a == rip and p == rport and r == lip and rp == lport and inode:
            return pids_holding_inode(inode)
    return []


def session_procs(sock, timeout=5.0):
    """(monitor, engine) Proc of the session serving client socket SOCK.

    The engine is the monitor's child named ftpsd-engine or ftpsd-preauth
    (None if there is none). Found from the PIDs holding the server side of
    the connection, walking up to the ftpsd-monitor ancestor.
    """
    def find():
        procs = all_procs()
        for pid in server_side_holders(sock):
            p = procs.get(pid)
            while p is not None and p.comm != "ftpsd-monitor":
                p = procs.get(p.ppid)
            if p is not None:
                return p
        return None

    mon = wait_until(find, timeout)
    if mon is None:
        return None, None
    kids = [c for c in children(mon.pid) if c.comm in ("ftpsd-engine", "ftpsd-preauth")
            and c.state != "Z"]
    return mon, (kids[0] if kids else None)


# --------------------------------------------------------------------------
# ports
# --------------------------------------------------------------------------

_used_ports = set()
_port_lock = threading.Lock()


def _bindable(port, addr=HOST):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    with _port_lock:
        for _ in range(100):
            s = socket.socket()
            s.bind((HOST, 0))
            p = s.getsockname()[1]
            s.close()
            if p not in _used_ports:
                _used_ports.add(p)
                return p
    raise RuntimeError("no free port")


def free_port_range(n):
    """N consecutive free ports below the ephemeral range, never reused in a run."""
    with _port_lock:
        for _ in range(200):
            start = random.randrange(20000, 32000 - n)
            ports = range(start, start + n)
            if any(p in _used_ports for p in ports):
                continue
            if all(_bindable(p) for p in ports):
                _used_ports.update(ports)
                return start, start + n - 1
    raise RuntimeError("no free port range")


# --------------------------------------------------------------------------
# clients
# --------------------------------------------------------------------------

class FTPReplyError(AssertionError):
    pass


class Ctl:
    """A raw FTP control connection that keeps a transcript.

    reply() reads one complete (possibly multi-line, RFC 959 4.2) reply and
    returns (code, text) where text holds every line joined by '\n'.
    """

    def __init__(self, host=HOST, port=21, timeout=TIMEOUT, source=None,
                 family=socket.AF_INET, read_banner=True):
        self.transcript = []
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=source)
        self.timeout = timeout
        self.sock.settimeout(timeout)
        self.f = self.sock.makefile("rb")
        self.host = host
        self.banner = self.reply() if read_banner else None

    # -- low level
    def send(self, line):
        self.transcript.append(f"C: {line}")
        self.sock.sendall(line.encode("utf-8", "surrogateescape") + b"\r\n")

    def send_raw(self, data):
        self.transcript.append(f"C(raw): {data[:120]!r}{'...' if len(data) > 120 else ''}")
        self.sock.sendall(data)

    def readline(self):
        line = self.f.readline(65536)
        if not line:
            self.transcript.append("S: <EOF>")
            raise EOFError("control connection closed by server\n" + self.dump())
        s = line.decode("utf-8", "replace").rstrip("\r\n")
        self.transcript.append(f"S: {s}")
        return s

    def reply(self):
        first = self.readline()
        if not re.match(r"^\d{3}[ -]", first):
            raise FTPReplyError(f"malformed reply line {first!r}\n" + self.dump())
        code = first[:3]
        lines = [first]
        if first[3] == "-":
            while True:
                line = self.readline()
                lines.append(line)
                if line.startswith(code + " "):
                    break
        return int(code), "\n".join(lines)

    def cmd(self, line):
        self.send(line)
        return self.reply()

    def final(self, line=None):
        """Send LINE (if given) and read replies until a non-1xx one."""
        if line is not None:
            self.send(line)
        while True:
            code, text = self.reply()
            if code >= 200:
                return code, text

    def expect(self, line, *codes):
        code, text = self.cmd(line)
        if code not in codes:
            raise FTPReplyError(
                f"{line!r}: expected {codes}, got {code}\n" + self.dump())
        return code, text

    def dump(self):
        return "transcript:\n  " + "\n  ".join(self.transcript[-40:])

    def eof(self, timeout=5.0):
        """True if the server closes the control connection within TIMEOUT
        (any reply lines before EOF are read into the transcript)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                line = self.f.readline(65536)
                if not line:
                    self.transcript.append("S: <EOF>")
                    return True
                self.transcript.append("S: " + line.decode("utf-8", "replace").rstrip("\r\n"))
        except (socket.timeout, TimeoutError):
            self.transcript.append(f"(no EOF within {timeout} s)")
            # a timed-out buffered reader cannot be read again: make a new one
            self.f = self.sock.makefile("rb")
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.transcript.append("S: <RST>")
            return True
        finally:
            self.sock.settimeout(self.timeout)

    # -- FTP conveniences
    def login(self, user=USER, password=PASSWORD):
        self.expect(f"USER {user}", 331)
        self.expect(f"PASS {password}", 230)
        return self

    def pasv(self):
        code, text = self.expect("PASV", 227)
        m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", text)
        assert m, f"no address in 227 reply {text!r}\n" + self.dump()
        n = [int(x) for x in m.groups()]
        return ".".join(map(str, n[:4])), n[4] * 256 + n[5]

    def epsv(self):
        code, text = self.expect("EPSV", 229)
        m = re.search(r"\((.)\1\1(\d+)\1\)", text)
        assert m, f"malformed 229 reply {text!r}\n" + self.dump()
        return int(m.group(2))

    def data_cmd(self, line, mode="pasv", source=None, payload=None, preamble=None):
        """Open a passive data connection, run LINE, return (final code, data bytes).
        PREAMBLE is sent on the data connection first (a proxy's PROXY header)."""
        if mode == "pasv":
            host, port = self.pasv()
        else:
            host, port = self.sock.getpeername()[0], self.epsv()
        d = socket.create_connection((host, port), timeout=TIMEOUT, source_address=source)
        try:
            if preamble:
                d.sendall(preamble)
            code, text = self.cmd(line)
            if code >= 200:
                return code, b""
            chunks = []
            if payload is not None:
                d.sendall(payload)
                d.shutdown(socket.SHUT_WR)
            while True:
                b = d.recv(65536)
                if not b:
                    break
                chunks.append(b)
        finally:
            d.close()
        code, text = self.final()
        return code, b"".join(chunks)

    def close(self):
        for o in (self.f, self.sock):
            try:
                o.close()
            except OSError:
                pass


class FTP(ftplib.FTP):
    """ftplib.FTP that uses the address of the 227 reply (DESIGN §9: a
    default ftplib would hide a wrong PASV address)."""
    trust_server_pasv_ipv4_address = True


class FTPEPSV(ftplib.FTP):
    """ftplib.FTP that uses EPSV on IPv4 too."""

    def makepasv(self):
        return ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())


def ftp_login(port, host=HOST, epsv=False, user=USER, password=PASSWORD, source=None):
    cls = FTPEPSV if epsv else FTP
    f = cls()
    f.connect(host, port, timeout=TIMEOUT, source_address=source)
    f.login(user, password)
    return f


def ftp_get(f, path):
    h = hashlib.sha256()
    n = [0]

    def cb(b):
        h.update(b)
        n[0] += len(b)
    f.retrbinary(f"RETR {path}", cb)
    return h.hexdigest(), n[0]


def ftp_put(f, path, data):
    f.storbinary(f"STOR {path}", io.BytesIO(data))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for b in iter(lambda: fh.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def curl(*args, timeout=60):
    """Run curl with a deadline; returns CompletedProcess (stderr has -v trace)."""
    cmd = ["curl", "-sS", "-v", "--max-time", "30", "--connect-timeout", "10"] + list(args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    r.cmdline = " ".join(cmd)
    return r


def curl_report(r):
    err = r.stderr.decode("utf-8", "replace")
    lines = [l for l in err.splitlines() if l[:2] in ("> ", "< ", "* ", "cu")]
    return f"$ {r.cmdline}\nexit {r.returncode}\n" + "\n".join(lines[-60:])


# --------------------------------------------------------------------------
# the test user, PAM service, home work directories
# --------------------------------------------------------------------------

class UserInfo:
    def __init__(self, name):
        pw = pwd.getpwnam(name)
        self.name = name
        self.password = PASSWORD
        self.uid = pw.pw_uid
        self.gid = pw.pw_gid
        self.home = os.path.realpath(pw.pw_dir)
        self.groups = sorted(set(os.getgrouplist(name, pw.pw_gid)))


@pytest.fixture(scope="session")
def ftpsd_bin():
    if not os.access(FTPSD, os.X_OK):
        pytest.fail(f"{FTPSD} is not built: run `make ftpsd` in {REPO}")
    return FTPSD


@pytest.fixture(scope="session")
def pam_service():
    text = None
    if os.path.exists(PAM_SRC):
        shutil.copyfile(PAM_SRC, PAM_DST)
    else:
        text = PAM_FALLBACK
        with open(PAM_DST, "w") as f:
            f.write(text)
    os.chmod(PAM_DST, 0o644)
    yield PAM_SERVICE
    try:
        os.unlink(PAM_DST)
    except FileNotFoundError:
        pass


@pytest.fixture(scope="session")
def test_user(pam_service):
    if os.geteuid() != 0:
        pytest.fail("the integration suite must run as root")
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True, timeout=30)
        created = True
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n".encode(), check=True, timeout=30)
    u = UserInfo(USER)
    os.makedirs(u.home, exist_ok=True)
    os.chown(u.home, u.uid, u.gid)
    os.chmod(u.home, 0o755)
    yield u
    if created:
        subprocess.run(["userdel", "-r", USER], timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            grp.getgrnam(USER)
            subprocess.run(["groupdel", USER], timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except KeyError:
            pass


def chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


class WorkDir:
    """A directory in the test user's home: .real is the host path, .virt the
    path the user sees (chroot_local_user=YES), .virt_nochroot without chroot."""

    def __init__(self, user, name):
        self.user = user
        self.name = name
        self.real = os.path.join(user.home, name)
        self.virt = "/" + name
        self.virt_nochroot = self.real
        os.makedirs(self.real)
        os.chown(self.real, user.uid, user.gid)

    def path(self, *parts):
        return os.path.join(self.real, *parts)

    def write(self, rel, data, mode=0o644, owner=None):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        uid, gid = owner if owner else (self.user.uid, self.user.gid)
        os.chown(p, uid, gid)
        d = os.path.dirname(p)
        while d != self.real and d.startswith(self.real):
            os.chown(d, self.user.uid, self.user.gid)
            d = os.path.dirname(d)
        return p

    def mkdir(self, rel, mode=0o755, owner=None):
        p = self.path(rel)
        os.makedirs(p, exist_ok=True)
        os.chmod(p, mode)
        uid, gid = owner if owner else (self.user.uid, self.user.gid)
        os.chown(p, uid, gid)
        return p


_wd_counter = [0]


def make_workdir(user, label):
    _wd_counter[0] += 1
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", label)[:40]
    return WorkDir(user, f"t{os.getpid()}-{_wd_counter[0]}-{safe}")


@pytest.fixture
def workdir(test_user, request):
    wd = make_workdir(test_user, request.node.name)
    yield wd
    shutil.rmtree(wd.real, ignore_errors=True)


# --------------------------------------------------------------------------
# the daemon
# --------------------------------------------------------------------------

def yesno(v):
    if v is True:
        return "YES"
    if v is False:
        return "NO"
    return str(v)


def default_settings(tmp, pam=PAM_SERVICE, port=None):
    """The config every test server starts from (an ordered dict)."""
    pmin, pmax = free_port_range(20)
    return {
        "listen": True,
        "listen_address": HOST,
        "listen_port": port or free_port(),
        "pid_file": os.path.join(tmp, "ftpsd.pid"),
        # Servers of one test run side by side: each its own (ftpsd -w).
        "who_socket": os.path.join(tmp, "who.sock"),
        "log_file": os.path.join(tmp, "ftpsd.log"),
        "syslog_enable": False,
        "xferlog_enable": True,
        "xferlog_file": os.path.join(tmp, "xferlog"),
        "pam_service_name": pam,
        "local_enable": True,
        "write_enable": True,
        "chroot_local_user": True,
        "local_umask": "022",
        "pasv_enable": True,
        "pasv_min_port": pmin,
        "pasv_max_port": pmax,
        "max_login_fails": 3,
        "delay_failed_login": 0,
        "idle_session_timeout": 60,
        "data_connection_timeout": 30,
        "accept_timeout": 10,
    }


def write_settings(path, settings, extra_lines=()):
    with open(path, "w") as f:
        for k, v in settings.items():
            f.write(f"{k}={yesno(v)}\n")
        for line in extra_lines:
            f.write(line + "\n")


class Server:
    """A running `ftpsd -f` with a throwaway config."""

    def __init__(self, tmpdir, user, ftpsd, pam, extra_lines=(), allow_violations=False,
                 wait=True, wrap=(), args=None, env=None, **overrides):
        self._clients = []
        self.tmp = str(tmpdir)
        self.user = user
        self.host = overrides.get("listen_address", HOST).split(",")[0]
        self.port = int(overrides.get("listen_port") or free_port())
        self.settings = default_settings(self.tmp, pam, self.port)
        for k, v in overrides.items():
            if v is None:
                self.settings.pop(k, None)
            else:
                self.settings[k] = v
        self.pasv_range = (int(self.settings.get("pasv_min_port", 0)),
                           int(self.settings.get("pasv_max_port", 0)))
        self.allow_violations = allow_violations
        self.conf = os.path.join(self.tmp, "ftpsd.conf")
        self.extra_lines = list(extra_lines)
        self.write_conf()
        self._err = []
        self._err_lock = threading.Lock()
        # WRAP: a launcher that execs ftpsd (systemd-socket-activate); ARGS
        # replace "-f"; ENV adds to the environment.
        self.proc = subprocess.Popen([*wrap, ftpsd, *(args or ["-f"]), "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env={**os.environ, **env} if env else None)
        self.pid = self.proc.pid
        self._readers = [threading.Thread(target=self._pump, args=(s,), daemon=True)
                         for s in (self.proc.stdout, self.proc.stderr)]
        for t in self._readers:
            t.start()
        self.stopped = False
        if wait:
            self.wait_listening()

    def write_conf(self):
        write_settings(self.conf, self.settings, self.extra_lines)

    def _pump(self, stream):
        for line in iter(stream.readline, b""):
            with self._err_lock:
                self._err.append(line.decode("utf-8", "replace"))

    def log(self):
        """Everything the daemon wrote to stderr/stdout so far."""
        with self._err_lock:
            return "".join(self._err)

    def logfile(self):
        try:
            with open(self.settings.get("log_file", ""), errors="replace") as f:
                return f.read()
        except (FileNotFoundError, TypeError):
            return ""

    def xferlog(self):
        try:
            with open(self.settings["xferlog_file"], errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=5.0, source=None, count=1):
        """Wait until regex PATTERN matches COUNT times in the log; return the
        last match. Fails the test with the log if it does not."""
        source = source or self.log
        rx = re.compile(pattern, re.M)
        m = wait_until(lambda: (len(rx.findall(source())) >= count), timeout)
        if not m:
            raise AssertionError(f"log never showed {pattern!r} (x{count}); log:\n{source()}")
        return list(rx.finditer(source()))[-1]

    def wait_listening(self, timeout=10.0):
        def ready():
            if self.proc.poll() is not None:
                return True
            return "listening on" in self.log() and is_listening(self.port)
        wait_until(ready, timeout)
        if self.proc.poll() is not None:
            time.sleep(0.2)
            raise AssertionError(f"ftpsd exited with {self.proc.returncode} at start; "
                                 f"config:\n{open(self.conf).read()}\nlog:\n{self.log()}")
        if "listening on" not in self.log():
            raise AssertionError(f"ftpsd never logged 'listening on' in {timeout}s; log:\n"
                                 f"{self.log()}")

    # clients
    def ctl(self, **kw):
        kw.setdefault("host", self.host)
        kw.setdefault("port", self.port)
        c = Ctl(**kw)
        self._clients.append(c)
        return c

    def login_ctl(self, **kw):
        return self.ctl(**kw).login()

    def ftp(self, epsv=False, **kw):
        f = ftp_login(self.port, host=self.host, epsv=epsv, **kw)
        self._clients.append(f)
        return f

    def descendants(self):
        return descendants(self.pid)

    def stop(self):
        """SIGTERM the master; assert it exits with status 0 and leaves nothing behind."""
        if self.stopped:
            return
        self.stopped = True
        for c in self._clients:
            try:
                c.close()
            except Exception:
                pass
        problems = []
        kids = [p for p in self.descendants() if p.comm.startswith("ftpsd")]
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                problems.append("master did not exit within 10 s of SIGTERM (killed)")
            else:
                if self.proc.returncode != 0:
                    problems.append(f"master exited with status {self.proc.returncode} "
                                    "after SIGTERM (want 0)")
        else:
            problems.append(f"master had already exited with {self.proc.returncode} "
                            "before the test ended")
        left = wait_until(lambda: not [k for k in kids if alive(k.pid)], 5.0)
        if not left:
            still = [proc(k.pid) for k in kids if alive(k.pid)]
            for p in still:
                if p and p.comm.startswith("ftpsd"):
                    try:
                        os.kill(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            problems.append(f"session processes still alive 5 s after the master exited: {still}")
        for t in self._readers:
            t.join(2)
        if not self.allow_violations and "violation:" in self.log():
            problems.append("the log shows a violation in a test that causes none")
        if problems:
            raise AssertionError("; ".join(problems) + "\nlog:\n" + self.log())


class ServerFactory:
    def __init__(self, tmp_factory, user, ftpsd, pam):
        self.tmp_factory = tmp_factory
        self.user = user
        self.ftpsd = ftpsd
        self.pam = pam
        self.servers = []

    def __call__(self, **kw):
        d = self.tmp_factory.mktemp("ftpsd")
        os.chmod(d, 0o755)
        wait = kw.pop("wait", True)
        s = Server(d, self.user, self.ftpsd, self.pam, wait=False, **kw)
        self.servers.append(s)
        if wait:
            s.wait_listening()
        return s

    def stop_all(self):
        errors = []
        for s in self.servers:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        if errors:
            raise AssertionError("server teardown: " + "\n\n".join(errors))


@pytest.fixture
def server(tmp_path_factory, test_user, ftpsd_bin, pam_service):
    """Factory: server(**config_overrides) starts ftpsd -f; stopped at teardown."""
    f = ServerFactory(tmp_path_factory, test_user, ftpsd_bin, pam_service)
    yield f
    f.stop_all()


TESTHOOKS = os.path.join(REPO, "tests", "ftpsd-testhooks")


@pytest.fixture
def hooked(tmp_path_factory, test_user, pam_service):
    """Factory like `server`, for the test build (tests/ftpsd-testhooks, made
    by `make check`), whose XSBX and XPRIV commands make the engine misbehave
    as a compromised one would."""
    if not os.access(TESTHOOKS, os.X_OK):
        pytest.fail(f"{TESTHOOKS} is not built: run `make tests/ftpsd-testhooks`")
    f = ServerFactory(tmp_path_factory, test_user, TESTHOOKS, pam_service)
    yield f
    f.stop_all()


@pytest.fixture(scope="module")
def module_server(tmp_path_factory, test_user, ftpsd_bin, pam_service):
    """Factory like `server`, for servers shared by a whole module."""
    f = ServerFactory(tmp_path_factory, test_user, ftpsd_bin, pam_service)
    yield f
    f.stop_all()


@pytest.fixture(scope="module")
def srv(module_server):
    """One default server (chroot, write enabled) shared by a module."""
    return module_server()


@pytest.fixture(scope="session")
def payloads(test_user):
    """Random binary files of 0 B, 1 B, 64 KiB and 10 MiB, kept in a
    read-only directory of the test user's home. {size: (name, sha256, bytes)}."""
    wd = make_workdir(test_user, "payloads")
    out = {}
    rnd = random.Random(20241121)
    for size in (0, 1, 64 * 1024, 10 * 1024 * 1024):
        data = rnd.randbytes(size)
        name = f"rand-{size}.bin"
        wd.write(name, data)
        out[size] = (name, sha256(data), data)
    os.chmod(wd.real, 0o555)
    wd.files = out
    yield wd
    shutil.rmtree(wd.real, ignore_errors=True)


# --------------------------------------------------------------------------
# TLS (tlsutil.py): a throwaway PKI for FTPS tests
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A test CA, a rogue CA, RSA and ECDSA server certificates for
    127.0.0.1/localhost, and client certificates from both CAs (tlsutil.PKI)."""
    import tlsutil
    return tlsutil.make_pki(str(tmp_path_factory.mktemp("pki")))


def data_sock(c, rcvbuf=None):
    """A passive data connection for the raw client C, with a small receive
    buffer when RCVBUF is given (to hold a download back)."""
    host, port = c.pasv()
    d = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        d.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    d.settimeout(TIMEOUT)
    d.connect((host, port))
    return d


# TLS for transfer tests: a PKI per module and a logged-in FTPS client (PROT P,
# data connections resume the control session) on a fresh TLS server.
@pytest.fixture(scope="module")
def tls_pki(tmp_path_factory):
    from tlsutil import make_pki
    return make_pki(str(tmp_path_factory.mktemp("pki")))


@pytest.fixture
def tls_ftp(server, tls_pki):
    from tlsutil import client_context, ftps_connect
    s = server(ssl_enable=True, rsa_cert_file=tls_pki.rsa,
               rsa_private_key_file=tls_pki.rsa_key, implicit_ssl_port=0)
    f = ftps_connect(s.port, client_context(ca=tls_pki.ca), host=s.host,
                     user=USER, password=PASSWORD)
    s._clients.append(f)
    return f
