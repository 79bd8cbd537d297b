"""etc/fail2ban/filter.d/ftpsd.conf against logs the server really writes,
through Debian's fail2ban-regex: every failed login and every throttle
refusal matches (with the client's address, whatever user name it sent),
no successful login does. Text and JSON log_file."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import HOST, REPO, USER, wait_until

FILTER = os.path.join(REPO, "etc", "fail2ban", "filter.d", "ftpsd.conf")
F2B = shutil.which("fail2ban-regex")

pytestmark = pytest.mark.skipif(not F2B, reason="fail2ban-regex missing (Debian's fail2ban)")

# A user name that tries to frame another address.
FRAME = "mallory client 10.9.9.9 (x)"


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def produce(s):
    """Two good logins, three failed ones (one with a framing user name),
    then connections the throttle refuses."""
    for _ in range(2):
        s.ftp().quit()
    for user in (USER, "nosuchuser", FRAME):
        c = s.ctl()
        c.expect(f"USER {user}", 331)
        c.expect("PASS wrong-password", 530)
        c.close()
    log = s.settings["log_file"]
    assert wait_until(lambda: "throttled" in read(log), 5), read(log)
    refused = 0
    for _ in range(2):
        c = s.ctl(read_banner=False)
        line = c.readline()
        assert line.startswith("421"), line
        refused += 1
        c.close()
    assert wait_until(lambda: read(log).count("throttle_refused" if "json" in
                                              s.settings.get("log_format", "") else
                                              "refused: client") >= refused, 5), read(log)
    return log


def run_regex(log, tmp):
    # The filter includes common.conf from its own directory, as it will in
    # /etc/fail2ban/filter.d: put it beside Debian's.
    d = os.path.join(tmp, "filter.d")
    os.makedirs(d, exist_ok=True)
    shutil.copy("/etc/fail2ban/filter.d/common.conf", d)
    filt = shutil.copy(FILTER, d)
    out = subprocess.run([F2B, "--print-all-matched", "--print-no-missed", log, filt],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    ips = subprocess.run([F2B, "-o", "ip", log, filt], capture_output=True, text=True,
                         timeout=120)
    assert ips.returncode == 0, ips.stdout + ips.stderr
    return out.stdout, ips.stdout.split()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_fail2ban_filter(server, fmt):
    s = server(login_throttle_fails=3, login_throttle_window=60, log_format=fmt)
    log = produce(s)
    lines = read(log).splitlines()
    fails = [l for l in lines if "login failed:" in l or "refused: client" in l]
    oks = [l for l in lines if "login ok:" in l]
    assert len(fails) == 5 and len(oks) == 2, read(log)
    out, ips = run_regex(log, s.tmp)
    m = re.search(r"^Failregex: (\d+) total", out, re.M)
    assert m and int(m.group(1)) == len(fails), out
    # every match is one of our failure lines, and names the real client
    assert ips == [HOST] * len(fails), (ips, out)
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched, (\d+) missed", out, re.M)
    assert m and int(m.group(1)) == len(fails), out
    assert "login ok" not in out, out
