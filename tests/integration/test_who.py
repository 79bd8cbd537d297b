"""Who's on (`ftpsd -w`, issue 13): the master's root-only socket lists the
live sessions (vhost, client, user, state, the transfer with bytes and
rate, idle time) as a table and as JSON, from the master's table and each
session's monitor, never from an engine's word alone."""

import json
import os
import re
import socket
import stat
import subprocess
import time

import pytest

from conftest import FTPSD, HOST, PASSWORD, USER, sessions_of, wait_until


def who(s, *flags, user=None):
    """Run ftpsd -w FLAGS against server S (as uid USER when given)."""
    pre = (lambda: os.setuid(user)) if user is not None else None
    return subprocess.run([FTPSD, "-w", *flags, "-c", s.conf], capture_output=True,
                          text=True, timeout=20, preexec_fn=pre)


def who_json(s):
    r = who(s, "-j")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def pasv_port(text):
    nums = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", text).groups()
    return int(nums[4]) * 256 + int(nums[5])


class SlowDownload:
    """A RETR whose client reads a small window at a time, so the transfer
    is still running while the test looks at it."""

    def __init__(self, s, path):
        self.c = s.login_ctl()
        self.c.expect("TYPE I", 200)
        _, text = self.c.expect("PASV", 227)
        self.data = socket.socket()
        self.data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.data.connect((HOST, pasv_port(text)))
        self.data.settimeout(10)
        self.c.send(f"RETR {path}")
        code, _ = self.c.reply()
        assert code == 150, self.c.dump()
        self.got = 0

    def read(self, seconds, per_tick=65536):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.got += len(self.data.recv(per_tick))
            time.sleep(0.02)

    def close(self):
        self.data.close()


@pytest.fixture
def anon_root(tmp_path):
    root = tmp_path / "anon"
    root.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(root, 0o755)
    (root / "pub.txt").write_bytes(b"public\n")
    return str(root)


def by(entries, pred):
    found = [e for e in entries if pred(e)]
    assert len(found) == 1, entries
    return found[0]


def test_who_lists_every_kind_of_session(server, payloads, anon_root, test_user):
    s = server(anonymous_enable=True, ftp_username=USER, anon_root=anon_root,
               data_connection_timeout=60)
    big = f"{payloads.virt}/{payloads.files[10 * 1024 * 1024][0]}"
    idle = s.login_ctl()                      # logged in, then quiet
    idle.expect("PWD", 257)
    anon = s.ctl()
    anon.expect("USER anonymous", 331)
    anon.expect("PASS guest@", 230)
    pre = s.ctl()                             # connected, not logged in
    dl = SlowDownload(s, big)
    dl.read(2.5)
    first = who_json(s)
    dl.read(2)
    second = who_json(s)
    table = who(s)                            # the same, for people
    dl.close()

    monitors = {p.pid for p in sessions_of(s.pid)}
    assert len(first) == 4, first
    for e in first:
        assert e["pid"] in monitors, (e, monitors)
        assert e["vhost"] and e["client"] == HOST, e
        assert e["connected_ms"] >= e["idle_ms"] >= 0, e

    i = by(first, lambda e: e["state"] == "idle" and e["login"] == "local")
    assert i["user"] == USER and i["transfer"] is None
    assert i["idle_ms"] >= 2000, i            # nothing sent for ~2.5 s
    a = by(first, lambda e: e["login"] == "anonymous")
    assert a["user"] == "anonymous" and a["state"] == "idle", a
    p = by(first, lambda e: e["state"] == "login")
    assert p["user"] is None and p["login"] is None and p["transfer"] is None, p

    d1 = by(first, lambda e: e["state"] == "download")
    d2 = by(second, lambda e: e["state"] == "download")
    assert d1["pid"] == d2["pid"] and d1["user"] == USER
    t1, t2 = d1["transfer"], d2["transfer"]
    assert t1["direction"] == "download" and t1["path"].endswith(big), t1
    assert 0 < t1["bytes"] < t2["bytes"] < 10 * 1024 * 1024, (t1, t2)
    assert t2["elapsed_ms"] - t1["elapsed_ms"] >= 1000, (t1, t2)
    assert t2["rate_bps"] == pytest.approx(t2["bytes"] * 1000 / t2["elapsed_ms"], rel=0.01)
    assert d1["idle_ms"] >= 2000              # the control connection is quiet meanwhile

    r = table
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["PID", "VHOST", "CLIENT", "USER"], r.stdout
    assert len(lines) == 5, r.stdout
    row = next(l for l in lines if "download" in l)
    assert re.search(r"RETR \S+rand-10485760\.bin [\d.]+ \w+ [\d.]+ \w+/s", row), row
    assert any(re.match(rf"\d+ +\S+ +{HOST} +anonymous +idle ", l) for l in lines), r.stdout
    for c in (idle, anon, pre):
        c.close()


