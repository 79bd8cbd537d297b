"""The transfer loop's paths (engine/xfer_send.c, engine/xfer_recv.c), byte
for byte: plain uploads through splice() in bursts and at sizes around its
1 MiB batches, APPE and REST+STOR (in place, APPE through the copy path),
TLS uploads with read-ahead and 256 KiB file writes and TLS downloads in
128 KiB chunks, at sizes around the 16 KiB record and those chunks, TYPE A over TLS, a file truncated or grown while it is downloaded
(plain sendfile and TLS), and a listing over TLS that spans many
flushes."""

import hashlib
import io
import os
import time

import pytest

from conftest import USER, PASSWORD, data_sock

K, M = 1024, 1024 * 1024
# Around TLS records (16 KiB), read/write chunks (128/256 KiB) and splice batches (1 MiB).
SIZES = [1, 16 * K - 1, 16 * K + 1, 256 * K - 1, 256 * K + 1, M - 1, M + 1, 3 * M + 7]


def recv_all(d):
    chunks = []
    while True:
        b = d.recv(65536)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def change_file(p, grow):
    """While the server is blocked on full socket buffers mid-download:
    append M + 3 bytes (returned) or truncate to M (b"" returned)."""
    time.sleep(0.3)
    extra = os.urandom(M + 3) if grow else b""
    with open(p, "r+b") as f:
        if grow:
            f.seek(0, os.SEEK_END)
            f.write(extra)
        else:
            f.truncate(M)
    return extra


@pytest.mark.parametrize("size", SIZES)
def test_plain_upload_in_bursts(srv, workdir, size):
    """Bursts with pauses: the pipe is drained both when a batch is full
    and when the socket runs dry."""
    data = os.urandom(size)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE I", 200)
    d = data_sock(c)
    c.expect("STOR burst.bin", 150)
    for i in range(0, size, 300 * K):
        d.sendall(data[i:i + 300 * K])
        time.sleep(0.01)
    d.close()
    assert c.final()[0] == 226
    assert open(workdir.path("burst.bin"), "rb").read() == data


def test_plain_rest_stor_and_appe(srv, workdir):
    """REST + STOR splices into the file at the offset; APPE (O_APPEND,
    which splice refuses) goes through the copy path."""
    old = os.urandom(3 * M)
    new = os.urandom(2 * M + 5)
    workdir.write("r.bin", old)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE I", 200)
    c.expect(f"REST {M + 3}", 350)
    assert c.data_cmd("STOR r.bin", payload=new)[0] == 226
    assert open(workdir.path("r.bin"), "rb").read() == old[:M + 3] + new
    assert c.data_cmd("APPE r.bin", payload=new)[0] == 226
    assert open(workdir.path("r.bin"), "rb").read() == old[:M + 3] + new + new


@pytest.mark.parametrize("grow", [False, True], ids=["truncated", "grown"])
def test_plain_download_of_changing_file(srv, workdir, grow):
    original = os.urandom(32 * M)
    p = workdir.write("moving.bin", original)
    c = srv.login_ctl()
    c.expect(f"CWD {workdir.virt}", 250)
    c.expect("TYPE I", 200)
    d = data_sock(c, rcvbuf=4096)
    c.expect("RETR moving.bin", 150)
    head = d.recv(100000)
    extra = change_file(p, grow)
    got = head + recv_all(d)
    d.close()
    assert c.final()[0] == 226
    if grow:
        assert got == original + extra
    else:
        # sendfile() queues references to the file's pages, not copies:
        # what was queued past the new end reads as the kernel left those
        # pages (zeros here). What stays in the file arrives intact.
        assert M <= len(got) < len(original) and got[:M] == original[:M]
    c.expect("NOOP", 200)


# --------------------------------------------------------------------------
# TLS: read-ahead on uploads, gathered records on downloads
# --------------------------------------------------------------------------

def retr(f, path):
    out = io.BytesIO()
    f.retrbinary(f"RETR {path}", out.write, blocksize=100000)
    return out.getvalue()


def test_tls_both_ways_at_boundaries(tls_ftp, workdir):
    f = tls_ftp
    f.voidcmd("TYPE I")
    for size in SIZES:
        data = os.urandom(size)
        f.storbinary(f"STOR {workdir.virt}/t.bin", io.BytesIO(data), blocksize=7 * K)
        assert open(workdir.path("t.bin"), "rb").read() == data, size
        assert retr(f, f"{workdir.virt}/t.bin") == data, size
    f.quit()


def test_tls_type_a_both_ways(server, tls_pki, workdir):
    from tlsutil import client_context, ftps_connect
    s = server(ssl_enable=True, rsa_cert_file=tls_pki.rsa,
               rsa_private_key_file=tls_pki.rsa_key, implicit_ssl_port=0,
               ascii_download_enable=True, ascii_upload_enable=True)
    f = ftps_connect(s.port, client_context(ca=tls_pki.ca), host=s.host,
                     user=USER, password=PASSWORD)
    s._clients.append(f)
    text = b"".join(b"line %d\n" % i for i in range(200000))   # ~1.5 MB
    workdir.write("unix.txt", text)
    f.voidcmd("TYPE A")             # retrbinary/storbinary would send TYPE I
    conn = f.transfercmd(f"RETR {workdir.virt}/unix.txt")
    got = recv_all(conn)
    conn.close()
    assert f.voidresp().startswith("226")
    assert got == text.replace(b"\n", b"\r\n")
    conn = f.transfercmd(f"STOR {workdir.virt}/dos.txt")
    conn.sendall(text.replace(b"\n", b"\r\n"))
    conn.unwrap()
    conn.close()
    assert f.voidresp().startswith("226")
    assert open(workdir.path("dos.txt"), "rb").read() == text
    f.quit()


@pytest.mark.parametrize("grow", [False, True], ids=["truncated", "grown"])
def test_tls_download_of_changing_file(tls_ftp, workdir, grow):
    original = os.urandom(32 * M)
    p = workdir.write("moving.bin", original)
    f = tls_ftp
    f.voidcmd("TYPE I")
    conn = f.transfercmd(f"RETR {workdir.virt}/moving.bin")
    head = conn.recv(100000)
    extra = change_file(p, grow)
    got = head + recv_all(conn)
    conn.close()
    assert f.voidresp().startswith("226")
    if grow:
        assert hashlib.sha256(got).digest() == hashlib.sha256(original + extra).digest()
    else:
        assert len(got) < len(original) and got == original[:len(got)]
    assert f.voidcmd("NOOP").startswith("200")
    f.quit()


def test_tls_listing_spans_many_writes(tls_ftp, workdir):
    names = [f"entry-with-a-longish-name-{i:05d}.dat" for i in range(6000)]
    for n in names:
        open(workdir.path(n), "wb").close()
    f = tls_ftp
    lines = []
    f.retrlines(f"MLSD {workdir.virt}", lines.append)
    got = sorted(line.split("; ", 1)[1] for line in lines if "type=file" in line)
    assert got == sorted(names)
    lines = []
    f.retrlines(f"LIST {workdir.virt}", lines.append)
    assert len(lines) == len(names)
    f.quit()
