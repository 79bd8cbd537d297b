#!/usr/bin/env python3
"""A/B of ftpsd binaries on one machine: the servers side by side, FTPS
(TLS 1.3, curl, session reuse) downloads to /dev/null and uploads of a
256 MiB file, alternating; server CPU as bench/run.sh counts it
(utime+stime+cutime+cstime of each server's process tree, read at rest
before and after) per GiB, and MB/s. Run as root:

    bench/ab_transfers.py ROUNDS NAME=BINARY NAME=BINARY...

With AB_PLAIN=1 the transfers are plain FTP (the same servers).

It needs (made by hand, see bench/README.md "Data TLS records by our own
layer"): a user tlsbulkb (password BenchPw7tls) whose home holds big.bin
(256 MiB), the PAM service ftpsd-tlsbulk-bench (etc/pam.d/ftpsd), and in
D a certificate cert.pem/key.pem for 127.0.0.1 and up.bin (256 MiB)."""
import os, subprocess, sys, time, statistics, socket

D = os.environ.get("AB_DIR", "/tmp/tlsbulk-bench")
TCK = os.sysconf("SC_CLK_TCK")
PLAIN = os.environ.get("AB_PLAIN") == "1"   # plain FTP instead of FTPS
SIZE = 256 << 20

def conf(name, port, pmin):
    p = f"{D}/{name}.conf"
    with open(p, "w") as f:
        f.write(f"""listen=YES
listen_address=127.0.0.1
listen_port={port}
pid_file={D}/{name}.pid
who_socket={D}/{name}.who
log_file={D}/{name}.log
syslog_enable=NO
pam_service_name=ftpsd-tlsbulk-bench
local_enable=YES
write_enable=YES
chroot_local_user=YES
local_umask=022
pasv_enable=YES
pasv_min_port={pmin}
pasv_max_port={pmin+20}
ssl_enable=YES
rsa_cert_file={D}/cert.pem
rsa_private_key_file={D}/key.pem
idle_session_timeout=120
data_connection_timeout=60
""")
        if PLAIN:
            f.write("force_local_logins_ssl=NO\nforce_local_data_ssl=NO\n")
    return p

def tree(pid):
    kids = {}  # parent -> children, from /proc
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            f = st[st.rindex(")") + 2:].split()
            kids.setdefault(int(f[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop(); out.append(p); todo += kids.get(p, [])
    return out

def cpu(pid):
    t = 0
    for p in tree(pid):
        try:
            st = open(f"/proc/{p}/stat").read()
        except OSError:
            continue
        f = st[st.rindex(")") + 2:].split()
        t += sum(int(x) for x in f[11:15])
    return t / TCK

def run(port, direction):
    url = f"ftp://127.0.0.1:{port}/"
    common = ["curl", "-sS", "-u", "tlsbulkb:BenchPw7tls"]
    if not PLAIN:
        common += ["--ssl-reqd", "--tlsv1.3", "--cacert", f"{D}/cert.pem"]
    if direction == "down":
        cmd = common + ["-o", "/dev/null", url + "big.bin"]
    else:
        cmd = common + ["-T", f"{D}/up.bin", url + "up.bin"]
    t = time.monotonic()
    subprocess.run(cmd, check=True)
    return time.monotonic() - t

BINS = dict(a.split("=", 1) for a in sys.argv[2:])
srv = {}
for i, (name, b) in enumerate(BINS.items()):
    port = 47000 + i
    srv[name] = (subprocess.Popen([b, "-f", "-c", conf(name, port, 47100 + 40 * i)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port)
time.sleep(1.5)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 6
res = {(k, d): [] for k in BINS for d in ("down", "up")}
try:
    for r in range(n):
        for d in ("down", "up"):
            k0 = list(BINS)
            order = k0[r % len(k0):] + k0[:r % len(k0)]
            for k in order:
                p, port = srv[k]
                time.sleep(0.3)
                c0 = cpu(p.pid)
                wall = run(port, d)
                time.sleep(0.5)
                c1 = cpu(p.pid)
                res[(k, d)].append(((c1 - c0) / (SIZE / 2**30), SIZE / wall / 1e6))
finally:
    for p, _ in srv.values():
        p.terminate()
for (k, d), v in sorted(res.items(), key=lambda x: (x[0][1], x[0][0])):
    c = [x[0] for x in v]; m = [x[1] for x in v]
    print(f"{d:4s} {k:4s} CPU-s/GiB min {min(c):.2f} median {statistics.median(c):.2f}   "
          f"MB/s median {statistics.median(m):.0f} max {max(m):.0f}  (n={len(v)})")
