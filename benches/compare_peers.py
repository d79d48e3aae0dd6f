#!/usr/bin/env python3
"""Side-by-side comparison of `neardup dedup` with datasketch, rensa and gaoya.

Generates corpora with ../shared/bench/gen_corpus.py, runs neardup as a whole process
(word 5-gram shingles, 128 permutations, threshold 0.8: the peers' settings) and
../shared/bench/run_peers.sh on the same corpus in the same run, and prints per engine:
documents/s, documents per CPU-second, peak RSS, precision and recall of the reported pairs
against the corpus truth (exact word-5-gram Jaccard >= threshold), and neardup's ratios.

The corpus is read once before timing (every engine then finds it in the page cache), and each
neardup setting runs `--repeat` times, the thread counts taking turns (median wall time
reported). The peers' in-process phases
leave out reading and parsing the corpus, which neardup's whole-process figures include; their
`load` phase is that part, so the ratios are given both ways: against the peers' phases alone
(the conservative figure) and against phases plus load (like for like).

    python3 benches/compare_peers.py --sizes 10000 100000 [--work /tmp/neardup-bench]
        [--peers ds_batch rensa_r gaoya_native] [--threads 1 2] [--repeat 3]
        [--append benches/RESULTS.md]
"""
import argparse, datetime, json, os, platform, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "bench")


def timed(cmd, **kw):
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.time()
        p = subprocess.run(["/usr/bin/time", "-v", "-o", t.name] + cmd, capture_output=True, text=True, **kw)
        wall = time.time() - start
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
        v = t.read()
    g = lambda pat: float(re.search(pat, v).group(1))
    return p, {"wall_s": wall, "user_s": g(r"User time \(seconds\): ([\d.]+)"),
               "sys_s": g(r"System time \(seconds\): ([\d.]+)"),
               "max_rss_MB": g(r"Maximum resident set size \(kbytes\): (\d+)") / 1024}


