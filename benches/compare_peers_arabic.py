#!/usr/bin/env python3
"""neardup against gaoya on Arabic (SaudiNewsNet) and English (the generated peer corpus), one
thread, in one run, and MB per CPU-second per language.

For each corpus and each of `--repeat` rounds, gaoya (../shared/bench/run_peers.sh CORPUS 0.8
gaoya_native) and four neardup runs take turns: the peers' settings (word:5, 128 slots, 0.8,
no containment, no boilerplate) and neardup's defaults, each with the vector paths and with
NEARDUP_PORTABLE=1 (the portable paths: what a processor without AVX-512 runs). neardup's CPU
is the whole process (user + system: reading, parsing, every pass, output); gaoya's is its
in-process phases plus its load phase (reading and parsing; the like-for-like figure), and its
whole Python process besides. Medians over the rounds; ratios are neardup CPU over gaoya CPU
(phases plus load), lower is better.

    python3 benches/compare_peers_arabic.py [--arabic /tmp/neardup-data/snn_int.jsonl]
        [--english-n 10000] [--repeat 3] [--work /tmp/neardup-bench] [--append benches/RESULTS.md]

The Arabic corpus is SaudiNewsNet with integer ids (the peers need them); it is read at run time
from the shared evaluation data, never committed.
"""
import argparse, datetime, json, os, platform, re, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "bench")
PEERS_FLAGS = "--shingle word:5 --threshold 0.8 --num-perm 128 --no-containment --no-boilerplate"


def cpu_of(cmd, env=None):
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", t.name] + cmd, capture_output=True, text=True,
                           env=env)
        if p.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
        v = t.read()
    g = lambda pat: float(re.search(pat, v).group(1))
    return g(r"User time \(seconds\): ([\d.]+)") + g(r"System time \(seconds\): ([\d.]+)")


def gaoya(corpus):
    p = subprocess.run(["bash", os.path.join(SHARED, "run_peers.sh"), corpus, "0.8", "gaoya_native"],
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        c = d.get("cpu", {})
        return sum(c.get(k, 0) for k in ("load", "shingle", "sig", "lsh", "verify")), d["user_s"] + d["sys_s"]
    sys.exit(f"gaoya gave no result on {corpus}:\n{p.stderr}")


def cpu_features():
    flags = open("/proc/cpuinfo").read().split("flags", 1)[1].split("\n", 1)[0]
    have = [f for f in ("avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512vbmi", "avx512_vbmi2") if f" {f}" in flags]
    model = re.search(r"model name\s*: (.*)", open("/proc/cpuinfo").read())
    return (model.group(1).strip() if model else platform.machine()), have


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arabic", default="/tmp/neardup-data/snn_int.jsonl")
    ap.add_argument("--english-n", type=int, default=10000)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "neardup-bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--append", help="append the markdown table to this file")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    binary = os.path.join(ROOT, "target", "release", "neardup")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    venv = subprocess.run(["bash", os.path.join(SHARED, "setup.sh"), os.path.join(a.work, "venv")],
                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    english = os.path.join(a.work, f"corpus{a.english_n}")
    if not os.path.exists(english + ".jsonl"):
        subprocess.run([os.path.join(venv, "bin", "python"), os.path.join(SHARED, "gen_corpus.py"),
                        "--n", str(a.english_n), "--out", english], check=True, stdout=subprocess.DEVNULL)
    corpora = [("Arabic (SaudiNewsNet)", a.arabic), (f"English ({a.english_n} generated)", english + ".jsonl")]
    settings = [("peers' settings", PEERS_FLAGS.split()), ("defaults", [])]
    rows = []
    for lang, corpus in corpora:
        with open(corpus, "rb") as f:  # into the page cache, for every engine alike
            mb = sum(len(b) for b in iter(lambda: f.read(1 << 24), b"")) / 1e6
        docs = sum(1 for _ in open(corpus, "rb"))
        runs = {}
        for _ in range(max(1, a.repeat)):
            phases, whole = gaoya(corpus)
            runs.setdefault(("gaoya", "phases+load"), []).append(phases)
            runs.setdefault(("gaoya", "whole process"), []).append(whole)
            for name, flags in settings:
                for portable in ("0", "1"):
                    env = dict(os.environ, NEARDUP_PORTABLE=portable)
                    cmd = [binary, "dedup", corpus, "--threads", "1", "-o", os.devnull, "-q"] + flags
                    path = "portable" if portable == "1" else "vector"
                    runs.setdefault((f"neardup, {name}", path), []).append(cpu_of(cmd, env))
        base = statistics.median(runs[("gaoya", "phases+load")])
        for (engine, path), cpus in runs.items():
            c = statistics.median(cpus)
            rows.append({"lang": lang, "MB": mb, "docs": docs, "engine": engine, "path": path, "cpu_s": c,
                         "MB_cpu_s": mb / c, "docs_cpu_s": docs / c, "ratio": c / base,
                         "runs": cpus})
    model, feats = cpu_features()
    lines = [f"### neardup and gaoya on Arabic and English, one thread, {datetime.date.today()}", "",
             f"{model}, {os.cpu_count()} cores; CPU features present: {', '.join(feats)}. neardup's "
             "vector paths use AVX-512 (F, BW, DQ, VL, VBMI, VBMI2) where present; `portable` is "
             "`NEARDUP_PORTABLE=1` (no vector path: what an AVX2-only machine runs). Median of "
             f"{a.repeat} rounds, engines taking turns. CPU-s: neardup whole process; gaoya phases "
             "plus load (and its whole Python process). Ratio: CPU over gaoya's phases plus load.", "",
             "| corpus | MB | engine | path | CPU-s | MB/CPU-s | docs/CPU-s | CPU / gaoya |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['lang']} | {r['MB']:.1f} | {r['engine']} | {r['path']} | {r['cpu_s']:.2f} | "
                     f"{r['MB_cpu_s']:.1f} | {r['docs_cpu_s']:.0f} | {r['ratio']:.2f} |")
    out = "\n".join(lines) + "\n"
    print(out)
    json.dump(rows, open(os.path.join(a.work, "results_arabic.json"), "w"), indent=1)
    if a.append:
        with open(a.append, "a") as f:
            f.write("\n" + out)


if __name__ == "__main__":
    main()
