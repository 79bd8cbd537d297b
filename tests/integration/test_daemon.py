"""The daemon as a whole: listening and vhosts, signals (SIGHUP, SIGTERM),
daemonized mode with a pid file, inetd mode through socat, limits and
timeouts, 20 parallel sessions."""

import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import (FTPSD, HOST, USER, PASSWORD, TIMEOUT, Ctl, alive, curl, curl_report,
                      default_settings, descendants, free_port, free_port_range, ftp_get,
                      ftp_login, ftp_put, is_listening, proc, session_procs, sha256,
                      wait_until, write_settings)


def test_listening_log_line(srv):
    srv.wait_log(rf"listening on {re.escape(HOST)}:{srv.port} \(vhost default\)")


def test_several_listen_addresses(server):
    s = server(listen_address="127.0.0.1,127.0.0.4")
    s.wait_log(rf"listening on 127\.0\.0\.4:{s.port} \(vhost default\)")
    s.wait_log(rf"listening on 127\.0\.0\.1:{s.port} \(vhost default\)")
    for addr in ("127.0.0.1", "127.0.0.4"):
        f = ftp_login(s.port, host=addr)
        assert f.pwd() == "/"
        f.quit()
    # nothing on an address that was not asked for
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.5", s.port), timeout=2).close()


def test_vhosts_on_their_own_ports(server):
    p1, p2 = free_port(), free_port()
    s = server(wait=False, extra_lines=[
        "[vhost alpha]",
        f"listen_address={HOST}",
        f"listen_port={p1}",
        "ftpd_banner=alpha here",
        "[vhost beta]",
        "listen_address=127.0.0.6",
        f"listen_port={p2}",
        "ftpd_banner=beta here",
        "write_enable=NO",
    ])
    s.wait_log(rf"listening on {re.escape(HOST)}:{p1} \(vhost alpha\)", timeout=10)
    s.wait_log(rf"listening on 127\.0\.0\.6:{p2} \(vhost beta\)", timeout=10)
    a = Ctl(HOST, p1)
    assert a.banner == (220, "220 alpha here"), a.dump()
    b = Ctl("127.0.0.6", p2)
    assert b.banner == (220, "220 beta here"), b.dump()
    a.login()
    b.login()
    s.wait_log(r"session start: client 127\.0\.0\.1 vhost alpha")
    s.wait_log(r"session start: client 127\.0\.0\.1 vhost beta")
    # per-vhost settings apply: beta is read-only
    code, _ = b.data_cmd("STOR /ro-test.bin", payload=b"x")
    leaked = os.path.join(s.user.home, "ro-test.bin")
    if os.path.exists(leaked):
        os.unlink(leaked)
    assert code == 550, b.dump()
    a.close()
    b.close()


def test_sighup_keeps_in_progress_transfer(server, payloads):
    s = server()
    name, digest, data = payloads.files[10 * 1024 * 1024]
    f = s.ftp()
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {payloads.virt}/{name}")
    conn.settimeout(TIMEOUT)
    got = bytearray()
    while len(got) < 256 * 1024:
        b = conn.recv(65536)
        assert b, "data connection closed early"
        got += b
    os.kill(s.pid, signal.SIGHUP)
    time.sleep(0.5)
    while True:
        b = conn.recv(1 << 20)
        if not b:
            break
        got += b
    conn.close()
    f.voidresp()
    assert sha256(bytes(got)) == digest, f"{len(got)} bytes after SIGHUP"
    # the control connection lives on, the master too
    assert f.sendcmd("NOOP").startswith("200")
    f.quit()
    assert s.proc.poll() is None, "master exited on SIGHUP"
    s.ftp().quit()


def test_sighup_keeps_idle_logged_in_session(server):
    s = server()
    c = s.login_ctl()
    mon, eng = session_procs(c.sock)
    os.kill(s.pid, signal.SIGHUP)
    time.sleep(0.5)
    c.expect("NOOP", 200)
    c.expect("PWD", 257)
    code, data = c.data_cmd("NLST /")
    assert code == 226, c.dump()
    assert mon and alive(mon.pid) and alive(eng.pid)
    assert s.proc.poll() is None


