"""LIST, NLST and MLSD: content checked against files the test created."""

import calendar
import os

import pytest

from conftest import HOST, USER, PASSWORD, curl, curl_report

MTIME = calendar.timegm((2020, 1, 15, 12, 0, 0))      # 2020-01-15 12:00:00 UTC
FILES = {"alpha.txt": b"hello", "beta.bin": bytes(range(256)) * 4 + b"\x00" * 210,
         "with space.txt": b"s p a c e", "ünïcödé.txt": b"utf8"}
DIRS = ["gamma"]
VISIBLE = set(FILES) | set(DIRS) | {"link"}


@pytest.fixture
def tree(workdir):
    for name, data in FILES.items():
        workdir.write(name, data)
    for d in DIRS:
        workdir.mkdir(d)
    workdir.write(".hidden", b"secret-ish")
    os.symlink("alpha.txt", workdir.path("link"))
    os.lchown(workdir.path("link"), workdir.user.uid, workdir.user.gid)
    for name in list(FILES) + DIRS + [".hidden"]:
        os.utime(workdir.path(name), (MTIME, MTIME))
    return workdir


def lines_of(data):
    text = data.decode("utf-8", "replace")
    assert text == "" or text.endswith("\r\n"), f"listing lines must end in CRLF: {text!r}"
    return [l for l in text.split("\r\n") if l]


def test_nlst_names(srv, tree):
    c = srv.login_ctl()
    c.expect(f"CWD {tree.virt}", 250)
    code, data = c.data_cmd("NLST")
    assert code == 226, c.dump()
    names = set(lines_of(data))
    assert names == VISIBLE, f"NLST gave {sorted(names)}\n" + c.dump()


def test_nlst_with_path_argument(srv, tree):
    f = srv.ftp()
    got = f.nlst(tree.virt)
    # RFC 959 leaves the form open: bare names or paths under the argument
    assert {os.path.basename(n) for n in got} == VISIBLE, got


def test_nlst_empty_dir(srv, workdir):
    workdir.mkdir("empty")
    c = srv.login_ctl()
    code, data = c.data_cmd(f"NLST {workdir.virt}/empty")
    assert code == 226, c.dump()
    assert data == b"", data


def test_list_long_format(srv, tree):
    c = srv.login_ctl()
    c.expect(f"CWD {tree.virt}", 250)
    code, data = c.data_cmd("LIST")
    assert code == 226, c.dump()
    rows = {}
    for l in lines_of(data):
        if l.startswith("total"):
            continue
        parts = l.split(None, 8)
        assert len(parts) == 9, f"not an ls -l line: {l!r}"
        name = parts[8]
        if name.startswith("link"):
            name = "link"
        rows[name] = parts
    assert set(rows) == VISIBLE, f"LIST names {sorted(rows)}\n{data!r}"
    for name, body in FILES.items():
        p = rows[name]
        assert p[0].startswith("-"), p
        assert p[0][1:] == "rw-r--r--", p
        assert int(p[4]) == len(body), p
        assert p[5] == "Jan" and p[7] == "2020" and p[6] in ("14", "15", "16"), \
            f"date of a 2020-01-15 file shown as {p[5:8]}"
    assert rows["gamma"][0].startswith("d"), rows["gamma"]
    assert rows["link"][0].startswith("l"), rows["link"]
    assert rows["link"][8] == "link -> alpha.txt", rows["link"]


def test_list_hides_dotfiles(srv, tree):
    c = srv.login_ctl()
    code, data = c.data_cmd(f"LIST {tree.virt}")
    assert code == 226, c.dump()
    assert ".hidden" not in data.decode("utf-8", "replace"), data


def test_list_single_file(srv, tree):
    c = srv.login_ctl()
    code, data = c.data_cmd(f"LIST {tree.virt}/beta.bin")
    assert code == 226, c.dump()
    ls = lines_of(data)
    assert len(ls) == 1 and ls[0].split(None, 8)[8].endswith("beta.bin"), ls


