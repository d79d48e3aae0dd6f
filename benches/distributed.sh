#!/usr/bin/env bash
# Issue 22 scaling benchmark: one process with one thread against N processes x 1 worker on
# loopback (N from the arguments, default 2 4), default flags, same corpus, the configurations
# run in turn in every round (the machine is shared: the rounds alternate, and the summary gives
# medians of per-round ratios). Per run: wall (from the first start to the last exit), user+sys
# CPU summed over the processes and the peak RSS of each (/usr/bin/time); per worker, the
# engine's stage times and records/bytes sent (its stderr report). Each distributed run is
# checked against the single one: the same groups and the same unique records.
#   benches/distributed.sh CORPUS.jsonl [WORKDIR] [ROUNDS] [PROCS...]
# Generated corpora: ../shared/bench/gen_corpus.py (--n 200000 or 1000000).
set -euo pipefail
corpus=$1
work=${2:-${TMPDIR:-/tmp}/neardup-dist}
rounds=${3:-3}
shift $(( $# >= 3 ? 3 : $# ))
procs=("$@")
[ ${#procs[@]} -eq 0 ] && procs=(2 4)
bin="$(cd "$(dirname "$0")/.." && pwd)/target/release/neardup"
mkdir -p "$work"
log="$work/runs.tsv"
: > "$log"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
for r in $(seq "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(now)
    /usr/bin/time -o "$work/time-single" -f "%U %S %M" "$bin" dedup "$corpus" --threads 1 -q \
        -o "$work/single.out" --groups "$work/single.groups"
    t1=$(now)
    read -r u s m < "$work/time-single"
    printf '%s\t1\t%s\t%s\t%s\t%s\tsingle\n' "$r" "$load" "$(echo "$t1 - $t0" | bc)" \
        "$(echo "$u + $s" | bc)" "$m" >> "$log"
    for n in "${procs[@]}"; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        : > "$work/hosts$n"
        for _ in $(seq "$n"); do echo "127.0.0.1:$(port)" >> "$work/hosts$n"; done
        rm -f "$work/d$n.out".part-* "$work/d$n.groups"
        t0=$(now)
        for i in $(seq 0 $((n - 1))); do
            /usr/bin/time -o "$work/time-$n-$i" -f "%U %S %M" "$bin" dedup "$corpus" --threads 1 \
                --hosts "$work/hosts$n" --process-id "$i" -o "$work/d$n.out" \
                --groups "$work/d$n.groups" 2> "$work/report-$n-$i" &
        done
        wait
        t1=$(now)
        cpu=0; rss=""
        for i in $(seq 0 $((n - 1))); do
            read -r u s m < <(tail -1 "$work/time-$n-$i")
            cpu=$(echo "$cpu + $u + $s" | bc); rss="$rss$m,"
        done
        same=ok
        cmp -s "$work/single.groups" "$work/d$n.groups" || same=GROUPS-DIFFER
        cat "$work/d$n.out".part-??? | cmp -s - "$work/single.out" || same="$same,RECORDS-DIFFER"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$load" "$(echo "$t1 - $t0" | bc)" "$cpu" \
            "${rss%,}" "$same" >> "$log"
        rm -f "$work/d$n.out".part-*
    done
done
rm -f "$work/single.out"
echo "== runs (round, processes, load, wall s, summed CPU s, peak RSS KB per process, check)"
cat "$log"
python3 - "$log" <<'PY'
import statistics as st, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
single = {r[0]: r for r in rows if r[1] == "1"}
print("== medians over rounds: ratios against the single run of the same round")
for n in sorted({int(r[1]) for r in rows if r[1] != "1"}):
    rs = [r for r in rows if r[1] == str(n)]
    wall = [float(r[3]) / float(single[r[0]][3]) for r in rs]
    cpu = [float(r[4]) / float(single[r[0]][4]) for r in rs]
    rss = [max(int(x) for x in r[5].split(",")) / int(single[r[0]][5]) for r in rs]
    checks = sorted({r[6] for r in rs})
    print(f"{n} x 1: wall {st.median(wall):.2f}x  summed CPU {st.median(cpu):.2f}x  "
          f"max peak RSS per process {st.median(rss):.2f}x  ({len(rs)} rounds; wall "
          f"{st.median(float(r[3]) for r in rs):.2f} s, CPU {st.median(float(r[4]) for r in rs):.2f} s; "
          f"single wall {st.median(float(s[3]) for s in single.values()):.2f} s, CPU "
          f"{st.median(float(s[4]) for s in single.values()):.2f} s, RSS "
          f"{st.median(int(s[5]) for s in single.values())} KB; checks {checks})")
PY
echo "== the engine's report, last round"
for n in "${procs[@]}"; do
    cat "$work/report-$n"-* | grep -E '^neardup: (worker|[0-9]+ documents)' || true
done
