import pytest

import neardup

# Two spellings of one Arabic sentence (hamza and alif maqsura, ta marbuta, a detached waw),
# and an unrelated English one.
AR_1 = "وصل خليفة حفتر إلى موسكو وأجرى محادثات مع وزير الدفاع الروسي سيرجي شويجو حول الأزمة في ليبيا ومكافحة الإرهاب"
AR_2 = "وصل خليفة حفتر الى موسكو و أجرى محادثات مع وزير الدفاع الروسى سيرجى شويجو حول الأزمة فى ليبيا ومكافحة الارهاب"
EN = "Heavy rain flooded several districts of the capital overnight and crews evacuated residents"

A = "The central bank raised interest rates by half a point on Tuesday, citing persistent inflation in food and energy prices across the region."
A2 = "The central bank raised interest rates by half a point on Tuesday, citing stubborn inflation in food and energy prices across the region."
B = "Heavy rain flooded several districts of the capital overnight, and emergency crews evacuated hundreds of residents from low lying neighbourhoods."


def test_arabic_spellings_are_one_group():
    groups = neardup.dedup([AR_1, EN, AR_2])
    assert len(groups) == 1
    g = groups[0]
    assert g.kept == 0
    assert [m for m, _ in g.members] == [0, 2]
    assert g.members[0] == (0, 1.0)
    assert 0.5 <= g.members[1][1] <= 1.0
    assert g.duplicates() == [2]


def test_arabic_spellings_without_normalization_differ():
    # The grouping above comes from the Arabic folding: without it the spellings share too
    # few 3-word shingles.
    assert neardup.dedup([AR_1, EN, AR_2], normalize="none", containment=None) == []


def test_dicts_with_a_text_key():
    recs = [{"body": A, "id": 1}, {"body": B, "id": 2}, {"body": A2, "id": 3}]
    groups = neardup.dedup(recs, text_key="body")
    assert [[m for m, _ in g.members] for g in groups] == [[0, 2]]
    # any iterable, not only lists
    groups = neardup.dedup((r for r in recs), text_key="body")
    assert [[m for m, _ in g.members] for g in groups] == [[0, 2]]


def test_same_groups_as_the_library_on_a_larger_corpus():
    # 40 base texts, each with an edited copy: every pair is found, nothing else is grouped.
    import random

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(2000)]
    texts = []
    for _ in range(40):
        base = [rng.choice(vocab) for _ in range(60)]
        copy = list(base)
        for k in rng.sample(range(60), 3):
            copy[k] = rng.choice(vocab)
        texts += [" ".join(base), " ".join(copy)]
    groups = neardup.dedup(texts, boilerplate=False)
    assert sorted(tuple(m for m, _ in g.members) for g in groups) == [(2 * i, 2 * i + 1) for i in range(40)]


def test_keep_longest():
    short = "the cat sat on the mat and looked at the garden for a long while"
    longer = short + " before it went to sleep"
    groups = neardup.dedup([short, longer], keep="longest")
    assert len(groups) == 1 and groups[0].kept == 1


def test_deduplicator_streams():
    d = neardup.Deduplicator()
    assert d.add([A, B]) == range(0, 2)
    assert d.add([{"text": AR_1}]) == range(2, 3)
    hits = d.query(A2)
    assert [i for i, _ in hits] == [0]
    assert 0.5 <= hits[0][1] <= 1.0
    assert d.is_duplicate(A2)
    assert not d.is_duplicate("An entirely different sentence about football results in the league")
    assert d.groups() == []
    d.add([A2])
    assert [[m for m, _ in g.members] for g in d.groups()] == [[0, 3]]
    assert len(d) == 4


def test_sketch_carries_its_parameters():
    a, b = neardup.sketch(A), neardup.sketch(A2)
    assert 0.5 < a.jaccard(b) < 1.0
    assert a.jaccard(a) == 1.0
    assert a.params["num_perm"] == 128 and a.params["normalizer_version"] == neardup.NORMALIZER_VERSION
    with pytest.raises(neardup.IncompatibleParametersError, match="seed"):
        a.jaccard(neardup.sketch(A2, seed=7))
    with pytest.raises(ValueError, match="num_perm"):
        a.jaccard(neardup.sketch(A2, num_perm=64))
    with pytest.raises(neardup.IncompatibleParametersError, match="shingle"):
        a.jaccard(neardup.sketch(A2, shingle="char:5"))


def test_docstring_examples_hold():
    import doctest

    result = doctest.testmod(neardup)
    assert result.attempted >= 4 and result.failed == 0


def _release_and_rewrite():
    """A release, its rewrite (each sentence's end reordered: few 3-word shingles in common,
    every sentence a counterpart) and unrelated texts."""
    import random

    rng = random.Random(5)
    word = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    sentence = lambda: [word() for _ in range(12)]
    release = [sentence() for _ in range(14)]
    rewrite = [s[:6] + s[6:][::-1] for s in release]
    text = lambda ss: " ".join(" ".join(s) + "." for s in ss)
    return [text(release), text(rewrite)] + [text([sentence() for _ in range(14)]) for _ in range(6)]


def test_a_rewrite_is_found_on_its_sentences():
    texts = _release_and_rewrite()
    groups = neardup.dedup(texts)
    assert [[m for m, _ in g.members] for g in groups] == [[0, 1]]
    assert neardup.dedup(texts, coverage=None) == []
    assert neardup.dedup(texts, coverage=1.5) == []
    with pytest.raises(neardup.InvalidParameterError):
        neardup.dedup(texts, coverage=float("nan"))
