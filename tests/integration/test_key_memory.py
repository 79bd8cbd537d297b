"""Clean-room roles: no process a client can talk to holds a private key.

The server runs with an RSA vhost and an ECDSA vhost (chosen by SNI), and
holds every kind of session at once: spares, a plain pre-auth session, an
implicit-TLS one, and logged-in FTPS sessions on both vhosts that have
transferred data. Then the memory of every process of the tree except the
key holder is read through /proc/PID/mem and searched for each key's
secret material: RSA p, q and d, the EC private scalar (both byte orders),
the DER encodings and the PEM text. The key holder itself is searched too,
as the positive control that the search finds what it looks for.
"""
import os
import re
import socket
import ssl

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import HOST, PASSWORD, TIMEOUT, USER, all_procs, descendants, free_port, wait_until
from tlsutil import FTPS, client_context, issue_cert

EC_NAME = "ec.example.test"
WINDOW = 24  # bytes of a secret that count as a copy of it


def _int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


def windows(blob):
    """Three slices of BLOB: its start, middle and end."""
    if len(blob) <= WINDOW:
        return [blob]
    mid = len(blob) // 2
    return [blob[:WINDOW], blob[mid:mid + WINDOW], blob[-WINDOW:]]


def secrets_of(path):
    """{label: [needles]} for the private key in PATH."""
    with open(path, "rb") as f:
        pem = f.read()
    key = serialization.load_pem_private_key(pem, password=None)
    nums = {}
    if isinstance(key, rsa.RSAPrivateKey):
        pn = key.private_numbers()
        nums = {"p": pn.p, "q": pn.q, "d": pn.d}
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        nums = {"scalar": key.private_numbers().private_value}
    out = {}
    for name, n in nums.items():
        be = _int_bytes(n)
        out[f"{name} (big-endian)"] = windows(be)
        out[f"{name} (little-endian)"] = windows(be[::-1])
    # A DER copy: each private number with the framing around it (the
    # public parts of the DER are in the certificate too, so they prove
    # nothing).
    for fmt, label in ((serialization.PrivateFormat.PKCS8, "PKCS#8 DER"),
                       (serialization.PrivateFormat.TraditionalOpenSSL, "DER")):
        der = key.private_bytes(serialization.Encoding.DER, fmt,
                                serialization.NoEncryption())
        out[label] = []
        for n in nums.values():
            at = der.find(_int_bytes(n))
            assert at >= 6, label
            out[label].append(der[at - 6:at + WINDOW - 6])
    body = [l for l in pem.splitlines() if l and not l.startswith(b"-----")]
    out["PEM text"] = [l for l in body[1:3] if len(l) >= WINDOW]
    return out


# No mapping of ours holding data is this large; ASan's shadow memory
# (make asan) is terabytes of readable, never-touched pages, and reading it
# whole ran out of memory.
REGION_MAX = 1 << 30
# x86-64 ASan's shadow (low shadow, gap, high shadow): only shadow bytes
# live there, never program data, and its 256 MiB low shadow made the
# search so slow under make asan that sessions ended before they were read.
ASAN_SHADOW = (0x7fff7000, 0x10007fff8000)


