"""Sniff a file's format and text encoding from its bytes, never from its name."""

from __future__ import annotations

import codecs
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from profilers import jsontext

SAMPLE_BYTES = 256 * 1024

# Candidate codecs tried, in order, after BOM and strict UTF-8 fail. GB18030 is a superset
# of GBK and GB2312, so it replaces both; cp950 is Big5 as Windows writes it in Taiwan.
ENCODING_CANDIDATES = ("gb18030", "big5", "cp950", "utf_16", "cp1252", "latin_1")

BINARY_NUL_SHARE = 0.1
"""A sample with more NUL bytes than this share (once trailing padding is cut) is binary; a
text file with a stray NUL is text with an encoding error."""

TABULAR_TEXT = {"csv", "tsv", "txt"}
EXCEL = {"xlsx", "xls"}
STRUCTURED = {"json", "jsonl", "geojson", "parquet"}
MARKUP = {"xml", "rdf", "ttl"}
"""Record sets in XML and RDF graphs: read as records, but never picked as a zip's table member
(an Office document's zip is full of XML parts)."""
SCORABLE = TABULAR_TEXT | EXCEL | STRUCTURED | MARKUP | {"zip", "gzip"}

EXTENSION_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".geojson": "geojson",
    ".parquet": "parquet",
    ".zip": "zip",
    ".gz": "gzip",
    ".xml": "xml",
    ".rdf": "rdf",
    ".ttl": "ttl",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

# Formats that are the same family: naming a TSV ".csv" or a CSV ".txt" is not a mismatch.
_FAMILIES = {"csv": "text", "tsv": "text", "txt": "text", "json": "json", "jsonl": "json", "geojson": "json"}


@dataclass(slots=True)
class Sniffed:
    format: str
    """Detected format: csv, tsv, txt, xlsx, xls, json, jsonl, geojson, parquet, zip, html, xml,
    rdf, ttl, pdf, binary, empty."""
    declared: str | None = None
    """Format the file name claims, if any."""
    encoding: str | None = None
    bom: bool = False
    delimiter: str = ","
    line_ending: str = "\n"
    notes: list[str] = field(default_factory=list)
    zip_member: str | None = None

    @property
    def mismatch(self) -> bool:
        if self.declared is None or self.format in ("empty",):
            return False
        return _FAMILIES.get(self.declared, self.declared) != _FAMILIES.get(self.format, self.format)


def declared_format(name: str | None) -> str | None:
    if not name:
        return None
    return EXTENSION_FORMATS.get(Path(name).suffix.lower())


def sniff(path: Path, name: str | None = None) -> Sniffed:
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    declared = declared_format(name or path.name)
    if not head.strip(b" \t\r\n\x00"):
        return Sniffed("empty", declared)
    magic = _magic(path, head)
    if magic is not None:
        out = Sniffed(magic, declared)
        if magic == "zip":
            # A single-table archive is scored through its member (see load).
            out.zip_member = _single_table_member(path)
        return out
    encoding, bom = detect_encoding_sample(head)
    if encoding is None:
        return Sniffed("binary", declared)
    text = _decode_sample(head, encoding, bom)
    fmt = _text_format(text)
    out = Sniffed(fmt, declared, encoding=encoding, bom=bom)
    if fmt in TABULAR_TEXT:
        out.delimiter = _delimiter(text)
        if out.delimiter == "\t" and fmt == "csv":
            out.format = "tsv"
        out.line_ending = _line_ending(head)
        if fmt == "txt" and out.delimiter != ",":
            out.format = "tsv" if out.delimiter == "\t" else "csv"
    return out


