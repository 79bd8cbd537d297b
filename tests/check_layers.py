#!/usr/bin/python3
"""Includes run one way: a file may include headers of its own directory or
of a directory listed before it, never of one listed after it.

    check_layers.py LAYER... (lowest first, as the Makefile's LAYERS)

Exits 1 and names every include that runs back up. Before checking the tree
it checks itself on a made-up tree with one such include, so a checker that
cannot fail does not pass.
"""
import os
import re
import sys

import treecheck

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[A-Za-z0-9_]+\.h"', re.M)


def violations(root, layers):
    rank = {name: i for i, name in enumerate(layers)}
    out = []
    for layer in layers:
        d = os.path.join(root, layer)
        if not os.path.isdir(d):
            out.append(f"{layer}/: listed as a layer but missing")
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(d, name)
            with open(path, errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                target = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                if target not in rank:
                    out.append(f"{layer}/{name}:{line}: includes {target}/, which is no layer")
                elif rank[target] > rank[layer]:
                    out.append(f"{layer}/{name}:{line}: includes {m.group(0).split()[-1]}"
                               f" ({target} comes after {layer})")
    return out


def self_test():
    return treecheck.catches({"low/f.c": '#include "high/x.h"\n', "high/f.c": '#include "low/y.h"\n'},
                             lambda root: violations(root, ["low", "high"]), ["low/f.c:1:"])


def main(layers):
    return treecheck.run("check_layers.py", self_test, violations,
                         lambda root, args, found: f"layers: {len(args)} checked, "
                         f"{len(found)} includes that run back up", layers, "LAYER...")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
