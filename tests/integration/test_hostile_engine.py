"""The monitor enforces its own limits against a compromised engine (issue
10, item 5) and bounds HOST (item 6). A test build's XPRIV command makes the
engine misbehave towards its monitor the way a compromised one would."""
import os
import socket

from conftest import HOST, wait_until


def listeners_in(lo, hi):
    """Listening TCP sockets on ports LO..HI (from /proc/net/tcp)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            port = int(parts[1].split(":")[1], 16)
            if parts[3] == "0A" and lo <= port <= hi:
                n += 1
    return n


def test_engine_ignoring_login_close_gets_no_more_guesses(hooked):
    s = hooked(allow_violations=True, max_login_fails=3, delay_failed_login=0)
    c = s.ctl()
    c.send("XPRIV login 50")
    assert c.eof(timeout=10), c.dump()
    s.wait_log(r"violation: LOGIN after the last allowed failure")
    assert s.log().count("login failed: user nosuchuser") == 3, s.log()


def test_engine_queueing_requests_ends_the_session(hooked):
    s = hooked(allow_violations=True)
    c = s.login_ctl()
    lo, hi = s.pasv_range
    c.send("XPRIV pasv 300")
    assert c.eof(timeout=10), c.dump()
    s.wait_log(r"violation: a request while our last reply is unread")
    # At most the one answered request's listener ever existed.
    assert wait_until(lambda: listeners_in(lo, hi) == 0, 5)
    other = s.login_ctl()
    other.expect("PWD", 257)
    other.expect("QUIT", 221)


def test_a_second_host_is_refused_without_a_fork(hooked):
    s = hooked(server_name="localhost")
    raw = socket.create_connection((HOST, s.port), timeout=10)
    f = raw.makefile("rb")
    assert f.readline().startswith(b"220")
    raw.sendall(b"HOST localhost\r\n" * 200 + b"QUIT\r\n")
    codes = []
    while True:
        line = f.readline()
        if not line:
            break
        if line[3:4] == b" ":
            codes.append(int(line[:3]))
    raw.close()
    assert codes[0] == 220 and codes[-1] == 221, codes[:5]
    assert codes[1:-1] == [503] * 199, codes[:5]
    assert s.log().count("selects vhost") == 1, s.log()


def test_forwarded_log_lines_cannot_forge_ours(hooked):
    """Issue 10 item 4: a compromised engine's LOG is one escaped line,
    marked with the role and the client it serves."""
    s = hooked()
    c = s.ctl()
    c.expect("XPRIV forge 1", 200)
    c.expect("QUIT", 221)
    s.wait_log(r"ftpsd-preauth for 127\.0\.0\.1: x\\x0a2026-01-01T00:00:00Z ftpsd\[1\]: login failed")
    for line in s.log().splitlines():
        assert not line.startswith("2026-01-01T00:00:00Z"), line
        if "203.0.113.9" in line:
            assert "ftpsd-preauth for 127.0.0.1: x\\x0a" in line, line


def test_xferlog_fields_survive_spaces_in_names(hooked, test_user):
    s = hooked(xferlog_enable=True, write_enable=True)
    f = s.ftp()
    import io
    f.storbinary("STOR name with spaces.txt", io.BytesIO(b"abc"))
    f.quit()
    assert wait_until(lambda: "name_with_spaces.txt" in s.xferlog(), 5), s.xferlog()
    fields = s.xferlog().strip().splitlines()[-1].split()
    # wu-ftpd: 5 date fields, time, host, bytes, name, type, action, dir, access, user...
    assert fields[8].endswith("name_with_spaces.txt") and fields[7] == "3", fields
    assert fields[12] == "r" and fields[-1] == "c", fields
    os.unlink(os.path.join(test_user.home, "name with spaces.txt"))
