"""The exceptions neardup raises. Every one is a :class:`NeardupError`; each also derives from
the built-in exception a caller would expect (``ValueError`` for bad parameters and records,
``OSError`` for files and stores), and carries the library's message."""

__all__ = [
    "NeardupError",
    "InvalidParameterError",
    "InvalidRecordError",
    "IncompatibleParametersError",
    "NeardupIOError",
    "StoreError",
    "StoreLockedError",
]


class NeardupError(Exception):
    """Base class of every neardup error."""


class InvalidParameterError(NeardupError, ValueError):
    """A parameter is out of its valid range (a threshold outside (0, 1], ``shingle="word:0"``)."""


class InvalidRecordError(NeardupError, ValueError):
    """A record is not a str or a dict with a string at the text key; the message names it."""


class IncompatibleParametersError(NeardupError, ValueError):
    """Two sketches, or a store and a request, were made with different parameters; the message
    names the field and both values."""


class NeardupIOError(NeardupError, OSError):
    """A file could not be read or written; the message names it."""


class StoreError(NeardupError, OSError):
    """A signature store is missing, damaged, or of an unsupported format version."""


class StoreLockedError(StoreError):
    """Another process is writing to the store."""