def test_sighup_reloads_config_for_new_sessions(server):
    s = server(ftpd_banner="before reload")
    assert s.ctl().banner[1] == "220 before reload"
    s.settings["ftpd_banner"] = "after reload"
    s.write_conf()
    os.kill(s.pid, signal.SIGHUP)

    def banner():
        c = Ctl(HOST, s.port)
        c.close()
        return c.banner[1] == "220 after reload"
    assert wait_until(banner, 5, 0.2), "new sessions still get the old banner after SIGHUP\n" + s.log()
    assert s.proc.poll() is None


def test_sighup_with_broken_config_keeps_serving(server):
    s = server()
    with open(s.conf, "a") as f:
        f.write("this_key_does_not_exist=1\n")
    os.kill(s.pid, signal.SIGHUP)
    time.sleep(0.5)
    assert s.proc.poll() is None, "master died on SIGHUP with a bad config\n" + s.log()
    s.login_ctl().expect("NOOP", 200)
    s.write_conf()  # restore so teardown is clean


def test_sigterm_stops_master_cleanly(server):
    s = server()
    s.login_ctl().expect("QUIT", 221)
    spares = [p.pid for p in s.descendants()]
    s.stop()                              # asserts exit status 0, nothing left
    assert not is_listening(s.port), "port still listening after SIGTERM"
    assert not [p for p in spares if alive(p)]


