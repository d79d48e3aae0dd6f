#!/usr/bin/env python3
"""`neardup passages --scope corpus` over SaudiNewsNet against gaoya's dedup of the same feed
(issue 19's speed bar: at most 2x gaoya's CPU), for one or more neardup binaries, in one run.

Each round runs gaoya (../shared/bench/run_peers.sh CORPUS 0.8 gaoya_native: its in-process
load+shingle+sig+lsh+verify CPU, as compare_peers_arabic.py counts it) and each binary
(`passages CORPUS --scope corpus -o /dev/null --quiet`, user + system CPU of the process), the
order reversed every other round; a binary written BIN:portable runs with NEARDUP_PORTABLE=1.
Prints each round's ratios, then medians. The machine is shared and noisy: compare binaries
within one run only.

    python3 benches/passages_speed.py ROUNDS BIN[:portable] [BIN[:portable] ...]
        [--corpus /tmp/neardup-data/snn_int.jsonl]

The corpus is SaudiNewsNet's docs.jsonl with integer ids (the peers need them) and an empty
CORPUS.truth.tsv beside it (header line `a\\tb\\tj5`); it is written at run time, never committed.
"""
import os, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_peers_arabic as peers  # noqa: E402


def main():
    args = sys.argv[1:]
    corpus = '/tmp/neardup-data/snn_int.jsonl'
    if '--corpus' in args:
        k = args.index('--corpus')
        corpus = args[k + 1]
        del args[k:k + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    rounds, bins = int(args[0]), args[1:]
    cpu = {b: [] for b in bins}
    gaoya = []
    for k in range(rounds):
        order = ['gaoya'] + bins
        if k % 2:
            order.reverse()
        for b in order:
            if b == 'gaoya':
                gaoya.append(peers.gaoya(corpus)[0])
                continue
            path, _, mode = b.partition(':')
            env = dict(os.environ)
            if mode == 'portable':
                env['NEARDUP_PORTABLE'] = '1'
            cpu[b].append(peers.cpu_of([path, 'passages', corpus, '--scope', 'corpus',
                                        '-o', os.devnull, '--quiet'], env=env))
        print(f'round {k}: gaoya {gaoya[-1]:.2f} CPU-s; ' + '; '.join(
            f'{b} {cpu[b][-1]:.2f} ({cpu[b][-1] / gaoya[-1]:.2f}x)' for b in bins), flush=True)
    model, features = peers.cpu_features()
    g = statistics.median(gaoya)
    print(f'{model}, {" ".join(features)}; gaoya median {g:.2f} CPU-s')
    for b in bins:
        m = statistics.median(cpu[b])
        per = ', '.join(f'{x / y:.2f}' for x, y in zip(cpu[b], gaoya))
        print(f'{b}: median {m:.2f} CPU-s, {m / g:.2f}x gaoya (per round {per})')


if __name__ == '__main__':
    main()
