"""The Debian package, installed for real (opt-in: `make deb-test`, or
FTPSD_DEB=path/to/ftpsd_VERSION_ARCH.deb; never part of `make check`).

It installs the .deb with dpkg, checks what the package put on the machine
(binary, man pages, conffiles, PAM service, units, tmpfiles.d, logrotate,
fail2ban, the `ftp` account; nothing enabled or started), reinstalls it
over an edited /etc/ftpsd.conf (the edit stays), starts /usr/sbin/ftpsd
from the installed files on a loopback test port with a copy of the
installed /etc/ftpsd.conf (only addresses, ports, paths and the test
certificate changed; the installed PAM service `ftpsd`), logs in over
explicit and implicit FTPS, stops it, then purges the package and checks
the machine is as before (no package file left, the `ftp` account and
/srv/ftp gone when the package created them).

It refuses to run when ftpsd is installed already or /etc/ftpsd.conf or
/etc/pam.d/ftpsd exist (a purge would take them). Run it under the shared
test lock: `flock /tmp/ftpsd-tests.lock make deb-test`."""

import glob
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import HOST, PASSWORD, USER, free_port, free_port_range, is_listening, wait_until

DEB = os.environ.get("FTPSD_DEB")
pytestmark = pytest.mark.skipif(not DEB, reason="opt-in: FTPSD_DEB=path/to/ftpsd.deb "
                                "(make deb-test)")


def sh(*cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if check and r.returncode != 0:
        raise AssertionError(f"{cmd}: {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def installed():
    r = sh("dpkg-query", "-W", "-f=${Status}", "ftpsd", check=False)
    return "install ok installed" in r.stdout


def has_account(name):
    return sh("getent", "passwd", name, check=False).returncode == 0


def wants_links():
    return sorted(glob.glob("/etc/systemd/system/*.wants/ftpsd*") +
                  glob.glob("/etc/systemd/system/ftpsd*"))


def derived_conf(path, tmp, pki, port, implicit):
    """/etc/ftpsd.conf with the keys a loopback test needs replaced."""
    pmin, pmax = free_port_range(10)
    repl = {
        "listen_address": HOST, "listen_port": port, "implicit_ssl_port": implicit,
        "pid_file": f"{tmp}/ftpsd.pid", "log_file": f"{tmp}/ftpsd.log",
        "xferlog_file": f"{tmp}/xferlog", "syslog_enable": "NO",
        "rsa_cert_file": pki.rsa, "rsa_private_key_file": pki.rsa_key,
        "pasv_min_port": pmin, "pasv_max_port": pmax, "delay_failed_login": 0,
    }
    out, seen = [], set()
    for line in open(path):
        m = re.match(r"^\s*([a-z_]+)\s*=", line)
        if m and m.group(1) in repl:
            line = f"{m.group(1)}={repl[m.group(1)]}\n"
            seen.add(m.group(1))
        out.append(line)
    # keys the installed file leaves at their default go before any vhost
    extra = [f"{k}={v}\n" for k, v in repl.items() if k not in seen]
    text = "".join(extra + out)
    conf = os.path.join(tmp, "ftpsd.conf")
    with open(conf, "w") as f:
        f.write(text)
    return conf


def test_deb_install_run_purge(test_user, pki, tmp_path):
    import tlsutil
    assert not installed(), "ftpsd is installed already: not touching it"
    for p in ("/etc/ftpsd.conf", "/etc/pam.d/ftpsd", "/usr/sbin/ftpsd"):
        assert not os.path.exists(p), f"{p} exists: a purge would remove it"
    had_ftp, had_srv = has_account("ftp"), os.path.exists("/srv/ftp")
    links_before = wants_links()
    proc = None
    try:
        sh("dpkg", "-i", DEB)
        assert installed()
        files = sh("dpkg", "-L", "ftpsd").stdout.split()
        for p in ("/usr/sbin/ftpsd", "/usr/share/man/man8/ftpsd.8.gz",
                  "/usr/share/man/man5/ftpsd.conf.5.gz", "/etc/ftpsd.conf", "/etc/pam.d/ftpsd",
                  "/lib/systemd/system/ftpsd.service", "/lib/systemd/system/ftpsd.socket",
                  "/lib/systemd/system/ftpsd-inetd.socket",
                  "/lib/systemd/system/ftpsd-inetd@.service", "/usr/lib/tmpfiles.d/ftpsd.conf",
                  "/etc/logrotate.d/ftpsd", "/etc/fail2ban/filter.d/ftpsd.conf",
                  "/etc/fail2ban/jail.d/ftpsd.conf"):
            assert p in files and os.path.exists(p), p
        conffiles = open("/var/lib/dpkg/info/ftpsd.conffiles").read().split()
        assert "/etc/ftpsd.conf" in conffiles and "/etc/pam.d/ftpsd" in conffiles
        assert has_account("ftp"), "postinst did not create the ftp account"
        assert os.path.isdir("/srv/ftp") and os.stat("/srv/ftp").st_uid == 0
        assert os.path.isdir("/run/ftpsd/empty"), "tmpfiles.d entry not applied"
        assert wants_links() == links_before, "the package enabled a unit"
        assert re.search(r"^log_file=/var/log/ftpsd\.log$", open("/etc/ftpsd.conf").read(), re.M)

        # an edited conffile survives a reinstall
        with open("/etc/ftpsd.conf", "a") as f:
            f.write("# edited by test_deb\n")
        sh("dpkg", "-i", DEB)
        assert "# edited by test_deb" in open("/etc/ftpsd.conf").read()

        # run it from the installed files
        port, implicit = free_port(), free_port()
        tmp = str(tmp_path)
        os.chmod(tmp, 0o755)
        conf = derived_conf("/etc/ftpsd.conf", tmp, pki, port, implicit)
        sh("/usr/sbin/ftpsd", "-t", "-c", conf)
        proc = subprocess.Popen(["/usr/sbin/ftpsd", "-f", "-c", conf],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        assert wait_until(lambda: is_listening(port) and is_listening(implicit), 10)
        ctx = tlsutil.client_context(ca=pki.ca)
        f = tlsutil.ftps_connect(port, ctx, user=USER, password=PASSWORD)
        assert f.pwd() == "/"           # chroot_local_user=YES in the shipped config
        f.nlst()
        f.quit()
        r = subprocess.run(["curl", "-sS", "--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}",
                            f"ftps://{HOST}:{implicit}/"], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        log = open(f"{tmp}/ftpsd.log").read()
        assert log.count(f"login ok: user {USER}") == 2, log
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        proc = None
    finally:
        if proc:
            proc.kill()
            proc.wait()
        if installed() or os.path.exists("/var/lib/dpkg/info/ftpsd.list"):
            files = sh("dpkg", "-L", "ftpsd", check=False).stdout.split()
            sh("dpkg", "--purge", "ftpsd")
            left = [p for p in files if os.path.isfile(p) or
                    (os.path.islink(p) and not os.path.isdir(p))]
            assert not left, f"files left after purge: {left}"
    assert not installed()
    for p in ("/etc/ftpsd.conf", "/etc/pam.d/ftpsd", "/usr/sbin/ftpsd",
              "/etc/logrotate.d/ftpsd", "/var/lib/ftpsd"):
        assert not os.path.exists(p), f"{p} left after purge"
    assert has_account("ftp") == had_ftp, "the ftp account is not as before"
    assert os.path.exists("/srv/ftp") == had_srv, "/srv/ftp is not as before"
    assert wants_links() == links_before