def test_who_after_sessions_end(server):
    s = server()
    c = s.login_ctl()
    assert len(who_json(s)) == 1
    c.expect("QUIT", 221)
    c.close()
    assert wait_until(lambda: who_json(s) == [], 5), who_json(s)


def test_who_socket_is_root_only(server):
    s = server()
    path = s.settings["who_socket"]
    st = os.stat(path)
    assert stat.S_ISSOCK(st.st_mode) and st.st_uid == 0, st
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    r = who(s, user=65534)
    assert r.returncode == 1 and "Permission denied" in r.stderr, r
    s.stop()
    assert not os.path.exists(path)           # removed at the end


def test_who_without_a_server(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(f"who_socket={tmp_path}/none.sock\n")
    r = subprocess.run([FTPSD, "-w", "-c", str(conf)], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 1 and "is ftpsd running?" in r.stderr, r


def test_engine_flooding_progress_is_a_violation(hooked):
    s = hooked(allow_violations=True)
    c = s.login_ctl()
    c.send("XPRIV progress 2")
    assert c.eof(timeout=5), c.dump()
    s.wait_log(r"violation: transfer progress more often than once a second")


def test_a_monitor_that_cannot_answer_is_listed_busy(server):
    s = server(delay_failed_login=3)
    c = s.ctl()
    c.expect("USER " + USER, 331)
    c.send("PASS wrong")                     # its monitor sleeps 3 s before the 530
    time.sleep(0.5)
    started = time.monotonic()
    busy = who_json(s)
    assert time.monotonic() - started < 2    # the master waited 0.3 s, not 3
    assert len(busy) == 1 and busy[0]["state"] == "busy", busy
    assert busy[0]["client"] == HOST and busy[0]["pid"] in {p.pid for p in sessions_of(s.pid)}
    assert "idle_ms" not in busy[0] and busy[0]["user"] is None
    code, _ = c.reply()
    assert code == 530
    # Out of PAM's delay it answers again (its late answer to the first
    # query is dropped by the master, not taken for this one's).
    again = who_json(s)
    assert len(again) == 1 and again[0]["state"] == "login", again
    assert again[0]["connected_ms"] >= 3000, again


def soft_nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        line = next(l for l in f if l.startswith("Max open files"))
    return int(line.split()[3])


def test_master_makes_room_for_a_link_per_session(server):
    # systemd's default soft limit is 1024; the master keeps one link per
    # session, so max_clients=2000 needs more.
    s = server(wrap=("prlimit", "--nofile=1024:8192"), max_clients=2000)
    assert soft_nofile(s.pid) == 2000 + 1024
    assert "RLIMIT_NOFILE is below" not in s.log()
    t = server(wrap=("prlimit", "--nofile=1024:2048"), max_clients=2000)
    assert soft_nofile(t.pid) == 2048
    t.wait_log(r"RLIMIT_NOFILE is below max_clients \+ 1024")


def test_ftps_sessions_are_listed_too(server, pki):
    from tlsutil import client_context, ftps_connect
    s = server(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
               implicit_ssl_port=0)
    f = ftps_connect(s.port, client_context(ca=pki.ca), user=USER, password=PASSWORD,
                     register=s._clients.append)
    f.pwd()
    time.sleep(1.5)
    e = who_json(s)
    assert len(e) == 1, e
    assert e[0]["user"] == USER and e[0]["state"] == "idle" and e[0]["login"] == "local", e
    assert e[0]["idle_ms"] >= 1000, e
