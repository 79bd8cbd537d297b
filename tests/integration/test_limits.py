"""Pre-login limits (issue 10 item 8): a login deadline the monitor keeps,
safe non-zero defaults for max_clients and max_per_ip."""
import subprocess
import time

from conftest import REPO, wait_until


def test_noops_do_not_hold_a_pre_login_session(server):
    s = server(login_timeout=2, idle_session_timeout=60)
    c = s.ctl()
    start = time.monotonic()
    code = None
    while time.monotonic() - start < 8:
        c.send("NOOP")
        code, text = c.reply()
        if code != 200:
            break
        time.sleep(0.3)
    assert code == 421 and "Login timeout" in text, (code, text)
    assert c.eof(timeout=5), c.dump()
    assert 1.5 < time.monotonic() - start < 5
    s.wait_log(r"no login within login_timeout=2 s")


def test_a_login_in_time_is_not_cut(server):
    s = server(login_timeout=2)
    c = s.login_ctl()
    time.sleep(3)
    c.expect("PWD", 257)
    c.expect("QUIT", 221)


def test_safe_defaults(tmp_path, ftpsd_bin):
    conf = tmp_path / "empty.conf"
    conf.write_text("")
    out = subprocess.run([ftpsd_bin, "-T", "-c", str(conf)], capture_output=True,
                         text=True, check=True).stdout
    settings = dict(l.split("=", 1) for l in out.splitlines() if "=" in l and not l.startswith("#"))
    assert settings["max_clients"] == "2000"
    assert settings["max_per_ip"] == "50"
    assert settings["login_timeout"] == "120"
    assert settings["ipv6_client_prefix"] == "64"
