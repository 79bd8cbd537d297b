"""Bandwidth limits (vsftpd's local_max_rate and anon_max_rate, issue 12):
a limited transfer takes at least its size over the rate, whichever the
direction, the client (curl, ftplib) and the way the limit was set (the
vhost, or a user_config_dir file); ABOR and STAT still work while it is
paced; the limit of the other kind of session does not apply.

The bounds are lower bounds that follow from the limit (a transfer cannot
finish sooner than size/rate), with a margin, never a claim of speed. The
one upper bound is for the session the limit does not cover: it must
finish in a quarter of what the limit would have forced (40 s), which a
loopback transfer does by orders of magnitude."""

import io
import os
import time

from conftest import HOST, PASSWORD, USER, curl, curl_report
from test_config import run
from test_users import ANON, accounts, anon_root, anon_server, ftp as anon_ftp  # noqa: F401

RATE = 200_000          # bytes a second
SIZE = 600_000          # three seconds' worth at RATE
MIN_SECONDS = SIZE / RATE * 0.95


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return time.monotonic() - t0, out


def curl_get(s, path):
    r = curl("-s", "-u", f"{USER}:{PASSWORD}", f"ftp://{HOST}:{s.port}{path}")
    assert r.returncode == 0, curl_report(r)
    return r.stdout


def test_local_download_takes_at_least_size_over_rate(server, workdir):
    data = os.urandom(SIZE)
    workdir.write("big.bin", data)
    s = server(local_max_rate=RATE)
    took, got = timed(lambda: curl_get(s, f"{workdir.virt}/big.bin"))
    assert got == data
    assert took >= MIN_SECONDS, took


def test_local_upload_takes_at_least_size_over_rate(server, workdir):
    data = os.urandom(SIZE)
    s = server(local_max_rate=RATE)
    f = s.ftp()
    took, _ = timed(lambda: f.storbinary(f"STOR {workdir.virt}/up.bin", io.BytesIO(data)))
    assert took >= MIN_SECONDS, took
    with open(workdir.path("up.bin"), "rb") as fh:
        assert fh.read() == data


def test_tls_download_is_paced_too(server, workdir, pki):
    data = os.urandom(SIZE)
    workdir.write("big.bin", data)
    s = server(local_max_rate=RATE, ssl_enable=True, rsa_cert_file=pki.rsa,
               rsa_private_key_file=pki.rsa_key)
    r = None

    def get():
        nonlocal r
        r = curl("-s", "--ssl-reqd", "--cacert", pki.ca, "-u", f"{USER}:{PASSWORD}",
                 f"ftp://{HOST}:{s.port}{workdir.virt}/big.bin")
        return r.stdout
    took, got = timed(get)
    assert r.returncode == 0, curl_report(r)
    assert got == data
    assert took >= MIN_SECONDS, took


def test_user_config_dir_sets_the_rate(server, workdir, tmp_path):
    confdir = tmp_path / "userconf"
    os.makedirs(confdir)
    (confdir / USER).write_text(f"local_max_rate={RATE}\n")
    data = os.urandom(SIZE)
    workdir.write("big.bin", data)
    s = server(user_config_dir=str(confdir))
    took, got = timed(lambda: curl_get(s, f"{workdir.virt}/big.bin"))
    assert got == data
    assert took >= MIN_SECONDS, took


def test_stat_and_abor_during_a_paced_download(server, workdir):
    workdir.write("big.bin", os.urandom(SIZE))
    s = server(local_max_rate=RATE // 4)          # 12 s for the whole file
    f = s.ftp()
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {workdir.virt}/big.bin")
    assert conn.recv(4096)
    f.putcmd("STAT")
    status = f.getmultiline()
    assert status.startswith("213"), status
    sent = int(status.split("Status: ")[1].split()[0])
    assert 0 < sent < SIZE, status
    f.putcmd("ABOR")
    assert f.getmultiline().startswith("426")
    assert f.getmultiline().startswith("226")
    conn.close()
    assert f.voidcmd("NOOP").startswith("200")


def test_anon_rate_applies_to_anonymous_only(server, anon_root, accounts, workdir):  # noqa: F811
    data = os.urandom(SIZE)
    with open(os.path.join(anon_root, "big.bin"), "wb") as fh:
        fh.write(data)
    os.chmod(os.path.join(anon_root, "big.bin"), 0o644)
    workdir.write("big.bin", data)
    s = anon_server(server, anon_root, anon_max_rate=RATE, local_enable=True)
    f = anon_ftp(s, "anonymous", "guest@example.org")
    buf = io.BytesIO()
    took, _ = timed(lambda: f.retrbinary("RETR big.bin", buf.write))
    assert buf.getvalue() == data
    assert took >= MIN_SECONDS, took
    # A local user on the same server is not limited by anon_max_rate:
    # 8 MB that the limit would stretch to 40 s arrive in a fraction of it.
    big = os.urandom(8_000_000)
    workdir.write("bigger.bin", big)
    took, got = timed(lambda: curl_get(s, f"{workdir.virt}/bigger.bin"))
    assert got == big
    assert took < len(big) / RATE / 4, took


def test_rate_keys_pass_t_without_warning(ftpsd_bin, tmp_path):
    conf = tmp_path / "vsftpd.conf"
    conf.write_text("listen=YES\nlocal_max_rate=100000\nanon_max_rate=50000\n")
    r = run(ftpsd_bin, "-t", "-c", str(conf))
    assert r.returncode == 0, r.out
    assert "max_rate" not in r.out, r.out


def test_rate_out_of_range_is_an_error(ftpsd_bin, tmp_path):
    conf = tmp_path / "vsftpd.conf"
    conf.write_text("local_max_rate=-5\n")
    r = run(ftpsd_bin, "-t", "-c", str(conf))
    assert r.returncode == 1, r.out
    assert f"{conf}:1:" in r.out, r.out
