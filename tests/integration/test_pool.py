"""The master's pool of pre-forked spare sessions, and its limits."""
import os
import signal
import socket
import threading
import time

import pytest

from conftest import (HOST, PASSWORD, USER, Ctl, all_procs, children, sessions_of,
                      wait_until, zygotes)


def spares(master_pid):
    """Monitors of MASTER that wait for a connection: their children are a
    pre-auth engine, the user's engine waiting for a login and, with TLS, a
    relay (DESIGN.md §1), and they hold no TCP socket yet."""
    out = []
    procs = all_procs()
    for mon in sessions_of(master_pid, procs):
        if mon.state == "Z":
            continue
        kids = [k for k in children(mon.pid, procs) if k.state != "Z"]
        if sorted(k.comm for k in kids) not in (["ftpsd-preauth", "ftpsd-standby"],
                                                ["ftpsd-preauth", "ftpsd-relay",
                                                 "ftpsd-standby"]):
            continue
        try:
            if any(_is_tcp(mon.pid, fd) for fd in os.listdir(f"/proc/{mon.pid}/fd")):
                continue
        except OSError:
            continue  # it is changing under us: not a quiet spare
        out.append(mon)
    return out


def _is_tcp(pid, fd):
    try:
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return False
    if not link.startswith("socket:["):
        return False
    inode = link[8:-1]
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            if any(line.split()[9] == inode for line in f.readlines()[1:]):
                return True
    return False


def test_spares_are_forked_sandboxed_and_waiting(server):
    s = server(prefork_spares=3)
    assert wait_until(lambda: len(spares(s.pid)) == 3, 5), spares(s.pid)
    for mon in spares(s.pid):
        eng = [k for k in children(mon.pid) if k.comm == "ftpsd-preauth"][0]
        with open(f"/proc/{eng.pid}/status") as f:
            st = f.read()
        assert "Seccomp:\t2" in st and "NoNewPrivs:\t1" in st
        assert os.readlink(f"/proc/{eng.pid}/root") == "/run/ftpsd/empty"


def test_a_used_spare_is_replaced(server):
    s = server(prefork_spares=2)
    assert wait_until(lambda: len(spares(s.pid)) == 2, 5)
    before = {p.pid for p in spares(s.pid)}
    c = s.login_ctl()
    mon_pids = {p.pid for p in sessions_of(s.pid)}
    assert wait_until(lambda: len(spares(s.pid)) == 2, 5), spares(s.pid)
    # The session runs in one of the spares forked before it connected.
    assert len(before & (mon_pids - {p.pid for p in spares(s.pid)})) == 1
    c.expect("QUIT", 221)


def test_a_dead_spare_is_replaced(server):
    s = server(prefork_spares=2)
    assert wait_until(lambda: len(spares(s.pid)) == 2, 5)
    victim = spares(s.pid)[0]
    os.kill(victim.pid, signal.SIGKILL)
    assert wait_until(lambda: len(spares(s.pid)) == 2 and
                      victim.pid not in {p.pid for p in spares(s.pid)}, 5)
    # Its pre-auth engine died with it.
    assert wait_until(lambda: not any(p.ppid == victim.pid for p in all_procs().values()), 5)
    s.login_ctl().expect("QUIT", 221)


def test_a_spare_whose_preauth_engine_died_is_replaced(server):
    """Found by test_soak.py: a spare must notice its pre-auth engine died."""
    s = server(prefork_spares=2)
    assert wait_until(lambda: len(spares(s.pid)) == 2, 5)
    victim = spares(s.pid)[0]
    engine = [k for k in children(victim.pid) if k.comm == "ftpsd-preauth"][0]
    os.kill(engine.pid, signal.SIGKILL)
    assert wait_until(lambda: len(spares(s.pid)) == 2 and
                      victim.pid not in {p.pid for p in sessions_of(s.pid)}, 5), \
        [(p.pid, [(k.comm, k.state) for k in children(p.pid)]) for p in sessions_of(s.pid)]
    # And every client gets a working session.
    for _ in range(3):
        c = Ctl(HOST, s.port)
        c.expect("USER " + USER, 331)
        c.expect("QUIT", 221)
        c.sock.close()


def test_no_spares_forks_on_demand(server):
    s = server(prefork_spares=0)
    assert spares(s.pid) == []
    s.login_ctl().expect("QUIT", 221)


def test_a_zygote_slow_to_answer_holds_up_no_connection_a_spare_can_serve(server):
    """The master asks the zygote for each refill and does not wait for its
    answer (a fork can take long: bench/README.md, *Scale: what is left of
    the tail*). With the zygote stopped, the spares forked before still
    take one connection each, at once; once it runs again, the pool is
    full again."""
    s = server(prefork_spares=3)
    assert wait_until(lambda: len(spares(s.pid)) == 3, 5)
    (z,) = zygotes(s.pid)
    conns, waits = [], []
    os.kill(z.pid, signal.SIGSTOP)
    try:
        for _ in range(3):
            t0 = time.monotonic()
            conns.append(Ctl(HOST, s.port, timeout=3))
            waits.append(time.monotonic() - t0)
    finally:
        os.kill(z.pid, signal.SIGCONT)
    assert max(waits) < 1.5, waits
    assert wait_until(lambda: len(spares(s.pid)) == 3, 10), spares(s.pid)
    for c in conns:
        c.expect("USER " + USER, 331)
        c.expect("QUIT", 221)


