#!/usr/bin/env python3
"""Score `neardup dedup` on a labelled near-duplicate set (../shared/eval/reprints/dev.jsonl).

Runs the release binary with the given extra flags, reads its --groups output and reports
pairwise precision, recall and F1 against the `group` field, plus the recall of reprint-to-source
pairs per edit level.

    python3 benches/eval/reprints.py [--data PATH] [-- extra neardup flags]
"""
import argparse, itertools, json, os, subprocess, sys, tempfile, time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pairs_of(groups):
    out = set()
    for members in groups:
        for a, b in itertools.combinations(sorted(members), 2):
            out.add((a, b))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "eval", "reprints", "dev.jsonl"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "neardup"))
    ap.add_argument("--show-errors", type=int, default=0)
    ap.add_argument("flags", nargs="*")
    a = ap.parse_args()
    docs = [json.loads(l) for l in open(a.data, encoding="utf-8")]
    by_id = {d["id"]: d for d in docs}
    truth = defaultdict(list)
    for d in docs:
        truth[d["group"]].append(d["id"])
    true_pairs = pairs_of(truth.values())
    with tempfile.TemporaryDirectory() as tmp:
        gpath = os.path.join(tmp, "groups.jsonl")
        cmd = [a.bin, "dedup", a.data, "--groups", gpath, "-o", os.devnull] + a.flags
        t = time.time()
        subprocess.run(cmd, check=True)
        secs = time.time() - t
        groups = [[m["id"] for m in json.loads(l)["members"]] for l in open(gpath)]
    found = pairs_of(groups)
    tp = len(found & true_pairs)
    p = tp / len(found) if found else 1.0
    r = tp / len(true_pairs)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"command: {' '.join(cmd[1:])}")
    print(f"docs {len(docs)}  true pairs {len(true_pairs)}  found {len(found)}  seconds {secs:.2f}")
    print(f"pairwise precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}")
    level = defaultdict(lambda: [0, 0])
    for d in docs:
        if d.get("kind") == "reprint":
            src = d["group"]
            key = tuple(sorted((d["id"], src)))
            if src in by_id:
                level[d["level"]][1] += 1
                level[d["level"]][0] += key in found
    for lv in ("light", "moderate", "heavy"):
        h, n = level[lv]
        if n:
            print(f"  recall {lv:9s} {h / n:.4f}  ({h}/{n})")
    if a.show_errors:
        fps = sorted(found - true_pairs)[: a.show_errors]
        fns = sorted(true_pairs - found)[: a.show_errors]
        for kind, lst in (("FALSE POSITIVE", fps), ("FALSE NEGATIVE", fns)):
            for x, y in lst:
                print(f"== {kind} {x} | {y}")
                for i in (x, y):
                    print("   ", by_id[i]["text"][:300].replace("\n", " / "))


if __name__ == "__main__":
    main()
