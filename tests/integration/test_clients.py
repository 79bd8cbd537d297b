"""The command set through the clients people use: lftp (GnuTLS-free plain
FTP here) and curl's -Q/-X, checked on disk byte for byte."""
import os
import re
import subprocess
import time

from conftest import HOST, PASSWORD, USER, curl, curl_report


def lftp(srv, script, timeout=60):
    cmd = ["lftp", "-c",
           "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; "
           "set ftp:ssl-allow no; set ftp:passive-mode yes; "
           f"open -u {USER},{PASSWORD} -p {srv.port} {HOST}; " + script]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    assert r.returncode == 0, (cmd, r.stdout.decode(), r.stderr.decode(), srv.log()[-3000:])
    return r.stdout.decode("utf-8", "replace")


def url(srv, path=""):
    return f"ftp://{HOST}:{srv.port}{path}"


def test_lftp_file_commands(srv, workdir, tmp_path):
    """MKD, CWD, STOR, RNFR/RNTO, SITE CHMOD (seen in the listing), SIZE/MDTM
    (lftp asks both on get), RETR, DELE, RMD, listings."""
    d = workdir.virt
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(200_000))
    out = lftp(srv, f"cd {d}; mkdir sub; cd sub; put {src} -o a.bin; "
                    f"mv a.bin b.bin; chmod 640 b.bin; cls -l; "
                    f"get b.bin -o {tmp_path}/back.bin; "
                    f"rm b.bin; cd ..; rmdir sub; cls -a")
    assert (tmp_path / "back.bin").read_bytes() == src.read_bytes()
    assert re.search(r"-rw-r----- .* 200000 .* b\.bin", out), out
    assert not os.path.exists(workdir.path("sub"))
    assert srv.wait_log(r"transfer: user ftpsd-test client 127\.0\.0\.1 STOR .*/sub/a\.bin 200000 bytes")


def test_lftp_resume_upload_uses_rest_or_appe(srv, workdir, tmp_path):
    data = os.urandom(300_000)
    workdir.write("part.bin", data[:100_000])
    src = tmp_path / "part.bin"
    src.write_bytes(data)
    lftp(srv, f"cd {workdir.virt}; put -c {src} -o part.bin")
    with open(workdir.path("part.bin"), "rb") as f:
        assert f.read() == data


def test_lftp_mirror_both_ways(srv, workdir, tmp_path):
    local = tmp_path / "tree"
    (local / "x" / "y").mkdir(parents=True)
    files = {"top.txt": b"top\n", "x/one.bin": os.urandom(70_000),
             "x/y/two name with spaces.txt": "ünïcødé\n".encode()}
    for rel, data in files.items():
        (local / rel).write_bytes(data)
    lftp(srv, f"cd {workdir.virt}; mirror -R {local} up")
    for rel, data in files.items():
        with open(workdir.path("up", rel), "rb") as f:
            assert f.read() == data, rel
    back = tmp_path / "back"
    lftp(srv, f"cd {workdir.virt}; mirror up {back}")
    for rel, data in files.items():
        assert (back / rel).read_bytes() == data, rel


def test_curl_quote_commands(srv, workdir):
    """curl -Q sends raw commands around a transfer: MKD, RNFR/RNTO, DELE,
    SITE CHMOD, MFMT; checked on disk."""
    workdir.write("old.txt", b"old\n")
    workdir.write("gone.txt", b"x")
    base = f"{workdir.virt}/"
    r = curl("--user", f"{USER}:{PASSWORD}",
             "-Q", f"MKD {base}made", "-Q", f"RNFR {base}old.txt", "-Q", f"RNTO {base}new.txt",
             "-Q", f"DELE {base}gone.txt", "-Q", f"SITE CHMOD 600 {base}new.txt",
             "-Q", f"MFMT 20200102030405 {base}new.txt", url(srv, base))
    assert r.returncode == 0, curl_report(r)
    assert os.path.isdir(workdir.path("made"))
    assert not os.path.exists(workdir.path("old.txt"))
    assert not os.path.exists(workdir.path("gone.txt"))
    st = os.stat(workdir.path("new.txt"))
    assert st.st_mode & 0o777 == 0o600
    assert time.gmtime(st.st_mtime)[:6] == (2020, 1, 2, 3, 4, 5)


def test_curl_append_and_size_and_mdtm(srv, workdir, tmp_path):
    workdir.write("log.txt", b"one\n")
    extra = tmp_path / "more.txt"
    extra.write_bytes(b"two\n")
    r = curl("--user", f"{USER}:{PASSWORD}", "--append", "-T", str(extra),
             url(srv, f"{workdir.virt}/log.txt"))
    assert r.returncode == 0, curl_report(r)
    with open(workdir.path("log.txt"), "rb") as f:
        assert f.read() == b"one\ntwo\n"
    # -I asks SIZE and MDTM and prints them as headers.
    r = curl("--user", f"{USER}:{PASSWORD}", "-I", url(srv, f"{workdir.virt}/log.txt"))
    assert r.returncode == 0, curl_report(r)
    head = r.stdout.decode()
    assert re.search(r"Content-Length: 8\b", head), head
    assert "Last-Modified:" in head, head


def test_curl_custom_commands_on_the_control_connection(srv, workdir):
    workdir.write("f.txt", b"12345")
    r = curl("--user", f"{USER}:{PASSWORD}", "-Q", "HELP", "-Q", "STAT",
             "-Q", f"MLST {workdir.virt}/f.txt", "-Q", "ALLO 100", "-Q", "NOOP",
             url(srv, f"{workdir.virt}/f.txt"), "-o", "/dev/null")
    assert r.returncode == 0, curl_report(r)
    trace = r.stderr.decode("utf-8", "replace")
    assert re.search(r"< 214", trace) and re.search(r"< 211", trace), trace[-2000:]
    assert re.search(r"size=5;.*f\.txt", trace), trace[-2000:]
    assert re.search(r"< 20[02] ", trace), trace[-2000:]


def test_curl_stou_names_the_file(srv, workdir, tmp_path):
    src = tmp_path / "u.bin"
    src.write_bytes(b"unique\n")
    before = set(os.listdir(workdir.real))
    r = curl("--user", f"{USER}:{PASSWORD}", "-X", "STOU", "-T", str(src),
             url(srv, f"{workdir.virt}/u.bin"))
    # curl sends STOR with -T; -X replaces the verb with STOU.
    assert r.returncode == 0, curl_report(r)
    new = set(os.listdir(workdir.real)) - before
    assert len(new) == 1, new
    with open(workdir.path(new.pop()), "rb") as f:
        assert f.read() == b"unique\n"
