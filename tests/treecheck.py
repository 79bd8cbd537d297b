"""What the tree checks (check_layers.py, check_fsops.py, check_owners.py)
share: each proves on a made-up tree that it can fail, then checks the real
one, prints each finding and a summary, and exits 1 on any finding."""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(name, self_test, violations, summary, args=None, usage=None):
    """SELF_TEST() -> bool; VIOLATIONS(root, args) -> [str];
    SUMMARY(root, args, found) -> the last line printed. With USAGE, ARGS
    (the directories to check) must not be empty. Returns the exit status."""
    if usage and not args:
        print(f"usage: {name} {usage}", file=sys.stderr)
        return 2
    if not self_test():
        print(f"{name}: the self-test did not catch a planted problem", file=sys.stderr)
        return 1
    found = violations(ROOT, args)
    for v in found:
        print(v)
    print(summary(ROOT, args, found))
    return 1 if found else 0


def catches(files, check, expected):
    """True when CHECK(root) finds exactly the EXPECTED problems (each a
    prefix of one finding, in order) in a made-up tree of FILES
    ({path: text})."""
    with tempfile.TemporaryDirectory() as root:
        for path, body in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(body)
        found = check(root)
    return len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected))
