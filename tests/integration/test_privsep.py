"""The process tree of a session, read from /proc: master, monitor (root),
pre-auth engine (nopriv_user, empty chroot), post-auth engine (the user,
chrooted to the home); and how the tree reacts to SIGKILL."""

import io
import os
import pwd
import signal

import pytest

from conftest import (DEFAULT_SECURE_CHROOT, alive, children, proc, session_procs,
                      sessions_of, wait_until)

NOBODY = pwd.getpwnam("nobody")


def describe(s):
    return "process tree under the master:\n  " + "\n  ".join(
        repr(p) for p in [proc(s.pid)] + s.descendants())


def test_master_process(srv):
    m = proc(srv.pid)
    assert m.comm == "ftpsd-master", describe(srv)
    assert m.ruid == 0 and m.euid == 0
    # Its children: one key holder and one zygote (a generation), no more.
    kids = sorted(p.comm for p in children(srv.pid))
    assert kids == ["ftpsd-keys", "ftpsd-zygote"], describe(srv)
    for p in children(srv.pid):
        want_uid = NOBODY.pw_uid if p.comm == "ftpsd-keys" else 0
        assert p.euid == want_uid, p
    for p in sessions_of(srv.pid):
        assert p.euid == 0, p


def test_preauth_session_tree(srv):
    c = srv.ctl()                          # banner read: the session exists
    mon, eng = session_procs(c.sock)
    assert mon is not None, "no ftpsd-monitor holds the connection\n" + describe(srv)
    assert mon.pid in {m.pid for m in sessions_of(srv.pid)}, \
        f"monitor {mon} is not a child of a spawner of the master's zygote\n" + describe(srv)
    assert mon.ruid == 0 and mon.euid == 0, mon
    assert eng is not None, f"no engine under {mon}\n" + describe(srv)
    assert eng.comm == "ftpsd-preauth", eng
    assert eng.ppid == mon.pid
    assert (eng.ruid, eng.euid, eng.suid, eng.fsuid) == (NOBODY.pw_uid,) * 4, eng
    assert (eng.rgid, eng.egid) == (NOBODY.pw_gid,) * 2, eng
    assert eng.root == DEFAULT_SECURE_CHROOT, eng
    assert os.listdir(f"/proc/{eng.pid}/root") == [], "secure_chroot_dir is not empty"


def test_spare_preauth_engines_are_unprivileged(srv):
    """Whatever the master keeps in its pool runs like a pre-auth session."""
    for p in srv.descendants():
        if p.comm == "ftpsd-preauth":
            assert p.euid == NOBODY.pw_uid and p.root == DEFAULT_SECURE_CHROOT, p


def test_logged_in_session_tree(srv, test_user):
    c = srv.ctl()
    mon0, pre = session_procs(c.sock)
    c.login()
    c.expect("PWD", 257)
    mon, eng = session_procs(c.sock)
    assert mon is not None, describe(srv)
    assert mon0 is None or mon.pid == mon0.pid, "the monitor changed at login"
    assert mon.pid in {m.pid for m in sessions_of(srv.pid)}
    assert mon.comm == "ftpsd-monitor"
    assert mon.ruid == 0 and mon.euid == 0, mon
    eng = wait_until(lambda: next((k for k in children(mon.pid)
                                   if k.comm == "ftpsd-engine" and k.state != "Z"), None), 3)
    assert eng is not None, "no ftpsd-engine under the monitor after login\n" + describe(srv)
    assert (eng.ruid, eng.euid, eng.suid, eng.fsuid) == (test_user.uid,) * 4, eng
    assert (eng.rgid, eng.egid, eng.sgid, eng.fsgid) == (test_user.gid,) * 4, eng
    assert eng.groups == test_user.groups, \
        f"supplementary groups {eng.groups}, want {test_user.groups}"
    assert eng.root == test_user.home, f"engine root {eng.root}, want {test_user.home}"
    # the pre-auth engine is gone
    if pre is not None:
        assert wait_until(lambda: not alive(pre.pid), 3), \
            f"pre-auth engine {pre} still alive after login\n" + describe(srv)
    left = [k for k in children(mon.pid) if k.comm == "ftpsd-preauth" and k.state != "Z"]
    assert not left, describe(srv)


def test_engine_root_is_slash_without_chroot(server, test_user):
    s = server(chroot_local_user=False)
    c = s.login_ctl()
    c.expect("PWD", 257)
    mon, eng = session_procs(c.sock)
    assert eng is not None and eng.comm == "ftpsd-engine", describe(s)
    assert eng.root == "/", eng
    assert eng.euid == test_user.uid


def test_custom_secure_chroot_dir(server, tmp_path):
    empty = tmp_path / "empty-root"
    empty.mkdir(mode=0o755)
    s = server(secure_chroot_dir=str(empty))
    c = s.ctl()
    mon, eng = session_procs(c.sock)
    assert eng is not None and eng.comm == "ftpsd-preauth", describe(s)
    assert eng.root == str(empty), eng
    c.login()


def test_session_processes_exit_after_quit(srv):
    c = srv.login_ctl()
    mon, eng = session_procs(c.sock)
    assert mon and eng, describe(srv)
    c.expect("QUIT", 221)
    assert c.eof()
    assert wait_until(lambda: not alive(mon.pid) and not alive(eng.pid), 5), \
        f"session processes left after QUIT: {proc(mon.pid)} {proc(eng.pid)}"
    # and the master reaped the monitor (no zombie child)
    assert wait_until(lambda: proc(mon.pid) is None, 5), f"zombie monitor {proc(mon.pid)}"


