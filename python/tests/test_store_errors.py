import json
import subprocess

import pytest

import neardup

A = "The central bank raised interest rates by half a point on Tuesday, citing persistent inflation in food and energy prices across the region."
A2 = "The central bank raised interest rates by half a point on Tuesday, citing stubborn inflation in food and energy prices across the region."
B = "Heavy rain flooded several districts of the capital overnight, and emergency crews evacuated hundreds of residents from low lying neighbourhoods."
C = "The football club announced the signing of a young striker from the national league on a four year contract worth millions."


def test_store_round_trip_in_python(tmp_path):
    store = neardup.Store(tmp_path / "sig")
    assert len(store) == 0
    groups = store.add([{"id": "a", "text": A}, ("b", B)])
    assert groups == []
    assert len(store) == 2
    # A reprint of a stored document is reported with the stored one and keeps its group id.
    groups = store.add([{"id": 7, "text": A2}])
    assert len(groups) == 1
    assert groups[0]["kept"] == "a"
    assert [(m["id"], m["stored"]) for m in groups[0]["members"]] == [("a", True), (7, False)]
    hits = store.query([A2, C])
    # A2 itself (id 7, identical) first, then the stored reprint source.
    assert [i for i, _ in hits[0]] == [7, "a"] and hits[0][0][1] == 1.0 and hits[1] == []
    assert all(p is None for _, p in store.verify())
    # Reopened, it is the same store with the same parameters.
    again = neardup.Store(tmp_path / "sig")
    assert len(again) == 3 and again.params["shingle"] == "word:3"


def test_python_writes_the_cli_reads(tmp_path, neardup_bin):
    store = neardup.Store(tmp_path / "sig")
    store.add([{"id": "a", "text": A}, {"id": "b", "text": B}])
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in [("x", A2), ("y", C)]) + "\n")
    out = subprocess.run(
        [neardup_bin, "index", "query", "--store", str(tmp_path / "sig"), str(feed)],
        check=True, capture_output=True, text=True,
    ).stdout
    # One line per input document, with its stored matches and their similarity.
    lines = [json.loads(l) for l in out.splitlines() if l.strip()]
    assert [l["id"] for l in lines] == ["x", "y"], out
    assert [(m["id"], m["stored"]) for m in lines[0]["matches"]] == [("a", True)], out
    assert 0.5 < lines[0]["matches"][0]["similarity"] < 1.0, out
    assert lines[1]["matches"] == [], out
    stats = json.loads(subprocess.run([neardup_bin, "index", "stats", "--store", str(tmp_path / "sig")],
                                      check=True, capture_output=True, text=True).stdout)
    assert stats["documents"] == 2


def test_cli_writes_python_reads(tmp_path, neardup_bin):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in [("a", A), ("b", B)]) + "\n")
    subprocess.run([neardup_bin, "index", "add", "--store", str(tmp_path / "sig"), str(feed)],
                   check=True, capture_output=True)
    store = neardup.Store(tmp_path / "sig")
    assert len(store) == 2
    hits = store.query([A2, C])
    assert [i for i, _ in hits[0]] == ["a"] and hits[1] == []
    # An explicit parameter that differs from the store's is refused, naming it.
    with pytest.raises(neardup.IncompatibleParametersError, match="num_perm"):
        neardup.Store(tmp_path / "sig", num_perm=64)


def test_damaged_store_is_named(tmp_path):
    store = neardup.Store(tmp_path / "sig")
    store.add([{"id": "a", "text": A}])
    seg = next((tmp_path / "sig").glob("seg-*.nds"))
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    problems = [(p, e) for p, e in store.verify() if e]
    assert len(problems) == 1 and "seg-" in problems[0][0] and "checksum" in problems[0][1]


