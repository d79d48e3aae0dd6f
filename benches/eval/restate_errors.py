#!/usr/bin/env python3
"""The errors of `neardup passages --scope corpus` on ar-restate, each with its evidence.

    cargo build --release --example restate_diagnose
    target/release/examples/restate_diagnose ../shared/eval/saudinewsnet/docs.jsonl \\
        ../shared/eval/ar-restate/dev.jsonl > /tmp/diag.jsonl
    neardup passages ../shared/eval/saudinewsnet/docs.jsonl --scope corpus -o /tmp/p.jsonl
    python3 benches/eval/restate_errors.py ../shared/eval/ar-restate/dev.jsonl /tmp/diag.jsonl /tmp/p.jsonl \\
        [THRESHOLD]

THRESHOLD is the model's (RESTATE_MODEL.threshold, the default of --min-similarity); without it
a miss the model scored below threshold is not told apart from one lost in merging.

A labelled pair is reported as `score.py restate` decides (one restated record covers at least
half of each unit's bytes). Each miss gets the first reason that explains it: the pipeline's
units for the labelled spans are too short (fewer than 5 content terms), inside one article
they are adjacent (never compared), across articles they share no term
under the posting cap (never a candidate), the exact weighted Dice is under half the first cut,
the soft Dice under the first cut, the model's probability under its threshold, or else (the
pair scored above threshold but the record's span did not cover the labelled units: merging,
windows). False positives are printed with the record that reported them and the evidence.
"""
import json, sys
from collections import Counter, defaultdict

THRESHOLD, MIN_TERMS = 0.3, 5
# Across documents, the exact Dice a candidate must reach (PassageParams::across_dice).
ACROSS_DICE = 0.25


def main():
    labels = {json.loads(l)["pair_id"]: json.loads(l) for l in open(sys.argv[1])}
    diag = {json.loads(l)["pair_id"]: json.loads(l) for l in open(sys.argv[2])}
    threshold = float(sys.argv[4]) if len(sys.argv) > 4 else None
    docs = {l["doc_a"] for l in labels.values()} | {l["doc_b"] for l in labels.values()}
    recs = defaultdict(list)
    for line in open(sys.argv[3], encoding="utf-8"):
        if '"restated"' not in line:
            continue
        r = json.loads(line)
        a, b = r["a"], r["b"]
        if str(a["doc"]) in docs and str(b["doc"]) in docs:
            recs[(str(a["doc"]), str(b["doc"]))].append((a, b, r))
            recs[(str(b["doc"]), str(a["doc"]))].append((b, a, r))

    def covers(p, unit):
        return min(p["end"], unit[1]) - max(p["start"], unit[0]) >= (unit[1] - unit[0]) / 2

    def reported(l):
        for sa, sb, r in recs.get((l["doc_a"], l["doc_b"]), []):
            if covers(sa, l["a"]) and covers(sb, l["b"]):
                return r
            if l["doc_a"] == l["doc_b"] and covers(sa, l["b"]) and covers(sb, l["a"]):
                return r
        return None

    def touching(l):
        """Records linking the two documents whose spans overlap both units at all."""
        def ov(p, u):
            return min(p["end"], u[1]) > max(p["start"], u[0])
        return [r for sa, sb, r in recs.get((l["doc_a"], l["doc_b"]), [])
                if ov(sa, l["a"]) and ov(sb, l["b"])]

    def why_missed(l, d):
        if min(d["terms_a"], d["terms_b"]) < MIN_TERMS:
            return "too few terms"
        if l["doc_a"] == l["doc_b"]:
            if abs(d["unit_a"] - d["unit_b"]) < 2:
                return "adjacent units (in-article pairs skip the next unit)"
        elif not d["shares_indexed"]:
            return "no shared term under the posting cap"
        if d["exact_dice"] < (THRESHOLD / 2 if l["doc_a"] == l["doc_b"] else ACROSS_DICE):
            return "exact Dice under the candidate cut"
        if d["soft_dice"] < THRESHOLD:
            return "soft Dice under the first cut"
        if threshold is not None and d["probability"] < threshold:
            return "model probability under threshold"
        if touching(l):
            return "reported, but the record's span does not cover the labelled units"
        return "scored above threshold on the units, not reported (window, merge or boilerplate)"

    def show(l, d, r):
        e = d["evidence"]
        print(f"  A [{l['a'][0]}..{l['a'][1]}] {l['text_a']}")
        print(f"  B [{l['b'][0]}..{l['b'][1]}] {l['text_b']}")
        if d["unit_text_a"] != l["text_a"] or d["unit_text_b"] != l["text_b"]:
            print(f"  units: A {d['units_a'][:3]} B {d['units_b'][:3]}")
        print(f"  exact dice {d['exact_dice']:.3f} soft dice {d['soft_dice']:.3f} "
              f"p {d['probability']:.3f} cov {e['coverage_a']:.2f}/{e['coverage_b']:.2f} "
              f"terms {e['terms_a']}/{e['terms_b']} matched {e['matched_terms']} "
              f"(exact {e['exact_terms']}) numbers shared {e['shared_numbers']} "
              f"disagree {e['numbers_disagree']} unmatched {e['unmatched_min']}/{e['unmatched_max']}")
        print("  aligned: " + " ".join(f"{x['a']}" + ("" if x["exact"] else f"~{x['b']}")
                                        for x in d["aligned"]))
        if r is not None:
            print(f"  record: a {r['a']} b {r['b']} similarity {r['similarity']} match {r['match']}")
        print(f"  notes: {' | '.join(l.get('notes') or [])}")

    reasons = Counter()
    counts = Counter()
    for pid in sorted(labels):
        l, d = labels[pid], diag.get(pid)
        if l["label"] == "partial" or d is None:
            continue
        r = reported(l)
        truth = l["label"] == "restated"
        counts[(l["kind"], truth, r is not None)] += 1
        if truth and r is None:
            why = why_missed(l, d)
            reasons[(l["kind"], "miss", why)] += 1
            print(f"MISS {pid} ({l['kind']}): {why}")
            show(l, d, None)
        elif not truth and r is not None:
            reasons[(l["kind"], "false positive", "")] += 1
            print(f"FALSE POSITIVE {pid} ({l['kind']})")
            show(l, d, r)
    print()
    for (kind, what, why), n in sorted(reasons.items()):
        print(f"{n:3d}  {kind:6s} {what}{': ' + why if why else ''}")
    for kind in ("within", "cross"):
        tp, fp = counts[(kind, True, True)], counts[(kind, False, True)]
        fn = counts[(kind, True, False)]
        print(f"{kind}: tp {tp} fp {fp} fn {fn}")


if __name__ == "__main__":
    main()
