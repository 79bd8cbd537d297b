#!/usr/bin/python3
"""The engine's FTP state is the engine's (engine/session.h): no file of a
role that is not the engine names it.

    check_owners.py DIR...   (the directories whose code must not)

A struct session's `eng` part (struct engine_state) is written only by the
engine; the monitor holds no struct session at all, and its functions that
run in a new engine's process before it serves FTP (mon_become_*) only read
the parts the monitor gave it. Exits 1 and names every line of DIR's .c
and .h files that names `eng` as a member or `struct engine_state`. Before
checking the tree it checks itself on a made-up tree, so a checker that
cannot fail does not pass.
"""
import os
import re
import sys

import treecheck

ENGINE_STATE = re.compile(r"(?:\.|->)\s*eng\b|\bengine_state\b")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def violations(root, dirs):
    out = []
    for d in dirs:
        path_d = os.path.join(root, d)
        if not os.path.isdir(path_d):
            out.append(f"{d}/: missing")
            continue
        for name in sorted(os.listdir(path_d)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(path_d, name), errors="replace") as f:
                text = f.read()
            # Comments may say what the engine keeps; code may not touch it.
            code = COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
            for m in ENGINE_STATE.finditer(code):
                line = code.count("\n", 0, m.start()) + 1
                out.append(f"{d}/{name}:{line}: names the engine's state ({m.group(0).strip()})")
    return out


def self_test():
    return treecheck.catches({"mon/f.c": "/* s->eng is the engine's */\nint x;\n"
                              "void f(struct session *s)\n{\n\ts->eng.cwd[0] = 0;\n}\n"},
                             lambda root: violations(root, ["mon"]), ["mon/f.c:5:"])


def main(dirs):
    return treecheck.run("check_owners.py", self_test, violations,
                         lambda root, args, found: f"owners: {len(args)} directories checked, "
                         f"{len(found)} names of the engine's state", dirs, "DIR...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