def _magic(path: Path, head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            # A truncated workbook still starts like one: say what it claims to be.
            return "xlsx" if b"[Content_Types].xml" in head or b"xl/" in head else "zip"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if len(head) > 4 and head[0] == 0x09 and head[1] in (0x00, 0x02, 0x04, 0x08) and head[3] == 0x00:
        return "xls"  # a bare BIFF2-4 worksheet stream, as very old Excel wrote it
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    return None


def _single_table_member(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    text = [m for m in members if declared_format(m.filename) in TABULAR_TEXT]
    other = [m for m in members if declared_format(m.filename) in EXCEL | STRUCTURED]
    # Several tables: score the largest text table (the data, not its metadata sheet).
    for group in (text, other):
        if group:
            return max(group, key=lambda m: m.file_size).filename
    return None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding_sample(head: bytes) -> tuple[str | None, bool]:
    """BOM → strict UTF-8 → charset-normalizer over the candidate list → strict decode.

    Returns (encoding, has_bom); encoding None means the bytes are not text.
    """
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, True
    if _looks_utf16(head):
        return ("utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"), False
    core = head.rstrip(b"\x00")  # NUL padding after the text is damage, not binary content
    if core.count(b"\x00") > len(core) * BINARY_NUL_SHARE:
        return None, False
    sample = _trim_partial_utf8(head) if len(head) >= SAMPLE_BYTES else head
    try:
        sample.decode("utf-8")
        return "utf-8", False
    except UnicodeDecodeError as exc:
        # Mostly valid UTF-8 with a few bad bytes is still UTF-8, with encoding errors.
        if _mostly_utf8(sample, exc):
            return "utf-8", False
    if _control_heavy(head):
        return None, False
    return _best_candidate(head), False


def _looks_utf16(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    return max(even_nul, odd_nul) > half * 0.6 and min(even_nul, odd_nul) < half * 0.05


def _trim_partial_utf8(head: bytes) -> bytes:
    # The sample may end in the middle of a multi-byte sequence.
    for cut in range(0, 4):
        try:
            head[: len(head) - cut].decode("utf-8")
            return head[: len(head) - cut]
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:
                return head
    return head


def _mostly_utf8(sample: bytes, exc: UnicodeDecodeError) -> bool:
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    # Real multi-byte UTF-8 around the damage, and the damage is rare.
    return multibyte >= 4 * max(bad, 1) and bad <= max(3, len(sample) // 2000)


def _control_heavy(head: bytes) -> bool:
    sample = head[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    return controls > len(sample) * 0.05


def _best_candidate(head: bytes) -> str:
    from charset_normalizer import from_bytes

    sample = head[:65536]
    result = from_bytes(sample, cp_isolation=list(ENCODING_CANDIDATES)).best()
    guesses: list[str] = []
    if result is not None:
        guesses.append(normalise_codec(result.encoding))
    guesses.extend(ENCODING_CANDIDATES)
    for name in guesses:
        if name in ("utf_16",):
            continue
        try:
            _trim_partial(sample, name).decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return _plausible_single_byte(sample) if name in SINGLE_BYTE else name
    return _plausible_single_byte(sample)


SINGLE_BYTE = ("cp1252", "latin_1", "iso8859_7", "cp1253", "cp1251", "koi8_r")
"""Single-byte codecs that decode any bytes, or nearly: the bytes alone cannot choose among them,
the words they make can (``_plausible_single_byte``). The first is the default on a tie."""
_WORD = re.compile(r"[^\W\d_]+")


def _plausibility(text: str) -> tuple[float, int]:
    """Share of the words with non-ASCII letters that read as words of one language: letters of one
    script, no capital after a small letter, and (Latin) mostly ASCII letters (Greek bytes read as
    cp1252 give "ÐåñéöÝñåéá"; Cyrillic bytes give "Ìîñêîâñêàÿ"). Symbols (±, ¼, §) count against."""
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii() or len(word) < 2:
            continue
        scripts = {_script(ch) for ch in word}
        ascii_letters = sum(1 for ch in word if ch.isascii())
        latin_ok = scripts != {"latin"} or ascii_letters * 2 >= len(word)
        case_ok = not any(a.islower() and b.isupper() for a, b in itertools.pairwise(word))
        if len(scripts) == 1 and "other" not in scripts and latin_ok and case_ok:
            good += 1
        else:
            bad += 1
    bad += sum(1 for ch in text if not ch.isascii() and not ch.isalpha() and not ch.isspace())
    return (good / (good + bad) if good + bad else 0.0), good


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x250:
        return "latin"
    if 0x370 <= code < 0x400:
        return "greek"
    if 0x400 <= code < 0x530:
        return "cyrillic"
    return "other"


def _plausible_single_byte(sample: bytes) -> str:
    """The single-byte codec whose decoding reads most like words of a language (Greek ISO-8859-7,
    Cyrillic cp1251 or KOI8-R), rather than the first that decodes; cp1252 unless another reads
    clearly better over a few words (a lone £ or ° decides nothing)."""
    default = "cp1252"
    base, _ = _plausibility(sample.decode(default, errors="replace"))
    best, best_score = default, base + PLAUSIBLY_BETTER
    for name in SINGLE_BYTE[2:]:
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        score, words = _plausibility(text)
        if words >= MIN_WORDS and score > best_score:
            best, best_score = name, score
    if best == default:
        try:
            sample.decode(default)
        except UnicodeDecodeError:
            return "latin_1"  # bytes cp1252 leaves undefined (0x81, 0x8D …)
    return best


PLAUSIBLY_BETTER = 0.2
MIN_WORDS = 3


def _trim_partial(sample: bytes, codec: str) -> bytes:
    # A sample cut at an arbitrary byte can split a two-byte character.
    for cut in range(0, 4):
        try:
            sample[: len(sample) - cut].decode(codec)
            return sample[: len(sample) - cut]
        except UnicodeDecodeError:
            continue
    return sample


def normalise_codec(name: str) -> str:
    name = codecs.lookup(name).name
    if name in ("gbk", "gb2312", "hz"):
        return "gb18030"
    if name == "big5hkscs":
        return "big5"
    return name


def _decode_sample(head: bytes, encoding: str, bom: bool) -> str:
    data = head
    if bom:
        for mark, _ in _BOMS:
            if data.startswith(mark):
                data = data[len(mark) :]
                break
    return data.decode(encoding.replace("-sig", ""), errors="replace")


_HTML = re.compile(r"^\s*(<!doctype html|<html|<head|<body|<!--.*?-->\s*<html)", re.IGNORECASE | re.DOTALL)


def _text_format(text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    low = stripped[:2048].lower()
    first_line = stripped.split("\n", 1)[0].strip()
    # "<Range>,Count" is a CSV header, not markup: a tag followed by a delimiter.
    if stripped.startswith("<") and not re.match(r"<[^>]*>\s*[,;\t|]", first_line):
        if _HTML.match(stripped[:4096]) or "<html" in low[:512] or re.match(r"<(?:table|meta)\b", low):
            return "html"
        if "rdf:rdf" in low or "xmlns:rdf" in low:
            return "rdf"
        return "xml"
    body = "\n".join(
        ln for ln in stripped.splitlines()[:50] if ln.strip() and not ln.lstrip().startswith("#")
    )
    if re.match(r"\s*(?:@prefix\s|@base\s|PREFIX\s+[\w-]*:\s*<|BASE\s+<)", body):
        return "ttl"
    if re.match(r"\s*(?:\[\s*(?:[\[{\"\]0-9-]|true|false|null)|\{\s*[\"}])", stripped):
        return _json_kind(stripped)
    return "csv"


def _json_kind(text: str) -> str:
    first_line = text.split("\n", 1)[0].strip()
    if text.startswith("{") and first_line.endswith("}") and "\n" in text.strip():
        try:
            jsontext.loads(first_line)
            return "jsonl"
        except ValueError:
            pass
    if '"FeatureCollection"' in text[:4096] or '"Feature"' in text[:4096]:
        return "geojson"
    return "json"


def _delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:60] if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for cand in (",", "\t", ";", "|"):
        counts = [ln.count(cand) for ln in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        consistency = nonzero.count(mode) / len(lines)
        score = consistency * min(mode, 50) ** 0.5
        if score > best_score:
            best, best_score = cand, score
    return best


def _line_ending(head: bytes) -> str:
    crlf = head.count(b"\r\n")
    lf = head.count(b"\n") - crlf
    cr = head.count(b"\r") - crlf
    if cr > max(lf, crlf):
        return "\r"
    return "\r\n" if crlf >= lf and crlf else "\n"