def test_without_a_spare_a_connection_waits_for_the_zygotes_answer(server):
    s = server(prefork_spares=0)
    (z,) = zygotes(s.pid)
    os.kill(z.pid, signal.SIGSTOP)
    resume = threading.Timer(1.0, os.kill, (z.pid, signal.SIGCONT))
    resume.start()
    try:
        t0 = time.monotonic()
        c = Ctl(HOST, s.port, timeout=10)
        waited = time.monotonic() - t0
    finally:
        resume.join()
        os.kill(z.pid, signal.SIGCONT)
    assert waited > 0.8, waited
    c.expect("USER " + USER, 331)
    c.expect("QUIT", 221)


def test_a_zygote_that_never_answers_costs_one_421_then_is_asked_again(server):
    """An unanswered spawn request (its spawner died with it, or the zygote
    is stuck) is given up after SPARE_WAIT_MS (5 s, master/master.c): that
    connection gets a 421, not a silent close, and the next one asks the
    zygote afresh instead of waiting on a request that will never be
    answered. The stale answer, when it comes, is ignored, and the spare it
    names ends by itself (its link is closed)."""
    s = server(prefork_spares=0)
    (z,) = zygotes(s.pid)
    os.kill(z.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        c = Ctl(HOST, s.port, timeout=15)
        waited = time.monotonic() - t0
    finally:
        os.kill(z.pid, signal.SIGCONT)
    assert c.banner[0] == 421, c.transcript
    assert 4.5 < waited < 10, waited
    for _ in range(2):
        t0 = time.monotonic()
        c = Ctl(HOST, s.port, timeout=10)
        assert c.banner[0] == 220 and time.monotonic() - t0 < 3, c.transcript
        c.expect("USER " + USER, 331)
        c.expect("QUIT", 221)
        c.sock.close()
    # No spare is left over: the late one ended.
    assert wait_until(lambda: sessions_of(s.pid) == [], 5), sessions_of(s.pid)


def test_200_concurrent_sessions_through_the_pool(server):
    s = server(prefork_spares=4, max_clients=0, max_per_ip=0, idle_session_timeout=60)
    n = 200
    results = [None] * n
    gate = threading.Barrier(n)

    def one(i):
        try:
            c = Ctl(port=s.port, read_banner=False, timeout=60)
            gate.wait(timeout=60)
            code, _ = c.reply()
            assert code == 220
            c.login()
            c.expect("NOOP", 200)
            results[i] = c
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    errors = [r for r in results if not isinstance(r, Ctl)]
    assert not errors, errors[:3]
    procs = all_procs()
    monitors = {m.pid for m in sessions_of(s.pid, procs)}
    engines = [p for p in procs.values() if p.comm == "ftpsd-engine" and p.ppid in monitors]
    assert len(engines) >= n
    for c in results:
        c.expect("QUIT", 221)
    assert wait_until(lambda: len([p for p in sessions_of(s.pid) if p.state != "Z"]) == 4, 20)
    assert len(spares(s.pid)) == 4


def test_max_clients_refuses_without_forking(server):
    s = server(prefork_spares=1, max_clients=1)
    first = s.login_ctl()
    assert wait_until(lambda: len(spares(s.pid)) == 1, 5)
    before = {p.pid for p in sessions_of(s.pid)}
    c = Ctl(port=s.port, read_banner=False)
    code, text = c.reply()
    assert code == 421, text
    assert c.eof()
    assert {p.pid for p in sessions_of(s.pid)} == before
    first.expect("QUIT", 221)


def test_max_per_ip(server):
    s = server(max_per_ip=2, listen_address="127.0.0.1")
    a = s.login_ctl()
    b = s.login_ctl()
    c = Ctl(port=s.port, read_banner=False)
    code, text = c.reply()
    assert code == 421 and "your internet address" in text, text
    # Another address is another client.
    d = Ctl(port=s.port, source=("127.0.0.2", 0))
    d.login().expect("QUIT", 221)
    a.expect("QUIT", 221)
    assert wait_until(lambda: _try_login(s.port), 5)
    b.expect("QUIT", 221)


def _try_login(port):
    try:
        c = Ctl(port=port)
        c.login()
        c.expect("QUIT", 221)
        return True
    except Exception:  # noqa: BLE001 - the slot may not be free yet
        return False


def test_failed_login_throttle_per_address(server):
    s = server(login_throttle_fails=2, login_throttle_window=60, max_login_fails=1,
               listen_address="127.0.0.1")
    for _ in range(2):
        c = Ctl(port=s.port)
        c.expect("USER " + USER, 331)
        c.expect("PASS wrong-password", 530)
        assert c.eof()
    s.wait_log(r"client 127\.0\.0\.1 throttled: 2 failed logins in 60 s")
    c = Ctl(port=s.port, read_banner=False)
    code, text = c.reply()
    assert code == 421 and "failed logins" in text, text
    # The throttle is per address: another client is served.
    Ctl(port=s.port, source=("127.0.0.2", 0)).login().expect("QUIT", 221)


def test_throttle_off_with_zero(server):
    s = server(login_throttle_fails=0, max_login_fails=1)
    for _ in range(4):
        c = Ctl(port=s.port)
        c.expect("USER " + USER, 331)
        c.expect("PASS wrong-password", 530)
    s.login_ctl().expect("QUIT", 221)
