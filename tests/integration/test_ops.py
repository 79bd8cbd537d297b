"""Operating the daemon: SIGUSR1 reopens the log files (logrotate), the
JSON-lines log, syslog_facility, systemd's readiness notifications over a
test NOTIFY_SOCKET, and socket activation through systemd-socket-activate
(Accept=no: the master takes its listeners; Accept=yes: inetd mode)."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import (FTPSD, alive, session_procs, HOST, USER, free_port, ftp_login, ftp_put, is_listening,
                      wait_until)

ACTIVATE = shutil.which("systemd-socket-activate")


def activate(*args):
    """systemd-socket-activate with ARGS; it passes no environment by
    itself, so the sanitizer settings of `make asan` are handed on."""
    keep = [f"--setenv={k}" for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
            if k in os.environ]
    return [ACTIVATE, *keep, *args]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# ---------------------------------------------------------------- SIGUSR1

def test_sigusr1_reopens_log_and_xferlog(server, workdir):
    s = server()
    log, xfer = s.settings["log_file"], s.settings["xferlog_file"]
    old = s.ftp()                               # a session from before the rotation
    old.cwd("/" + workdir.name)
    ftp_put(old, "before.bin", b"x" * 100)
    s.wait_log(r"transfer: .*before\.bin", source=s.logfile)
    os.rename(log, log + ".1")
    os.rename(xfer, xfer + ".1")
    os.kill(s.pid, signal.SIGUSR1)
    s.wait_log(r"new sessions write to the reopened log files", source=lambda: read(log))
    assert "log files reopened" in read(log)
    new = s.ftp()
    new.cwd("/" + workdir.name)
    ftp_put(new, "after.bin", b"y" * 200)
    new.quit()
    s.wait_log(r"transfer: .*after\.bin", source=lambda: read(log))
    wait_until(lambda: "after.bin" in read(xfer))
    assert "after.bin" in read(xfer), read(xfer)
    assert "after.bin" not in read(xfer + ".1")
    assert "login ok" in read(log) and "before.bin" not in read(log)
    # The session from before keeps its files until it ends (documented).
    ftp_put(old, "late.bin", b"z")
    old.quit()
    wait_until(lambda: "late.bin" in read(xfer + ".1"))
    assert "late.bin" in read(xfer + ".1") and "late.bin" not in read(xfer)
    assert s.proc.poll() is None


def test_sigusr1_reopen_failure_keeps_old_file(server):
    s = server()
    log = s.settings["log_file"]
    os.rename(log, log + ".1")
    os.mkdir(log)                               # a path that cannot be opened for writing
    try:
        os.kill(s.pid, signal.SIGUSR1)
        s.wait_log(r"reopen .*ftpsd\.log: Is a directory; still writing the old file",
                   source=lambda: read(log + ".1"))
        s.wait_log("new sessions write to the reopened log files",
                   source=lambda: read(log + ".1"))
        s.ftp().quit()
        s.wait_log("login ok", source=lambda: read(log + ".1"))
        assert s.proc.poll() is None
    finally:
        os.rmdir(log)


def test_sigusr1_to_every_process_is_harmless(server):
    """`systemctl kill -s USR1 ftpsd` signals the whole unit: only the
    master acts, sessions, zygotes and key holders ignore it."""
    s = server()
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    procs = s.descendants()
    for p in procs:
        os.kill(p.pid, signal.SIGUSR1)
    os.kill(s.pid, signal.SIGUSR1)
    s.wait_log("new sessions write to the reopened log files")
    c.expect("NOOP", 200)
    code, _ = c.data_cmd("NLST /")
    assert code == 226, c.dump()
    # spares of the old generation are replaced; the session lives on
    assert alive(mon.pid) and alive(eng.pid)
    s.ftp().quit()


@pytest.mark.skipif(not shutil.which("logrotate"), reason="logrotate missing")
def test_shipped_logrotate_file(server, workdir, tmp_path):
    """etc/logrotate.d/ftpsd, with its paths pointed at a test server, run
    by logrotate: the files are renamed, postrotate's SIGUSR1 makes new
    sessions write to fresh files."""
    from conftest import REPO
    s = server()
    log, xfer, pid = (s.settings[k] for k in ("log_file", "xferlog_file", "pid_file"))
    s.ftp().quit()
    s.wait_log("session end", source=lambda: read(log))
    text = open(os.path.join(REPO, "etc", "logrotate.d", "ftpsd")).read()
    text = (text.replace("/var/log/ftpsd.log", log).replace("/var/log/ftpsd-xfer.log", xfer)
            .replace("/run/ftpsd.pid", pid).replace("create 0640 root adm", "create 0640 root root"))
    conf = tmp_path / "logrotate.conf"
    conf.write_text(text)
    r = subprocess.run(["logrotate", "-f", "-s", str(tmp_path / "state"), str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "session end" in read(log + ".1")          # renamed, not compressed yet
    s.wait_log("new sessions write to the reopened log files", source=lambda: read(log))
    f = s.ftp()
    f.cwd("/" + workdir.name)
    ftp_put(f, "rotated.bin", b"r")
    f.quit()
    s.wait_log(r"transfer: .*rotated\.bin", source=lambda: read(log))
    assert wait_until(lambda: "rotated.bin" in read(xfer))
    assert oct(os.stat(log).st_mode & 0o777) == "0o640"


# ------------------------------------------------------------- log_format

def test_json_log_lines(server, workdir):
    s = server(log_format="json")
    f = s.ftp()
    f.cwd("/" + workdir.name)
    ftp_put(f, "j.bin", b"q" * 1234)
    f.quit()
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect("PASS wrong-password", 530)
    c.close()
    log = s.settings["log_file"]
    wait_until(lambda: read(log).count('"session_end"') >= 2)
    events = [json.loads(line) for line in read(log).splitlines()]   # every line is JSON
    for e in events:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["time"]), e
        assert e["event"] and e["message"] and e["level"], e
    kinds = {e["event"] for e in events}
    assert {"session_start", "login_ok", "upload", "login_failed", "session_end"} <= kinds, kinds
    up = next(e for e in events if e["event"] == "upload")
    assert up["bytes"] == 1234 and up["user"] == USER and up["client"] == HOST, up
    assert up["vhost"] == "default" and isinstance(up["duration"], float), up
    bad = next(e for e in events if e["event"] == "login_failed")
    assert bad["user"] == USER and bad["client"] == HOST and bad["reason"], bad
    end = next(e for e in events if e["event"] == "session_end")
    assert end["duration"] >= 0 and end["client"] == HOST, end
    # stderr stays text
    assert re.search(r"^\S+Z ftpsd\[\d+\]: login ok: user ", s.log(), re.M), s.log()


def test_log_format_and_facility_config(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("syslog_facility=local3\nlog_format=json\n")
    out = subprocess.run([FTPSD, "-T", "-c", str(conf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "syslog_facility=local3" in out.stdout and "log_format=json" in out.stdout
    conf.write_text("syslog_facility=local9\nlog_format=xml\n")
    out = subprocess.run([FTPSD, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert out.returncode != 0
    assert re.search(r":1: .*syslog_facility.*facility", out.stderr), out.stderr
    assert re.search(r":2: .*log_format.*text or json", out.stderr), out.stderr


# ---------------------------------------------------------- NOTIFY_SOCKET

class Notify:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(10)
        self.msgs = []

    def wait(self, key, timeout=10.0):
        """The first message (from now on, or kept) that holds KEY=..."""
        deadline = time.time() + timeout
        while True:
            for i, m in enumerate(self.msgs):
                if any(line.startswith(key) for line in m.splitlines()):
                    del self.msgs[:i + 1]
                    return dict(line.split("=", 1) for line in m.splitlines())
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"no {key} from the server; got {self.msgs}")
            self.sock.settimeout(left)
            try:
                self.msgs.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass


@pytest.mark.parametrize("abstract", [False, True])
def test_sd_notify(server, tmp_path, abstract):
    path = str(tmp_path / "notify.sock")
    n = Notify("\0ftpsd-test-%d" % os.getpid() if abstract else path)
    env = {"NOTIFY_SOCKET": "@ftpsd-test-%d" % os.getpid() if abstract else path}
    s = server(env=env, wait=False)
    ready = n.wait("READY=1")
    # READY only once the listener accepts
    assert ready["MAINPID"] == str(s.pid) and ready["STATUS"] == "0 sessions", ready
    c = s.login_ctl()
    st = n.wait("STATUS=1 session")
    assert st["STATUS"] == "1 session"
    os.kill(s.pid, signal.SIGHUP)
    r = n.wait("RELOADING=1")
    assert int(r["MONOTONIC_USEC"]) > 0
    n.wait("READY=1")
    c.close()
    n.wait("STATUS=0 sessions")
    s.stop()
    n.wait("STOPPING=1")


def test_notify_socket_not_inherited(server, tmp_path):
    path = str(tmp_path / "n.sock")
    n = Notify(path)
    s = server(env={"NOTIFY_SOCKET": path})
    n.wait("READY=1")
    c = s.login_ctl()
    wait_until(lambda: len(s.descendants()) > 2)
    for p in s.descendants():
        try:
            env = open(f"/proc/{p.pid}/environ", "rb").read()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        assert b"NOTIFY_SOCKET" not in env, p
    c.close()


# ------------------------------------------------------- socket activation

needs_activate = pytest.mark.skipif(not ACTIVATE, reason="systemd-socket-activate missing "
                                    "(Debian's systemd package)")


@needs_activate
def test_socket_activation_accept_no(server):
    port, stray = free_port(), free_port()
    s = server(listen_port=port, wait=False,
               wrap=activate(f"--listen={HOST}:{port}", f"--listen={HOST}:{stray}",
                             "--fdname=ftp:stray"))
    # systemd-socket-activate execs ftpsd at the first connection, which
    # then waits in the backlog until the master accepts it.
    assert wait_until(lambda: is_listening(port), 10), s.log()
    first = s.ctl()
    assert first.banner[1].startswith("220"), first.banner
    first.close()
    s.wait_listening()
    s.wait_log(rf"listening on {re.escape(HOST)}:{port} \(vhost default\)")
    s.wait_log(rf"socket activation: {re.escape(HOST)}:{stray} \(fd 4, stray\) matches no "
               r"listen_address/listen_port; closed")
    # The master is the process systemd-socket-activate exec'd, and it
    # serves on the socket it was given (fd 3, not one it opened).
    assert open(f"/proc/{s.pid}/comm").read().strip().startswith("ftpsd")
    ino = os.readlink(f"/proc/{s.pid}/fd/3")
    assert ino.startswith("socket:"), ino
    f = ftp_login(port)
    assert f.pwd() == "/"
    f.quit()
    # SIGHUP keeps the activated socket
    os.kill(s.pid, signal.SIGHUP)
    s.wait_log("reloaded")
    assert os.readlink(f"/proc/{s.pid}/fd/3") == ino
    ftp_login(port).quit()


@needs_activate
def test_socket_activation_accept_yes(server):
    port = free_port()
    s = server(listen_port=port, listen=False, wait=False, args=["-i"],
               wrap=activate("--accept", "--inetd", f"--listen={HOST}:{port}"))
    assert wait_until(lambda: is_listening(port), 10), s.log()
    for _ in range(2):                          # one ftpsd -i per connection
        f = ftp_login(port)
        assert f.pwd() == "/"
        f.quit()
    wait_until(lambda: read(s.settings["log_file"]).count("session end") >= 2)
    assert read(s.settings["log_file"]).count("login ok") == 2
    s.stopped = True                            # not an ftpsd master: stop it here
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(10)


@needs_activate
def test_socket_activation_accept_yes_with_listen_fds(server):
    """systemd's Accept=yes passes the connection on fd 0 (StandardInput=
    socket) and also as fd 3 with LISTEN_FDS=1: ftpsd -i serves fd 0 and
    does not take the connection for a listener."""
    port = free_port()
    wrapper = 'exec 3<&0; LISTEN_FDS=1 LISTEN_PID=$$ LISTEN_FDNAMES=connection exec "$0" "$@"'
    s = server(listen_port=port, listen=False, wait=False, args=["-i"],
               wrap=activate("--accept", "--inetd", f"--listen={HOST}:{port}",
                            "sh", "-c", wrapper))
    assert wait_until(lambda: is_listening(port), 10), s.log()
    for _ in range(2):
        c = ftp_login(port)
        assert c.pwd() == "/"
        c.quit()
    log = s.settings["log_file"]
    assert wait_until(lambda: read(log).count("session end") >= 2), read(log)
    assert read(log).count("login ok") == 2 and "socket activation" not in read(log)
    s.stopped = True
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(10)
