#!/usr/bin/env python3
"""Leave-one-task-out cross-validation of the long-text threshold of `neardup pairs --measure
passage` (soft Dice, PAIR_THRESHOLD in src/passages.rs) on the Clough and Stevenson dev answers:
for each task, the threshold with the best accuracy on the other tasks scores the held-out one.

    target/release/neardup pairs --pairs ../shared/eval/clough/pairs.dev.jsonl \\
        --docs ../shared/eval/clough/docs.dev.jsonl --measure passage --emit-features -o /tmp/clough.jsonl
    python3 benches/eval/clough_loto.py /tmp/clough.jsonl ../shared/eval/clough/pairs.dev.jsonl
"""
import json, sys

out = [json.loads(l) for l in open(sys.argv[1])]
labels = [json.loads(l) for l in open(sys.argv[2])]
rows = [(o["features"][0], bool(l["plagiarised"]), l["group"]) for o, l in zip(out, labels)]


def acc(rs, t):
    return sum((s >= t) == y for s, y, _ in rs) / max(1, len(rs))


def best(rs):
    cands = sorted({s for s, _, _ in rs})
    mids = [(a + b) / 2 for a, b in zip(cands, cands[1:])] or cands
    top = max(acc(rs, t) for t in mids)
    plateau = [t for t in mids if acc(rs, t) == top]
    return plateau[len(plateau) // 2]


right = n = 0
for g in sorted({r[2] for r in rows}):
    train = [r for r in rows if r[2] != g]
    test = [r for r in rows if r[2] == g]
    t = best(train)
    a = acc(test, t)
    right += a * len(test)
    n += len(test)
    print(f"held out {g}: threshold {t:.3f} (chosen on the other tasks), accuracy {a:.4f} ({len(test)} pairs)")
print(f"leave-one-task-out accuracy {right / n:.4f}; threshold on all tasks {best(rows):.3f}")
