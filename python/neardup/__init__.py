"""neardup: near-duplicate text, restated passages and news stories, Unicode- and Arabic-aware.

A thin layer over the Rust engine (the same one the ``neardup`` command runs). Heavy calls
release the GIL and run on the engine's thread pool. Bad input raises a
:class:`~neardup.errors.NeardupError` (a ``ValueError`` or ``OSError`` subclass) with the
engine's message.

>>> import neardup
>>> groups = neardup.dedup(["the cat sat on the mat today", "a dog barked", "the cat sat on the mat today!"])
>>> [(g.kept, [m for m, _ in g.members]) for g in groups]
[(0, [0, 2])]
"""

from __future__ import annotations

import datetime as _dt
import os
import re as _re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _neardup
from ._neardup import Group, Sketch, NORMALIZER_VERSION, NOTICE, __version__
from .errors import (
    IncompatibleParametersError,
    InvalidParameterError,
    InvalidRecordError,
    NeardupError,
    NeardupIOError,
    StoreError,
    StoreLockedError,
)

__all__ = [
    "NOTICE",
    "dedup",
    "Deduplicator",
    "passages",
    "cluster",
    "sketch",
    "read_texts",
    "Store",
    "Group",
    "Sketch",
    "NORMALIZER_VERSION",
    "NeardupError",
    "InvalidParameterError",
    "InvalidRecordError",
    "IncompatibleParametersError",
    "NeardupIOError",
    "StoreError",
    "StoreLockedError",
]

Records = Iterable[Union[str, Mapping[str, Any]]]

#: Defaults: the CLI's (chosen on the reprints dev set, see benches/RESULTS.md).
DEFAULT_THRESHOLD = 0.5
DEFAULT_CONTAINMENT = 0.5
#: Sentence coverage at which a rewrite is a duplicate (``neardup dedup --coverage``).
DEFAULT_COVERAGE = 0.75
DEFAULT_SHINGLE = "word:3"
DEFAULT_NUM_PERM = 128


def dedup(
    texts: Records,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    containment: Optional[float] = DEFAULT_CONTAINMENT,
    coverage: Optional[float] = DEFAULT_COVERAGE,
    shingle: str = DEFAULT_SHINGLE,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: Optional[int] = None,
    normalize: str = "auto",
    boilerplate: bool = True,
    boilerplate_min_docs: int = 5,
    verify: str = "auto",
    keep: str = "first",
    text_key: str = "text",
) -> List[Group]:
    """Finds the near-duplicate groups of a corpus, as ``neardup dedup`` does.

    ``texts`` is a list (or any iterable) of strings, or of dicts holding a string at
    ``text_key``. Returns the groups of two or more documents, ordered by first member; each has
    ``kept`` (the index of the document to keep) and ``members``: ``(index, similarity to the
    kept one)`` for every member, the kept one included. Documents in no group are unique.

    ``threshold`` is the Jaccard threshold; ``containment`` the containment threshold (``None``
    turns that route off: Jaccard only); ``shingle`` is ``"word:N"`` or ``"char:N"``;
    ``normalize`` is ``"auto"``, ``"arabic"`` or ``"none"``; ``verify`` is ``"auto"``,
    ``"estimate"`` or ``"exact"``; ``keep`` is ``"first"`` or ``"longest"``. Lines recurring in
    ``boilerplate_min_docs`` documents or more are boilerplate and do not count. ``coverage``
    is the sentence coverage at which a rewrite (few shingles in common, every sentence with a
    counterpart) is a duplicate, with ``verify="auto"`` and containment on; ``None`` turns that
    route off.

    Raises :class:`InvalidParameterError` or :class:`InvalidRecordError` (both ``ValueError``).
    """
    return _neardup.dedup(
        texts,
        threshold=threshold,
        containment=containment,
        coverage=coverage,
        shingle=shingle,
        num_perm=num_perm,
        seed=seed,
        normalize=normalize,
        boilerplate=boilerplate,
        boilerplate_min_docs=boilerplate_min_docs,
        verify=verify,
        keep=keep,
        text_key=text_key,
    )


