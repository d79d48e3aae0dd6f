#!/usr/bin/env python3
"""Trains the paraphrase model of `neardup pairs --measure passage` (src/passages.rs,
PARAPHRASE_MODEL): logistic regression over the features neardup computes for each pair.

    target/release/neardup pairs --pairs ../shared/eval/msrp/pairs.train.jsonl \\
        --measure passage --emit-features -o /tmp/msrp_features.jsonl
    python3 benches/eval/train_paraphrase.py /tmp/msrp_features.jsonl ../shared/eval/msrp/pairs.train.jsonl

Prints 5-fold cross-validated accuracy and F1 on the training split, then the constants
(standardisation folded into the weights) to paste into src/passages.rs.
"""
import json, math, random, sys


def load(features_path, pairs_path, label="paraphrase"):
    X = [json.loads(l)["features"] for l in open(features_path)]
    y = [1.0 if json.loads(l)[label] else 0.0 for l in open(pairs_path)]
    return X, y


def train(X, y, l2=1e-3, epochs=400, lr=0.5):
    d = len(X[0])
    mu = [sum(r[j] for r in X) / len(X) for j in range(d)]
    sd = [max(1e-9, math.sqrt(sum((r[j] - mu[j]) ** 2 for r in X) / len(X))) for j in range(d)]
    Z = [[(r[j] - mu[j]) / sd[j] for j in range(d)] for r in X]
    w = [0.0] * d
    b = 0.0
    n = len(Z)
    for _ in range(epochs):
        gw = [0.0] * d
        gb = 0.0
        for z, t in zip(Z, y):
            p = 1 / (1 + math.exp(-(b + sum(wi * zi for wi, zi in zip(w, z)))))
            e = p - t
            gb += e
            for j in range(d):
                gw[j] += e * z[j]
        b -= lr * gb / n
        w = [wi - lr * (g / n + l2 * wi) for wi, g in zip(w, gw)]
    # Fold the standardisation into raw-feature weights.
    raw_w = [w[j] / sd[j] for j in range(d)]
    raw_b = b - sum(w[j] * mu[j] / sd[j] for j in range(d))
    return raw_w, raw_b


def score(X, y, w, b, thr=0.5):
    tp = fp = fn = tn = 0
    for r, t in zip(X, y):
        p = 1 / (1 + math.exp(-(b + sum(wi * xi for wi, xi in zip(w, r)))))
        d = p >= thr
        tp += d and t == 1
        fp += d and t == 0
        fn += (not d) and t == 1
        tn += (not d) and t == 0
    acc = (tp + tn) / len(y)
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    return acc, 2 * prec * rec / max(1e-9, prec + rec)


def main():
    X, y = load(sys.argv[1], sys.argv[2])
    idx = list(range(len(X)))
    random.Random(1).shuffle(idx)
    folds = [idx[k::5] for k in range(5)]
    accs, f1s = [], []
    for k in range(5):
        test = set(folds[k])
        tr = [i for i in idx if i not in test]
        w, b = train([X[i] for i in tr], [y[i] for i in tr])
        a, f = score([X[i] for i in folds[k]], [y[i] for i in folds[k]], w, b)
        accs.append(a)
        f1s.append(f)
    print(f"5-fold CV on the training split: accuracy {sum(accs) / 5:.4f}, F1 {sum(f1s) / 5:.4f}")
    w, b = train(X, y)
    a, f = score(X, y, w, b)
    print(f"trained on all {len(X)} pairs: accuracy {a:.4f}, F1 {f:.4f}")
    print("weights: [" + ", ".join(f"{x:.6}" for x in w) + f"], bias: {b:.6}")


if __name__ == "__main__":
    main()
