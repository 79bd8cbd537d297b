"""vsftpd.conf compatibility (issue 12): vsftpd's keys through `ftpsd -t`
(accepted, explained, warned about or refused, with file:line), the
vsftpd.conf files of vsftpd-confs/ (distribution, container, FTPS,
virtual-user and NAT shapes), and the behaviour behind the implemented keys
through real clients (ftplib, curl)."""

import ftplib
import io
import os
import re
import socket
import stat
import time

import pytest

from conftest import (HOST, PASSWORD, TIMEOUT, USER, curl, curl_report, free_port,
                      pids_holding_inode, tcp_sockets)
from test_active import active_cmd
from test_config import error_lines, run
from test_users import ANON, CHOWN, accounts, anon_root, anon_server, ftp as anon_ftp  # noqa: F401
import tlsutil

CONFS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vsftpd-confs")

# vsftpd 3.0.5's keys, then what Red Hat and Debian patch in.
VSFTPD_KEYS = """
anonymous_enable local_enable pasv_enable port_enable chroot_local_user write_enable
anon_upload_enable anon_mkdir_write_enable anon_other_write_enable chown_uploads
connect_from_port_20 xferlog_enable dirmessage_enable anon_world_readable_only
async_abor_enable ascii_upload_enable ascii_download_enable one_process_model
xferlog_std_format pasv_promiscuous deny_email_enable chroot_list_enable
setproctitle_enable text_userdb_names ls_recurse_enable log_ftp_protocol guest_enable
userlist_enable userlist_deny use_localtime check_shell hide_ids listen port_promiscuous
passwd_chroot_enable no_anon_password tcp_wrappers use_sendfile force_dot_files
listen_ipv6 dual_log_enable syslog_enable background virtual_use_local_privs
session_support download_enable dirlist_enable chmod_enable secure_email_list_enable
run_as_launching_user no_log_lock ssl_enable allow_anon_ssl force_local_logins_ssl
force_local_data_ssl ssl_sslv2 ssl_sslv3 ssl_tlsv1 tilde_user_enable
force_anon_logins_ssl force_anon_data_ssl mdtm_write lock_upload_files
pasv_addr_resolve debug_ssl require_cert validate_cert strict_ssl_read_eof
strict_ssl_write_shutdown ssl_request_cert delete_failed_uploads implicit_ssl
ptrace_sandbox require_ssl_reuse isolate isolate_network ftp_enable http_enable
seccomp_sandbox allow_writeable_chroot
accept_timeout connect_timeout local_umask anon_umask ftp_data_port
idle_session_timeout data_connection_timeout pasv_min_port pasv_max_port anon_max_rate
local_max_rate listen_port max_clients file_open_mode max_per_ip trans_chunk_size
delay_failed_login delay_successful_login max_login_fails chown_upload_mode
secure_chroot_dir ftp_username chown_username xferlog_file vsftpd_log_file
message_file nopriv_user ftpd_banner banned_email_file chroot_list_file
pam_service_name guest_username userlist_file anon_root local_root banner_file
pasv_address listen_address user_config_dir listen_address6 cmds_allowed hide_file
deny_file user_sub_token email_password_file rsa_cert_file dsa_cert_file ssl_ciphers
rsa_private_key_file dsa_private_key_file ca_certs_file cmds_denied
ssl_tlsv1_1 ssl_tlsv1_2 userlist_log reverse_lookup_enable dh_param_file
ecdh_param_file utf8_filesystem
""".split()

# What differs from machine to machine: certificates, accounts and the
# banner file. The copies a test checks point these at the test PKI, at
# `nobody` and at a banner the test writes.
ACCOUNT_KEYS = ("ftp_username", "guest_username", "nopriv_user", "chown_username")


def conf_files():
    return sorted(f for f in os.listdir(CONFS) if f.endswith(".conf"))


def keys_of(path):
    keys = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            keys.append(line.split("=", 1)[0].strip())
    return keys


def localise(src, dst, pki):
    certs = {"rsa_cert_file": pki.rsa, "rsa_private_key_file": pki.rsa_key,
             "ca_certs_file": pki.ca}
    out = []
    text = open(src).read()
    for line in text.split("\n"):
        key = line.split("=", 1)[0].strip() if "=" in line and not line.startswith("#") else ""
        if key in certs:
            line = f"{key}={certs[key]}"
        elif key in ACCOUNT_KEYS:
            line = f"{key}=nobody"
        elif key == "banner_file":
            banner = os.path.join(os.path.dirname(dst), "banner.txt")
            open(banner, "w").write("Mirror of example.org\n")
            line = f"{key}={banner}"
        out.append(line)
    if "ftp_username" not in keys_of(src):
        out.insert(0, "ftp_username=nobody")
    open(dst, "w").write("\n".join(out))     # no newline added at the end
    return dst