class Deduplicator:
    """Streaming deduplication: add batches as they come, ask for the groups so far, or ask
    whether a new text duplicates anything seen.

    Unlike :func:`dedup`, it removes no boilerplate (it cannot know a feed's recurring lines
    before the feed is over) and verifies on the MinHash estimate, as ``neardup --store`` does.

    >>> d = Deduplicator()
    >>> d.add(["the cat sat on the mat today", "a dog barked in the yard"])
    range(0, 2)
    >>> [i for i, _ in d.query("the cat sat on the mat today!")]
    [0]
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        containment: Optional[float] = DEFAULT_CONTAINMENT,
        shingle: str = DEFAULT_SHINGLE,
        num_perm: int = DEFAULT_NUM_PERM,
        seed: Optional[int] = None,
        normalize: str = "auto",
        keep: str = "first",
    ) -> None:
        self._inner = _neardup.Deduplicator(
            threshold=threshold,
            containment=containment,
            shingle=shingle,
            num_perm=num_perm,
            seed=seed,
            normalize=normalize,
            keep=keep,
        )

    def add(self, texts: Records, *, text_key: str = "text") -> range:
        """Adds a batch; returns the indices its documents got (they number on from earlier
        batches)."""
        start, end = self._inner.add(texts, text_key=text_key)
        return range(start, end)

    def query(self, text: str) -> List[Tuple[int, float]]:
        """The documents seen that ``text`` duplicates, ``(index, similarity)``, best first;
        empty when it is new. ``text`` itself is not added."""
        return self._inner.query(text)

    def is_duplicate(self, text: str) -> bool:
        """True when ``text`` duplicates a document seen."""
        return bool(self._inner.query(text))

    def groups(self) -> List[Group]:
        """The duplicate groups among every document added so far."""
        return self._inner.groups()

    def __len__(self) -> int:
        return len(self._inner)


def read_texts(
    paths: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]],
    *,
    text_key: str = "text",
    format: Optional[str] = None,
) -> List[str]:
    """The texts of a feed, read by the engine's reader (the CLI's): JSON lines (the string at
    ``text_key``), lines or text files (``format``: ``"jsonl"``, ``"lines"``, ``"text"``; by
    default from the extension), gzip or not, parsed in parallel. Faster than ``json.loads``
    per line. A malformed record raises :class:`InvalidRecordError` naming the file and line."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    return _neardup.read_texts([os.fspath(p) for p in paths], text_key=text_key, format=format)


def sketch(
    text: str,
    *,
    shingle: str = DEFAULT_SHINGLE,
    num_perm: int = DEFAULT_NUM_PERM,
    seed: Optional[int] = None,
    normalize: str = "auto",
) -> Sketch:
    """The MinHash sketch of one text, carrying its parameters. ``a.jaccard(b)`` estimates the
    Jaccard similarity of two texts' shingle sets, and raises
    :class:`IncompatibleParametersError` when the sketches were made with different
    parameters (seed, slots, shingles, normalization or its version)."""
    return _neardup.sketch(text, shingle=shingle, num_perm=num_perm, seed=seed, normalize=normalize)


def passages(
    texts: Union[str, Records],
    *,
    scope: Optional[str] = None,
    threshold: Optional[float] = None,
    min_similarity: Optional[float] = None,
    dice_threshold: Optional[float] = None,
    min_terms: Optional[int] = None,
    headlines: bool = False,
    background: bool = True,
    background_veto: Optional[float] = None,
    boilerplate_min_docs: int = 3,
    boilerplate_max_chars: int = 100,
    text_key: str = "text",
) -> List[Dict[str, Any]]:
    """Restated passages, as ``neardup passages`` finds them.

    ``passages(text)`` looks inside one article; ``passages(texts)`` inside each and, with
    ``scope="corpus"`` (the default for more than one text), across them. Returns dicts
    ``{"kind": "restated", "matched": "verbatim"|"reworded"|"contained", "similarity": s,
    "a": place, "b": place, "evidence": {...}, "aligned": [(word_a, word_b, exact), ...],
    "weights": "feed"|"background"|"own"}`` (``evidence`` and ``aligned`` as ``neardup
    passages`` writes them; ``weights``: the term weights that decided) where a place is
    ``{"doc": index, "start": i, "end": j, "text": text[i:j]}`` (offsets are ``str`` indices),
    then ``{"kind": "boilerplate", "text", "count", "places"}`` for recurring lines.
    ``threshold``, ``min_similarity``, ``dice_threshold``, ``background_veto`` and
    ``min_terms`` default to the engine's (those of ``neardup passages``): ``min_similarity``
    decides over a feed (2,000 units or more), ``dice_threshold`` over a smaller input, and
    ``background_veto`` vetoes pairs of one Arabic article or a few, which weigh their terms
    by the bundled Arabic background; ``background=False`` weighs them by the input's own
    units (``--no-background``).
    """
    if isinstance(texts, str):
        texts = [texts]
    elif not isinstance(texts, list):
        texts = list(texts)
    if scope is None:
        scope = "corpus" if len(texts) > 1 else "doc"
    if scope not in ("doc", "corpus"):
        raise InvalidParameterError(f"invalid parameter scope: {scope!r}: expected doc or corpus")
    return _neardup.passages(
        texts,
        across=scope == "corpus",
        threshold=threshold,
        min_similarity=min_similarity,
        dice_threshold=dice_threshold,
        min_terms=min_terms,
        headlines=headlines,
        background=background,
        background_veto=background_veto,
        boilerplate_min_docs=boilerplate_min_docs,
        boilerplate_max_chars=boilerplate_max_chars,
        text_key=text_key,
    )


_WINDOW = _re.compile(r"^(\d+)([smhd]?)$")


