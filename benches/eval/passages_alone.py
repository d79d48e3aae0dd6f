#!/usr/bin/env python3
"""Runs `neardup passages` on each ar-restate dev article alone (in-article pairs) and on each
cross pair's two articles alone (a two-line feed), as a user with one article or two does, and
scores both with the acceptance scorer. The inputs stay small (under 2,000 units), so this is
the path of one Arabic article or a few (src/passages/background.rs), which a whole-feed run
never takes: check it after any change to passages.

    python3 benches/eval/passages_alone.py target/release/neardup [extra passages flags...]

Prints score.py's line for the one-article runs (read within_p / within_r) and for the
two-article runs (read cross_p / cross_r). With PASSAGES_ALONE_KEEP=DIR, the records of each
kind of run are kept there (one_article.jsonl, two_articles.jsonl).
"""
import json, os, shutil, subprocess, sys, tempfile

EVAL = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared', 'eval')


def main():
    binary, extra = sys.argv[1], sys.argv[2:]
    ev = os.environ.get('NEARDUP_EVAL', EVAL)
    labels = [json.loads(l) for l in open(os.path.join(ev, 'ar-restate', 'dev.jsonl'))]
    wanted = {l['doc_a'] for l in labels} | {l['doc_b'] for l in labels}
    docs = {}
    for line in open(os.path.join(ev, 'saudinewsnet', 'docs.jsonl'), encoding='utf-8'):
        d = json.loads(line)
        if d['id'] in wanted:
            docs[d['id']] = d
    alone = sorted({l['doc_a'] for l in labels if l['kind'] == 'within'})
    pairs = sorted({tuple(sorted((l['doc_a'], l['doc_b']))) for l in labels if l['kind'] == 'cross'})
    with tempfile.TemporaryDirectory() as tmp:
        for name, groups, keep in [('one article', [(d,) for d in alone], lambda r: True),
                                   ('two articles', pairs,
                                    lambda r: r['a']['doc'] != r['b']['doc'])]:
            out_path = os.path.join(tmp, 'all.jsonl')
            with open(out_path, 'w', encoding='utf-8') as out:
                for group in groups:
                    feed = os.path.join(tmp, 'in.jsonl')
                    with open(feed, 'w', encoding='utf-8') as f:
                        for d in group:
                            f.write(json.dumps(docs[d], ensure_ascii=False) + '\n')
                    res = subprocess.run([binary, 'passages', feed, '--quiet', *extra],
                                         capture_output=True, text=True, check=True)
                    for line in res.stdout.splitlines():
                        r = json.loads(line)
                        if r.get('kind') == 'restated' and keep(r):
                            out.write(line + '\n')
            score = subprocess.run([sys.executable, os.path.join(ev, 'score.py'), 'restate',
                                    os.path.join(ev, 'ar-restate', 'dev.jsonl'), out_path],
                                   capture_output=True, text=True, check=True).stdout.strip()
            n = sum(1 for _ in open(out_path, encoding='utf-8'))
            keep_dir = os.environ.get('PASSAGES_ALONE_KEEP')
            if keep_dir:
                os.makedirs(keep_dir, exist_ok=True)
                shutil.copy(out_path, os.path.join(keep_dir, name.replace(' ', '_') + '.jsonl'))
            print(f'{name} ({len(groups)} runs, {n} records): {score}')


if __name__ == '__main__':
    main()