def readable_regions(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            addr, perms = parts[0], parts[1]
            name = parts[5] if len(parts) > 5 else ""
            if "r" not in perms or name in ("[vvar]", "[vsyscall]", "[vdso]"):
                continue
            lo, hi = (int(x, 16) for x in addr.split("-"))
            if hi - lo > REGION_MAX or (ASAN_SHADOW[0] <= lo and hi <= ASAN_SHADOW[1]):
                continue
            yield lo, hi


def memory_of(pid):
    """PID's readable memory, or None if the process is gone."""
    chunks = []
    try:
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except (FileNotFoundError, ProcessLookupError):
        return None
    with mem:
        for lo, hi in readable_regions(pid):
            try:
                mem.seek(lo)
                chunks.append(mem.read(hi - lo))
            except (OSError, ValueError, OverflowError):
                continue  # unreadable (guard pages, device mappings)
    return b"\x00".join(chunks)


def found_in(pid, secrets):
    """The labels of SECRETS found in PID's memory; None if it is gone."""
    data = memory_of(pid)
    if data is None:
        return None
    return sorted({label for label, needles in secrets.items()
                   for n in needles if n in data})


@pytest.fixture(scope="module")
def keys(pki):
    rsa_pair = issue_cert(pki.dir, "mem-rsa", "ftpsd mem rsa", (pki.ca, pki.ca_key), "rsa",
                          serial=6001)
    ec_pair = issue_cert(pki.dir, "mem-ec", "ftpsd mem ec", (pki.ca, pki.ca_key), "ec",
                         serial=6002, names=(EC_NAME,))
    return {"rsa": rsa_pair, "ec": ec_pair}


def tls_session(srv, ca, server_hostname=None):
    """A logged-in FTPS session that has listed a directory over data TLS."""
    f = FTPS(context=client_context(ca=ca, verify=False), timeout=TIMEOUT)
    srv._clients.append(f)
    f.connect(HOST, srv.port, timeout=TIMEOUT)
    if server_hostname:
        f.host = server_hostname          # what FTPS.auth sends as SNI
    f.auth()
    f.login(USER, PASSWORD)
    f.prot_p()
    f.nlst()
    return f


def test_no_sandboxed_process_holds_a_private_key(server, pki, keys):
    implicit = free_port()
    s = server(ssl_enable=True, rsa_cert_file=keys["rsa"][0],
               rsa_private_key_file=keys["rsa"][1], implicit_ssl_port=implicit,
               prefork_spares=3, require_ssl_reuse=True,
               extra_lines=["[vhost main]",
                            "[vhost ec]",
                            f"server_name={EC_NAME}",
                            "rsa_cert_file=",
                            "rsa_private_key_file=",
                            f"ecdsa_cert_file={keys['ec'][0]}",
                            f"ecdsa_private_key_file={keys['ec'][1]}"])
    secrets = {**{f"RSA {k}": v for k, v in secrets_of(keys["rsa"][1]).items()},
               **{f"ECDSA {k}": v for k, v in secrets_of(keys["ec"][1]).items()}}

    sessions = [tls_session(s, pki.ca), tls_session(s, pki.ca, server_hostname=EC_NAME)]
    assert sessions[1].sock.version() and sessions[1].sock.cipher()
    plain = s.ctl()                                    # pre-auth, plaintext
    imp = ssl.create_default_context()
    imp.check_hostname = False
    imp.verify_mode = ssl.CERT_NONE
    isock = imp.wrap_socket(socket.create_connection((HOST, implicit), timeout=TIMEOUT))
    assert isock.recv(64).startswith(b"220")          # implicit TLS, pre-auth

    def tree():
        return [p for p in descendants(s.pid) if p.state != "Z"]

    want = {"ftpsd-zygote", "ftpsd-monitor", "ftpsd-preauth", "ftpsd-relay",
            "ftpsd-standby", "ftpsd-engine", "ftpsd-keys"}
    assert wait_until(lambda: want <= {p.comm for p in tree()}, 10), \
        sorted({p.comm for p in tree()})
    holders = [p for p in tree() if p.comm == "ftpsd-keys"]
    leaks, searched, gone = {}, set(), []
    for p in tree():
        if p.comm == "ftpsd-keys":
            continue
        hits = found_in(p.pid, secrets)
        if hits is None:
            # Ended while the others were read (slow under make asan):
            # it holds nothing now; each role must still be searched.
            gone.append(f"{p.comm}[{p.pid}]")
            continue
        searched.add(p.comm)
        if hits:
            leaks[f"{p.comm}[{p.pid}]"] = hits
    assert not leaks, leaks
    assert want - {"ftpsd-keys"} <= searched, (sorted(searched), gone, s.log())
    # Nor does the user's engine hold the password its session logged in
    # with (it was forked before the login, and the handoff carries none).
    # The relay and the pre-auth engine carry it on its way, so they are
    # not asked.
    for p in tree():
        if p.comm == "ftpsd-engine":
            data = memory_of(p.pid)
            assert data is None or PASSWORD.encode() not in data, \
                f"{p.comm}[{p.pid}] holds the password"
    # The search works: the key holder does hold both keys.
    held = found_in(holders[0].pid, secrets)
    assert any(h.startswith("RSA ") for h in held), held
    assert any(h.startswith("ECDSA ") for h in held), held

    for f in sessions:
        f.quit()
    plain.expect("QUIT", 221)
    isock.close()


def test_key_holder_is_sandboxed_and_alone_with_the_keys(server, pki, keys):
    s = server(ssl_enable=True, rsa_cert_file=keys["rsa"][0],
               rsa_private_key_file=keys["rsa"][1], implicit_ssl_port=0)
    holders = [p for p in descendants(s.pid) if p.comm == "ftpsd-keys"]
    assert len(holders) == 1, holders
    with open(f"/proc/{holders[0].pid}/status") as f:
        st = dict(l.split(":\t", 1) for l in f.read().splitlines() if ":\t" in l)
    nobody = __import__("pwd").getpwnam("nobody").pw_uid
    assert st["Seccomp"].strip() == "2" and st["NoNewPrivs"].strip() == "1", st
    assert int(st["Uid"].split()[0]) == nobody
    assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0
    assert os.readlink(f"/proc/{holders[0].pid}/root") == "/run/ftpsd/empty"


def test_reload_keeps_old_sessions_signing(server, pki, keys):
    """SIGHUP rotates the certificate: a session that connected before the
    reload and does AUTH TLS after it still gets a handshake (with the old
    key, from the old key holder); new sessions get the new certificate."""
    import signal
    import time
    from tlsutil import cert_info
    s = server(ssl_enable=True, rsa_cert_file=keys["rsa"][0],
               rsa_private_key_file=keys["rsa"][1], implicit_ssl_port=0,
               prefork_spares=1)
    old = s.ctl()
    new_pair = issue_cert(pki.dir, "mem-rsa2", "ftpsd mem rsa2", (pki.ca, pki.ca_key),
                          "rsa", serial=6003)
    s.settings["rsa_cert_file"], s.settings["rsa_private_key_file"] = new_pair
    s.write_conf()
    os.kill(s.pid, signal.SIGHUP)
    s.wait_log(r"reloaded ")
    ctx = client_context(ca=pki.ca, verify=False)
    old.expect("AUTH TLS", 234)
    old.sock = ctx.wrap_socket(old.sock, server_hostname="localhost")
    old.f = old.sock.makefile("rb")
    assert cert_info(old.sock.getpeercert(True))[1] == 6001
    old.expect("QUIT", 221)
    fresh = tls_session(s, pki.ca)
    assert cert_info(fresh.sock.getpeercert(True))[1] == 6003
    fresh.quit()