def truth_pairs(path, n, thr):
    pos = set()
    with open(path) as f:
        next(f)
        for l in f:
            a, b, j5 = l.split("\t")[:3]
            a, b = int(a), int(b)
            if a < n and b < n and float(j5) >= thr:
                pos.add((min(a, b), max(a, b)))
    return pos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "neardup-bench"))
    ap.add_argument("--peers", nargs="*", default=["ds_batch", "rensa_r", "gaoya_native"])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="neardup runs per setting (median reported)")
    ap.add_argument("--threshold", type=float, default=0.8)
    # The peers' settings: word 5-grams over the whole text (the truth's Jaccard counts the
    # appended boilerplate lines too, so neardup keeps them: --no-boilerplate), 128 slots, 0.8.
    ap.add_argument("--flags",
                    default="--shingle word:5 --threshold 0.8 --num-perm 128 --no-containment --no-boilerplate",
                    help="neardup flags (the peers' settings by default)")
    ap.add_argument("--append", help="append the markdown table to this file")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    binary = os.path.join(ROOT, "target", "release", "neardup")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    venv = subprocess.run(["bash", os.path.join(SHARED, "setup.sh"), os.path.join(a.work, "venv")],
                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    py = os.path.join(venv, "bin", "python")
    rows = []
    for n in a.sizes:
        prefix = os.path.join(a.work, f"corpus{n}")
        if not os.path.exists(prefix + ".jsonl"):
            subprocess.run([py, os.path.join(SHARED, "gen_corpus.py"), "--n", str(n), "--out", prefix], check=True,
                           stdout=subprocess.DEVNULL)
        corpus = prefix + ".jsonl"
        pos = truth_pairs(prefix + ".truth.tsv", n, a.threshold)
        with open(corpus, "rb") as f:  # into the page cache, for every engine alike
            while f.read(1 << 24):
                pass
        # Thread counts take turns within each repeat, so that a slow spell of this shared
        # machine falls on all of them alike rather than on one block of runs.
        cmds = {t: [binary, "dedup", corpus, "--threads", str(t), "-o", os.devnull,
                    "--pairs", os.path.join(a.work, f"pairs{n}_{t}.jsonl"), "-q"] + a.flags.split()
                for t in a.threads}
        timings = {t: [] for t in a.threads}
        for _ in range(max(1, a.repeat)):
            for t in a.threads:
                timings[t].append(timed(cmds[t])[1])
        for t in a.threads:
            pairs_path = os.path.join(a.work, f"pairs{n}_{t}.jsonl")
            runs = sorted(timings[t], key=lambda m: m["wall_s"])
            m = runs[len(runs) // 2]
            found = set()
            for l in open(pairs_path):
                d = json.loads(l)
                x, y = int(d["a"]), int(d["b"])
                found.add((min(x, y), max(x, y)))
            tp = len(found & pos)
            rows.append({"n": n, "engine": f"neardup ({t} thread{'s' if t > 1 else ''})", "threads": t,
                         "docs_s": n / m["wall_s"], "docs_cpu_s": n / (m["user_s"] + m["sys_s"]),
                         "rss": m["max_rss_MB"], "precision": tp / len(found) if found else 1.0,
                         "recall": tp / len(pos) if pos else 1.0})
        if a.peers:
            p = subprocess.run(["bash", os.path.join(SHARED, "run_peers.sh"), corpus, str(a.threshold)] + a.peers,
                               capture_output=True, text=True)
            for line in p.stdout.splitlines():
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                cpu = sum(d.get("cpu", {}).get(k, 0) for k in ("shingle", "sig", "lsh", "verify"))
                load = d.get("cpu", {}).get("load", 0)
                ev = d.get("eval_verified", {})
                rows.append({"n": n, "engine": d.get("peer", "?"), "threads": 1,
                             "docs_s": d.get("full_docs_per_s") or 0,
                             "docs_cpu_s": n / cpu if cpu else 0,
                             "docs_cpu_s_load": n / (cpu + load) if cpu else 0, "rss": d.get("max_rss_MB", 0),
                             "precision": ev.get("precision") or 0, "recall": ev.get("recall") or 0})
    lines = [f"### Peer comparison, {datetime.date.today()} ({platform.machine()}, {os.cpu_count()} cores)", "",
             f"neardup flags: `{a.flags}`, median of {a.repeat} runs; peers: `run_peers.sh CORPUS {a.threshold}`. "
             "Peers' docs/s and docs/CPU-s count their in-process phases (shingle, signature, LSH, verify), "
             "not reading and parsing the corpus; the next column adds their load phase (reading and parsing), "
             "which neardup's whole-process figures include (reading, parsing, every pass, output). Ratios: "
             "neardup's 1-thread docs/CPU-s over the peer's, phases only / with load; for neardup's other "
             "thread counts, their wall-clock speed-up over one thread.", "",
             "| docs | engine | docs/s | docs/CPU-s | docs/CPU-s with load | peak RSS MB | precision | recall | neardup 1-thread ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    for n in a.sizes:
        ours = next((r for r in rows if r["n"] == n and r["threads"] == 1 and r["engine"].startswith("neardup")), None)
        for r in (r for r in rows if r["n"] == n):
            with_load = r.get("docs_cpu_s_load")
            if r is ours or not ours or not r["docs_cpu_s"]:
                ratio = ""
            elif r["engine"].startswith("neardup"):
                # Another thread count: its wall-clock speed-up over one thread.
                ratio = f"speed-up {r['docs_s'] / ours['docs_s']:.2f}x" if ours["docs_s"] else ""
            else:
                ratio = f"{ours['docs_cpu_s'] / r['docs_cpu_s']:.1f}x / {ours['docs_cpu_s'] / with_load:.1f}x"
            lines.append(f"| {n} | {r['engine']} | {r['docs_s']:.0f} | {r['docs_cpu_s']:.0f} | "
                         f"{f'{with_load:.0f}' if with_load else ''} | {r['rss']:.0f} | "
                         f"{r['precision']:.4f} | {r['recall']:.4f} | {ratio} |")
    out = "\n".join(lines) + "\n"
    print(out)
    json.dump(rows, open(os.path.join(a.work, "results.json"), "w"), indent=1, default=str)
    if a.append:
        with open(a.append, "a") as f:
            f.write("\n" + out)


if __name__ == "__main__":
    main()
