#!/usr/bin/env bash
# Issue 8 benchmark: the rayon path against Timely/Differential (1 process x 2 workers, and
# 2 processes x 1 worker on this machine), same flags, same corpus; time and peak RSS per process.
#   benches/distributed.sh CORPUS.jsonl [WORKDIR]
# The corpus comes from ../shared/bench/gen_corpus.py (1M documents: --n 1000000).
set -euo pipefail
corpus=$1
work=${2:-${TMPDIR:-/tmp}/neardup-dist}
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/neardup"
flags=(--verify estimate)
mkdir -p "$work"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
timed() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "$label: %e s wall, %U s user, %S s sys, %M KB peak RSS" "$@"
}
echo "== rayon (2 threads)"
timed rayon "$bin" dedup "$corpus" "${flags[@]}" --threads 2 -o "$work/rayon.out" --groups "$work/rayon.groups"
echo "== 1 process x 2 workers"
echo "127.0.0.1:$(port)" > "$work/hosts1"
timed "1x2 process 0" "$bin" dedup "$corpus" "${flags[@]}" --hosts "$work/hosts1" --workers 2 \
    -o "$work/d12.out" --groups "$work/d12.groups"
cmp "$work/rayon.groups" "$work/d12.groups" && echo "1x2: groups identical to the rayon run"
rm -f "$work"/d12.out.part-*
echo "== 2 processes x 1 worker"
printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$(port)" "$(port)" > "$work/hosts2"
for i in 0 1; do
    timed "2x1 process $i" "$bin" dedup "$corpus" "${flags[@]}" --hosts "$work/hosts2" --process-id $i \
        -o "$work/d21.out" --groups "$work/d21.groups.$i" &
done
wait
cmp "$work/rayon.groups" "$work/d21.groups.0" && echo "2x1: groups identical to the rayon run"
rm -f "$work"/d21.out.part-* "$work"/rayon.out
