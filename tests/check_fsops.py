#!/usr/bin/python3
"""The engine's file-system calls live in engine/fsops.c alone, and that
file's list of them matches the seccomp allowlist.

    check_fsops.py

engine/fsops.c opens with lines "  <libc call> -> <syscall>, ...". Exits 1
and names
  - every call of one of those functions (or of another file-system call,
    EXTRA below) in another engine/*.c file, comments and strings aside;
  - every system call on the list that sandbox/seccomp.c does not name.
Before checking the tree it checks itself on a made-up tree with one of each,
so a checker that cannot fail does not pass.
"""
import os
import re
import sys

import treecheck

FSOPS = "engine/fsops.c"
SECCOMP = "sandbox/seccomp.c"
# The engine files that may make such calls anyway: the sandbox probes of
# the test build (XSBX), which make forbidden calls on purpose.
EXEMPT = {FSOPS, "engine/testhooks.c"}
# What the engine's filter allows: these lists, and allow_open()'s rules.
ENGINE_LISTS = ("base_calls", "engine_calls", "engine_write_calls")
ARRAY = re.compile(r"static const char \*const ([a-z_]+)\[\] = \{(.*?)\};", re.S)
ALLOW_OPEN = re.compile(r"^static int allow_open\(.*?^\}", re.S | re.M)
# File-system calls fsops.c does not make today: no other file may either.
EXTRA = ("creat", "openat", "unlinkat", "mkdirat", "renameat", "link", "linkat",
         "symlink", "symlinkat", "truncate", "fchdir", "readlink", "statx",
         "chown", "lchown", "fchown", "fchownat", "fchmodat", "utime", "utimes",
         "opendir", "mknod", "mknodat", "faccessat")

LINE = re.compile(r"^\s*\*\s+([a-z_0-9]+) -> ([a-z_0-9, ]+)$", re.M)
COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])\'',
                               re.S)


def listed_calls(root):
    """{libc call: [syscalls]} from the opening comment of fsops.c."""
    with open(os.path.join(root, FSOPS)) as f:
        text = f.read()
    head = text[:text.find("*/")]
    return {m.group(1): [s.strip() for s in m.group(2).split(",")]
            for m in LINE.finditer(head)}


def engine_allowed(seccomp):
    """The system calls sandbox/seccomp.c allows the engine."""
    allowed = set()
    for m in ARRAY.finditer(seccomp):
        if m.group(1) in ENGINE_LISTS:
            allowed.update(re.findall(r'"([a-z_0-9]+)"', m.group(2)))
    for m in ALLOW_OPEN.finditer(seccomp):
        allowed.update(re.findall(r"SCMP_SYS\(([a-z_0-9]+)\)", m.group(0)))
    return allowed


def blank(text):
    """TEXT with comments and literals blanked, line numbers kept."""
    return COMMENT_OR_STRING.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def violations(root):
    calls = listed_calls(root)
    out = []
    if not calls:
        return [f"{FSOPS}: no 'call -> syscall' lines in its opening comment"]
    with open(os.path.join(root, SECCOMP)) as f:
        allowed = engine_allowed(f.read())
    for call, syscalls in sorted(calls.items()):
        for sc in syscalls:
            if sc not in allowed:
                out.append(f"{FSOPS}: {call} -> {sc}, which {SECCOMP} does not allow"
                           " the engine")
    names = sorted(set(calls) | set(EXTRA))
    call_re = re.compile(r"(?<![A-Za-z0-9_.>])(" + "|".join(names) + r")\s*\(")
    engine = os.path.join(root, "engine")
    for name in sorted(os.listdir(engine)):
        rel = f"engine/{name}"
        if not name.endswith(".c") or rel in EXEMPT:
            continue
        with open(os.path.join(engine, name), errors="replace") as f:
            text = blank(f.read())
        for m in call_re.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            out.append(f"{rel}:{line}: calls {m.group(1)}() (file-system calls go"
                       f" through {FSOPS})")
    return out


def self_test():
    files = {
        FSOPS: "/* Calls:\n *   unlink -> unlink\n *   mkdir -> mkdir\n */\n"
               "int f(void) { return unlink(\"x\"); }\n",
        SECCOMP: 'static const char *const engine_calls[] = { "unlink", NULL };\n'
                 'static const char *const master_calls[] = { "mkdir", NULL };\n',
        "engine/cmd_x.c": "/* unlink() here is a comment */\nint g(void)\n"
                          "{\n\treturn x.unlink(1) + fsops_unlink(\"a\") + unlink (\"b\");\n}\n",
    }
    return treecheck.catches(files, violations,
                             [f"{FSOPS}: mkdir -> mkdir", "engine/cmd_x.c:4: calls unlink()"])


def main():
    return treecheck.run("check_fsops.py", self_test, lambda root, args: violations(root),
                         lambda root, args, found: f"fsops: {len(listed_calls(root))} calls "
                         f"listed, {len(found)} problems")


if __name__ == "__main__":
    sys.exit(main())
