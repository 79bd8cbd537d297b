"""ftpsd --import-vsftpd (issue 12): vsftpd.conf files (one per instance,
the LAN/WAN pair included) and hosts.allow overlays into one ftpsd.conf
with a vhost per instance. The output passes `ftpsd -t` and, served, does
what the vsftpd instances did, through ftplib; stderr says what changed in
meaning."""

import io
import os
import re

import pytest

from conftest import HOST, PASSWORD, TIMEOUT, USER, Server, FTP, free_port, free_port_range
from test_config import run
from test_vsftpd_compat import CONFS, conf_files, localise


def import_(ftpsd_bin, *files):
    return run(ftpsd_bin, "--import-vsftpd", *files)


def vhosts_of(text):
    return re.findall(r"^\[vhost (.+)\]$", text, re.M)


@pytest.mark.parametrize("name", conf_files())
def test_imported_sample_passes_t(ftpsd_bin, pki, tmp_path, name):
    conf = localise(os.path.join(CONFS, name), str(tmp_path / name), pki)
    r = import_(ftpsd_bin, conf)
    assert r.returncode == 0, r.out
    out = tmp_path / "ftpsd.conf"
    out.write_bytes(r.stdout)
    assert vhosts_of(r.stdout.decode()) == [name[:-len(".conf")]]
    t = run(ftpsd_bin, "-t", "-c", str(out))
    assert t.returncode == 0, f"{t.out}\n--- imported:\n{r.stdout.decode()}"
    assert "configuration OK" in t.out


def test_all_samples_import_together(ftpsd_bin, pki, tmp_path):
    confs = [localise(os.path.join(CONFS, n), str(tmp_path / n), pki) for n in conf_files()]
    r = import_(ftpsd_bin, *confs)
    assert r.returncode == 0, r.out
    assert len(vhosts_of(r.stdout.decode())) == len(confs)
    # global-only keys come from the first file; a later one that
    # disagrees is told
    assert re.search(r"differs from .*whose value is used", r.stderr.decode()), r.out


def test_vsftpd_defaults_are_kept(ftpsd_bin, tmp_path):
    """A key a vsftpd.conf leaves out means vsftpd's default: written where
    it differs from ftpsd's, or said on stderr where ftpsd keeps its own."""
    conf = tmp_path / "vsftpd.conf"
    conf.write_text("listen=YES\nxferlog_enable=YES\n")
    r = import_(ftpsd_bin, str(conf))
    assert r.returncode == 0, r.out
    out = r.stdout.decode()
    for line in ("anonymous_enable=YES", "local_enable=NO", "pam_service_name=ftp",
                 "xferlog_file=/var/log/xferlog", "xferlog_std_format=NO",
                 "isolate_network=YES"):
        assert re.search(rf"^{line}$", out, re.M), (line, out)
    err = r.stderr.decode()
    assert "max_clients unset" in err and "syslog_enable unset" in err, err
    assert "atomic_uploads=YES" in err, err
    # a value the file sets is its own
    conf.write_text("listen=YES\nanonymous_enable=NO\nlocal_enable=YES\n"
                    "pam_service_name=vsftpd\n")
    out = import_(ftpsd_bin, str(conf)).stdout.decode()
    assert "anonymous_enable" not in out and "local_enable" not in out, out
    assert re.search(r"^pam_service_name=vsftpd$", out, re.M), out


def test_listen_ipv6_is_written_as_addresses(ftpsd_bin, tmp_path):
    conf = tmp_path / "vsftpd.conf"
    conf.write_text("listen=NO\nlisten_ipv6=YES\nuser_sub_token=$U\nlocal_root=/srv/$U\n")
    r = import_(ftpsd_bin, str(conf))
    assert r.returncode == 0, r.out
    out = r.stdout.decode()
    assert re.search(r"^listen_address=0\.0\.0\.0,::$", out, re.M), out
    assert not re.search(r"^(listen_ipv6|listen_address6)=|^listen=NO$", out, re.M), out
    assert re.search(r"^local_root=/srv/\$USER$", out, re.M), out
    assert "listen_ipv6=YES written as" in r.stderr.decode()


