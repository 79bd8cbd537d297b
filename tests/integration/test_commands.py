"""Core FTP commands after login and their RFC reply codes (RFC 959, 2389,
2428, 3659): the good paths and every error code of the contract."""

import re

import pytest


@pytest.fixture
def c(srv):
    return srv.login_ctl()


def test_syst(c):
    assert c.expect("SYST", 215)[1] == "215 UNIX Type: L8"


def test_commands_are_case_insensitive(c):
    assert c.expect("syst", 215)[1] == "215 UNIX Type: L8"
    c.expect("noop", 200)
    c.expect("Pwd", 257)


def test_feat_multiline_lists_features(c):
    code, text = c.expect("FEAT", 211)
    lines = text.split("\n")
    assert lines[0].startswith("211-"), c.dump()
    assert lines[-1].startswith("211 ") and "end" in lines[-1].lower(), c.dump()
    body = lines[1:-1]
    assert body, c.dump()
    for l in body:
        assert l.startswith(" "), f"FEAT feature line {l!r} must start with a space (RFC 2389)"
    feats = {l.strip().split(" ")[0].upper(): l.strip() for l in body}
    for f in ("EPSV", "PASV", "MLST", "UTF8", "HOST", "EPRT", "SIZE", "MDTM", "MFMT"):
        assert f in feats, f"FEAT lacks {f}\n" + c.dump()
    assert "type" in feats["MLST"].lower(), f"MLST line names no facts: {feats['MLST']!r}"


def test_feat_before_login_is_multiline_too(srv):
    c = srv.ctl()
    code, text = c.expect("FEAT", 211)
    assert text.startswith("211-") and text.split("\n")[-1].startswith("211 "), c.dump()


def test_opts_utf8(c):
    c.expect("OPTS UTF8 ON", 200, 202)


def test_noop(c):
    c.expect("NOOP", 200)


def test_pwd_is_root_in_chroot(c):
    code, text = c.expect("PWD", 257)
    assert re.match(r'^257 "/"', text), c.dump()


def test_cwd_cdup_pwd(c, workdir):
    workdir.mkdir("sub")
    c.expect(f"CWD {workdir.virt}", 250)
    assert c.expect("PWD", 257)[1].startswith(f'257 "{workdir.virt}"'), c.dump()
    c.expect("CWD sub", 250)
    assert c.expect("PWD", 257)[1].startswith(f'257 "{workdir.virt}/sub"'), c.dump()
    c.expect("CDUP", 250, 200)
    assert c.expect("PWD", 257)[1].startswith(f'257 "{workdir.virt}"'), c.dump()
    c.expect("CWD ..", 250)
    assert c.expect("PWD", 257)[1].startswith('257 "/"'), c.dump()


def test_cwd_missing_is_550(c):
    c.expect("CWD /no/such/dir", 550)
    assert c.expect("PWD", 257)[1].startswith('257 "/"'), c.dump()


def test_cwd_to_a_file_is_550(c, workdir):
    workdir.write("f.txt", b"x")
    c.expect(f"CWD {workdir.virt}/f.txt", 550)


def test_cwd_into_unreadable_dir_is_550(c, workdir):
    """The engine runs as the user: a root-only directory stays closed."""
    workdir.mkdir("closed", mode=0o700, owner=(0, 0))
    c.expect(f"CWD {workdir.virt}/closed", 550)


def test_path_with_spaces(c, workdir):
    workdir.mkdir("a dir with spaces")
    c.expect(f"CWD {workdir.virt}/a dir with spaces", 250)
    assert c.expect("PWD", 257)[1].startswith(f'257 "{workdir.virt}/a dir with spaces"')


@pytest.mark.parametrize("line,codes", [
    ("TYPE A", (200,)),
    ("TYPE I", (200,)),
    ("TYPE A N", (200,)),
    ("MODE S", (200,)),
    ("STRU F", (200,)),
    ("type i", (200,)),
])
def test_transfer_parameters_accepted(c, line, codes):
    c.expect(line, *codes)


@pytest.mark.parametrize("line,codes", [
    ("TYPE X", (504, 501)),
    ("MODE Z", (504,)),
    ("MODE B", (504,)),
    ("STRU R", (504,)),
    ("STRU P", (504,)),
])
def test_unsupported_parameter_504(c, line, codes):
    c.expect(line, *codes)
    c.expect("NOOP", 200)


@pytest.mark.parametrize("line", ["XYZZY", "FOO bar", "SITE_X"])
def test_unknown_command_500(c, line):
    c.expect(line, 500)
    c.expect("NOOP", 200)


@pytest.mark.parametrize("line", ["SMNT /", "REIN", "ACCT billing"])
def test_unimplemented_command_502(c, line):
    c.expect(line, 502)
    c.expect("NOOP", 200)


@pytest.mark.parametrize("line", ["TYPE", "MODE", "STRU", "RETR", "STOR", "CWD"])
def test_missing_argument_501(c, line):
    c.expect(line, 501)
    c.expect("NOOP", 200)


def test_user_without_argument_501(srv):
    c = srv.ctl()
    c.expect("USER", 501)
    c.expect("NOOP", 200)


def test_epsv_garbled_argument_501(c):
    c.expect("EPSV banana", 501)


def test_epsv_all_locks_out_pasv(c):
    """RFC 2428 / DESIGN §3: after EPSV ALL, PASV is refused, EPSV works."""
    c.expect("EPSV ALL", 200)
    code, text = c.cmd("PASV")
    assert 500 <= code < 600, "PASV accepted after EPSV ALL\n" + c.dump()
    c.epsv()


def test_quit_221_closes(c):
    c.expect("QUIT", 221)
    assert c.eof(), c.dump()


def test_overlong_command_line_does_not_kill_the_server(server):
    s = server(allow_violations=True)
    c = s.ctl()
    c.send_raw(b"NOOP " + b"A" * 20000 + b"\r\n")
    # Either a 5xx reply or a closed connection; never a hang or a crash.
    try:
        code, text = c.reply()
        assert 500 <= code < 600, c.dump()
    except EOFError:
        pass
    s.ctl().login()
    assert s.proc.poll() is None


def test_garbage_bytes_do_not_kill_the_server(server):
    s = server(allow_violations=True)
    c = s.ctl()
    c.send_raw(b"\x00\xff\xfe\r\n\r\n\xff\xf4\xff\xf2NOOP\r\n")
    c.eof(1.0)
    s.ctl().login()
    assert s.proc.poll() is None