def write(tmp_path, text, name="vsftpd.conf"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


# --------------------------------------------------------------------------
# the config files
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", conf_files())
def test_vsftpd_conf_passes_t(ftpsd_bin, pki, tmp_path, name):
    conf = localise(os.path.join(CONFS, name), str(tmp_path / name), pki)
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    assert "configuration OK" in r.out
    assert "unknown key" not in r.out


def test_vsftpd_confs_cover_every_key():
    seen = set()
    for name in conf_files():
        seen.update(keys_of(os.path.join(CONFS, name)))
    missing = [k for k in VSFTPD_KEYS if k not in seen]
    assert not missing, f"no file in vsftpd-confs/ sets {missing}"


def test_every_vsftpd_key_is_known(ftpsd_bin, tmp_path):
    """Each key alone, at a value vsftpd accepts: never "unknown key"."""
    for k in VSFTPD_KEYS:
        conf = write(tmp_path, f"{k}=\n")
        r = run(ftpsd_bin, "-t", "-c", conf)
        assert "unknown key" not in r.out, (k, r.out)


def test_obsolete_keys_say_what_they_do_now(ftpsd_bin, tmp_path):
    conf = write(tmp_path, "tcp_wrappers=YES\nbackground=YES\nssl_sslv3=NO\n"
                           "session_support=YES\nseccomp_sandbox=YES\n")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    got = error_lines(conf, r.out)
    assert "note: tcp_wrappers" in got[1][0] and "pasv_address_rule" in got[1][0], r.out
    assert "user_config_dir" in got[1][0]
    assert "-f" in got[2][0]
    assert "ssl_min_protocol" in got[3][0]
    assert "PAM session" in got[4][0]
    assert 5 not in got                      # seccomp_sandbox is ftpsd's own


def test_no_vsftpd_key_is_left_unimplemented(ftpsd_bin, tmp_path):
    """Every vsftpd key is implemented, a no-op that says what replaces it,
    or refused: none is accepted and silently ignored any more."""
    for k in VSFTPD_KEYS:
        for v in ("YES", "NO", "1"):
            conf = write(tmp_path, f"{k}={v}\n")
            r = run(ftpsd_bin, "-t", "-c", conf)
            assert "not implemented" not in r.out, (k, v, r.out)


def test_unsafe_to_ignore_is_refused(ftpsd_bin, tmp_path):
    conf = write(tmp_path, "listen=YES\nhttp_enable=YES\n"
                           "ftp_enable=NO\nrun_as_launching_user=YES\n"
                           "dsa_cert_file=/etc/vsftpd/dsa.pem\n")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 1, r.out
    got = error_lines(conf, r.out)
    for line in (2, 3, 4, 5):
        assert any("not supported" in m for m in got.get(line, [])), (line, r.out)


def test_duplicate_key_warns_last_wins(ftpsd_bin, tmp_path):
    conf = write(tmp_path, "listen_port=2121\n# later\nlisten_port=2122\n")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    assert f"{conf}:3: warning: listen_port is set again (first at line 1)" in r.out
    assert "listen_port=2122" in run(ftpsd_bin, "-T", "-c", conf).out


def test_placeholder_named_with_file_and_line(ftpsd_bin, tmp_path):
    conf = write(tmp_path, "listen=YES\npasv_address=${PASV_ADDRESS}\n"
                           "pasv_min_port={{ pasv_min }}\n")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 1
    got = error_lines(conf, r.out)
    assert "placeholder" in got[2][0] and "placeholder" in got[3][0], r.out


def test_long_lines_and_spellings(ftpsd_bin, tmp_path):
    banner = "Authorised use only. " * 20
    conf = write(tmp_path, "# " + "x" * 5000 + "\n"
                 f"ftpd_banner={banner.strip()}\nlisten=yes\nwrite_enable=true \n"
                 "hide_ids=1\t\nlocal_enable=no")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    dump = run(ftpsd_bin, "-T", "-c", conf).out
    for want in ("listen=YES", "write_enable=YES", "hide_ids=YES", "local_enable=NO",
                 "ftpd_banner=" + banner.strip()):
        assert want + "\n" in dump, want


@pytest.mark.parametrize("key,enable,what", [
    ("ftp_username", "anonymous_enable", "anonymous"),
    ("guest_username", "guest_enable", "guest"),
    ("chown_username", "chown_uploads", "chown_uploads"),
])
def test_missing_account_caught_by_t(ftpsd_bin, tmp_path, key, enable, what):
    """Without the account every such login or upload would fail only when
    it happens (530 for every anonymous login on a machine without `ftp`)."""
    anon = "" if key == "ftp_username" else "ftp_username=nobody\n"
    text = f"listen=YES\n{enable}=YES\n{key}=ftpsd-no-such-user\n{anon}"
    conf = write(tmp_path, text)
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 1, r.out
    got = error_lines(conf, r.out)
    assert any(key in m and "does not exist" in m and what in m for m in got.get(3, [])), r.out
    # The same file with the account present is fine.
    ok = write(tmp_path, text.replace("ftpsd-no-such-user", "nobody"), "ok.conf")
    assert run(ftpsd_bin, "-t", "-c", ok).returncode == 0


def test_listen_ipv6_folds_into_addresses(ftpsd_bin, tmp_path):
    """vsftpd's listen_ipv6 socket on :: takes IPv4 clients too; ftpsd's IPv6
    sockets are IPv6 only, so it listens on both wildcards."""
    conf = write(tmp_path, "listen=NO\nlisten_ipv6=YES\n")
    dump = run(ftpsd_bin, "-T", "-c", conf).out
    assert "listen_address=0.0.0.0,::\n" in dump, dump
    conf = write(tmp_path, "listen=NO\nlisten_ipv6=YES\nlisten_address6=::1\n")
    assert "listen_address=::1\n" in run(ftpsd_bin, "-T", "-c", conf).out
    conf = write(tmp_path, "listen=NO\nlisten_ipv6=NO\n")     # inetd mode, as vsftpd
    r = run(ftpsd_bin, "-T", "-c", conf)
    assert "listen=NO\n" in r.out and "listen_address=0.0.0.0\n" in r.out


# --------------------------------------------------------------------------
# listening as vsftpd does
# --------------------------------------------------------------------------

def listening_ports(pid):
    ports = set()
    for a, port, _r, _rp, state, inode in tcp_sockets():
        if state == "0A" and pid in pids_holding_inode(inode):
            ports.add(port)
    return ports


def listen_lines(s):
    return re.findall(r"\]: listening on (\S+) \(vhost", s.log())


def tls_settings(pki, **kw):
    kw.update(ssl_enable=True, rsa_cert_file=pki.rsa, rsa_private_key_file=pki.rsa_key,
              force_local_data_ssl=False)
    return kw


def test_ssl_enable_opens_no_implicit_port(server, pki):
    s = server(**tls_settings(pki))
    assert listening_ports(s.pid) == {s.port}
    assert len(listen_lines(s)) == 1, s.log()


def test_implicit_ssl_makes_listen_port_implicit(server, pki):
    s = server(**tls_settings(pki, implicit_ssl=True))
    assert listening_ports(s.pid) == {s.port}
    ctx = tlsutil.client_context(pki.ca)
    sock = tlsutil.implicit_wrap(s.port, ctx)
    try:
        assert sock.recv(64).startswith(b"220")
    finally:
        sock.close()
    r = curl("--cacert", pki.ca, "--user", f"{USER}:{PASSWORD}", "-l",
             f"ftps://{HOST}:{s.port}/")
    assert r.returncode == 0, curl_report(r)


def test_listen_ipv6_with_address6(server):
    s = server(listen=False, listen_ipv6=True, listen_address="::1", listen_address6="::1")
    assert listen_lines(s) == [f"[::1]:{s.port}"], s.log()
    f = ftplib.FTP()
    f.connect("::1", s.port, timeout=TIMEOUT)
    f.login(USER, PASSWORD)
    assert f.pwd() == "/"
    f.quit()
    with pytest.raises(OSError):
        socket.create_connection((HOST, s.port), timeout=2).close()


def test_prot_c_without_pbsz(server, pki):
    """ftplib's prot_c() sends PROT C with no PBSZ; vsftpd accepts it."""
    s = server(**tls_settings(pki))
    f = tlsutil.FTPS(context=tlsutil.client_context(pki.ca), timeout=TIMEOUT)
    f.connect(HOST, s.port)
    f.auth()
    f.login(USER, PASSWORD)
    assert f.prot_c().startswith("200")
    assert f.nlst() is not None
    assert f.sendcmd("PBSZ 0").startswith("200")     # still fine after
    f.quit()
    g = tlsutil.FTPS(context=tlsutil.client_context(pki.ca), timeout=TIMEOUT)
    g.connect(HOST, s.port)
    g.auth()
    g.login(USER, PASSWORD)
    with pytest.raises(ftplib.error_perm) as e:       # PROT P still needs PBSZ
        g.sendcmd("PROT P")
    assert str(e.value).startswith("503")
    g.quit()


# --------------------------------------------------------------------------
# the features behind the keys
# --------------------------------------------------------------------------

def test_ascii_mode_is_binary_by_default(server, workdir):
    workdir.write("unix.txt", b"l1\nl2\r\nl3\n")
    s = server()
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE A", 200)
    assert c.expect("SIZE unix.txt", 213)[1] == "213 10"
    code, got = c.data_cmd("RETR unix.txt")
    assert (code, got) == (226, b"l1\nl2\r\nl3\n")
    code, _ = c.data_cmd("STOR dos.txt", payload=b"a\r\nb\r\n")
    assert open(workdir.path("dos.txt"), "rb").read() == b"a\r\nb\r\n"


def test_ascii_enable_converts(server, workdir):
    workdir.write("unix.txt", b"l1\nl2\r\nl3\n")
    s = server(ascii_upload_enable=True, ascii_download_enable=True)
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE A", 200)
    assert c.expect("SIZE unix.txt", 213)[1] == "213 12"
    code, got = c.data_cmd("RETR unix.txt")
    assert got == b"l1\r\nl2\r\nl3\r\n"
    # only downloads convert: the upload is stored as sent
    s2 = server(ascii_download_enable=True)
    c2 = s2.login_ctl()
    c2.expect(f"CWD {workdir.virt}", 250)
    c2.expect("TYPE A", 200)
    c2.data_cmd("STOR dos.txt", payload=b"a\r\nb\r\n")
    assert open(workdir.path("dos.txt"), "rb").read() == b"a\r\nb\r\n"


def test_download_dirlist_chmod_disabled(server, workdir):
    workdir.write("f.txt", b"data")
    s = server(download_enable=False, dirlist_enable=False, chmod_enable=False,
               mdtm_write=False)
    f = s.ftp()
    f.cwd(workdir.virt)
    for call in (lambda: f.retrbinary("RETR f.txt", lambda b: None),
                 lambda: f.nlst(), lambda: f.retrlines("LIST"),
                 lambda: f.sendcmd("STAT f.txt"), lambda: f.sendcmd("SITE CHMOD 600 f.txt"),
                 lambda: list(f.mlsd()), lambda: f.sendcmd("MFMT 20200101000000 f.txt")):
        try:
            got = call()
        except ftplib.error_perm as e:
            got = str(e)
        assert str(got).startswith("550"), got
    f.storbinary("STOR up.txt", io.BytesIO(b"still allowed"))
    assert open(workdir.path("up.txt"), "rb").read() == b"still allowed"
    assert stat.S_IMODE(os.stat(workdir.path("f.txt")).st_mode) == 0o644


def test_cmds_allowed_and_denied(server, workdir):
    workdir.write("f.txt", b"data")
    s = server(cmds_denied="DELE,RMD")
    f = s.ftp()
    f.cwd(workdir.virt)
    with pytest.raises(ftplib.error_perm) as e:
        f.delete("f.txt")
    assert str(e.value).startswith("550")
    assert os.path.exists(workdir.path("f.txt"))
    f.mkd("d")
    with pytest.raises(ftplib.error_perm):
        f.rmd("d")
    s2 = server(cmds_allowed="USER,PASS,QUIT,CWD,PWD,TYPE,EPSV,PASV,RETR,SIZE")
    g = s2.ftp()
    g.cwd(workdir.virt)
    buf = io.BytesIO()
    g.retrbinary("RETR f.txt", buf.write)
    assert buf.getvalue() == b"data"
    for cmd in ("MKD x", "NOOP", "LIST"):
        with pytest.raises(ftplib.error_perm) as e:
            g.sendcmd(cmd)
        assert str(e.value).startswith("550"), cmd
    # curl too: its LIST is refused, the file still comes
    r = curl("-s", "-u", f"{USER}:{PASSWORD}", f"ftp://{HOST}:{s2.port}{workdir.virt}/f.txt")
    assert r.returncode == 0 and r.stdout == b"data", r.stderr


def test_file_open_mode(server, workdir):
    s = server(file_open_mode="0600", local_umask="022")
    f = s.ftp()
    f.storbinary(f"STOR {workdir.virt}/a.bin", io.BytesIO(b"x"))
    assert stat.S_IMODE(os.stat(workdir.path("a.bin")).st_mode) == 0o600
    s2 = server(file_open_mode="0777", local_umask="022", atomic_uploads=False)
    g = s2.ftp()
    g.storbinary(f"STOR {workdir.virt}/b.bin", io.BytesIO(b"x"))
    assert stat.S_IMODE(os.stat(workdir.path("b.bin")).st_mode) == 0o755


def test_force_dot_files(server, workdir):
    workdir.write(".hidden", b"h")
    workdir.write("shown", b"s")
    s = server(force_dot_files=True)
    f = s.ftp()
    f.cwd(workdir.virt)
    names = sorted(f.nlst())
    assert names == [".hidden", "shown"], names
    lines = []
    f.retrlines("LIST", lines.append)
    listed = [l.split()[-1] for l in lines]
    assert ".hidden" in listed and "." not in listed and ".." not in listed, lines
    plain = server().ftp()
    plain.cwd(workdir.virt)
    assert plain.nlst() == ["shown"]


def aborted_upload(s, workdir, name):
    from test_transfer_semantics import data_sock
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    d = data_sock(c)
    c.expect(f"STOR {name}", 150)
    d.sendall(b"z" * 1000)
    time.sleep(0.2)
    c.send("ABOR")
    assert c.reply()[0] == 426 and c.reply()[0] == 226
    d.close()


def test_delete_failed_uploads(server, workdir):
    s = server(atomic_uploads=False, delete_failed_uploads=True)
    aborted_upload(s, workdir, "new.bin")
    assert not os.path.exists(workdir.path("new.bin"))
    # a file the upload did not create is not removed
    workdir.write("old.bin", b"old")
    aborted_upload(s, workdir, "old.bin")
    assert os.path.exists(workdir.path("old.bin"))
    s2 = server(atomic_uploads=False)
    aborted_upload(s2, workdir, "kept.bin")
    assert open(workdir.path("kept.bin"), "rb").read() == b"z" * 1000


def list_time(s, workdir, name, chroot=True):
    f = s.ftp()
    lines = []
    f.retrlines(f"LIST {workdir.virt if chroot else workdir.real}/{name}", lines.append)
    f.quit()
    return " ".join(lines[0].split()[5:8])


def test_use_localtime(server, workdir):
    p = workdir.write("t.txt", b"t")
    when = int(time.time()) - 3600
    os.utime(p, (when, when))
    utc = time.strftime("%b %e %H:%M", time.gmtime(when)).replace("  ", " ")
    local = time.strftime("%b %e %H:%M", time.localtime(when)).replace("  ", " ")
    assert list_time(server(), workdir, "t.txt") == utc
    s = server(use_localtime=True, chroot_local_user=False)
    assert list_time(s, workdir, "t.txt", chroot=False) == local


def test_ftp_data_port(server, workdir):
    port = free_port()
    s = server(connect_from_port_20=True, ftp_data_port=port)
    workdir.write("t", b"data")
    c = s.login_ctl()
    code, data, peer = active_cmd(c, f"RETR {workdir.virt}/t")
    assert (code, data, peer) == (226, b"data", (HOST, port)), c.dump()


def test_anon_world_readable_only(server, anon_root, accounts):  # noqa: F811
    secret = os.path.join(anon_root, "secret.txt")
    with open(secret, "wb") as fh:
        fh.write(b"owner only")
    os.chown(secret, accounts[ANON].pw_uid, accounts[ANON].pw_gid)
    os.chmod(secret, 0o600)                  # readable by the anonymous account
    s = anon_server(server, anon_root)
    f = anon_ftp(s, "anonymous", "a@example.com")
    with pytest.raises(ftplib.error_perm) as e:
        f.retrbinary("RETR secret.txt", lambda b: None)
    assert str(e.value).startswith("550")
    buf = io.BytesIO()
    f.retrbinary("RETR pub.txt", buf.write)
    assert buf.getvalue() == b"public data\n"
    s2 = anon_server(server, anon_root, anon_world_readable_only=False)
    g = anon_ftp(s2, "anonymous", "a@example.com")
    buf = io.BytesIO()
    g.retrbinary("RETR secret.txt", buf.write)
    assert buf.getvalue() == b"owner only"


def test_vsftpd_conf_runs(server, tmp_path, workdir):
    """A vsftpd.conf's keys as they are, served: a listing and a download
    through ftplib, with the keys ftpsd only explains in the file."""
    workdir.write("f.txt", b"served")
    s = server(extra_lines=["tcp_wrappers=YES", "dirmessage_enable=YES", "use_localtime=YES",
                            "xferlog_std_format=YES", "allow_writeable_chroot=YES",
                            "background=NO", "seccomp_sandbox=YES", "session_support=NO"])
    f = s.ftp()
    f.cwd(workdir.virt)
    assert f.nlst() == ["f.txt"]
    buf = io.BytesIO()
    f.retrbinary("RETR f.txt", buf.write)
    assert buf.getvalue() == b"served"
    assert "note: tcp_wrappers is vsftpd's" in s.log()


def test_dirmessage(server, workdir):
    workdir.write("d/.message", b"Welcome to d.\r\nMirrors: see README\n\x07bell\n")
    workdir.write("plain/x", b"")
    s = server(dirmessage_enable=True)
    c = s.login_ctl()
    c.send(f"CWD {workdir.virt}/d")
    code, text = c.reply()
    assert code == 250, text
    assert text.split("\n") == ["250-Welcome to d.", "250-Mirrors: see README",
                                "250-?bell", "250 Directory successfully changed."], text
    assert c.expect(f"CWD {workdir.virt}/plain", 250)[1] == "250 Directory successfully changed."
    # once per directory and session, as vsftpd: back in d, no message
    assert c.expect(f"CWD {workdir.virt}/d", 250)[1] == "250 Directory successfully changed."
    assert c.expect("CDUP", 250)[1] == "250 Directory successfully changed."
    # ftplib takes the multi-line 250 as it comes
    f = s.ftp()
    assert f.cwd(f"{workdir.virt}/d").startswith("250-Welcome to d.")
    # off by default
    assert server().ftp().cwd(f"{workdir.virt}/d") == "250 Directory successfully changed."


def test_banner_file(server, tmp_path, ftpsd_bin):
    banner = tmp_path / "banner.txt"
    banner.write_bytes(b"Authorised users only.\nAll access is logged.\n")
    os.chmod(tmp_path, 0o755)
    s = server(banner_file=str(banner), ftpd_banner="Example FTP")
    f = ftplib.FTP()
    f.connect(HOST, s.port, timeout=TIMEOUT)
    assert f.getwelcome().split("\n") == ["220-Authorised users only.",
                                          "220-All access is logged.", "220 Example FTP"]
    f.login(USER, PASSWORD)
    f.quit()
    # -t reads it too
    conf = write(tmp_path, f"listen=YES\nbanner_file={tmp_path}/missing.txt\n", "b.conf")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 1 and f"{conf}:2: cannot read banner_file" in r.out, r.out


def test_no_anon_password(server, anon_root, accounts):  # noqa: F811
    s = anon_server(server, anon_root, no_anon_password=True)
    c = s.ctl()
    c.expect("USER anonymous", 230)
    c.expect("PWD", 257)
    # local users still give a password
    c2 = s.ctl()
    c2.expect(f"USER {USER}", 331)
    s2 = anon_server(server, anon_root)
    s2.ctl().expect("USER anonymous", 331)


def test_deny_file_and_hide_file(server, workdir):
    workdir.write("song.mp3", b"mp3")
    workdir.write(".private/notes.txt", b"notes")
    workdir.write("draft.tmp", b"tmp")
    workdir.write("ok.txt", b"ok")
    s = server(deny_file="{*.mp3,.private}", hide_file="*.tmp")
    f = s.ftp()
    f.cwd(workdir.virt)
    for call in (lambda: f.retrbinary("RETR song.mp3", lambda b: None),
                 lambda: f.retrbinary("RETR .private/notes.txt", lambda b: None),
                 lambda: f.cwd(".private"), lambda: f.delete("song.mp3"),
                 lambda: f.rename("song.mp3", "song.ogg"), lambda: f.size("song.mp3"),
                 lambda: f.storbinary("STOR new.mp3", io.BytesIO(b"x")),
                 lambda: f.retrlines("LIST .private"), lambda: f.sendcmd("MLST song.mp3"),
                 lambda: f.sendcmd("SITE CHMOD 600 song.mp3")):
        try:
            got = call()
        except ftplib.error_perm as e:
            got = str(e)
        assert str(got).startswith("550"), got
    assert not os.path.exists(workdir.path("new.mp3"))
    assert os.path.exists(workdir.path("song.mp3"))
    # hidden, not denied: gone from listings, still there by name
    assert sorted(f.nlst()) == ["ok.txt", "song.mp3"]
    buf = io.BytesIO()
    f.retrbinary("RETR draft.tmp", buf.write)
    assert buf.getvalue() == b"tmp"
    # curl's listing agrees
    r = curl("-s", "-l", "-u", f"{USER}:{PASSWORD}", f"ftp://{HOST}:{s.port}{workdir.virt}/")
    assert r.returncode == 0 and sorted(r.stdout.decode().split()) == ["ok.txt", "song.mp3"]


def test_chown_upload_mode_default(server, anon_root, accounts):  # noqa: F811
    s = anon_server(server, anon_root, write_enable=True, anon_upload_enable=True,
                    anon_umask="022", chown_uploads=True, chown_username=CHOWN)
    f = anon_ftp(s, "anonymous", "a@b")
    f.storbinary("STOR incoming/c.bin", io.BytesIO(b"c"))
    st = os.stat(os.path.join(anon_root, "incoming", "c.bin"))
    assert st.st_uid == accounts[CHOWN].pw_uid
    assert stat.S_IMODE(st.st_mode) == 0o600       # vsftpd's chown_upload_mode


def test_delay_successful_login(server):
    s = server(delay_successful_login=1)
    c = s.ctl()
    c.expect(f"USER {USER}", 331)
    t = time.monotonic()
    c.expect(f"PASS {PASSWORD}", 230)
    assert time.monotonic() - t >= 0.9
    fast = server().ctl()
    fast.expect(f"USER {USER}", 331)
    t = time.monotonic()
    fast.expect(f"PASS {PASSWORD}", 230)
    assert time.monotonic() - t < 0.9


def test_passwd_chroot_enable(server, test_user, workdir):
    """vsftpd's "/./": the chroot is above it, the session starts below."""
    workdir.write("inside.txt", b"x")
    s = server(chroot_local_user=True, passwd_chroot_enable=True,
               local_root=f"{test_user.home}/./{workdir.name}")
    f = s.ftp()
    assert f.pwd() == workdir.virt           # started below the mark
    assert "inside.txt" in f.nlst()
    f.cwd("/")                               # the root is the home
    assert workdir.name in f.nlst()
    # without the key the whole path is the root
    f = server(chroot_local_user=True,
               local_root=f"{test_user.home}/./{workdir.name}").ftp()
    assert f.pwd() == "/"
    assert "inside.txt" in f.nlst()


def test_port_promiscuous(server, workdir):
    """PORT to an address that is not the client's (127.0.0.2, as a second
    server of an FXP transfer would be) and to a port below 1024 is
    refused, unless port_promiscuous."""
    from test_active import port_arg
    workdir.write("f.txt", b"fxp")
    c = server().login_ctl()
    c.expect(f"PORT {port_arg('127.0.0.2', 2000)}", 501)
    c.expect(f"PORT {port_arg(HOST, 1000)}", 501)
    c = server(port_promiscuous=True).login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    code, data, _ = active_cmd(c, "RETR f.txt", host="127.0.0.2")
    assert (code, data) == (226, b"fxp")


def test_ls_recurse_enable(server, workdir):
    """LIST -R (and NLST -R) with ls_recurse_enable: each subdirectory under
    a "path:" header, not through links, not into hidden or denied ones;
    without the key -R is ignored as other ls options are."""
    workdir.write("top.txt", b"")
    workdir.write("a/in-a.txt", b"")
    workdir.write("a/b/in-b.txt", b"")
    workdir.write(".hidden/secret.txt", b"")
    workdir.write("denied/x.txt", b"")
    os.symlink(workdir.path("a"), workdir.path("link-to-a"))
    s = server(ls_recurse_enable=True, deny_file="denied")
    f = s.ftp()
    lines = []
    f.retrlines(f"LIST -R {workdir.virt}", lines.append)
    text = "\n".join(lines)
    assert f"{workdir.virt}/a:" in lines and f"{workdir.virt}/a/b:" in lines, text
    assert text.index(f"{workdir.virt}/a:") < text.index("in-a.txt") < \
        text.index(f"{workdir.virt}/a/b:") < text.index("in-b.txt"), text
    assert "secret.txt" not in text and "x.txt" not in text, text
    assert f"{workdir.virt}/link-to-a:" not in lines, text
    names = f.nlst(f"-R {workdir.virt}")
    assert "in-b.txt" in names, names
    # dot directories with -a
    lines = []
    f.retrlines(f"LIST -aR {workdir.virt}", lines.append)
    assert any(l.endswith("secret.txt") for l in lines), lines
    # off by default: the top directory only
    lines = []
    server().ftp().retrlines(f"LIST -R {workdir.virt}", lines.append)
    assert not any("in-a.txt" in l for l in lines), lines


def titles(sock):
    """The process titles (/proc/PID/cmdline's first string) of the monitor
    and engine serving client socket SOCK, as they are now."""
    from conftest import session_procs
    out = []
    for p in session_procs(sock):
        try:
            with open(f"/proc/{p.pid}/cmdline", "rb") as f:
                out.append(f.read().split(b"\0")[0].decode("utf-8", "replace"))
        except (AttributeError, FileNotFoundError):
            pass          # no engine at this moment, or gone
    return out


def test_setproctitle_enable(server, workdir):
    """Titles as vsftpd's, in the session's processes; never a password;
    none of ftpsd's titles without the key."""
    from conftest import wait_until
    workdir.write("big.bin", os.urandom(600_000))
    s = server(setproctitle_enable=True, local_max_rate=100_000)
    c = s.ctl()
    assert wait_until(lambda: f"ftpsd: {HOST}: connected" in titles(c.sock)), titles(c.sock)
    f = s.ftp()
    conn = f.transfercmd(f"RETR {workdir.virt}/big.bin")
    assert conn.recv(1024)
    want = f"ftpsd: {HOST}: {USER}: RETR {workdir.virt}/big.bin"
    assert wait_until(lambda: want in titles(f.sock)), titles(f.sock)
    assert f"ftpsd: {HOST}: {USER}" in titles(f.sock)      # the monitor
    f.putcmd("ABOR")
    f.getmultiline()
    f.getmultiline()
    conn.close()
    assert wait_until(lambda: f"ftpsd: {HOST}: {USER}: IDLE" in titles(f.sock)), \
        titles(f.sock)
    c.login()
    assert not any(PASSWORD in t for t in titles(c.sock))
    # off by default
    f2 = server().ftp()
    assert not any(t.startswith("ftpsd: ") for t in titles(f2.sock)), titles(f2.sock)


def test_tilde_paths(server, test_user, workdir):
    """"~" is the login directory always; "~user" with tilde_user_enable
    where /etc/passwd is readable (no chroot); literal otherwise."""
    workdir.write("t.txt", b"tilde")
    f = server().ftp()
    f.cwd(workdir.virt)
    f.cwd("~")
    assert f.pwd() == "/"                       # chrooted: the login directory
    buf = io.BytesIO()
    f.retrbinary(f"RETR ~{workdir.virt}/t.txt", buf.write)
    assert buf.getvalue() == b"tilde"
    with pytest.raises(ftplib.error_perm):      # ~user is off by default
        f.cwd(f"~{USER}")
    f = server(chroot_local_user=False, tilde_user_enable=True).ftp()
    f.cwd(f"~{USER}/{workdir.name}")
    assert f.pwd() == workdir.real
    with pytest.raises(ftplib.error_perm):      # an unknown user stays literal
        f.cwd("~nosuchuser-ftpsd")


def test_anonymous_email_lists(server, anon_root, accounts, tmp_path):  # noqa: F811
    """deny_email_enable and secure_email_list_enable check the anonymous
    password (the e-mail address) against their lists, as vsftpd."""
    banned = tmp_path / "banned"
    banned.write_text("# spammers\nbad@example.org\n")
    s = anon_server(server, anon_root, deny_email_enable=True,
                    banned_email_file=str(banned))
    with pytest.raises(ftplib.error_perm, match="^530"):
        anon_ftp(s, "anonymous", "bad@example.org")
    anon_ftp(s, "anonymous", "good@example.org").quit()
    allowed = tmp_path / "allowed"
    allowed.write_text("letmein\n")
    s = anon_server(server, anon_root, secure_email_list_enable=True,
                    email_password_file=str(allowed))
    with pytest.raises(ftplib.error_perm, match="^530"):
        anon_ftp(s, "anonymous", "good@example.org")
    anon_ftp(s, "anonymous", "letmein").quit()
    # a list that cannot be read refuses (fail closed)
    s = anon_server(server, anon_root, secure_email_list_enable=True,
                    email_password_file=str(tmp_path / "missing"))
    with pytest.raises(ftplib.error_perm, match="^530"):
        anon_ftp(s, "anonymous", "letmein")
