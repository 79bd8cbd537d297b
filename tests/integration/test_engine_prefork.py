"""The user's engine is forked with its monitor (a spare's before its
connection) and waits for PRIV_ENGINE_START, so a login forks nothing
(DESIGN.md §1). At the login it takes the handoff and what PAM's session
modules did to the monitor (sandbox/inherit.c): a pam_limits limit and
priority reach the engine as they would reach one forked after PAM. A spare
whose waiting engine died is replaced."""
import os
import signal

import pytest

from conftest import (USER, children, holds_tcp, session_procs, sessions_of,
                      wait_until)
from test_pool import spares
from test_sandbox import assert_sandboxed, fds

SPARES = 2
SERVICE = "ftpsd-test-limits"
PAM_FILE = os.path.join("/etc/pam.d", SERVICE)


def standby_of(mon_pid):
    kids = [k for k in children(mon_pid) if k.comm == "ftpsd-standby" and k.state != "Z"]
    return kids[0] if len(kids) == 1 else None


def engine_of(mon_pid):
    kids = [k for k in children(mon_pid) if k.comm == "ftpsd-engine" and k.state != "Z"]
    return kids[0] if len(kids) == 1 else None


def test_a_spare_has_a_waiting_users_engine(server):
    s = server(prefork_spares=SPARES)
    assert wait_until(lambda: len(spares(s.pid)) == SPARES, 5), spares(s.pid)
    for mon in spares(s.pid):
        standby = standby_of(mon.pid)
        assert standby is not None, children(mon.pid)
        # Privileged until its start (it becomes the user then), so it
        # holds only its link to the monitor: no connection, no key link.
        assert standby.euid == 0
        assert not holds_tcp(standby.pid)
        assert len(fds(standby.pid)) == 4, os.listdir(f"/proc/{standby.pid}/fd")


def test_the_login_starts_the_waiting_engine(server, test_user):
    """The engine serving a login is the process its spare forked before
    the client connected, sandboxed as the user."""
    s = server(prefork_spares=SPARES)
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    waiting = standby_of(mon.pid)
    assert waiting is not None, children(mon.pid)
    c.login()
    eng = wait_until(lambda: engine_of(mon.pid), 5)
    assert eng is not None and eng.pid == waiting.pid, (eng, waiting)
    assert_sandboxed(eng.pid, test_user.uid, test_user.home)
    assert standby_of(mon.pid) is None
    c.expect("PWD", 257)
    c.expect("QUIT", 221)


def test_a_session_that_never_logs_in_ends_its_waiting_engine(server):
    s = server(prefork_spares=SPARES)
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    standby = standby_of(mon.pid)
    assert standby is not None
    c.expect("QUIT", 221)
    assert wait_until(lambda: not os.path.exists(f"/proc/{standby.pid}"), 5)


def test_a_spare_whose_waiting_engine_died_is_replaced(server):
    s = server(prefork_spares=SPARES)
    assert wait_until(lambda: len(spares(s.pid)) == SPARES, 5)
    victim = spares(s.pid)[0]
    os.kill(standby_of(victim.pid).pid, signal.SIGKILL)
    assert wait_until(lambda: len(spares(s.pid)) == SPARES and
                      victim.pid not in {p.pid for p in sessions_of(s.pid)}, 5), \
        [(p.pid, [(k.comm, k.state) for k in children(p.pid)]) for p in sessions_of(s.pid)]
    for _ in range(SPARES + 1):
        c = s.login_ctl()
        c.expect("PWD", 257)
        c.expect("QUIT", 221)


def test_a_session_whose_waiting_engine_died_forks_one_at_the_login(server, test_user):
    """After its connection a spare no longer watches the waiting engine:
    the login finds it dead and forks one then, which works the same."""
    s = server(prefork_spares=SPARES)
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    standby = standby_of(mon.pid)
    os.kill(standby.pid, signal.SIGKILL)
    c.login()
    eng = wait_until(lambda: engine_of(mon.pid), 5)
    assert eng is not None and eng.pid != standby.pid
    assert_sandboxed(eng.pid, test_user.uid, test_user.home)
    c.expect("PWD", 257)
    c.expect("QUIT", 221)


@pytest.fixture
def limits_pam(tmp_path, pam_service):
    """The suite's PAM service plus pam_limits with a file of our own."""
    conf = tmp_path / "limits.conf"
    conf.write_text(f"{USER} - fsize 2048\n{USER} - priority 6\n")
    with open(os.path.join("/etc/pam.d", pam_service)) as f:
        base = f.read()
    with open(PAM_FILE, "w") as f:
        f.write(base + f"session required pam_limits.so conf={conf}\n")
    os.chmod(PAM_FILE, 0o644)
    yield SERVICE
    os.unlink(PAM_FILE)


def nice_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


@pytest.mark.parametrize("spares_", [SPARES, 0])
def test_pam_session_limits_reach_the_engine(server, limits_pam, spares_):
    """Forked before PAM (a spare's) or at the session's start (no spares):
    either way the engine has what pam_limits set on the monitor."""
    s = server(pam_service_name=limits_pam, prefork_spares=spares_)
    c = s.login_ctl()
    mon, _ = session_procs(c.sock)
    eng = wait_until(lambda: engine_of(mon.pid), 5)
    assert eng is not None
    with open(f"/proc/{eng.pid}/limits") as f:
        limits = f.read()
    assert "Max file size             2097152              2097152" in limits, limits
    assert nice_of(eng.pid) == 6 and nice_of(mon.pid) == 6
    c.expect("QUIT", 221)


def test_without_pam_limits_the_engine_has_none(server):
    """The control for the test above: the limit comes from PAM."""
    s = server(prefork_spares=SPARES)
    c = s.login_ctl()
    mon, _ = session_procs(c.sock)
    eng = wait_until(lambda: engine_of(mon.pid), 5)
    with open(f"/proc/{eng.pid}/limits") as f:
        assert "Max file size             unlimited" in f.read()
    assert nice_of(eng.pid) == 0
    c.expect("QUIT", 221)
