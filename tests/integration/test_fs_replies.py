"""The reply to each file-system failure, code and text, per command family
(engine/fsops.c's fs_reply: commands on files, downloads, uploads,
listings). Written against the three tables it replaced, so that the move
to one map changed no reply a client sees."""

import pytest

LONG = "n" * 300          # one component over NAME_MAX: ENAMETOOLONG


@pytest.fixture
def tree(srv, workdir):
    workdir.write("f", b"data")
    workdir.write("full/inside", b"1")
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    yield c
    c.expect("QUIT", 221)


def reply(c, line, code):
    return c.expect(line, code)[1]


def test_commands_on_files(tree):
    c = tree
    assert reply(c, "DELE missing", 550) == "550 No such file or directory."
    assert reply(c, "DELE full", 550) == "550 Is a directory; use RMD."
    assert reply(c, "MKD full", 550) == "550 File exists."
    assert reply(c, "MKD f/sub", 550) == "550 Not a directory."
    assert reply(c, "RMD full", 550) == "550 Directory not empty."
    assert reply(c, "RMD missing", 550) == "550 No such file or directory."
    assert reply(c, "RNFR missing", 550) == "550 No such file or directory."
    c.expect("RNFR f", 350)
    assert reply(c, f"RNTO {LONG}", 553) == "553 File name too long."
    c.expect("RNFR full", 350)
    assert reply(c, "RNTO full/inner", 553) == "553 Invalid argument."   # into itself
    c.expect("RNFR f", 350)
    assert reply(c, "RNTO missing/f", 550) == "550 No such file or directory."
    assert reply(c, "SIZE full", 550) == "550 Could not get file size."
    assert reply(c, "SIZE missing", 550) == "550 No such file or directory."
    assert reply(c, "MDTM full", 550) == "550 Not a plain file."
    assert reply(c, f"MDTM {LONG}", 550) == "550 File name too long."
    assert reply(c, "MFMT 20200101000000 missing", 550) == "550 No such file or directory."
    assert reply(c, "SITE CHMOD 644 missing", 550) == "550 SITE CHMOD command failed."
    assert reply(c, "CWD missing", 550) == "550 Failed to change directory."


def test_downloads(tree):
    c = tree
    assert reply(c, "RETR missing", 550) == "550 No such file or directory."
    assert reply(c, "RETR full", 550) == "550 Not a plain file."
    assert reply(c, "RETR f/x", 550) == "550 Could not open file: Not a directory."
    assert reply(c, f"RETR {LONG}", 550) == "550 File name too long."


def test_uploads(tree):
    c = tree
    assert reply(c, "STOR /", 553) == "553 Bad file name."
    assert reply(c, "STOR missing/x", 553) == "553 No such file or directory."
    assert reply(c, "STOR full", 553) == "553 Is a directory."
    assert reply(c, "STOR f/x", 553) == "553 Could not open file: Not a directory."
    assert reply(c, f"APPE {LONG}", 553) == "553 File name too long."
    assert reply(c, "APPE full", 553) == "553 Is a directory."


def test_listings(tree):
    c = tree
    assert reply(c, "LIST missing", 550) == "550 No such file or directory."
    assert reply(c, "NLST missing/*.txt", 550) == "550 No such file or directory."
    assert reply(c, "LIST f/x", 501) == "501 Not a directory."
    assert reply(c, "MLSD f", 501) == "501 Not a directory."
    assert reply(c, f"LIST {LONG}", 550) == "550 Path too long."
    assert reply(c, "MLST missing", 550) == "550 No such file or directory."
    assert reply(c, "STAT missing", 550) == "550 No such file or directory."


def test_deny_file(server, workdir):
    workdir.write("secret", b"x")
    s = server(deny_file="secret")
    c = s.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    for line in ("RETR secret", "DELE secret", "SIZE secret", "CWD secret", "MLST secret",
                 "LIST secret", "STOR secret"):
        assert reply(c, line, 550) == "550 Permission denied.", line
    c.expect("QUIT", 221)
