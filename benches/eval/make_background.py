#!/usr/bin/env python3
"""Writes src/passages/data/background-ar.tsv.zst, the Arabic background term frequencies that
`neardup passages` weighs terms with where its input is one article or a few (too few units for
the input's own term statistics, src/passages/background.rs).

The words and frequencies are wordfreq's (https://github.com/rspeer/wordfreq, its "large"
Arabic list: Wikipedia, subtitles, news, web text and social media). wordfreq's data is
distributed under CC-BY-SA 4.0, so is the file written here (src/passages/data/NOTICE).

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1 zstandard xxhash
    /tmp/wf/bin/python benches/eval/make_background.py src/passages/data/background-ar.tsv.zst

The file: zstd of UTF-8 text. Three header lines, then one `word<TAB>zipf` line per word
(zipf: log10 of the frequency per billion words, two decimals), most frequent first:

    #neardup-background 1
    #source wordfreq 3.1.1 large ar; Arabic-script words of frequency >= 3e-07; CC-BY-SA 4.0
    #words N xxh3 H          (H: xxh3-64, seed 0, of the body's bytes, 16 hex digits)

Words under the cut weigh as unseen terms do anyway (src/passages/background.rs: a term held
by fewer than one and a half of the units it is counted over rounds to one).
"""
import math, re, sys
from importlib.metadata import version

import wordfreq
import xxhash
import zstandard

MIN_FREQ = 3e-7
ARABIC = re.compile('[\u0600-\u06ff]')


def main(out):
    freqs = wordfreq.get_frequency_dict('ar', wordlist='large')
    rows = sorted(((w, f) for w, f in freqs.items() if f >= MIN_FREQ and ARABIC.search(w)),
                  key=lambda kv: (-kv[1], kv[0]))
    body = ''.join(f'{w}\t{math.log10(f) + 9:.2f}\n' for w, f in rows).encode('utf-8')
    digest = xxhash.xxh3_64_hexdigest(body, seed=0)
    head = (f'#neardup-background 1\n'
            f'#source wordfreq {version("wordfreq")}'
            f' large ar; Arabic-script words of frequency >= {MIN_FREQ:g}; CC-BY-SA 4.0\n'
            f'#words {len(rows)} xxh3 {digest}\n').encode('utf-8')
    data = zstandard.ZstdCompressor(level=19).compress(head + body)
    with open(out, 'wb') as f:
        f.write(data)
    print(f'{out}: {len(rows)} words, {len(data)} bytes, xxh3 {digest}')


if __name__ == '__main__':
    main(sys.argv[1])