def test_not_a_store(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "MANIFEST").write_bytes(b"not a manifest at all")
    with pytest.raises(neardup.StoreError) as e:
        neardup.Store(tmp_path / "junk")
    assert isinstance(e.value, OSError) and "MANIFEST" in str(e.value)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": 0.0}, "threshold"),
        ({"shingle": "word:0"}, "shingle"),
        ({"shingle": "bytes:3"}, "shingle"),
        ({"num_perm": 0}, "num-perm"),
        ({"normalize": "klingon"}, "normalize"),
        ({"verify": "maybe"}, "verify"),
        ({"keep": "oldest"}, "keep"),
    ],
)
def test_bad_parameters_raise_value_errors(kwargs, fragment):
    with pytest.raises(neardup.InvalidParameterError, match=fragment) as e:
        neardup.dedup([A, B], **kwargs)
    assert isinstance(e.value, ValueError) and isinstance(e.value, neardup.NeardupError)


def test_bad_records_raise_value_errors():
    with pytest.raises(neardup.InvalidRecordError, match="record 1: field 'text'|record 1: field \"text\" is missing"):
        neardup.dedup([{"text": A}, {"body": B}])
    with pytest.raises(neardup.InvalidRecordError, match="not a string"):
        neardup.dedup([{"text": A}, {"text": 3}])
    with pytest.raises(neardup.InvalidRecordError, match="record 2"):
        neardup.dedup([A, B, 42])
    with pytest.raises(TypeError):
        neardup.dedup(A)  # one str, not a list of texts
    with pytest.raises(neardup.InvalidParameterError, match="scope"):
        neardup.passages([A], scope="galaxy")
    with pytest.raises(neardup.InvalidParameterError, match="window"):
        neardup.cluster([A], window="3 weeks")


def test_bad_store_records(tmp_path):
    store = neardup.Store(tmp_path / "s")
    with pytest.raises(neardup.InvalidRecordError, match="id"):
        store.add([{"id": 1.5, "text": A}])
    with pytest.raises(neardup.InvalidRecordError, match="missing"):
        store.add([{"text": A}])
    assert len(store) == 0  # nothing half-written


def test_empty_and_odd_texts_do_not_crash():
    assert neardup.dedup([]) == []
    assert neardup.dedup(["", "", "   "]) == []
    weird = ["\u200f\u200e", "a", "😀" * 1000, "\x00\x01", "ـــ"]
    neardup.dedup(weird)
    neardup.passages(weird)
    neardup.cluster(weird)


def test_read_texts_with_the_engine_reader(tmp_path):
    import gzip

    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": 1, "body": "وصل خليفة حفتر إلى موسكو"}, ensure_ascii=False) + "\n"
                    + json.dumps({"id": 2, "body": B}) + "\n", encoding="utf-8")
    assert neardup.read_texts(feed, text_key="body") == ["وصل خليفة حفتر إلى موسكو", B]
    gz = tmp_path / "feed.jsonl.gz"
    gz.write_bytes(gzip.compress(feed.read_bytes()))
    assert neardup.read_texts([feed, gz], text_key="body") == ["وصل خليفة حفتر إلى موسكو", B] * 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": A}) + "\n{not json\n")
    with pytest.raises(neardup.InvalidRecordError, match=r"bad\.jsonl:2: malformed JSON"):
        neardup.read_texts(bad)
    with pytest.raises(neardup.InvalidRecordError, match=r'bad\.jsonl:1: field "body" is missing'):
        neardup.read_texts(bad, text_key="body")
    with pytest.raises(OSError, match="nope"):
        neardup.read_texts(tmp_path / "nope.jsonl")


def test_a_second_writer_is_refused(tmp_path):
    import fcntl

    store = neardup.Store(tmp_path / "sig")
    with open(tmp_path / "sig" / "LOCK", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `neardup index add` holds it
        with pytest.raises(neardup.StoreLockedError, match="another writer") as e:
            store.add([{"id": "a", "text": A}])
        assert isinstance(e.value, OSError)
        assert store.query([A]) == [[]]  # readers never block
    store.add([{"id": "a", "text": A}])
    assert len(store) == 1
