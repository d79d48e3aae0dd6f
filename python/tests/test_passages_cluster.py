import pytest

import neardup


def covers(pairs, text, x, y):
    """A reported pair whose sides hold the starts of x and y (in either order)."""
    px, py = text.index(x), text.index(y)

    def inside(p, side):
        return side["start"] <= p < side["end"]

    return any(
        (inside(px, r["a"]) and inside(py, r["b"])) or (inside(py, r["a"]) and inside(px, r["b"]))
        for r in pairs
    )


# Issue 24 acceptance: at least the seed's two restated pairs, and no topic-only pair.
def test_seed_restatements(seed_text):
    found = neardup.passages(seed_text)
    pairs = [r for r in found if r["kind"] == "restated"]
    assert len(pairs) >= 2
    for x, y in [
        ("في 29 مايو 2018 ، وافقت الفصائل الليبية", "وفي 29 مايو عام2018، قبلت الأطراف المتنازعة"),
        ("ويجب أن يكون الحدث في باليرمو الخطوة التالية", "ومن المفترض أن يكون مؤتمر باليرمو الخطوة التالية"),
    ]:
        assert covers(pairs, seed_text, x, y), (x, y, pairs)
    # Offsets are str indices: the reported text is the slice.
    for r in pairs:
        for side in (r["a"], r["b"]):
            assert side["doc"] == 0
            assert seed_text[side["start"]:side["end"]] == side["text"]
        assert 0.0 < r["similarity"] <= 1.0
    # A topic-only pair is not reported.
    assert not covers(pairs, seed_text, "تحاول روسيا انتهاج سياسة", "وكشفت الصحيفة")
    bp = [r for r in found if r["kind"] == "boilerplate"]
    assert [(b["text"], b["count"]) for b in bp] == [("إقرأ أيضاً", 2)]


def test_background_weights_and_their_switch(seed_text):
    # One Arabic article: the bundled background's weights by default, its own with
    # background=False; the seed's four restatements either way, their similarities not all equal.
    def restated(**kw):
        return [r for r in neardup.passages(seed_text, **kw) if r["kind"] == "restated"]

    with_bg, own = restated(), restated(background=False)
    assert len(with_bg) == 4 and len(own) == 4
    assert [r["similarity"] for r in with_bg] != [r["similarity"] for r in own]
    # The cuts of a small input are parameters: a veto or a Dice cut of 1 leaves none.
    assert restated(background_veto=1.0) == [] and restated(dice_threshold=1.0) == []
    with pytest.raises(neardup.InvalidParameterError, match="background_veto"):
        neardup.passages(seed_text, background_veto=1.5)
    # Each record carries its evidence and aligned words, as the CLI writes them, and the
    # weights that decided.
    for r in with_bg:
        assert r["weights"] == "background" and r["matched"] in ("verbatim", "reworded", "contained")
        assert r["aligned"] and all(isinstance(x, tuple) and len(x) == 3 for x in r["aligned"])
        assert any(exact for _, _, exact in r["aligned"]) and r["evidence"]["matched_terms"] > 0
        assert r["evidence"]["terms_a"] > 0 and 0.0 <= r["evidence"]["dice"] <= 1.0
    assert all(r["weights"] == "own" for r in own)
    # The background's source and licence ship with the package.
    assert "wordfreq" in neardup.NOTICE and "Attribution-ShareAlike" in neardup.NOTICE


def test_passages_across_a_corpus(seed_text):
    para = "أقر مجلس الوزراء الميزانية العامة للدولة للعام المقبل بإجمالي نفقات يبلغ 1250 مليار ريال، مع التركيز على قطاعات التعليم والصحة والإسكان."
    restated = "وأقر مجلس الوزراء أمس الميزانية العامة للدولة للعام المقبل بإجمالي نفقات تبلغ 1250 مليار ريال، مع التركيز على قطاعات التعليم والصحة."
    other = "افتتح أمير المنطقة معرضاً للكتاب يشارك فيه أكثر من خمسمائة ناشر من عشرين دولة."
    texts = [para + "\n\n" + other, "وفي سياق آخر قال الوزير إن الطرق الجديدة ستفتتح قريبا.\n\n" + restated]
    across = [r for r in neardup.passages(texts, scope="corpus") if r["kind"] == "restated"]
    assert any({r["a"]["doc"], r["b"]["doc"]} == {0, 1} for r in across), across
    for r in across:
        assert r["matched"] in ("verbatim", "contained", "reworded")
        assert 0.0 <= r["evidence"]["dice"] <= 1.0 and r["evidence"]["matched_terms"] > 0
    within = [r for r in neardup.passages(texts, scope="doc") if r["kind"] == "restated"]
    assert all(r["a"]["doc"] == r["b"]["doc"] for r in within)


def test_cluster_stories():
    quake = [
        "A strong earthquake struck the coastal province early on Monday, toppling buildings and killing at least twelve people, officials said.",
        "Rescue teams searched collapsed buildings after the earthquake in the coastal province killed twelve people on Monday.",
        "The death toll from Monday's earthquake in the coastal province rose as rescue teams reached collapsed buildings.",
    ]
    football = [
        "The national football team won the cup final on penalties after a goalless draw in the capital stadium.",
        "Fans celebrated in the streets after the national football team won the cup final on penalties.",
    ]
    recs = [{"text": t} for t in [quake[0], football[0], quake[1], football[1], quake[2]]]
    stories = neardup.cluster(recs)
    by_member = sorted(sorted(s["members"]) for s in stories)
    assert [0, 2, 4] in by_member and [1, 3] in by_member, stories
