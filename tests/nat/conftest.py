"""Fixtures of the ftpsd NAT suite: the lab (tests/nat/lab.sh), a server in
the server namespace, clients in the client namespaces, a throwaway PKI.

The lab is built once per run and torn down at the end, also when tests fail
or are interrupted (the fixture's finally and an atexit hook both run
`lab.sh down`). Nothing leaves the namespaces: every address is on veths
inside them.
"""

import atexit
import ctypes
import ftplib
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
import tlsutil  # noqa: E402  (the integration suite's PKI and FTPS client)

FTPSD = os.path.join(REPO, "ftpsd")
LAB = os.path.join(HERE, "lab.sh")
PREFIX = "ftpsd-nat"
NS = {k: f"{PREFIX}-{k}" for k in ("srv", "rtr", "in", "out", "pxy")}
HOSTS = f"/etc/netns/{NS['srv']}/hosts"

USER = "ftpsd-nat"            # our own user: the integration suite may run
PASSWORD = "Ftpsd7NatPw"      # at the same time and removes its own
PAM_SERVICE = "ftpsd-nat"
PAM_DST = f"/etc/pam.d/{PAM_SERVICE}"

PUBLIC, PUBLIC2 = "203.0.113.10", "203.0.113.99"
SRV_LAN, SRV_LAN2 = "10.99.0.10", "10.99.0.11"
IN_LAN, OUT_WAN = "10.99.0.20", "198.51.100.7"
PXY_LAN, PUBLIC3 = "10.99.0.30", "203.0.113.50"   # `lab.sh proxy`: the reverse proxy
PXY_LAN2, PUBLIC4 = "10.99.0.31", "203.0.113.51"  # its second frontend
PASV_MIN, PASV_MAX = 40000, 40009
TIMEOUT = 10
CLONE_NEWNET = 0x40000000


def lab(*args, check=True):
    return subprocess.run(["sh", LAB, *args], check=check, timeout=60,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


_libc = ctypes.CDLL(None, use_errno=True)


def in_ns(ns, fn, *args, **kw):
    """Run FN in a thread that has joined network namespace NS (setns is
    per thread for network namespaces): its sockets live in NS."""
    out = {}

    def run():
        fd = os.open(f"/run/netns/{NS[ns]}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                out["e"] = OSError(ctypes.get_errno(), "setns")
                return
        finally:
            os.close(fd)
        try:
            out["v"] = fn(*args, **kw)
        except BaseException as e:  # noqa: B902 - handed to the caller
            out["e"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    if t.is_alive():
        raise TimeoutError(f"{fn.__name__} in {ns} did not finish")
    if "e" in out:
        raise out["e"]
    return out.get("v")


def stop_process(p):
    """SIGTERM a helper process the test started (miniupnpd, STUN, HAProxy),
    SIGKILL it if it has not gone in 10 s."""
    if p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def run_in(ns, *cmd, timeout=60, input=None):
    return subprocess.run(["ip", "netns", "exec", NS[ns], *cmd], timeout=timeout,
                          input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="session")
def nat_lab():
    if os.geteuid() != 0:
        pytest.skip("the NAT lab needs root (network namespaces, nftables)")
    if not os.access(FTPSD, os.X_OK):
        pytest.fail(f"{FTPSD} is not built: run `make ftpsd`")
    lab("down", check=False)          # leftovers of an interrupted run
    atexit.register(lambda: lab("down", check=False))
    r = lab("up", "21,990", str(PASV_MIN), str(PASV_MAX), check=False)
    if r.returncode != 0:
        lab("down", check=False)
        pytest.fail("lab.sh up failed: " + r.stderr.decode(errors="replace"))
    try:
        yield
    finally:
        lab("down", check=False)


@pytest.fixture(scope="session")
def nat_user():
    created = False
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True, timeout=30)
        created = True
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}\n".encode(), check=True,
                   timeout=30)
    shutil.copyfile(os.path.join(REPO, "etc", "pam.d", "ftpsd"), PAM_DST)
    pw = pwd.getpwnam(USER)
    os.chmod(pw.pw_dir, 0o755)
    try:
        yield pw
    finally:
        try:
            os.unlink(PAM_DST)
        except FileNotFoundError:
            pass
        if created:
            subprocess.run(["userdel", "-r", USER], timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def payload(nat_user):
    """A 1 MiB random file in the user's home, and its bytes."""
    data = os.urandom(1 << 20)
    path = os.path.join(nat_user.pw_dir, "payload.bin")
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, nat_user.pw_uid, nat_user.pw_gid)
    yield "/payload.bin", data
    os.unlink(path)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("natpki"))
    p = tlsutil.make_pki(d)
    ca = (p.ca, p.ca_key)
    p.lan = tlsutil.issue_cert(d, "lan", "ftpsd lan", ca, "rsa", serial=3001,
                               names=(SRV_LAN, "lan.nat.test"))
    p.wan = tlsutil.issue_cert(d, "wan", "ftpsd wan", ca, "rsa", serial=3002,
                               names=(PUBLIC, PUBLIC2, PUBLIC3, SRV_LAN, "ftp.nat.test"))
    p.sni = tlsutil.issue_cert(d, "sni", "ftpsd sni", ca, "rsa", serial=3003,
                               names=(SRV_LAN, "b.nat.test"))
    os.chmod(d, 0o755)
    return p


