"""What the tree checks (check_layers.py, check_fsops.py, check_owners.py)
share: each proves on a made-up tree that it can fail, then checks the real
one, prints each finding and a summary, and exits 1 on any finding."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(name, self_test, violations, summary):
    """SELF_TEST() -> bool; VIOLATIONS(root) -> [str];
    SUMMARY(root, found) -> the last line printed. Returns the exit status."""
    if not self_test():
        print(f"{name}: the self-test did not catch a planted problem", file=sys.stderr)
        return 1
    found = violations(ROOT)
    for v in found:
        print(v)
    print(summary(ROOT, found))
    return 1 if found else 0
