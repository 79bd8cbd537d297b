"""Throwaway PKI and TLS clients for the FTPS tests.

make_pki(dir) builds, with the openssl CLI, into DIR:
  ca.pem / ca.key            the test CA (clients verify the server against it;
                             the server verifies client certificates against it)
  rogue-ca.pem               a second CA nobody trusts
  rsa.pem / rsa.key          server certificate, RSA 2048, for 127.0.0.1/localhost
  ecdsa.pem / ecdsa.key      server certificate, ECDSA P-256, same names
  client.pem / client.key    client certificate signed by the test CA
  rogue.pem / rogue.key      client certificate signed by the rogue CA
issue_server_cert() makes more server certificates (reload tests).
"""

import ftplib
import os
import socket
import ssl
import subprocess
import warnings

OPENSSL_TIMEOUT = 30


def _openssl(*args, cwd=None):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=OPENSSL_TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def _key(path, kind):
    if kind == "rsa":
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", path)
    else:
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", path)
    os.chmod(path, 0o600)


def _ca(d, name, cn):
    key = os.path.join(d, f"{name}.key")
    pem = os.path.join(d, f"{name}.pem")
    _key(key, "ec")
    _openssl("req", "-x509", "-new", "-key", key, "-out", pem, "-days", "30",
             "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return pem, key


def issue_cert(d, name, cn, ca, kind="rsa", server=True, serial=None,
               names=("127.0.0.1", "localhost")):
    """Key NAME.key and certificate NAME.pem signed by CA (pem, key)."""
    key = os.path.join(d, f"{name}.key")
    pem = os.path.join(d, f"{name}.pem")
    csr = os.path.join(d, f"{name}.csr")
    ext = os.path.join(d, f"{name}.ext")
    _key(key, kind)
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", f"/CN={cn}")
    sans = ",".join(("IP:" if n[0].isdigit() or ":" in n else "DNS:") + n for n in names)
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n")
        if server:
            f.write(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    args = ["x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-out", pem,
            "-days", "30", "-sha256", "-extfile", ext]
    args += ["-set_serial", str(serial)] if serial else ["-CAcreateserial"]
    _openssl(*args, cwd=d)
    return pem, key


class PKI:
    def __init__(self, d):
        self.dir = d
        self.ca, self.ca_key = _ca(d, "ca", "ftpsd test CA")
        self.rogue_ca, self.rogue_ca_key = _ca(d, "rogue-ca", "ftpsd rogue CA")
        self.rsa, self.rsa_key = issue_cert(d, "rsa", "ftpsd rsa", (self.ca, self.ca_key),
                                            "rsa", serial=1001)
        self.ecdsa, self.ecdsa_key = issue_cert(d, "ecdsa", "ftpsd ecdsa",
                                                (self.ca, self.ca_key), "ec", serial=1002)
        self.client, self.client_key = issue_cert(d, "client", "ftpsd client",
                                                  (self.ca, self.ca_key), "ec",
                                                  server=False, serial=2001)
        self.rogue, self.rogue_key = issue_cert(d, "rogue", "ftpsd rogue client",
                                                (self.rogue_ca, self.rogue_ca_key), "ec",
                                                server=False, serial=2002)

    def issue_server(self, name, cn, kind="rsa", serial=None):
        return issue_cert(self.dir, name, cn, (self.ca, self.ca_key), kind, serial=serial)


def make_pki(d):
    os.makedirs(d, exist_ok=True)
    return PKI(d)


def cert_info(der):
    """(subject CN, serial) of a DER certificate, via the openssl CLI."""
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject",
                        "-serial", "-nameopt", "multiline"],
                       input=der, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=OPENSSL_TIMEOUT, check=True)
    out = r.stdout.decode()
    cn = serial = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("commonName"):
            cn = line.split("=", 1)[1].strip()
        elif line.startswith("serial="):
            serial = int(line.split("=", 1)[1], 16)
    return cn, serial


def cert_key_type(der):
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"],
                       input=der, stdout=subprocess.PIPE, timeout=OPENSSL_TIMEOUT,
                       check=True)
    text = r.stdout.decode()
    if "id-ecPublicKey" in text:
        return "ecdsa"
    if "rsaEncryption" in text:
        return "rsa"
    return "?"


def client_context(ca=None, minimum=None, maximum=None, ciphers=None, no_ticket=False,
                   cert=None, verify=True):
    """A client SSLContext. CIPHERS may carry @SECLEVEL=0 so that old protocol
    versions are offered and only the server can refuse them."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Debian's Python 3.11 sets OP_IGNORE_UNEXPECTED_EOF by default, which
    # makes a TCP close without close_notify read as a clean end: clear it
    # so the close_notify tests can tell the two apart.
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    if verify and ca:
        ctx.load_verify_locations(ca)
        ctx.check_hostname = True
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():      # TLS 1.0/1.1 are deprecated: we know
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            ctx.minimum_version = minimum
        if maximum is not None:
            ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    if no_ticket:
        ctx.options |= ssl.OP_NO_TICKET
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


class FTPS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control connection's TLS
    session (DESIGN §9), and that uses the 227 address."""
    trust_server_pasv_ipv4_address = True
    resume_session = None        # override: the session to offer on data connections
    data_sessions = None         # list of (session_reused, version) per data connection

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            sess = self.resume_session if self.resume_session is not None else self.sock.session
            try:
                conn = self.context.wrap_socket(conn, server_hostname=self.host,
                                                session=sess)
            except BaseException:
                conn.close()
                raise
            if self.data_sessions is None:
                self.data_sessions = []
            self.data_sessions.append((conn.session_reused, conn.version()))
        return conn, size


class FTPSNoResume(ftplib.FTP_TLS):
    """Plain ftplib.FTP_TLS: a fresh handshake on every data connection."""
    trust_server_pasv_ipv4_address = True


def ftps_connect(port, ctx, host="127.0.0.1", cls=FTPS, timeout=10, login=True,
                 user=None, password=None, prot_p=True, register=None):
    f = cls(context=ctx, timeout=timeout)
    if register:
        register(f)             # e.g. closed at teardown even if login fails
    f.connect(host, port, timeout=timeout)
    f.auth()
    if login:
        f.login(user, password)
        if prot_p:
            f.prot_p()
    return f


def implicit_wrap(port, ctx, host="127.0.0.1", timeout=10, server_hostname="127.0.0.1"):
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        return ctx.wrap_socket(s, server_hostname=server_hostname)
    except BaseException:
        s.close()
        raise