def test_errors_stop_the_import(ftpsd_bin, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("listen=YES\nlisten_port=${PORT}\n")
    r = import_(ftpsd_bin, str(bad))
    assert r.returncode == 1
    assert f"{bad}:2:" in r.stderr.decode()
    assert r.stdout == b""
    r = import_(ftpsd_bin)
    assert r.returncode == 2 and "needs a FILE" in r.stderr.decode()
    ftpsd_conf = tmp_path / "ftpsd.conf"
    ftpsd_conf.write_text("listen=YES\n[vhost a]\nlisten_port=2121\n")
    r = import_(ftpsd_bin, str(ftpsd_conf))
    assert r.returncode == 1 and "not a vsftpd.conf" in r.stderr.decode(), r.out


class ImportedServer(Server):
    """A running ftpsd -f with the imported config as it came out."""

    def __init__(self, text, *args, **kw):
        self.text = text
        super().__init__(*args, **kw)

    def write_conf(self):
        with open(self.conf, "w") as f:
            f.write(self.text)


def lan_wan_pair(tmp_path, lan_port, wan_port, wrappers=False):
    """Two vsftpd instances as a NAT setup has them: the LAN one advertises
    its own address, the WAN one the router's public address."""
    lmin, lmax = free_port_range(10)
    wmin, wmax = free_port_range(10)
    common = (f"listen=YES\nlisten_address={HOST}\nlocal_enable=YES\nanonymous_enable=NO\n"
              f"pam_service_name=ftpsd-test\nwrite_enable=YES\nchroot_local_user=YES\n"
              f"local_umask=022\n")
    lan = tmp_path / "vsftpd-lan.conf"
    wan = tmp_path / "vsftpd-wan.conf"
    # ftpsd's own keys in the first file: where this test's server keeps
    # its files (vsftpd would refuse them; the import takes them)
    lan.write_text(common + f"listen_port={lan_port}\npasv_min_port={lmin}\n"
                   f"pasv_max_port={lmax}\npid_file={tmp_path}/ftpsd.pid\n"
                   f"who_socket={tmp_path}/who.sock\nlog_file={tmp_path}/ftpsd.log\n"
                   "syslog_enable=NO\nprefork_spares=1\n")
    wan.write_text(common + f"listen_port={wan_port}\npasv_min_port={wmin}\n"
                   f"pasv_max_port={wmax}\npasv_address=203.0.113.9\n"
                   f"tcp_wrappers={'YES' if wrappers else 'NO'}\n")
    return str(lan), str(wan)


def pasv_address(f):
    reply = f.sendcmd("PASV")
    return ".".join(re.search(r"\((\d+),(\d+),(\d+),(\d+),", reply).groups())


def login(port):
    f = FTP()
    f.connect(HOST, port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    return f


def test_lan_wan_pair_serves_both(ftpsd_bin, test_user, pam_service, tmp_path, workdir):
    lan_port, wan_port = free_port(), free_port()
    lan, wan = lan_wan_pair(tmp_path, lan_port, wan_port)
    r = import_(ftpsd_bin, lan, wan)
    assert r.returncode == 0, r.out
    text = r.stdout.decode()
    assert vhosts_of(text) == ["lan", "wan"], text
    workdir.write("f.txt", b"both instances")
    s = ImportedServer(text, str(tmp_path), test_user, ftpsd_bin, pam_service,
                       listen_port=lan_port)
    try:
        assert s.wait_log(rf"listening on .*{wan_port}")
        lan_ftp, wan_ftp = login(lan_port), login(wan_port)
        assert pasv_address(lan_ftp) == HOST
        assert pasv_address(wan_ftp) == "203.0.113.9"
        buf = io.BytesIO()
        lan_ftp.retrbinary(f"RETR {workdir.virt}/f.txt", buf.write)
        assert buf.getvalue() == b"both instances"
        lan_ftp.storbinary(f"STOR {workdir.virt}/up.txt", io.BytesIO(b"uploaded"))
        with open(workdir.path("up.txt"), "rb") as fh:
            assert fh.read() == b"uploaded"
        for f in (lan_ftp, wan_ftp):
            f.quit()
    finally:
        s.stop()


def test_tcp_wrappers_overlay_becomes_a_rule(ftpsd_bin, test_user, pam_service, tmp_path,
                                             workdir):
    """hosts.allow's per-client config for the WAN instance: clients of
    127.0.0.0/8 get their own pasv_address; a DENY line and a key with no
    per-client form are reported, not carried."""
    lan_port, wan_port = free_port(), free_port()
    lan, wan = lan_wan_pair(tmp_path, lan_port, wan_port, wrappers=True)
    overlay = tmp_path / "vsftpd-inside.conf"
    overlay.write_text(f"pasv_address={HOST}\nwrite_enable=NO\n")
    allow = tmp_path / "hosts.allow"
    allow.write_text("# tcp_wrappers\n"
                     f"vsftpd: 127. : setenv VSFTPD_LOAD_CONF {overlay}\n"
                     "vsftpd: 192.0.2.66 : DENY\n"
                     "sshd: ALL\n")
    r = import_(ftpsd_bin, lan, wan, str(allow))
    assert r.returncode == 0, r.out
    text, err = r.stdout.decode(), r.stderr.decode()
    assert re.search(rf"^pasv_address_rule=127\.0\.0\.0/8 {re.escape(HOST)}$", text, re.M), text
    assert f"{allow}:2: " in err and "write_enable in the per-client config is not carried" in err
    assert f"{allow}:3: a DENY rule is not carried" in err, err
    workdir.write("g.txt", b"inside")
    s = ImportedServer(text, str(tmp_path), test_user, ftpsd_bin, pam_service,
                       listen_port=lan_port)
    try:
        assert s.wait_log(rf"listening on .*{wan_port}")
        f = login(wan_port)
        assert pasv_address(f) == HOST      # the rule, not 203.0.113.9
        buf = io.BytesIO()
        f.retrbinary(f"RETR {workdir.virt}/g.txt", buf.write)
        assert buf.getvalue() == b"inside"
        f.quit()
    finally:
        s.stop()


def test_wrappers_without_hosts_allow_says_so(ftpsd_bin, tmp_path):
    conf = tmp_path / "vsftpd.conf"
    conf.write_text("listen=YES\ntcp_wrappers=YES\n")
    r = import_(ftpsd_bin, str(conf))
    assert r.returncode == 0, r.out
    assert "give the hosts.allow file too" in r.stderr.decode()
