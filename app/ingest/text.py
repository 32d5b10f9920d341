"""Streaming transcode of a text file to clean UTF-8 before DuckDB or Polars read it.

DuckDB reads only UTF-8/UTF-16/Latin-1 and Polars only UTF-8, so every other codec is
decoded here, chunk by chunk, never whole in memory. Bytes that do not decode are
replaced with U+FFFD and their line numbers kept as evidence.
"""

from __future__ import annotations

import codecs
import threading
from dataclasses import dataclass, field
from pathlib import Path

from app.ingest.sniff import _best_candidate

CHUNK = 8 * 1024 * 1024
MAX_ERROR_LINES = 1000
# A "UTF-8" file with this many undecodable sequences was really another codec:
# detect again on the bytes around the first error (a UTF-8 file with one bad byte stays UTF-8).
REDETECT_AFTER_ERRORS = 64

_tls = threading.local()


def _record(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    state: _DecodeState = _tls.state
    state.errors += 1
    if len(state.error_lines) < MAX_ERROR_LINES:
        line = state.line_base + exc.object[: exc.start].count(b"\n") + 1
        if not state.error_lines or state.error_lines[-1] != line:
            state.error_lines.append(line)
    if state.first_error_offset is None:
        state.first_error_offset = state.offset_base + exc.start
    return "\ufffd", exc.end


codecs.register_error("odq-record", _record)


def _record_nul_lines(text: str, state: _DecodeState) -> None:
    """Line numbers of NUL characters in this chunk of decoded text (capped)."""
    pos = text.find("\x00")
    line = state.line_base + 1
    last = 0
    while pos != -1 and len(state.error_lines) < MAX_ERROR_LINES:
        line += text.count("\n", last, pos)
        if not state.error_lines or state.error_lines[-1] != line:
            state.error_lines.append(line)
        last = pos
        pos = text.find("\x00", pos + 1)


@dataclass(slots=True)
class _DecodeState:
    errors: int = 0
    error_lines: list[int] = field(default_factory=list)
    line_base: int = 0
    offset_base: int = 0
    first_error_offset: int | None = None


@dataclass(slots=True)
class Prepared:
    path: Path
    """A UTF-8 file with LF or CRLF line ends, no BOM, no NUL bytes."""
    encoding: str
    errors: int = 0
    error_lines: list[int] = field(default_factory=list)
    nul_bytes: int = 0
    rewritten: bool = False
    first_error_offset: int | None = None
    redetected_from: str | None = None


def prepare_utf8(src: Path, encoding: str, bom: bool, line_ending: str, workdir: Path) -> Prepared:
    """Decode ``src`` with ``encoding`` into ``workdir``/utf8.csv (or reuse ``src`` when it is
    already clean UTF-8). Falls back to detection when a UTF-8 guess meets many bad bytes."""
    prepared = _transcode(src, encoding, bom, line_ending, workdir)
    if prepared.encoding == "utf-8" and prepared.errors >= REDETECT_AFTER_ERRORS:
        with src.open("rb") as fh:
            fh.seek(max(0, (prepared.first_error_offset or 0) - 4096))
            window = fh.read(256 * 1024)
        guess = _best_candidate(window)
        if guess not in ("utf-8", "latin_1"):
            again = _transcode(src, guess, False, line_ending, workdir)
            if again.errors < prepared.errors:
                again.redetected_from = "utf-8"
                return again
    return prepared


def _transcode(src: Path, encoding: str, bom: bool, line_ending: str, workdir: Path) -> Prepared:
    codec = codecs.lookup(encoding).name
    is_utf8 = codec == "utf-8"
    out_path = workdir / "utf8.csv"
    state = _DecodeState()
    _tls.state = state
    decoder = codecs.getincrementaldecoder(codec)(errors="odq-record")
    needs_rewrite = not is_utf8 or bom or line_ending == "\r"
    nul_bytes = 0
    out = None
    try:
        with src.open("rb") as fh:
            first = True
            emitted = 0  # bytes of src already turned into text
            while True:
                chunk = fh.read(CHUNK)
                final = not chunk
                emitted_before = emitted
                text = decoder.decode(chunk, final=final)
                emitted = state.offset_base + len(chunk) - len(decoder.getstate()[0])
                if first and text.startswith("\ufeff"):
                    text = text[1:]
                    needs_rewrite = True
                first = False
                if "\x00" in text:
                    nul_bytes += text.count("\x00")
                    _record_nul_lines(text, state)
                    text = text.replace("\x00", "")
                    needs_rewrite = True
                if state.errors:
                    needs_rewrite = True
                if line_ending == "\r":
                    text = text.replace("\r", "\n")
                if needs_rewrite and out is None:
                    out = out_path.open("w", encoding="utf-8", newline="")
                    if emitted_before > 0:
                        # Rewrite what was already checked and found clean.
                        _copy_prefix(src, out, emitted_before, codec)
                if out is not None:
                    out.write(text)
                state.line_base += chunk.count(b"\n")
                state.offset_base += len(chunk)
                if final:
                    break
    finally:
        if out is not None:
            out.close()
        _tls.state = None
    return Prepared(
        path=out_path if out is not None else src,
        encoding="utf-8" if is_utf8 else codec,
        errors=state.errors,
        error_lines=sorted(set(state.error_lines)),
        nul_bytes=nul_bytes,
        rewritten=out is not None,
        first_error_offset=state.first_error_offset,
    )


def _copy_prefix(src: Path, out: object, length: int, codec: str) -> None:
    # Only reached for UTF-8 input that turned bad after its first clean chunk(s).
    with src.open("rb") as fh:
        remaining = length
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            remaining -= len(chunk)
            text = decoder.decode(chunk, final=remaining <= 0)
            out.write(text.lstrip("\ufeff"))  # type: ignore[attr-defined]