def _window_secs(window: Union[None, int, float, str, _dt.timedelta]) -> Optional[int]:
    if window is None:
        return None
    if isinstance(window, _dt.timedelta):
        return int(window.total_seconds())
    if isinstance(window, (int, float)):
        return int(window)
    m = _WINDOW.match(str(window))
    if not m:
        raise InvalidParameterError(f"invalid parameter window: {window!r}: expected e.g. 3d, 12h, 30m")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def _epoch(value: Any, i: int) -> Optional[int]:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        d = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        return int(d.timestamp())
    if isinstance(value, _dt.date):
        return int(_dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc).timestamp())
    if isinstance(value, str):
        try:
            return _epoch(_dt.datetime.fromisoformat(value.replace("Z", "+00:00")), i)
        except ValueError:
            return None
    raise InvalidRecordError(f"record {i}: the date must be a str, date or datetime")


def cluster(
    records: Records,
    *,
    threshold: Optional[float] = None,
    window: Union[None, int, str, _dt.timedelta] = None,
    text_key: str = "text",
    title_key: Optional[str] = None,
    date_key: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Groups related coverage into stories, as ``neardup cluster`` does (TF-IDF over normalized
    words, the online pass in time order, then refinement).

    ``records`` are strings or dicts (``text_key``, optional ``title_key`` weighed up and
    ``date_key``: ISO 8601 strings, dates or datetimes). With ``window`` (seconds, a
    ``timedelta`` or ``"3d"``, ``"12h"``), a story only takes articles within that time of its
    last one. ``threshold`` (cosine) defaults to the engine's. Returns one dict per story, largest first: ``{"story": n, "members": [index, ...]}``.
    """
    records = list(records)
    texts: List[str] = []
    titles: List[Optional[str]] = []
    times: Optional[List[Optional[int]]] = [] if date_key else None
    for i, r in enumerate(records):
        if isinstance(r, str):
            texts.append(r)
            titles.append(None)
            if times is not None:
                times.append(None)
            continue
        if not isinstance(r, Mapping):
            raise InvalidRecordError(f"record {i}: expected a str or a dict with {text_key!r}")
        t = r.get(text_key)
        if not isinstance(t, str):
            problem = "missing" if t is None else "not a string"
            raise InvalidRecordError(f"record {i}: field {text_key!r} is {problem}")
        texts.append(t)
        title = r.get(title_key) if title_key else None
        titles.append(title if isinstance(title, str) else None)
        if times is not None:
            times.append(_epoch(r.get(date_key), i))
    assignment = _neardup.cluster_stories(
        texts, titles, times, threshold=threshold, window_secs=_window_secs(window)
    )
    members: Dict[int, List[int]] = {}
    for i, s in enumerate(assignment):
        members.setdefault(s, []).append(i)
    stories = sorted(members.values(), key=lambda m: (-len(m), m[0]))
    return [{"story": n, "members": m} for n, m in enumerate(stories)]


class Store:
    """The signature store the CLI uses (``neardup index ... --store DIR``): a directory of
    immutable, checksummed segments. ``Store(path)`` opens it, or creates it with the given
    parameters; a parameter given explicitly that differs from an existing store's raises
    :class:`IncompatibleParametersError`.

    ``add`` takes dicts with an id and a text (or ``(id, text)`` pairs; ids are str or int, as
    in the CLI's JSON lines) and reports the groups among them and the stored documents;
    ``query`` is read-only; ``verify`` checks every checksum.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        containment: Optional[float] = DEFAULT_CONTAINMENT,
        shingle: Optional[str] = None,
        num_perm: Optional[int] = None,
        seed: Optional[int] = None,
        normalize: Optional[str] = None,
    ) -> None:
        self._inner = _neardup.Store(
            path,
            threshold=threshold,
            containment=containment,
            shingle=shingle,
            num_perm=num_perm,
            seed=seed,
            normalize=normalize,
        )

    def add(
        self,
        records: Iterable[Union[Mapping[str, Any], Tuple[Union[str, int], str]]],
        *,
        id_key: str = "id",
        text_key: str = "text",
    ) -> List[Dict[str, Any]]:
        """Stores the records (one new segment) and returns the groups of two or more among
        them and the store, as ``neardup index add`` reports them:
        ``{"group": id, "kept": id, "members": [{"id", "similarity", "stored"}]}``."""
        return self._inner.add(records, id_key=id_key, text_key=text_key)

    def query(self, texts: Records, *, text_key: str = "text") -> List[List[Tuple[Union[str, int], float]]]:
        """For each text, the stored documents it duplicates, ``(id, similarity)``, best first."""
        return self._inner.query(texts, text_key=text_key)

    def verify(self) -> List[Tuple[str, Optional[str]]]:
        """Checks every file of the store: ``(path, problem)``, the problem ``None`` when the
        file is sound."""
        return self._inner.verify()

    @property
    def path(self) -> str:
        return str(self._inner.path)

    @property
    def params(self) -> Dict[str, Any]:
        """The store's parameters (slots, seed, shingles, normalization and its version, bands)."""
        return self._inner.params

    def __len__(self) -> int:
        return len(self._inner)

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

