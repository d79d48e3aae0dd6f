#!/usr/bin/env python3
"""Story clustering on ECB+ dev, side by side: `neardup cluster` at its defaults against the
issue's reference method, scikit-learn TF-IDF with complete-linkage agglomerative clustering
(all pairs; computed with SciPy's equivalent), its settings and distance threshold tuned on the same file (so the reference gets
its best case here; neardup's defaults are not re-tuned by this script).

    python3 benches/eval/ecb_baseline.py [../shared/eval/ecbplus/dev.jsonl]

Needs numpy, scipy and scikit-learn. Prints B-cubed precision, recall, F1 and ARI for both.
"""
import json, subprocess, sys
from collections import defaultdict

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score


def bcubed(pred, truth):
    by_pred, by_truth = defaultdict(set), defaultdict(set)
    for i, (p, t) in enumerate(zip(pred, truth)):
        by_pred[p].add(i)
        by_truth[t].add(i)
    P = R = 0.0
    for i, (p, t) in enumerate(zip(pred, truth)):
        common = len(by_pred[p] & by_truth[t])
        P += common / len(by_pred[p])
        R += common / len(by_truth[t])
    P, R = P / len(pred), R / len(pred)
    return P, R, 2 * P * R / (P + R)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "../shared/eval/ecbplus/dev.jsonl"
    docs = [json.loads(l) for l in open(path)]
    truth = [d["cluster"] for d in docs]

    best = None
    for sublinear in (False, True):
        for stop in (None, "english"):
            for title in (False, True):
                texts = [(d.get("title", "") + "\n" if title else "") + d["text"] for d in docs]
                X = TfidfVectorizer(sublinear_tf=sublinear, stop_words=stop).fit_transform(texts)
                # The same merges as scikit-learn's AgglomerativeClustering(metric="cosine",
                # linkage="complete", distance_threshold=t), one tree for every threshold.
                tree = linkage(pdist(X.toarray(), "cosine"), "complete")
                for t in np.arange(0.70, 0.99, 0.01):
                    labels = fcluster(tree, t, criterion="distance")
                    b = bcubed(labels, truth)
                    row = (b[2], b, adjusted_rand_score(truth, labels), sublinear, stop, title, t)
                    if best is None or row[0] > best[0]:
                        best = row
    _, b, ari, sublinear, stop, title, t = best
    print(f"TF-IDF + complete linkage, best on this file (sublinear_tf={sublinear}, "
          f"stop_words={stop}, title={title}, distance {t:.2f}): "
          f"B-cubed P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f}, ARI {ari:.4f}")

    out = subprocess.run(
        ["target/release/neardup", "cluster", path],
        check=True, capture_output=True, text=True,
    ).stdout
    story = {}
    for line in out.splitlines():
        s = json.loads(line)
        for m in s["members"]:
            story[m] = s["story"]
    labels = [story[d["id"]] for d in docs]
    b = bcubed(labels, truth)
    print(f"neardup cluster (defaults): B-cubed P {b[0]:.4f} R {b[1]:.4f} F1 {b[2]:.4f}, "
          f"ARI {adjusted_rand_score(truth, labels):.4f}")


if __name__ == "__main__":
    main()
