#!/usr/bin/python3
"""Where ftpsd's processes wait, from a system-wide sched_switch recording.

    perf record -a -e sched:sched_switch -g -o sw.data -- sleep 12
    perf script -i sw.data -F comm,tid,time,trace,ip,sym > sw.txt
    bench/offcpu.py sw.txt [PREFIX]

For every switch-out of a process whose name starts with PREFIX (ftpsd),
the time until that thread is switched in again, summed per kernel stack
(its first frames). Waits that are a process's idle state (poll, epoll,
recvmsg, wait4, exit) are left out: what is left is time spent blocked
where it was doing work, such as a lock. Used for bench/README.md's
"Where the tails come from"."""

import collections
import re
import sys

IDLE = ("poll_schedule", "do_epoll_wait", "__skb_wait", "do_task_dead", "do_wait",
        "do_sigtimedwait", "futex", "pipe_read", "unix_stream_read", "wait_woken")
SCHED = ("__schedule", "schedule", "__traceiter", "__probestub", "preempt_schedule")


def main(path, prefix="ftpsd"):
    out, total, count, worst = {}, collections.Counter(), collections.Counter(), {}
    for block in open(path).read().split("\n\n"):
        lines = [l.strip() for l in block.strip().split("\n") if l.strip()]
        m = lines and re.match(r"(\S+)\s+(\d+)\s+([\d.]+):\s+(.*)", lines[0])
        if not m:
            continue
        comm, tid, t, trace = m.group(1), int(m.group(2)), float(m.group(3)), m.group(4)
        nxt = re.search(r"next_pid=(\d+)", trace)
        if nxt and int(nxt.group(1)) in out:
            t0, key = out.pop(int(nxt.group(1)))
            total[key] += t - t0
            count[key] += 1
            worst[key] = max(worst.get(key, 0), t - t0)
        if comm.startswith(prefix):
            frames = [l.split(None, 1)[-1] for l in lines[1:]]
            stack = " <- ".join(f for f in frames[:7] if not f.startswith(SCHED))[:150]
            out[tid] = (t, (comm, stack))
    rows = sorted(((v, k) for k, v in total.items() if not k[1].startswith(IDLE)), reverse=True)
    print(f"{'blocked ms':>10} {'times':>6} {'max ms':>7}  process  stack")
    for v, k in rows[:20]:
        print(f"{v * 1000:10.1f} {count[k]:6d} {worst[k] * 1000:7.1f}  {k[0]}  {k[1]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
