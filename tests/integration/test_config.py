"""ftpsd -t (validate, `file:line: message` per problem) and -T (effective config)."""

import re
import subprocess

import pytest

from conftest import HOST


def write_conf(tmp_path, lines, name="ftpsd.conf"):
    p = tmp_path / name
    p.write_text("".join(l + "\n" for l in lines))
    return str(p)


def run(ftpsd_bin, *args):
    r = subprocess.run([ftpsd_bin, *args], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    r.out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    return r


def base_lines(tmp_path):
    return [
        "# a comment",
        "listen=YES",
        f"listen_address={HOST}",
        "listen_port=2121",
        f"pid_file={tmp_path}/ftpsd.pid",
        f"log_file={tmp_path}/ftpsd.log",
        "syslog_enable=NO",
        "local_enable=YES",
        "write_enable=NO",
        "chroot_local_user=YES",
        "pasv_min_port=40000",
        "pasv_max_port=40100",
        "delay_failed_login=0",
    ]


def error_lines(conf, out):
    """{line number: message} for every `CONF:LINE: message` line of OUT."""
    rx = re.compile(r"^" + re.escape(conf) + r":(\d+): (.+)$", re.M)
    got = {}
    for m in rx.finditer(out):
        got.setdefault(int(m.group(1)), []).append(m.group(2))
    return got


def check_fails_at(ftpsd_bin, conf, line, *words):
    r = run(ftpsd_bin, "-t", "-c", conf)
    errs = error_lines(conf, r.out)
    ctx = f"$ ftpsd -t -c {conf}\nexit {r.returncode}\n{r.out}\nconfig:\n" + \
        "".join(f"{i:3}: {l}" for i, l in enumerate(open(conf), 1))
    assert r.returncode != 0, "ftpsd -t accepted a bad config\n" + ctx
    assert line in errs, f"no `{conf}:{line}: message` line\n" + ctx
    text = " ".join(errs[line]).lower()
    for w in words:
        assert w.lower() in text, f"message for line {line} does not name {w!r}\n" + ctx
    return errs, r


def test_check_accepts_good_config(ftpsd_bin, tmp_path):
    conf = write_conf(tmp_path, base_lines(tmp_path))
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    assert not error_lines(conf, r.out), r.out


def test_check_accepts_vhost_sections(ftpsd_bin, tmp_path):
    conf = write_conf(tmp_path, base_lines(tmp_path) + [
        "[vhost one]",
        f"listen_address={HOST}",
        "listen_port=2122",
        "ftpd_banner=one",
        "[vhost two]",
        "listen_address=127.0.0.2,::1",
        "listen_port=2123",
        "write_enable=YES",
    ])
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode == 0, r.out
    assert not error_lines(conf, r.out), r.out


def test_check_reports_unknown_key_with_file_and_line(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path)
    lines.insert(2, "no_such_key=YES")          # line 3
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, 3, "no_such_key")


@pytest.mark.parametrize("bad", [
    "listen_port=notanumber",
    "listen_port=70000",
    "write_enable=MAYBE",
    "max_login_fails=-1",
    "local_umask=099",
    "listen_address=not-an-ip",
    "pasv_min_port=12x",
])
def test_check_reports_bad_value_with_file_and_line(ftpsd_bin, tmp_path, bad):
    lines = base_lines(tmp_path) + [bad]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines), bad.split("=")[0])


def test_check_reports_line_without_equals(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path) + ["this line has no equals sign"]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines))


def test_check_reports_inverted_pasv_range(ftpsd_bin, tmp_path):
    lines = [l for l in base_lines(tmp_path) if not l.startswith("pasv_")]
    lines += ["pasv_min_port=50000", "pasv_max_port=40000"]
    conf = write_conf(tmp_path, lines)
    r = run(ftpsd_bin, "-t", "-c", conf)
    errs = error_lines(conf, r.out)
    assert r.returncode != 0, r.out
    # The error belongs to one of the two lines that make the range.
    at = {len(lines) - 1, len(lines)} & set(errs)
    assert at, f"no `{conf}:{len(lines) - 1}:` or `:{len(lines)}:` line for the inverted " \
        f"range:\n{r.out}"
    assert "pasv" in " ".join(m for l in at for m in errs[l]).lower(), r.out


def test_check_reports_missing_cert_file(ftpsd_bin, tmp_path):
    key = tmp_path / "key.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    missing = str(tmp_path / "no-such-cert.pem")
    lines = base_lines(tmp_path) + [
        "ssl_enable=YES",
        f"rsa_cert_file={missing}",
        f"rsa_private_key_file={key}",
    ]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines) - 1, missing)


def test_check_reports_unknown_nopriv_user(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path) + ["nopriv_user=no-such-user-ftpsd"]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines), "no-such-user-ftpsd")


