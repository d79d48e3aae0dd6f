#!/usr/bin/env python3
"""Per-pair text features of the reader-labelled SaudiNewsNet pairs, to test an idea for
separating duplicates from same-story text reuse before building it into `dedup`.

For each pair of ../shared/eval/saudinewsnet/pairs.dev.jsonl it prints the label, the word
3-gram containment of the shorter article in the longer (c3) and of the longer in the shorter
(c3b), the length ratio, the title word Jaccard, the publication gap in hours and the number
slots: a number of one article whose neighbouring words (previous and next, together) occur
around a number in the other agrees when the number is the same and conflicts when it is not
(`agree`, `conflict`, both directions summed), and the sentence coverage: the share of the
shorter article's words in sentences (of four words or more, words of three letters or more)
whose best sentence of the longer article has word Dice >= 0.5 (`cover`). With --reprints it also counts the reprint pairs
of ../shared/eval/reprints/dev.jsonl that a rule "no agreeing slot and at least one conflict"
would cut, the cost of that rule on the near-duplicate set.

    python3 benches/eval/syndication_features.py [--reprints]

The normalization here is a light approximation of neardup's (digits folded, hamza forms,
ta marbuta, alef maqsura, harakat, tatweel); it is for analysis only.
"""
import argparse, collections, itertools, json, os, re, sys
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL = os.path.join(ROOT, "..", "shared", "eval")
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")


def norm(t):
    t = t.translate(DIGITS)
    t = re.sub("[\u064b-\u0652\u0640]", "", t)
    t = re.sub("[أإآ]", "ا", t).replace("ة", "ه").replace("ى", "ي")
    return re.sub(r"(?<=\d),(?=\d)", ".", t).lower()


def tokens(t):
    return re.findall(r"\d+(?:\.\d+)?|[^\W\d_]+", norm(t))


def grams(w, n):
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def number_slots(a, b):
    """(agree, conflict) of the numbers of `a` against the number slots of `b`."""
    def occurrences(w):
        return [(w[i - 1] if i else "^", w[i + 1] if i + 1 < len(w) else "$", x)
                for i, x in enumerate(w) if x[0].isdigit()]
    both, left, right = (collections.defaultdict(set) for _ in range(3))
    for p, n, x in occurrences(tokens(b)):
        both[(p, n)].add(x)
        left[p].add(x)
        right[n].add(x)
    agree = conflict = 0
    for p, n, x in occurrences(tokens(a)):
        if (p, n) in both:
            agree += x in both[(p, n)]
            conflict += x not in both[(p, n)]
        elif x in left.get(p, ()) or x in right.get(n, ()):
            agree += 1
    return agree, conflict


def sentences(t):
    out = []
    for s in re.split(r"[.!?\u061f\n]+", t):
        w = {x for x in tokens(s) if len(x) > 2}
        if len(w) >= 4:
            out.append(w)
    return out


def coverage(short, long, dice=0.5):
    """Share of `short`'s sentence words in sentences that match one of `long`'s."""
    sa, sb = sentences(short), sentences(long)
    if not sa or not sb:
        return 0.0
    got = sum(len(s) for s in sa
              if max(2 * len(s & t) / (len(s) + len(t)) for t in sb) >= dice)
    return got / sum(len(s) for s in sa)


def slots_both_ways(a, b):
    (a1, c1), (a2, c2) = number_slots(a, b), number_slots(b, a)
    return a1 + a2, c1 + c2


def hours(a, b):
    try:
        d = datetime.fromisoformat(a) - datetime.fromisoformat(b)
        return abs(d.total_seconds()) / 3600
    except (TypeError, ValueError):
        return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default=os.path.join(EVAL, "saudinewsnet", "docs.jsonl"))
    ap.add_argument("--labels", default=os.path.join(EVAL, "saudinewsnet", "pairs.dev.jsonl"))
    ap.add_argument("--reprints", action="store_true")
    a = ap.parse_args()
    labels = [json.loads(l) for l in open(a.labels, encoding="utf-8")]
    need = {x for l in labels for x in (l["id1"], l["id2"])}
    docs = {}
    for line in open(a.docs, encoding="utf-8"):
        d = json.loads(line)
        if d["id"] in need:
            docs[d["id"]] = d
    missing = need - docs.keys()
    if missing:
        sys.exit(f"{a.docs}: {len(missing)} labelled ids not in the feed, e.g. {sorted(missing)[0]}")
    print("pair label c3 c3b len_ratio title_j gap_h agree conflict cover")
    for l in sorted(labels, key=lambda l: l["label"]):
        x, y = docs[l["id1"]], docs[l["id2"]]
        wx, wy = tokens(x["text"]), tokens(y["text"])
        if len(wx) > len(wy):
            x, y, wx, wy = y, x, wy, wx
        gx, gy = grams(wx, 3), grams(wy, 3)
        inter = len(gx & gy)
        tx, ty = set(tokens(x.get("title", ""))), set(tokens(y.get("title", "")))
        agree, conflict = slots_both_ways(x["text"], y["text"])
        print(f"{l['pair_id']} {l['label']} {inter / max(1, len(gx)):.2f} "
              f"{inter / max(1, len(gy)):.2f} {len(wx) / max(1, len(wy)):.2f} "
              f"{len(tx & ty) / max(1, len(tx | ty)):.2f} "
              f"{hours(x.get('date_extracted'), y.get('date_extracted')):.1f} {agree} {conflict} "
              f"{coverage(x['text'], y['text']):.2f}")
    if a.reprints:
        groups = collections.defaultdict(list)
        for line in open(os.path.join(EVAL, "reprints", "dev.jsonl"), encoding="utf-8"):
            d = json.loads(line)
            groups[d["group"]].append(d["text"])
        total = cut = 0
        for texts in groups.values():
            for p, q in itertools.combinations(texts, 2):
                total += 1
                agree, conflict = slots_both_ways(p, q)
                cut += agree == 0 and conflict > 0
        print(f"reprints dev: {cut} of {total} reprint pairs have no agreeing slot and a conflict")


if __name__ == "__main__":
    sys.exit(main())