def test_daemonized_mode_pidfile_and_sigterm(tmp_path, test_user, ftpsd_bin, pam_service):
    tmp = str(tmp_path)
    settings = default_settings(tmp, pam_service)
    conf = os.path.join(tmp, "ftpsd.conf")
    write_settings(conf, settings)
    pidfile, port = settings["pid_file"], settings["listen_port"]
    pid = None
    try:
        try:
            r = subprocess.run([ftpsd_bin, "-c", conf], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("`ftpsd -c CONF` did not return within 10 s: it must fork into the "
                        "background and close stdout/stderr")
        assert r.returncode == 0, r.stderr.decode()
        assert wait_until(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(), 5), \
            f"no pid file {pidfile}"
        pid = int(open(pidfile).read().strip())
        p = proc(pid)
        assert p and p.comm == "ftpsd-master", p
        assert p.ppid != os.getpid()
        assert wait_until(lambda: is_listening(port), 5)
        f = ftp_login(port)
        assert isinstance(f.nlst("/"), list)
        f.quit()
        log = open(settings["log_file"]).read()
        assert f"listening on {HOST}:{port}" in log, log
        assert "login ok: user ftpsd-test" in log, log
        kids = descendants(pid)
        os.kill(pid, signal.SIGTERM)
        assert wait_until(lambda: proc(pid) is None or not alive(pid), 10), \
            "daemon still running 10 s after SIGTERM"
        pid = None
        assert wait_until(lambda: not os.path.exists(pidfile), 3), "pid file left behind"
        assert wait_until(lambda: not [k for k in kids if alive(k.pid)], 5), \
            f"session processes left behind: {[proc(k.pid) for k in kids]}"
    finally:
        if pid is not None and alive(pid) and proc(pid).comm.startswith("ftpsd"):
            for k in descendants(pid):
                if k.comm.startswith("ftpsd"):
                    os.kill(k.pid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)


class Socat:
    def __init__(self, tmp, pam):
        self.tmp = tmp
        self.port = free_port()
        self.settings = default_settings(tmp, pam, self.port)
        self.settings["listen"] = False
        self.conf = os.path.join(tmp, "ftpsd.conf")
        write_settings(self.conf, self.settings)
        self.proc = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{self.port},bind={HOST},reuseaddr,fork",
             f"EXEC:{FTPSD} -i -c {self.conf},nofork"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if not wait_until(lambda: is_listening(self.port), 5):
            self.stop()
            pytest.fail("socat did not listen")

    def log(self):
        try:
            return open(self.settings["log_file"]).read()
        except FileNotFoundError:
            return ""

    def stop(self):
        kids = descendants(self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        wait_until(lambda: not [k for k in kids if alive(k.pid)], 3)
        for k in kids:
            p = proc(k.pid)
            if p and p.state != "Z" and (p.comm.startswith("ftpsd") or p.comm == "socat"):
                os.kill(k.pid, signal.SIGKILL)
        err = self.proc.stderr.read().decode("utf-8", "replace")
        return err


@pytest.fixture
def socat(tmp_path, test_user, ftpsd_bin, pam_service):
    s = Socat(str(tmp_path), pam_service)
    yield s
    s.stop()


def test_inetd_mode_session(socat, workdir, test_user):
    c = Ctl(HOST, socat.port)
    assert c.banner[0] == 220, c.dump()
    mon, pre = session_procs(c.sock)
    assert mon is not None, "no ftpsd-monitor holds the inetd connection"
    assert mon.euid == 0
    assert proc(mon.ppid).comm == "socat", f"monitor's parent is {proc(mon.ppid)}"
    assert not [p for p in descendants(socat.proc.pid) if p.comm == "ftpsd-master"], \
        "inetd mode must not start a master"
    assert pre is not None and pre.comm == "ftpsd-preauth" and pre.euid != 0, pre
    c.login()
    c.expect("PWD", 257)
    mon2, eng = session_procs(c.sock)
    assert eng and eng.comm == "ftpsd-engine" and eng.euid == test_user.uid, eng
    assert eng.root == test_user.home, eng
    data = os.urandom(100000)
    code, _ = c.data_cmd(f"STOR {workdir.virt}/inetd.bin", payload=data)
    assert code == 226, c.dump()
    code, back = c.data_cmd(f"RETR {workdir.virt}/inetd.bin")
    assert code == 226 and back == data, c.dump()
    code, listing = c.data_cmd(f"NLST {workdir.virt}")
    assert b"inetd.bin" in listing, c.dump()
    c.expect("QUIT", 221)
    assert c.eof(), c.dump()
    assert wait_until(lambda: not alive(mon.pid) and not alive(eng.pid), 5), \
        "inetd session processes left after QUIT"
    assert wait_until(lambda: "login ok: user ftpsd-test client 127.0.0.1" in socat.log(), 3), \
        socat.log()
    assert "session start: client 127.0.0.1" in socat.log()


def test_inetd_mode_ftplib_and_curl(socat, workdir, tmp_path):
    workdir.write("c.bin", b"curl through inetd")
    for _ in range(2):
        f = ftp_login(socat.port)
        ftp_put(f, f"{workdir.virt}/f.bin", b"ftplib through inetd")
        f.quit()
    assert open(workdir.path("f.bin"), "rb").read() == b"ftplib through inetd"
    r = curl("--user", f"{USER}:{PASSWORD}", "-o", str(tmp_path / "o"),
             f"ftp://{HOST}:{socat.port}{workdir.virt}/c.bin")
    assert r.returncode == 0, curl_report(r)
    assert (tmp_path / "o").read_bytes() == b"curl through inetd"


def test_inetd_mode_bad_login(socat):
    c = Ctl(HOST, socat.port)
    c.expect(f"USER {USER}", 331)
    c.expect("PASS nope", 530)
    assert wait_until(lambda: "login failed: user ftpsd-test" in socat.log(), 3), socat.log()


def test_twenty_parallel_sessions(server, workdir, test_user):
    lo, hi = free_port_range(60)
    s = server(pasv_min_port=lo, pasv_max_port=hi)
    n = 20
    barrier = threading.Barrier(n + 1, timeout=30)
    errors = []
    blobs = [os.urandom(200 * 1024 + i) for i in range(n)]

    def worker(i):
        try:
            f = ftp_login(s.port)
            barrier.wait()                    # all 20 logged in at once
            barrier.wait()                    # main thread counted them
            ftp_put(f, f"{workdir.virt}/par-{i}.bin", blobs[i])
            got, size = ftp_get(f, f"{workdir.virt}/par-{i}.bin")
            assert got == sha256(blobs[i]) and size == len(blobs[i]), f"session {i}: mismatch"
            f.quit()
        except Exception as e:                # noqa: BLE001 - reported below
            errors.append(f"session {i}: {type(e).__name__}: {e}")
            try:
                barrier.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    try:
        barrier.wait()
        engines = [p for p in s.descendants() if p.comm == "ftpsd-engine" and p.state != "Z"]
        barrier.wait()
    except threading.BrokenBarrierError:
        engines = None
    for t in threads:
        t.join(60)
    assert not errors, "\n".join(errors) + "\nlog:\n" + s.log()[-3000:]
    assert engines is not None and len(engines) == n, \
        f"{len(engines or [])} ftpsd-engine processes for {n} logged-in sessions"
    assert all(e.euid == test_user.uid for e in engines)
    for i in range(n):
        assert sha256(open(workdir.path(f"par-{i}.bin"), "rb").read()) == sha256(blobs[i])
    s.wait_log(r"login ok: user ftpsd-test", count=n)
    assert time.monotonic() - t0 < 30


def test_max_clients(server):
    s = server(max_clients=2)
    a = s.ctl()
    b = s.ctl()
    a.expect("NOOP", 200)
    b.expect("NOOP", 200)
    c = Ctl(HOST, s.port, read_banner=False)
    code, text = c.reply()
    assert code == 421, c.dump()
    assert c.eof(3), c.dump()
    a.expect("QUIT", 221)
    a.eof()

    def fits():
        try:
            d = Ctl(HOST, s.port)
        except (EOFError, OSError):
            return False
        d.close()
        return d.banner[0] == 220
    assert wait_until(fits, 5, 0.2), "a slot did not free up after a session ended"


def test_idle_session_timeout(server):
    s = server(idle_session_timeout=2)
    c = s.login_ctl()
    t0 = time.monotonic()
    assert c.eof(8), "idle session not closed\n" + c.dump()
    took = time.monotonic() - t0
    assert 1.5 <= took <= 6, took
    assert any(l.startswith("S: 421") for l in c.transcript), c.dump()


def test_accept_timeout(server):
    s = server(accept_timeout=2)
    c = s.login_ctl()
    c.pasv()
    t0 = time.monotonic()
    code, text = c.final("NLST /")       # never connect
    assert code == 425, c.dump()
    assert time.monotonic() - t0 < 6
    c.expect("NOOP", 200)


def test_data_connection_timeout_aborts_a_stalled_download(server, workdir):
    """data_connection_timeout=2: a download the client stops reading is
    aborted (426, or 421 and the control connection closed)."""
    s = server(data_connection_timeout=2)
    big = workdir.path("big-sparse.bin")
    with open(big, "wb") as fh:
        fh.truncate(256 * 1024 * 1024)
    os.chown(big, workdir.user.uid, workdir.user.gid)
    c = s.login_ctl()
    c.expect("TYPE I", 200)
    host, port = c.pasv()
    d = socket.socket()
    d.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    d.settimeout(TIMEOUT)
    d.connect((host, port))
    try:
        code, text = c.cmd(f"RETR {workdir.virt}/big-sparse.bin")
        assert code in (125, 150), c.dump()
        d.recv(1024)                           # it started; now stall
        c.sock.settimeout(10)
        t0 = time.monotonic()
        code, text = c.reply()
        took = time.monotonic() - t0
        assert code in (421, 426, 451), c.dump()
        assert took < 9, took
        if code == 421:
            assert c.eof(3), c.dump()
    finally:
        d.close()
