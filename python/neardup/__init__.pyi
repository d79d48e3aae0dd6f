"""Type stubs of the neardup package (see __init__.py for the documentation)."""

import datetime
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import (
    IncompatibleParametersError as IncompatibleParametersError,
    InvalidParameterError as InvalidParameterError,
    InvalidRecordError as InvalidRecordError,
    NeardupError as NeardupError,
    NeardupIOError as NeardupIOError,
    StoreError as StoreError,
    StoreLockedError as StoreLockedError,
)

__version__: str
NORMALIZER_VERSION: int
NOTICE: str  # the bundled Arabic background's source and licence (wordfreq, CC-BY-SA 4.0)
DEFAULT_THRESHOLD: float
DEFAULT_CONTAINMENT: float
DEFAULT_COVERAGE: float
DEFAULT_SHINGLE: str
DEFAULT_NUM_PERM: int

Records = Iterable[Union[str, Mapping[str, Any]]]
Id = Union[str, int]

class Group:
    """A duplicate group: ``kept`` and ``members`` as ``(index, similarity to the kept one)``."""

    @property
    def kept(self) -> int: ...
    @property
    def members(self) -> List[Tuple[int, float]]: ...
    def duplicates(self) -> List[int]:
        """The members other than the kept one."""
    def __len__(self) -> int: ...

class Sketch:
    """A MinHash sketch with the parameters it was made with."""

    @property
    def values(self) -> Optional[List[int]]: ...
    @property
    def params(self) -> Dict[str, Any]: ...
    def jaccard(self, other: "Sketch") -> float:
        """Estimated Jaccard similarity; raises IncompatibleParametersError when the sketches
        were made with different parameters."""

def dedup(
    texts: Records,
    *,
    threshold: float = ...,
    containment: Optional[float] = ...,
    coverage: Optional[float] = ...,
    shingle: str = ...,
    num_perm: int = ...,
    seed: Optional[int] = ...,
    normalize: str = ...,
    boilerplate: bool = ...,
    boilerplate_min_docs: int = ...,
    verify: str = ...,
    keep: str = ...,
    text_key: str = ...,
) -> List[Group]:
    """Near-duplicate groups of a corpus (groups of two or more)."""

class Deduplicator:
    """Streaming deduplication: add batches, ask for groups, or query one text."""

    def __init__(
        self,
        *,
        threshold: float = ...,
        containment: Optional[float] = ...,
        shingle: str = ...,
        num_perm: int = ...,
        seed: Optional[int] = ...,
        normalize: str = ...,
        keep: str = ...,
    ) -> None: ...
    def add(self, texts: Records, *, text_key: str = ...) -> range: ...
    def query(self, text: str) -> List[Tuple[int, float]]: ...
    def is_duplicate(self, text: str) -> bool: ...
    def groups(self) -> List[Group]: ...
    def __len__(self) -> int: ...

def sketch(
    text: str,
    *,
    shingle: str = ...,
    num_perm: int = ...,
    seed: Optional[int] = ...,
    normalize: str = ...,
) -> Sketch: ...
def read_texts(
    paths: Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]],
    *,
    text_key: str = ...,
    format: Optional[str] = ...,
) -> List[str]:
    """The texts of a feed, read by the engine's reader (JSON lines, lines, text; gzip or not)."""

def passages(
    texts: Union[str, Records],
    *,
    scope: Optional[str] = ...,
    threshold: Optional[float] = ...,
    min_similarity: Optional[float] = ...,
    dice_threshold: Optional[float] = ...,
    min_terms: Optional[int] = ...,
    headlines: bool = ...,
    background: bool = ...,
    background_veto: Optional[float] = ...,
    boilerplate_min_docs: int = ...,
    boilerplate_max_chars: int = ...,
    text_key: str = ...,
) -> List[Dict[str, Any]]:
    """Restated passage pairs (spans as str indices, with their text) and boilerplate lines."""

def cluster(
    records: Records,
    *,
    threshold: Optional[float] = ...,
    window: Union[None, int, str, datetime.timedelta] = ...,
    text_key: str = ...,
    title_key: Optional[str] = ...,
    date_key: Optional[str] = ...,
) -> List[Dict[str, Any]]:
    """Stories: ``{"story": n, "members": [index, ...]}``, largest first."""

class Store:
    """The CLI's signature store directory: open or create, add, query, verify."""

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        *,
        threshold: float = ...,
        containment: Optional[float] = ...,
        shingle: Optional[str] = ...,
        num_perm: Optional[int] = ...,
        seed: Optional[int] = ...,
        normalize: Optional[str] = ...,
    ) -> None: ...
    def add(
        self,
        records: Iterable[Union[Mapping[str, Any], Tuple[Id, str]]],
        *,
        id_key: str = ...,
        text_key: str = ...,
    ) -> List[Dict[str, Any]]: ...
    def query(self, texts: Records, *, text_key: str = ...) -> List[List[Tuple[Id, float]]]: ...
    def verify(self) -> List[Tuple[str, Optional[str]]]: ...
    @property
    def path(self) -> str: ...
    @property
    def params(self) -> Dict[str, Any]: ...
    def __len__(self) -> int: ...