def test_session_processes_exit_when_client_disconnects(srv):
    c = srv.login_ctl()
    mon, eng = session_procs(c.sock)
    assert mon and eng, describe(srv)
    c.close()
    assert wait_until(lambda: proc(mon.pid) is None and not alive(eng.pid), 5), \
        f"session processes left after the client went away: {proc(mon.pid)} {proc(eng.pid)}"


@pytest.mark.parametrize("victims", ["monitor+engine", "engine", "monitor"])
def test_master_survives_sigkill_of_session(server, workdir, victims):
    s = server()
    c = s.login_ctl()
    c.expect("PWD", 257)
    mon, eng = session_procs(c.sock)
    assert mon and eng and eng.comm == "ftpsd-engine", describe(s)
    for who, p in (("monitor", mon), ("engine", eng)):
        if who in victims:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:       # the other one's death took it along
                pass
    # the session ends: nobody may keep serving the client without its monitor
    if not c.eof(5):
        # show what an orphaned engine still does for the client
        for line in ("NOOP", "PWD", "PASV", "QUIT"):
            try:
                c.cmd(line)
            except Exception as e:           # noqa: BLE001
                c.transcript.append(f"!! {type(e).__name__}: {e}".splitlines()[0])
                break
        raise AssertionError(f"session still open 5 s after SIGKILL of the {victims} "
                             f"(engine {proc(eng.pid)})\n" + c.dump())
    assert wait_until(lambda: not alive(mon.pid) and not alive(eng.pid), 5), \
        f"after SIGKILL of the {victims}: monitor {proc(mon.pid)}, engine {proc(eng.pid)}"
    assert wait_until(lambda: proc(mon.pid) is None, 5), f"unreaped monitor {proc(mon.pid)}"
    assert s.proc.poll() is None, "the master died"
    # the master still accepts, and new sessions work end to end
    for i in range(3):
        f = s.ftp()
        f.storbinary(f"STOR {workdir.virt}/after-{i}.bin", io.BytesIO(b"ok"))
        assert f.nlst(workdir.virt)
        f.quit()
    assert open(workdir.path("after-2.bin"), "rb").read() == b"ok"


def test_master_survives_sigkill_of_preauth_session(server):
    s = server()
    c = s.ctl()
    mon, eng = session_procs(c.sock)
    assert mon and eng, describe(s)
    os.kill(eng.pid, signal.SIGKILL)
    try:
        os.kill(mon.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it saw its engine die and ended the session first
    assert c.eof(5), c.dump()
    s.ctl().login()
    assert s.proc.poll() is None


def _minor_faults(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


# A launcher that turns transparent huge pages off for the server it execs
# (PR_SET_THP_DISABLE is kept across fork and execve), so that a yescrypt
# hash is 4,096 page faults again, one per 4 KiB page it touches.
WITHOUT_HUGE_PAGES = ("/usr/bin/python3", "-c",
                      "import ctypes, os, sys\n"
                      "assert ctypes.CDLL(None, use_errno=True).prctl(41, 1, 0, 0, 0) == 0\n"
                      "os.execv(sys.argv[1], sys.argv[1:])")


def _skip_unless_yescrypt(user):
    with open("/etc/shadow") as f:
        entry = next(line for line in f if line.startswith(user.name + ":"))
    if not entry.split(":")[1].startswith("$y$"):
        pytest.skip("the test user's password is not a yescrypt hash")


def _pass_faults(s, user):
    """The page faults the session's monitor takes during PASS."""
    c = s.ctl()
    mon, _ = session_procs(c.sock)
    assert mon is not None, describe(s)
    c.expect(f"USER {user.name}", 331)
    before = _minor_faults(mon.pid)
    c.expect("PASS " + user.password, 230)
    faults = _minor_faults(mon.pid) - before
    print(f"monitor page faults during PASS: {faults}")
    return faults


def test_a_login_hashes_the_password_once(server, test_user):
    """pam_unix 1.5.2 asks crypt_r twice for one password; the monitor's
    crypt_r (monitor/crypt_once.c) hashes it once. Read off the monitor's
    page faults during PASS, with huge pages off: a yescrypt hash
    (chpasswd's default here) maps and touches 16 MiB, 4,096 pages, each
    time it runs."""
    _skip_unless_yescrypt(test_user)
    faults = _pass_faults(server(wrap=WITHOUT_HUGE_PAGES), test_user)
    # Once: 4,096 and a few hundred more; twice: 8,192 and as many.
    assert 4096 <= faults < 4096 + 2048, f"{faults} page faults in the monitor during PASS"


def test_a_login_hashes_on_huge_pages(server, test_user):
    """The hash's 16 MiB are on 2 MiB pages (monitor/hash_memory.c): the
    binary's mmap reaches libcrypt inside pam_unix, and the monitor takes a
    few hundred page faults during PASS instead of 4,096 and more."""
    _skip_unless_yescrypt(test_user)
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        if "[never]" in f.read():
            pytest.skip("transparent huge pages are off on this machine")
    faults = _pass_faults(server(), test_user)
    assert faults < 1000, f"{faults} page faults in the monitor during PASS"
