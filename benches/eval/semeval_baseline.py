#!/usr/bin/env python3
"""SemEval-2022 Task 8 dev, side by side: Pearson correlation with -overall of
`neardup pairs --measure story` and of the issue's reference, a TF-IDF character n-gram cosine
(scikit-learn, fitted on the file's documents; a few n-gram ranges, the best one reported), over
the same-language pairs that are not machine translated.

    python3 benches/eval/semeval_baseline.py [../shared/eval/semeval2022]

Needs numpy and scikit-learn.
"""
import json, os, subprocess, sys, tempfile
from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/semeval2022"
    docs_path = os.path.join(root, "docs.dev.jsonl")
    docs = {}
    for line in open(docs_path):
        d = json.loads(line)
        docs[d["id"]] = d
    pairs = [json.loads(l) for l in open(os.path.join(root, "pairs.dev.jsonl"))]
    pairs = [
        p for p in pairs
        if p["lang1"] == p["lang2"] and not p["translated"]
        and p["id1"] in docs and p["id2"] in docs
    ]
    gold = np.array([-p["overall"] for p in pairs])
    langs = [p["lang1"] for p in pairs]

    def report(name, sim):
        by_lang = defaultdict(list)
        for i, l in enumerate(langs):
            by_lang[l].append(i)
        per = ", ".join(
            f"{l} {np.corrcoef(sim[ix], gold[ix])[0, 1]:.3f}"
            for l, ix in sorted(by_lang.items()) if len(ix) >= 20
        )
        print(f"{name}: Pearson {np.corrcoef(sim, gold)[0, 1]:.4f} over {len(pairs)} pairs ({per})")

    ids = sorted(docs)
    index = {d: i for i, d in enumerate(ids)}
    best = None
    for lo, hi in ((2, 4), (3, 5), (4, 4), (5, 5)):
        X = TfidfVectorizer(analyzer="char_wb", ngram_range=(lo, hi), sublinear_tf=True).fit_transform(
            [docs[d]["text"] for d in ids])
        sim = np.array([X[index[p["id1"]]].multiply(X[index[p["id2"]]]).sum() for p in pairs])
        r = np.corrcoef(sim, gold)[0, 1]
        if best is None or r > best[0]:
            best = (r, (lo, hi), sim)
    report(f"TF-IDF char_wb {best[1][0]}-{best[1][1]}-gram cosine (best of four ranges)", best[2])

    with tempfile.TemporaryDirectory() as tmp:
        pairs_path = os.path.join(tmp, "pairs.jsonl")
        with open(pairs_path, "w") as f:
            for p in pairs:
                f.write(json.dumps({"id1": p["id1"], "id2": p["id2"]}) + "\n")
        out = subprocess.run(
            ["target/release/neardup", "pairs", "--pairs", pairs_path, "--docs", docs_path,
             "--measure", "story"],
            check=True, capture_output=True, text=True,
        ).stdout
    sim = np.array([json.loads(l)["similarity"] for l in out.splitlines()])
    report("neardup pairs --measure story", sim)


if __name__ == "__main__":
    main()
