"""The JSON answer of every route: JSON proper, never ``Infinity`` or ``NaN``.

Starlette's ``JSONResponse`` refuses non-finite floats (``allow_nan=False``), so a value read from
a file with a number beyond the float range turned its answer into a 500. Here such a float is
written as its name, a string (``"inf"``, ``"-inf"``, ``"nan"``): the fast path is the plain
dump; only a document that holds one is walked and copied.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse as _StarletteJSON

from profilers import jsontext


def dumps(content: Any) -> bytes:
    """``content`` as compact UTF-8 JSON, non-finite floats written as strings."""
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except ValueError as exc:
        if "Out of range float values" not in str(exc):
            raise
        text = json.dumps(
            jsontext.finite(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    return text.encode("utf-8")


class JSONResponse(_StarletteJSON):
    """``fastapi.responses.JSONResponse`` whose body never holds ``Infinity`` or ``NaN``."""

    def render(self, content: Any) -> bytes:
        return dumps(content)
