"""The sandbox of every role, read from /proc, and what a violation does.

A test build (tests/ftpsd-testhooks, made only by `make check`) has an extra
command, XSBX, that makes the engine attempt a syscall its seccomp filter
forbids; the installed ftpsd has no such command.
"""
import os
import re
import socket
import ssl
import subprocess

import pytest

from conftest import HOST, all_procs, holds_tcp, session_procs, sessions_of, wait_until

CAP_NONE = "0000000000000000"
# The master's and monitors' bounding set (master/main.c session_caps).
KEPT_CAPS = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2,
             "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7,
             "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10, "CAP_SYS_CHROOT": 18,
             "CAP_AUDIT_WRITE": 29}


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)


def _gone(pid):
    try:
        return status(pid)["State"].startswith("Z")
    except OSError:
        return True


def fds(pid):
    return sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))


def assert_sandboxed(pid, uid, root):
    st = status(pid)
    assert st["Seccomp"].strip() == "2", st
    assert st["NoNewPrivs"].strip() == "1", st
    for k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"):
        assert st[k].strip() == CAP_NONE, (k, st[k])
    assert int(st["Uid"].split()[0]) == uid and int(st["Uid"].split()[1]) == uid
    assert os.readlink(f"/proc/{pid}/root") == root
    # 0-2 are /dev/null (or the log terminal); the rest is the role's own.
    assert len(fds(pid)) <= 6, os.listdir(f"/proc/{pid}/fd")
    with open(f"/proc/{pid}/limits") as f:
        limits = f.read()
    assert re.search(r"Max core file size\s+0\s+0", limits), limits
    assert re.search(r"Max processes\s+0\s+0", limits), limits
    if "ASAN_OPTIONS" not in os.environ:  # sanitizer builds need their shadow memory
        assert re.search(r"Max address space\s+1073741824\s+1073741824", limits), limits


def test_preauth_engine_is_sandboxed(server):
    s = server()
    c = s.ctl()
    mon, eng = session_procs(c.sock)
    assert eng is not None and eng.comm == "ftpsd-preauth"
    nobody = __import__("pwd").getpwnam("nobody").pw_uid
    assert_sandboxed(eng.pid, nobody, "/run/ftpsd/empty")
    c.expect("QUIT", 221)


def test_user_engine_is_sandboxed(server, test_user):
    s = server()
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    assert eng.comm == "ftpsd-engine"
    assert_sandboxed(eng.pid, test_user.uid, test_user.home)
    c.expect("QUIT", 221)


def test_master_and_monitor_keep_only_session_capabilities(server):
    """Before login; after it the monitor keeps even less (see below)."""
    s = server()
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    want = sum(1 << b for b in KEPT_CAPS.values())
    for pid in (s.pid, mon.pid):
        st = status(pid)
        assert int(st["CapBnd"], 16) == want, (pid, st["CapBnd"])
        assert int(st["CapEff"], 16) & ~want == 0, (pid, st["CapEff"])
    c.expect("QUIT", 221)


def make_cert(tmp):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    key, "-out", cert, "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    return key, cert


def test_tls_relay_is_sandboxed(server, tmp_path):
    key, cert = make_cert(str(tmp_path))
    os.chmod(tmp_path, 0o755)
    s = server(ssl_enable=True, rsa_cert_file=cert, rsa_private_key_file=key,
               implicit_ssl_port=0)
    raw = socket.create_connection((HOST, s.port), timeout=10)
    f = raw.makefile("rb")
    assert f.readline().startswith(b"220")
    raw.sendall(b"AUTH TLS\r\n")
    assert f.readline().startswith(b"234")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ctx.wrap_socket(raw)
    procs = all_procs()
    monitors = {m.pid for m in sessions_of(s.pid, procs)}
    # The one that took the connection; the spares' wait for theirs.
    relays = [p for p in procs.values()
              if p.comm == "ftpsd-relay" and p.ppid in monitors and holds_tcp(p.pid)]
    assert len(relays) == 1, relays
    nobody = __import__("pwd").getpwnam("nobody").pw_uid
    assert_sandboxed(relays[0].pid, nobody, "/run/ftpsd/empty")
    tls.sendall(b"QUIT\r\n")
    tls.close()


def other_session_still_works(s):
    c = s.login_ctl()
    c.expect("PWD", 257)
    c.expect("QUIT", 221)


