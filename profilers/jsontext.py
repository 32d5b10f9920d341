"""JSON text read with a bounded nesting depth, and values made fit to be written as JSON.

Python's ``json`` reader recurses once per ``[`` or ``{``: a body of 30,000 ``[`` raises
``RecursionError``, which no ``except ValueError`` catches, and a document nested a few hundred
levels deep parses but breaks whatever walks it next (``json.dumps``, ``copy.deepcopy``). Every
JSON text that comes from outside (request bodies, suites, schemas, catalogs, files being scored)
is read with :func:`loads`, which measures the depth first, without recursing, and refuses a
document deeper than :data:`MAX_DEPTH` with :class:`JSONTooDeep`, a ``json.JSONDecodeError``:
the callers' existing handling of text that is not JSON applies unchanged.

:func:`finite` replaces the floats JSON cannot hold (``inf``, ``-inf``, ``nan``) by strings, so a
value read from a file with a number beyond the float range can still be answered as JSON.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

MAX_DEPTH = 128
"""Most levels of arrays and objects nested in one JSON document."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OTHER_BYTES = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1


class JSONTooDeep(json.JSONDecodeError):
    """The document nests arrays and objects deeper than the limit (a ``ValueError``)."""

    def __init__(self, limit: int) -> None:
        message = f"arrays and objects are nested deeper than {limit} levels"
        ValueError.__init__(self, message)
        self.msg = message
        self.doc = ""
        self.pos = 0
        self.lineno = 1
        self.colno = 1
        self.limit = limit

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries (parsing workers)
        return (type(self), (self.limit,))


def depth(text: str | bytes | bytearray) -> int:
    """The deepest nesting of ``[``/``{`` in ``text``, outside strings, without recursion."""
    data = _utf8(text)
    if b"[" not in data and b"{" not in data:
        return 0
    brackets = _STRING.sub(b"", data).translate(None, _OTHER_BYTES)
    if not brackets:
        return 0
    return int(np.cumsum(_STEP[np.frombuffer(brackets, dtype=np.uint8)], dtype=np.int64).max())


def _utf8(text: str | bytes | bytearray) -> bytes:
    """UTF-8 bytes of a JSON text (``json.loads`` also reads UTF-16 and UTF-32 bytes, whose code
    units may hold the byte of a bracket)."""
    if isinstance(text, str):
        return text.encode("utf-8", "surrogatepass")
    data = bytes(text)
    encoding = json.detect_encoding(data)
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    return data.decode(encoding, "replace").encode("utf-8", "surrogatepass")


def check_depth(text: str | bytes | bytearray, limit: int = MAX_DEPTH) -> None:
    """Raise :class:`JSONTooDeep` when ``text`` nests deeper than ``limit``."""
    opened = (
        text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    )
    if opened <= limit:  # no deeper than its number of brackets: most documents end here, unscanned
        return
    if depth(text) > limit:
        raise JSONTooDeep(limit)


def loads(text: str | bytes | bytearray, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` of a document nested at most ``limit`` levels deep; deeper raises
    :class:`JSONTooDeep` before any parsing."""
    check_depth(text, limit)
    return json.loads(text)


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name (``"inf"``, ``"-inf"``,
    ``"nan"``); lists, tuples and dicts are walked (without recursion), anything else is kept."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _name(value)
    if not isinstance(value, dict | list | tuple):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        parent, key = stack.pop()
        item = parent[key]
        if isinstance(item, float):
            if not math.isfinite(item):
                parent[key] = _name(item)
        elif isinstance(item, dict):
            copy = dict(item)
            parent[key] = copy
            stack.extend((copy, k) for k in copy)
        elif isinstance(item, list | tuple):
            copy_list = list(item)
            parent[key] = copy_list
            stack.extend((copy_list, i) for i in range(len(copy_list)))
    return root[0]


def _name(number: float) -> str:
    if math.isnan(number):
        return "nan"
    return "inf" if number > 0 else "-inf"
