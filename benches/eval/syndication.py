#!/usr/bin/env python3
"""Score `neardup dedup` over the whole SaudiNewsNet feed on the reader-labelled article pairs.

Runs the release binary over ../shared/eval/saudinewsnet/docs.jsonl with the given extra flags,
then looks up each pair of ../shared/eval/saudinewsnet/pairs.dev.jsonl: predicted duplicate when
both ids fall in one dedup group (as `score.py labelled` does). Prints precision, recall and F1
of the `duplicate` label, and with --show-errors each wrong pair: its label, the readers' note,
where its two articles went and the verified evidence of the pair when there is one, so that a
change to verification or grouping can be read pair by pair.

    python3 benches/eval/syndication.py [--show-errors] [-- extra neardup flags]
"""
import argparse, json, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL = os.path.join(ROOT, "..", "shared", "eval", "saudinewsnet")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default=os.path.join(EVAL, "docs.jsonl"))
    ap.add_argument("--labels", default=os.path.join(EVAL, "pairs.dev.jsonl"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "neardup"))
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("flags", nargs="*")
    a = ap.parse_args()
    labels = [json.loads(l) for l in open(a.labels, encoding="utf-8")]
    with tempfile.TemporaryDirectory() as tmp:
        gpath, ppath = os.path.join(tmp, "groups.jsonl"), os.path.join(tmp, "pairs.jsonl")
        cmd = [a.bin, "dedup", a.docs, "--groups", gpath, "--pairs", ppath, "-o", os.devnull]
        cmd += a.flags
        t = time.time()
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        secs = time.time() - t
        group = {}
        for line in open(gpath):
            g = json.loads(line)
            for m in g["members"]:
                group[m["id"]] = (g["group"], g["kept"], m["similarity"])
        pairs = {}
        for line in open(ppath):
            p = json.loads(line)
            pairs[frozenset((p["a"], p["b"]))] = p
    tp = fp = fn = 0
    errors = []
    for l in labels:
        ga, gb = group.get(l["id1"]), group.get(l["id2"])
        same = ga is not None and gb is not None and ga[0] == gb[0]
        dup = l["label"] == "duplicate"
        tp += same and dup
        fp += same and not dup
        fn += dup and not same
        if same != dup:
            errors.append((("FP" if same else "FN"), l, ga, gb, pairs.get(frozenset((l["id1"], l["id2"])))))
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"command: {' '.join(cmd[1:])}  ({secs:.2f} s)")
    print(f"precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}  tp {tp} fp {fp} fn {fn}")
    if a.show_errors:
        for kind, l, ga, gb, pair in errors:
            ev = ({k: pair[k] for k in ("jaccard", "containment", "shared_anchors")}
                  if pair else "not a verified pair")
            print(f"{kind} {l['pair_id']} {l['label']} c5={l['containment_c5']:.2f} "
                  f"groups {ga and ga[0]} / {gb and gb[0]}  {ev}\n   {l['notes'][0]}")


if __name__ == "__main__":
    sys.exit(main())
