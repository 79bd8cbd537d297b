"""The control connection's TLS relay is forked with its monitor (a spare's
before its connection), sandboxed at once, and started by PRIV_RELAY_START
at AUTH TLS (DESIGN.md §1): the fork is off the login path. A session that
never uses TLS ends its relay; a spare whose relay died is replaced."""
import os
import pwd
import signal

import pytest

from conftest import (HOST, PASSWORD, USER, Ctl, children, holds_tcp, session_procs,
                      sessions_of, wait_until)
from test_pool import spares
from test_sandbox import assert_sandboxed
from tlsutil import client_context, ftps_connect

SPARES = 2


@pytest.fixture
def tsrv(server, pki):
    return server(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
                  force_local_logins_ssl=False, force_local_data_ssl=False,
                  prefork_spares=SPARES)


def relay_of(mon_pid):
    kids = [k for k in children(mon_pid) if k.comm == "ftpsd-relay" and k.state != "Z"]
    return kids[0] if len(kids) == 1 else None


def test_a_spare_has_a_sandboxed_waiting_relay(tsrv):
    assert wait_until(lambda: len(spares(tsrv.pid)) == SPARES, 5), spares(tsrv.pid)
    nobody = pwd.getpwnam("nobody").pw_uid
    for mon in spares(tsrv.pid):
        relay = relay_of(mon.pid)
        assert relay is not None, children(mon.pid)
        assert_sandboxed(relay.pid, nobody, "/run/ftpsd/empty")
        assert not holds_tcp(relay.pid)  # no connection before RELAY_START


def test_auth_tls_starts_the_waiting_relay(tsrv, pki):
    """The relay serving a TLS session is the one its spare forked before
    the client connected, not one forked at AUTH TLS."""
    assert wait_until(lambda: len(spares(tsrv.pid)) == SPARES, 5)
    waiting = {relay_of(m.pid).pid for m in spares(tsrv.pid)}
    f = ftps_connect(tsrv.port, client_context(ca=pki.ca), host=HOST, user=USER,
                     password=PASSWORD, prot_p=False, login=False)
    mon, _ = session_procs(f.sock)
    relay = relay_of(mon.pid)
    assert relay is not None and relay.pid in waiting, (relay, waiting)
    f.login(USER, PASSWORD)
    assert f.voidcmd("NOOP").startswith("200")
    f.quit()


def test_plain_login_ends_the_relay(tsrv):
    c = Ctl(HOST, tsrv.port)
    mon, _ = session_procs(c.sock)
    assert relay_of(mon.pid) is not None  # waiting for an AUTH TLS
    c.login()
    # Killed at login, reaped soon after: no relay, no zombie.
    assert wait_until(lambda: [k.comm for k in children(mon.pid)] == ["ftpsd-engine"], 5), \
        [(k.comm, k.state) for k in children(mon.pid)]
    c.expect("PWD", 257)
    c.expect("QUIT", 221)


def test_a_spare_whose_relay_died_is_replaced(tsrv, pki):
    assert wait_until(lambda: len(spares(tsrv.pid)) == SPARES, 5)
    victim = spares(tsrv.pid)[0]
    os.kill(relay_of(victim.pid).pid, signal.SIGKILL)
    assert wait_until(lambda: len(spares(tsrv.pid)) == SPARES and
                      victim.pid not in {p.pid for p in sessions_of(tsrv.pid)}, 5), \
        [(p.pid, [(k.comm, k.state) for k in children(p.pid)]) for p in sessions_of(tsrv.pid)]
    for _ in range(SPARES + 1):
        f = ftps_connect(tsrv.port, client_context(ca=pki.ca), host=HOST, user=USER,
                         password=PASSWORD, prot_p=False)
        assert f.voidcmd("NOOP").startswith("200")
        f.quit()
