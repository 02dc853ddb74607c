#!/usr/bin/env python3
"""Compare two s3cors results files case for case: same case ids, same outcome, same failing
step. Used by CI to prove that a container run gives the same outcomes as the endpoint run of
the same server version.

    scripts/images/compare-outcomes.py A/results.json B/results.json [TARGET_A [TARGET_B]]

Each file's first target is used unless a target name is given. Exit 0 when identical,
1 when any case differs (each difference is printed), 2 on unreadable input.
"""
import json
import sys


def load(path, name):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)
    targets = data.get("targets") or []
    if name:
        targets = [t for t in targets if t.get("info", {}).get("name") == name]
    if not targets:
        print(f"{path}: no target {name or ''} in the results", file=sys.stderr)
        sys.exit(2)
    t = targets[0]
    if t.get("unavailable"):
        print(f"{path}: target {t['info'].get('name')} was unavailable: {t['unavailable']}", file=sys.stderr)
        sys.exit(2)
    cases = {c["case"]: (c.get("outcome"), c.get("failed_step")) for c in t.get("cases", [])}
    return t["info"], cases


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    names = sys.argv[3:5] + [None, None]
    info_a, a = load(sys.argv[1], names[0])
    info_b, b = load(sys.argv[2], names[1])
    diffs = []
    for case in sorted(set(a) | set(b)):
        if case not in a or case not in b:
            diffs.append(f"{case}: only in {'A' if case in a else 'B'}")
        elif a[case] != b[case]:
            diffs.append(f"{case}: A {a[case][0]} (step {a[case][1]}) / B {b[case][0]} (step {b[case][1]})")
    errors = sum(1 for o, _ in list(a.values()) + list(b.values()) if o == "error")
    print(f"A: {info_a.get('name')} {info_a.get('version')} ({len(a)} cases)")
    print(f"B: {info_b.get('name')} {info_b.get('version')} ({len(b)} cases)")
    for d in diffs:
        print("  differs: " + d)
    if diffs:
        print(f"{len(diffs)} case(s) differ")
        sys.exit(1)
    print(f"identical outcomes for all {len(a)} cases ({errors} harness errors on either side)")
    sys.exit(0)


main()