def yesno(v):
    return "YES" if v is True else "NO" if v is False else str(v)


class NatServer:
    """`ftpsd -f` in the server namespace with a throwaway config."""

    def __init__(self, tmp, settings, vhosts=()):
        self.tmp = tmp
        self.log_path = settings.get("log_file") or os.path.join(tmp, "ftpsd.log")
        self.conf = os.path.join(tmp, "ftpsd.conf")
        with open(self.conf, "w") as f:
            for k, v in settings.items():
                if isinstance(v, (list, tuple)):
                    for e in v:
                        f.write(f"{k}={e}\n")
                else:
                    f.write(f"{k}={yesno(v)}\n")
            for name, vs in vhosts:
                f.write(f"\n[vhost {name}]\n")
                for k, v in vs.items():
                    f.write(f"{k}={yesno(v)}\n")
        self.proc = subprocess.Popen(["ip", "netns", "exec", NS["srv"], FTPSD, "-f",
                                      "-c", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while "listening on" not in self.log():
            if self.proc.poll() is not None or time.time() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") \
                    if self.proc.poll() is not None else ""
                self.stop()
                raise AssertionError(f"ftpsd did not start: {err}\n{self.log()}")
            time.sleep(0.05)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError(f"log never matched {pattern!r}:\n{self.log()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def nat_server(nat_lab, nat_user, pki, tmp_path):
    """Factory: nat_server(vhosts=[(name, {...})], **settings)."""
    servers = []
    os.chmod(tmp_path, 0o755)

    def start(vhosts=(), **overrides):
        settings = {
            "listen": True, "listen_address": SRV_LAN, "listen_port": 21,
            "pid_file": os.path.join(str(tmp_path), f"ftpsd{len(servers)}.pid"),
            "who_socket": os.path.join(str(tmp_path), f"who{len(servers)}.sock"),
            "log_file": os.path.join(str(tmp_path), "ftpsd.log"),
            "syslog_enable": False, "log_ftp_protocol": True,
            "pam_service_name": PAM_SERVICE, "local_enable": True,
            "write_enable": True, "chroot_local_user": True,
            "pasv_min_port": PASV_MIN, "pasv_max_port": PASV_MAX,
            "delay_failed_login": 0, "idle_session_timeout": 60,
            "data_connection_timeout": 20, "accept_timeout": 10,
            "ssl_enable": True, "rsa_cert_file": pki.wan[0],
            "rsa_private_key_file": pki.wan[1],
        }
        settings.update(overrides)
        settings = {k: v for k, v in settings.items() if v is not None}
        s = NatServer(str(tmp_path), settings, vhosts)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


class FTPS(tlsutil.FTPS):
    """FTPS that obeys the 227 address and resumes the control session on
    data connections; SNI names the host given to connect() unless
    sni= is set."""
    sni = None

    def auth(self):
        if self.sni:
            host, self.host = self.host, self.sni
            try:
                return super().auth()
            finally:
                self.host = host
        return super().auth()

    def ntransfercmd(self, cmd, rest=None):
        if self.sni:
            host, self.host = self.host, self.sni
            try:
                return super().ntransfercmd(cmd, rest)
            finally:
                self.host = host
        return super().ntransfercmd(cmd, rest)


class FTPSEPSV(FTPS):
    def makepasv(self):
        port = ftplib.parse229(self.sendcmd("EPSV"), self.sock.getpeername())[1]
        return self.sock.getpeername()[0], port


class PlainFTP(ftplib.FTP):
    trust_server_pasv_ipv4_address = True
