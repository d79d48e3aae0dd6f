#!/usr/bin/env bash
# Issue 22 benchmark: one process with one thread against 2 (and 4) processes x 1 worker on
# loopback, default flags, same corpus, run in turn; wall, user+sys CPU and peak RSS per
# process (/usr/bin/time), per-stage times and bytes sent per worker (the engine's report),
# and a check that the groups and the unique records are the single machine's.
#   benches/distributed.sh CORPUS.jsonl [WORKDIR] [PROCS...]
# Generated corpora: ../shared/bench/gen_corpus.py (--n 100000 or 1000000).
set -euo pipefail
corpus=$1
work=${2:-${TMPDIR:-/tmp}/neardup-dist}
shift $(( $# >= 2 ? 2 : 1 ))
procs=("$@")
[ ${#procs[@]} -eq 0 ] && procs=(2)
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/neardup"
mkdir -p "$work"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
timed() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB peak RSS" "$@"
}
echo "== 1 process, 1 thread"
timed single "$bin" dedup "$corpus" --threads 1 -o "$work/single.out" --groups "$work/single.groups"
for n in "${procs[@]}"; do
    echo "== $n processes x 1 worker"
    : > "$work/hosts$n"
    for _ in $(seq "$n"); do echo "127.0.0.1:$(port)" >> "$work/hosts$n"; done
    rm -f "$work/d$n.out".part-*
    for i in $(seq 0 $((n - 1))); do
        timed "${n}x1 process $i" "$bin" dedup "$corpus" --threads 1 --hosts "$work/hosts$n" \
            --process-id "$i" -o "$work/d$n.out" --groups "$work/d$n.groups" &
    done
    wait
    cmp "$work/single.groups" "$work/d$n.groups" && echo "${n}x1: groups identical to the single run"
    cat "$work/d$n.out".part-??? | cmp - "$work/single.out" && echo "${n}x1: unique records identical"
    rm -f "$work/d$n.out".part-*
done
rm -f "$work/single.out"
