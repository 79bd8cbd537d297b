"""Spawners (zygote/spawner.c): each forks and reaps at most 128 sessions,
the zygote moves on to a new one every 128 spares, and one it moved on
from ends with its last session."""

from conftest import Ctl, HOST, all_procs, alive, children, sessions_of, spawners, wait_until

FANOUT = 128


def monitors_of(spawner_pid, procs):
    return [p for p in children(spawner_pid, procs) if p.comm == "ftpsd-monitor"]


def test_spawners_rotate_and_retire(server):
    s = server(max_clients=400, max_per_ip=400, prefork_spares=4)
    n = FANOUT + 20
    clients = []
    try:
        for _ in range(n):
            clients.append(Ctl(HOST, s.port))      # banner read: a session
        for c in clients[::16]:
            c.expect("NOOP", 200)
        procs = all_procs()
        sp = spawners(s.pid, procs)
        assert len(sp) >= 2, f"{n} sessions but {len(sp)} spawner(s)"
        for p in sp:
            assert len(monitors_of(p.pid, procs)) <= FANOUT, \
                f"spawner {p.pid} has {len(monitors_of(p.pid, procs))} sessions"
        total = sum(len(monitors_of(p.pid, procs)) for p in sp)
        assert total >= n, f"{total} monitors under spawners for {n} sessions"
        first = min(sp, key=lambda p: p.pid)
        assert len(monitors_of(first.pid, procs)) == FANOUT, \
            "the first spawner was not filled before the zygote moved on"
    finally:
        for c in clients:
            c.close()
    # The retired spawner ends with its last session; the current one stays.
    assert wait_until(lambda: not alive(first.pid), 15), \
        f"retired spawner {first.pid} still alive after its sessions ended"
    assert wait_until(lambda: len(spawners(s.pid)) == 1, 15), spawners(s.pid)
    # and sessions still work
    c = s.login_ctl()
    c.expect("PWD", 257)
    assert len(sessions_of(s.pid)) >= 1