def test_check_reports_every_error_not_just_the_first(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path)
    lines.insert(1, "bogus_one=1")               # line 2
    lines.insert(3, "listen_port=port")          # line 4
    lines.append("bogus_two=2")                  # last line
    conf = write_conf(tmp_path, lines)
    errs, r = check_fails_at(ftpsd_bin, conf, 2, "bogus_one")
    assert 4 in errs, r.out
    assert len(lines) in errs, r.out


def test_check_reports_error_inside_vhost_section(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path) + [
        "[vhost one]",
        "listen_port=2122",
        "what_is_this=1",
    ]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines), "what_is_this")


def test_check_refuses_global_only_key_in_vhost(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path) + [
        "[vhost one]",
        "listen_port=2122",
        f"pid_file={tmp_path}/other.pid",
    ]
    conf = write_conf(tmp_path, lines)
    check_fails_at(ftpsd_bin, conf, len(lines), "pid_file")


def test_check_missing_config_file_fails(ftpsd_bin, tmp_path):
    conf = str(tmp_path / "absent.conf")
    r = run(ftpsd_bin, "-t", "-c", conf)
    assert r.returncode != 0, r.out
    assert conf in r.out, r.out


def parse_dump(out):
    """{section: {key: value}}; the global section is ''."""
    sections = {"": {}}
    cur = ""
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[vhost (.+)\]$", line)
        if m:
            cur = m.group(1)
            sections[cur] = {}
            continue
        k, sep, v = line.partition("=")
        assert sep, f"-T line is not key=value: {line!r}\n{out}"
        sections[cur][k] = v
    return sections


def test_dump_prints_effective_config_with_defaults(ftpsd_bin, tmp_path):
    conf = write_conf(tmp_path, base_lines(tmp_path) + ["local_umask=027"])
    r = run(ftpsd_bin, "-T", "-c", conf)
    assert r.returncode == 0, r.out
    g = parse_dump(r.stdout.decode())[""]
    want = {
        "listen": "YES",
        "listen_address": HOST,
        "listen_port": "2121",
        "write_enable": "NO",
        "chroot_local_user": "YES",
        "pasv_min_port": "40000",
        "pasv_max_port": "40100",
        "delay_failed_login": "0",
        "syslog_enable": "NO",
        # defaults, as the interface contract names them
        "nopriv_user": "nobody",
        "secure_chroot_dir": "/run/ftpsd/empty",
        "max_login_fails": "3",
    }
    for k, v in want.items():
        assert g.get(k) == v, f"-T shows {k}={g.get(k)!r}, want {v!r}\n{r.out}"
    assert int(g["local_umask"], 8) == 0o27, r.out
    # every key of the contract is printed
    for k in ("pid_file", "log_file", "xferlog_enable", "xferlog_file", "max_clients",
              "log_ftp_protocol", "ftpd_banner", "pam_service_name", "local_enable",
              "pasv_enable", "pasv_promiscuous", "idle_session_timeout",
              "data_connection_timeout", "accept_timeout", "hide_ids", "ssl_enable",
              "rsa_cert_file", "rsa_private_key_file"):
        assert k in g, f"-T does not print {k}\n{r.out}"


def test_dump_shows_vhost_overrides(ftpsd_bin, tmp_path):
    conf = write_conf(tmp_path, base_lines(tmp_path) + [
        "[vhost one]",
        "listen_port=2122",
        "ftpd_banner=hello from one",
    ])
    r = run(ftpsd_bin, "-T", "-c", conf)
    assert r.returncode == 0, r.out
    d = parse_dump(r.stdout.decode())
    assert "one" in d, r.out
    assert d["one"].get("listen_port") == "2122", r.out
    assert d["one"].get("ftpd_banner") == "hello from one", r.out


def test_dump_output_is_a_valid_config(ftpsd_bin, tmp_path):
    conf = write_conf(tmp_path, base_lines(tmp_path) + [
        "[vhost one]", "listen_port=2122", "write_enable=YES"])
    r = run(ftpsd_bin, "-T", "-c", conf)
    assert r.returncode == 0, r.out
    again = tmp_path / "dumped.conf"
    again.write_bytes(r.stdout)
    r2 = run(ftpsd_bin, "-t", "-c", str(again))
    assert r2.returncode == 0, f"-T output does not pass -t:\n{r.stdout.decode()}\n---\n{r2.out}"
    r3 = run(ftpsd_bin, "-T", "-c", str(again))
    assert parse_dump(r3.stdout.decode()) == parse_dump(r.stdout.decode())


def test_dump_refuses_bad_config(ftpsd_bin, tmp_path):
    lines = base_lines(tmp_path) + ["bogus=1"]
    conf = write_conf(tmp_path, lines)
    r = run(ftpsd_bin, "-T", "-c", conf)
    assert r.returncode != 0, r.out
    assert f"{conf}:{len(lines)}:" in r.out, r.out