def test_list_hide_ids(server, tree):
    s = server(hide_ids=True)
    c = s.login_ctl()
    code, data = c.data_cmd(f"LIST {tree.virt}")
    assert code == 226, c.dump()
    for l in lines_of(data):
        if l.startswith("total"):
            continue
        p = l.split(None, 8)
        assert p[2] == "ftp" and p[3] == "ftp", f"hide_ids=YES but LIST shows {p[2:4]}: {l!r}"


def parse_mlsx(line):
    facts, sep, name = line.partition(" ")
    assert sep and facts.endswith(";"), f"malformed MLSD line {line!r}"
    d = {}
    for f in facts[:-1].split(";"):
        k, eq, v = f.partition("=")
        assert eq, f"malformed fact {f!r} in {line!r}"
        d[k.lower()] = v
    return name, d


def test_mlsd_facts(srv, tree):
    c = srv.login_ctl()
    c.expect(f"CWD {tree.virt}", 250)
    code, data = c.data_cmd("MLSD")
    assert code == 226, c.dump()
    entries = dict(parse_mlsx(l) for l in lines_of(data))
    names = {n for n, f in entries.items() if f.get("type", "").lower() not in ("cdir", "pdir")}
    assert VISIBLE <= names, f"MLSD names {sorted(names)}"
    assert names - VISIBLE <= {".hidden"}, f"MLSD names {sorted(names)}"
    for name, body in FILES.items():
        f = entries[name]
        assert f.get("type", "").lower() == "file", (name, f)
        assert int(f["size"]) == len(body), (name, f)
        assert f.get("modify", "")[:14] == "20200115120000", \
            f"modify fact must be UTC YYYYMMDDHHMMSS: {name} {f}"
        if "unix.mode" in f:
            assert int(f["unix.mode"], 8) == 0o644, (name, f)
    assert entries["gamma"]["type"].lower() == "dir", entries["gamma"]
    assert entries["gamma"].get("modify", "")[:14] == "20200115120000", entries["gamma"]


def test_mlsd_on_a_file_is_501(srv, tree):
    """RFC 3659 7.2: MLSD of a non-directory is an error (501)."""
    c = srv.login_ctl()
    code, data = c.data_cmd(f"MLSD {tree.virt}/alpha.txt")
    assert code in (501, 550), c.dump()


def test_listing_a_large_directory(srv, workdir):
    """More than 64 KiB of LIST output (the engine streams in batches)."""
    names = {f"file-with-a-rather-long-name-{i:05d}.dat" for i in range(1500)}
    for n in names:
        with open(workdir.path(n), "wb"):
            pass
    c = srv.login_ctl()
    code, data = c.data_cmd(f"NLST {workdir.virt}")
    assert code == 226, c.dump()
    got = {os.path.basename(n) for n in lines_of(data)}
    assert got == names, f"{len(got)} of {len(names)} names"
    code, data = c.data_cmd(f"LIST {workdir.virt}")
    assert code == 226, c.dump()
    assert len(data) > 65536
    got = {l.split(None, 8)[8] for l in lines_of(data) if not l.startswith("total")}
    assert got == names


def test_list_missing_dir_fails(srv):
    c = srv.login_ctl()
    code, data = c.data_cmd("LIST /no/such/dir")
    # vsftpd answers 226 with an empty listing; RFC 959 allows 450/550.
    assert code in (226, 450, 550), c.dump()


def test_curl_list_and_nlst(srv, tree):
    url = f"ftp://{HOST}:{srv.port}{tree.virt}/"
    r = curl("--user", f"{USER}:{PASSWORD}", url)
    assert r.returncode == 0, curl_report(r)
    long_names = {l.split(None, 8)[8].split(" -> ")[0]
                  for l in r.stdout.decode().splitlines() if l and not l.startswith("total")}
    assert long_names == VISIBLE, curl_report(r) + "\n" + r.stdout.decode()
    r = curl("--user", f"{USER}:{PASSWORD}", "--list-only", url)
    assert r.returncode == 0, curl_report(r)
    assert set(r.stdout.decode().split()) >= {"alpha.txt", "beta.bin", "gamma"}, r.stdout
