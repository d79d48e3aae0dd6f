#!/usr/bin/env python3
"""The Python API against datasketch, rensa and the CLI, in one process, in the same run.

Run it with a Python that has neardup (the wheel of ./python), datasketch and rensa installed:
a copy of the peers' virtual environment (/work/shared/bench/setup.sh makes
/tmp/neardup-peers; install the wheel into a copy, not into it):

    RAYON_NUM_THREADS=1 python python/bench/bench_peers.py --corpus /tmp/x/corpus100000.jsonl \
        [--repeat 3] [--cli target/release/neardup] [--datasketch-limit 0]

Every engine works on the peers' settings: word 5-grams of the lower-cased whitespace tokens
(the peers, shingled in Python as /work/shared/bench/peers.py does) or neardup's normalized
words (`shingle="word:5"`), 128 slots, threshold 0.8, no containment route, no boilerplate
removal, 16 bands of 8 rows for the peers (neardup derives its own banding).

Timed per engine, alternating (the machine is shared and noisy; medians of `--repeat`):
  * neardup API: `neardup.dedup(texts, ...)` on the texts already in memory (a list of str);
  * neardup API + load: the same plus reading the JSON lines in Python (json.loads per line);
  * neardup API + read_texts: `neardup.dedup(neardup.read_texts(CORPUS), ...)`, the file read
    by the engine's reader into Python strings, then deduplicated (like for like with the CLI);
  * CLI: `neardup dedup CORPUS --threads N ...` as a child process (whole process: reading,
    parsing, every pass, writing groups), CPU from getrusage(RUSAGE_CHILDREN);
  * rensa (RMinHash, RMinHashLSH) and datasketch (MinHash.bulk, MinHashLSH): shingling,
    signatures, LSH and verification, as peers.py times them (their load excluded).
CPU time is `time.process_time()` (every thread of this process) or the child's user + sys.
The API's groups are checked against the CLI's `--groups` output: they must be the same.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import neardup

NUM_PERM = 128
THRESHOLD = 0.8
BANDS = (16, 8)
API_KW = dict(shingle="word:5", threshold=THRESHOLD, num_perm=NUM_PERM, containment=None, boilerplate=False)
CLI_FLAGS = ["--shingle", "word:5", "--threshold", "0.8", "--num-perm", "128", "--no-containment", "--no-boilerplate"]


def shingle5(text):
    t = text.lower().split()
    return [" ".join(t[i:i + 5]) for i in range(len(t) - 4)] or [" ".join(t)]


def load(path):
    with open(path) as f:
        return [json.loads(line)["text"] for line in f]


def cpu_wall(f):
    c, t = time.process_time(), time.perf_counter()
    out = f()
    return out, time.process_time() - c, time.perf_counter() - t


def verified_pairs(cands, est, thr):
    cand = set()
    for i, lst in enumerate(cands):
        for j in lst:
            j = int(j)
            if j != i:
                cand.add((i, j) if i < j else (j, i))
    return {p for p in cand if est(*p) >= thr}


def run_rensa(texts):
    import rensa

    sh = [shingle5(x) for x in texts]
    mhs = rensa.RMinHash.from_token_sets(sh, NUM_PERM, 42)
    lsh = rensa.RMinHashLSH(THRESHOLD, NUM_PERM, BANDS[0])
    lsh.insert_many(mhs)
    cands = lsh.query_all(mhs)
    return len(verified_pairs(cands, lambda i, j: mhs[i].jaccard(mhs[j]), THRESHOLD))


def run_datasketch(texts):
    from datasketch import MinHash, MinHashLSH

    sh = [[s.encode() for s in shingle5(x)] for x in texts]
    mhs = MinHash.bulk(sh, num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=BANDS)
    with lsh.insertion_session() as s:
        for i, m in enumerate(mhs):
            s.insert(i, m, check_duplication=False)
    cands = [lsh.query(m) for m in mhs]
    return len(verified_pairs(cands, lambda i, j: mhs[i].jaccard(mhs[j]), THRESHOLD))


def run_cli(cli, corpus, threads, groups_path):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([cli, "dedup", corpus, "--threads", str(threads), "-o", os.devnull, "--groups", groups_path, "-q"]
                   + CLI_FLAGS, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cli", default=os.path.join(os.path.dirname(__file__), "..", "..", "target", "release", "neardup"))
    ap.add_argument("--peers", nargs="*", default=["rensa", "datasketch"])
    ap.add_argument("--datasketch-limit", type=int, default=0, help="documents for datasketch (0: all), run once")
    a = ap.parse_args()
    threads = int(os.environ.get("RAYON_NUM_THREADS", "0") or 0) or os.cpu_count()

    texts, load_cpu, load_wall = cpu_wall(lambda: load(a.corpus))
    n = len(texts)
    mb = sum(len(x.encode()) for x in texts) / 1e6
    runs = {"api": [], "api_load": [], "api_read": [], "cli": [], "rensa": []}
    groups_path = os.path.join(tempfile.mkdtemp(prefix="neardup-bench-"), "groups.jsonl")
    api_groups = None
    for _ in range(max(1, a.repeat)):
        groups, cpu, wall = cpu_wall(lambda: neardup.dedup(texts, **API_KW))
        runs["api"].append((cpu, wall))
        api_groups = groups
        del groups
        _, cpu, wall = cpu_wall(lambda: neardup.dedup(load(a.corpus), **API_KW))
        runs["api_load"].append((cpu, wall))
        _, cpu, wall = cpu_wall(lambda: neardup.dedup(neardup.read_texts(a.corpus), **API_KW))
        runs["api_read"].append((cpu, wall))
        runs["cli"].append(run_cli(a.cli, a.corpus, threads, groups_path))
        if "rensa" in a.peers:
            _, cpu, wall = cpu_wall(lambda: run_rensa(texts))
            runs["rensa"].append((cpu, wall))
    if "datasketch" in a.peers:
        sub = texts[: a.datasketch_limit] if a.datasketch_limit else texts
        _, cpu, wall = cpu_wall(lambda: run_datasketch(sub))
        runs["datasketch"] = [(cpu, wall)]
        ds_n = len(sub)

    # The API's groups are the CLI's (the corpus' ids are the line numbers).
    cli_groups = []
    with open(groups_path) as f:
        for line in f:
            g = json.loads(line)
            cli_groups.append((int(g["kept"]), tuple(int(m["id"]) for m in g["members"])))
    ours = [(g.kept, tuple(m for m, _ in g.members)) for g in api_groups]
    same = sorted(ours) == sorted(cli_groups)

    def med(name):
        cpu = statistics.median(c for c, _ in runs[name])
        wall = statistics.median(w for _, w in runs[name])
        docs = ds_n if name == "datasketch" else n
        return {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3), "docs_per_cpu_s": round(docs / cpu),
                "docs_per_s": round(docs / wall), "runs": [[round(c, 3), round(w, 3)] for c, w in runs[name]]}

    res = {name: med(name) for name in runs if runs[name]}
    api, cli = res["api"], res["cli"]
    out = {
        "corpus": os.path.basename(a.corpus), "n": n, "MB": round(mb, 1), "threads": threads,
        "python": platform.python_version(), "neardup": neardup.__version__,
        "portable": bool(os.environ.get("NEARDUP_PORTABLE")),
        "load_cpu_s": round(load_cpu, 3), "groups": len(api_groups), "groups_same_as_cli": same,
        "engines": res,
        "api_over_cli_docs_per_cpu_s": round(api["docs_per_cpu_s"] / cli["docs_per_cpu_s"], 3),
        "api_load_over_cli_docs_per_cpu_s": round(res["api_load"]["docs_per_cpu_s"] / cli["docs_per_cpu_s"], 3),
        "api_read_over_cli_docs_per_cpu_s": round(res["api_read"]["docs_per_cpu_s"] / cli["docs_per_cpu_s"], 3),
        "api_over_cli_wall": round(cli["wall_s"] / api["wall_s"], 3),
    }
    for peer in ("rensa", "datasketch"):
        if peer in res:
            out[f"api_over_{peer}_docs_per_cpu_s"] = round(api["docs_per_cpu_s"] / res[peer]["docs_per_cpu_s"], 1)
    print(json.dumps(out, indent=1))
    if not same:
        sys.exit("the API's groups differ from the CLI's")


if __name__ == "__main__":
    main()
