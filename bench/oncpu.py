#!/usr/bin/python3
"""Where ftpsd's CPU goes per login, from a system-wide sampling recording.

    perf record -a -g -F 499 -o cpu.data -- sleep 15     (during a login test)
    perf script -i cpu.data -F comm,ip,sym,dso > cpu.txt
    bench/oncpu.py cpu.txt LOGINS [HZ] [PREFIX]

LOGINS is how many logins the recording covered (the login test's rate
times the recording's seconds). Every sample of a process whose name
starts with PREFIX (ftpsd) is put in one bucket: the system call it was in
(the kernel frame just inside do_syscall_64), a page fault, or the library
it was running in user space. Each bucket is printed as milliseconds of
CPU per login (samples / HZ / LOGINS), per process name. A process counts
under its parent's name until it names itself, so the first moments of a
forked child (its sandbox set-up) count under the parent. Used for
bench/README.md's "Logins: where the milliseconds go"."""

import collections
import sys

# Kernel frames that are not where the time is: what a sampled stack passes
# on its way into a system call.
ENTRY = ("x64_sys_call",)


def samples(path):
    """(process name, [frames, innermost first]) per sample; a frame is
    (symbol, dso)."""
    comm, frames = None, []
    for line in open(path):
        if not line.strip():
            continue
        if not line[0].isspace():
            if comm is not None:
                yield comm, frames
            comm, frames = (line.split() or ["?"])[0], []
            continue
        rest = line.strip().split(None, 1)[-1]
        sym, _, dso = rest.rpartition(" (")
        frames.append((sym, dso.rstrip(")")))
    if comm is not None:
        yield comm, frames


def bucket(frames):
    syms = [s for s, _ in frames]
    if "do_exit" in syms:
        return "exit"
    if "do_syscall_64" in syms:
        inner = [s for s in syms[:syms.index("do_syscall_64")] if s not in ENTRY]
        call = inner[-1] if inner else "?"
        for prefix in ("__x64_sys_", "__do_sys_", "__sys_", "ksys_"):
            call = call.removeprefix(prefix)
        return "syscall " + call
    if "asm_exc_page_fault" in syms or "exc_page_fault" in syms:
        return "page faults"
    dso = frames[0][1] if frames else "?"
    if "kernel" in dso:
        return "kernel, other: " + (syms[0] if syms else "?")
    return "user " + dso.rsplit("/", 1)[-1]


def main(path, logins, hz=499.0, prefix="ftpsd", most=10):
    per = collections.defaultdict(collections.Counter)
    for comm, frames in samples(path):
        if comm.startswith(prefix):
            per[comm][bucket(frames)] += 1
    ms = 1000.0 / hz / logins
    total = sum(sum(c.values()) for c in per.values())
    print(f"{total * ms:.2f} ms of CPU per login in {prefix}* processes ({logins:.0f} logins)")
    for comm, c in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        print(f"  {comm:16s} {sum(c.values()) * ms:6.2f} ms")
        for what, n in c.most_common(most):
            print(f"      {n * ms:6.2f}  {what}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], float(sys.argv[2]), *(float(a) for a in sys.argv[3:4]),
         *sys.argv[4:5])
