"""Login through the monitor and real PAM: success, failure, delay, the
failure limit, and what is allowed before login."""

import os
import subprocess
import time

import pytest

from conftest import PAM_SRC, USER, PASSWORD, HOST


def test_pam_service_file_is_shipped():
    """The suite installs the repo's etc/pam.d/ftpsd as /etc/pam.d/ftpsd-test."""
    assert os.path.isfile(PAM_SRC), f"{PAM_SRC} is missing (the suite used a built-in copy)"
    text = open(PAM_SRC).read()
    for needle in ("common-auth", "common-account", "common-session", "pam_listfile",
                   "/etc/ftpusers", "pam_shells"):
        assert needle in text, f"{PAM_SRC} lacks {needle}"


def test_banner_is_220(srv):
    c = srv.ctl()
    assert c.banner[0] == 220, c.dump()


def test_custom_banner(server):
    s = server(ftpd_banner="Welcome to the ftpsd test rig")
    c = s.ctl()
    assert c.banner == (220, "220 Welcome to the ftpsd test rig"), c.dump()


def test_login_ok_replies_331_230_and_logs(srv):
    c = srv.ctl()
    c.expect(f"USER {USER}", 331)
    t0 = time.monotonic()
    c.expect(f"PASS {PASSWORD}", 230)
    assert time.monotonic() - t0 < 3, "a good login took more than 3 s"
    srv.wait_log(rf"session start: client {HOST} vhost default")
    srv.wait_log(rf"login ok: user {USER} client {HOST}")
    c.expect("QUIT", 221)
    assert c.eof(), c.dump()


def test_login_bad_password_is_530_and_logged(srv):
    c = srv.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect("PASS wrong-password", 530)
    srv.wait_log(rf"login failed: user {USER} client {HOST}")
    # not logged in: commands that need a login are refused
    c.expect("PWD", 530)


def test_login_after_a_failure_succeeds(srv):
    c = srv.ctl()
    c.expect(f"USER {USER}", 331)
    c.expect("PASS wrong-password", 530)
    c.expect(f"USER {USER}", 331)
    c.expect(f"PASS {PASSWORD}", 230)
    c.expect("PWD", 257)


def test_unknown_user_gets_331_then_530(srv):
    """No user enumeration: USER answers 331 for anyone."""
    c = srv.ctl()
    c.expect("USER no-such-user-ftpsd", 331)
    c.expect("PASS whatever", 530)
    srv.wait_log(r"login failed: user no-such-user-ftpsd client 127\.0\.0\.1")


def test_user_listed_in_ftpusers_is_refused(srv, test_user):
    """The shipped PAM stack denies users listed in /etc/ftpusers
    (pam_listfile), even with the right password."""
    path = "/etc/ftpusers"
    saved = open(path, "rb").read() if os.path.exists(path) else None
    try:
        with open(path, "ab") as f:
            f.write(f"\n{USER}\n".encode())
        c = srv.ctl()
        code, text = c.expect(f"USER {USER}", 331, 530)
        if code == 331:
            c.expect(f"PASS {PASSWORD}", 530)
    finally:
        if saved is None:
            os.unlink(path)
        else:
            with open(path, "wb") as f:
                f.write(saved)
    srv.ctl().login()


def test_user_without_valid_shell_is_refused(srv, test_user):
    """pam_shells: a user whose shell is not in /etc/shells cannot log in."""
    subprocess.run(["usermod", "-s", "/usr/sbin/nologin", USER], check=True, timeout=30)
    try:
        c = srv.ctl()
        code, text = c.expect(f"USER {USER}", 331, 530)
        if code == 331:
            c.expect(f"PASS {PASSWORD}", 530)
    finally:
        subprocess.run(["usermod", "-s", "/bin/bash", USER], check=True, timeout=30)
    srv.ctl().login()


def test_pass_without_user_is_503(srv):
    c = srv.ctl()
    c.expect(f"PASS {PASSWORD}", 503)
    # and the session goes on
    c.login()


def test_connection_closed_after_max_login_fails(server):
    s = server(max_login_fails=3)
    c = s.ctl()
    for i in range(2):
        c.expect(f"USER {USER}", 331)
        c.expect("PASS bad", 530)
    c.expect("NOOP", 200)               # still open after 2 failures
    c.expect(f"USER {USER}", 331)
    c.send("PASS bad")
    assert c.eof(5), "connection not closed after the 3rd failed login\n" + c.dump()
    codes = [l[3:6] for l in c.transcript if l.startswith("S: ")]
    assert "530" in codes[-3:] or "421" in codes[-3:], c.dump()
    s.wait_log(r"login failed", count=3)
    # the master still serves new clients
    s.ctl().login()


def test_max_login_fails_one(server):
    s = server(max_login_fails=1)
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    c.send("PASS bad")
    assert c.eof(5), c.dump()


def test_failed_login_is_delayed(server):
    # 3 s: more than pam_unix's own ~2 s (randomised +-25%) failure delay
    s = server(delay_failed_login=3)
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    t0 = time.monotonic()
    c.expect("PASS bad", 530)
    took = time.monotonic() - t0
    assert took >= 2.8, f"530 came after {took:.2f}s with delay_failed_login=3\n" + c.dump()
    assert took < 7, took
    # a good login is not delayed
    c.expect(f"USER {USER}", 331)
    t0 = time.monotonic()
    c.expect(f"PASS {PASSWORD}", 230)
    assert time.monotonic() - t0 < 1.5


def test_no_delay_when_delay_failed_login_is_zero(srv):
    c = srv.ctl()
    c.expect(f"USER {USER}", 331)
    t0 = time.monotonic()
    c.expect("PASS bad", 530)
    took = time.monotonic() - t0
    assert took < 1.0, f"530 came after {took:.2f} s with delay_failed_login=0\n" + c.dump()


@pytest.mark.parametrize("line,codes", [
    ("SYST", (215,)),
    ("FEAT", (211,)),
    ("NOOP", (200,)),
    ("OPTS UTF8 ON", (200, 202)),
])
def test_allowed_before_login(srv, line, codes):
    c = srv.ctl()
    c.expect(line, *codes)


@pytest.mark.parametrize("line", [
    "PWD", "CWD /", "CDUP", "TYPE I", "MODE S", "STRU F", "PASV", "EPSV",
    "LIST", "NLST", "MLSD", "RETR x", "STOR x",
])
def test_needs_login_530(srv, line):
    c = srv.ctl()
    c.expect(line, 530)
    c.expect("NOOP", 200)         # the session survives


def test_quit_before_login(srv):
    c = srv.ctl()
    c.expect("QUIT", 221)
    assert c.eof(), c.dump()


def test_login_ftplib(srv):
    f = srv.ftp()
    assert f.pwd() == "/"
    f.quit()


def test_local_enable_no_refuses_local_users(server):
    s = server(local_enable=False)
    c = s.ctl()
    code, text = c.expect(f"USER {USER}", 331, 530)
    if code == 331:
        c.expect(f"PASS {PASSWORD}", 530)
    c.expect("PWD", 530)


def test_protocol_log_never_shows_the_password(server):
    s = server(log_ftp_protocol=True)
    c = s.login_ctl()
    c.expect("NOOP", 200)
    c.expect("QUIT", 221)
    s.wait_log(r"NOOP")
    s.wait_log(r"USER ftpsd-test")
    assert PASSWORD not in s.log(), "log_ftp_protocol=YES wrote the password to the log"
    assert PASSWORD not in s.logfile(), "log_ftp_protocol=YES wrote the password to log_file"