@pytest.mark.parametrize("call", ["socket", "execve", "ptrace", "open"])
def test_preauth_violation_kills_and_is_logged(hooked, call):
    s = hooked(allow_violations=True)
    c = s.ctl()
    mon, eng = session_procs(c.sock)
    c.send(f"XSBX {call}")
    assert c.eof(timeout=5), c.dump()          # a clean close, not a hang
    s.wait_log(r"violation: sandbox: ftpsd-preauth attempted forbidden syscall \d+")
    s.wait_log(r"killed by signal 31")
    assert wait_until(lambda: _gone(mon.pid), 5)
    other_session_still_works(s)


@pytest.mark.parametrize("call", ["socket", "execve", "ptrace"])
def test_engine_violation_kills_and_is_logged(hooked, call):
    s = hooked(allow_violations=True)
    c = s.login_ctl()
    c.send(f"XSBX {call}")
    assert c.eof(timeout=5), c.dump()
    s.wait_log(r"violation: sandbox: ftpsd-engine attempted forbidden syscall \d+")
    other_session_still_works(s)


def test_read_only_engine_cannot_open_for_writing(hooked):
    s = hooked(allow_violations=True, write_enable=False)
    c = s.login_ctl()
    c.send("XSBX write")
    assert c.eof(timeout=5), c.dump()
    s.wait_log(r"violation: sandbox: ftpsd-engine attempted forbidden syscall \d+")


def test_writable_engine_may_open_for_writing(hooked, test_user):
    s = hooked(write_enable=True)
    c = s.login_ctl()
    c.expect("XSBX write", 200)
    c.expect("QUIT", 221)
    probe = os.path.join(test_user.home, "xsbx-probe")
    if os.path.exists(probe):
        os.unlink(probe)


def test_master_is_filtered_and_children_inherit_it(server):
    s = server()
    st = status(s.pid)
    assert st["Seccomp"].strip() == "2" and st["NoNewPrivs"].strip() == "1", st
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    # master's filter + the monitor's own; master's + the engine's own.
    assert status(mon.pid)["Seccomp_filters"].strip() == "2"
    assert status(eng.pid)["Seccomp_filters"].strip() == "2"
    c.expect("QUIT", 221)


def test_disabled_sandbox_is_logged(server):
    s = server(seccomp_sandbox=False)
    s.wait_log(r"seccomp_sandbox=NO")
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    assert status(eng.pid)["Seccomp"].strip() == "0"
    c.expect("QUIT", 221)


def test_monitor_locks_itself_down_after_login(server):
    s = server()
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    # Before login the monitor runs PAM, which no tight filter survives:
    # it has only the master's (inherited), then adds its own.
    assert status(mon.pid)["Seccomp_filters"].strip() == "1"
    c.login()
    assert wait_until(lambda: status(mon.pid)["Seccomp_filters"].strip() == "2", 5)
    assert status(mon.pid)["NoNewPrivs"].strip() == "1"
    # And keeps only: CHOWN, FOWNER, KILL, NET_BIND_SERVICE, AUDIT_WRITE.
    after = (1 << 0) | (1 << 3) | (1 << 5) | (1 << 10) | (1 << 29)
    for k in ("CapEff", "CapPrm", "CapBnd"):
        assert int(status(mon.pid)[k], 16) == after, (k, status(mon.pid)[k])
    # Still does its work: brokers a passive socket, logs the transfer.
    c.pasv()
    c.expect("QUIT", 221)
    s.wait_log(r"session end: client 127\.0\.0\.1")


def test_isolate_network_gives_sandboxed_processes_an_empty_netns(server):
    s = server(isolate_network=True)
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    master_ns = os.readlink(f"/proc/{s.pid}/ns/net")
    assert os.readlink(f"/proc/{mon.pid}/ns/net") == master_ns
    assert os.readlink(f"/proc/{eng.pid}/ns/net") != master_ns
    # Passive mode still works: the listener was made in the monitor's netns.
    f = s.ftp()
    assert f.nlst() is not None
    f.quit()
    c.expect("QUIT", 221)


def test_without_isolate_network_sys_admin_is_gone(server):
    s = server()
    with open(f"/proc/{s.pid}/status") as f:
        st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
    assert not int(st["CapBnd"], 16) & (1 << 21)  # CAP_SYS_ADMIN
