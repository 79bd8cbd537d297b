"""lock_upload_files (vsftpd's, default YES, issue 12): downloads take a
shared fcntl lock, in-place uploads an exclusive one, so a transfer waits
for a conflicting lock held by another program (here the test, with
fcntl.lockf as vsftpd's own locks are) and is refused with 450 when it
stays; with NO, no lock is taken."""

import fcntl
import ftplib
import io

import pytest


def hold(path, exclusive):
    f = open(path, "r+b")
    fcntl.lockf(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    return f


def test_download_waits_for_a_writer_then_450(server, workdir):
    p = workdir.write("f.txt", b"data")
    s = server(data_connection_timeout=2)
    f = s.ftp()
    lock = hold(p, exclusive=True)
    with pytest.raises(ftplib.error_temp, match="^450"):
        f.retrbinary(f"RETR {workdir.virt}/f.txt", lambda b: None)
    lock.close()                      # the writer is done
    buf = io.BytesIO()
    f.retrbinary(f"RETR {workdir.virt}/f.txt", buf.write)
    assert buf.getvalue() == b"data"


def test_downloads_share(server, workdir):
    p = workdir.write("f.txt", b"shared")
    s = server(data_connection_timeout=2)
    lock = hold(p, exclusive=False)   # another reader
    buf = io.BytesIO()
    s.ftp().retrbinary(f"RETR {workdir.virt}/f.txt", buf.write)
    assert buf.getvalue() == b"shared"
    lock.close()


def test_in_place_upload_waits_for_a_reader_then_450(server, workdir):
    p = workdir.write("f.txt", b"old")
    s = server(data_connection_timeout=2)
    f = s.ftp()
    lock = hold(p, exclusive=False)
    with pytest.raises(ftplib.error_temp, match="^450"):
        f.storbinary(f"APPE {workdir.virt}/f.txt", io.BytesIO(b"+new"))
    with open(p, "rb") as fh:
        assert fh.read() == b"old"    # untouched while it was read
    lock.close()
    f.storbinary(f"APPE {workdir.virt}/f.txt", io.BytesIO(b"+new"))
    with open(p, "rb") as fh:
        assert fh.read() == b"old+new"


def test_atomic_upload_needs_no_lock(server, workdir):
    p = workdir.write("f.txt", b"old")
    s = server(data_connection_timeout=2)
    lock = hold(p, exclusive=False)   # a reader keeps its own copy
    s.ftp().storbinary(f"STOR {workdir.virt}/f.txt", io.BytesIO(b"new"))
    lock.close()
    with open(p, "rb") as fh:
        assert fh.read() == b"new"


def test_no_locks_with_no(server, workdir):
    p = workdir.write("f.txt", b"data")
    s = server(lock_upload_files=False, data_connection_timeout=2)
    lock = hold(p, exclusive=True)
    buf = io.BytesIO()
    s.ftp().retrbinary(f"RETR {workdir.virt}/f.txt", buf.write)
    assert buf.getvalue() == b"data"
    lock.close()
