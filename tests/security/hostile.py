"""Hostile files, written streaming and fast: a gigabyte that compresses to a megabyte.

Deflate has no way to say "a gigabyte of zeros" in a few bytes, so a bomb still holds about a
thousandth of its inflated size. Compressing a gigabyte takes seconds, but after a full flush a
deflate compressor starts afresh, so one megabyte of zeros always compresses to the same bytes:
the block is computed once and written a thousand times, and only the CRC is computed over the
inflated bytes (fast). The archives are valid: ``gzip``/``zipfile`` inflate them to the sizes given.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Deflated:
    """A raw deflate stream: head, ``count`` × ``block`` (each inflating to ``fill``), tail."""

    head: bytes
    block: bytes
    count: int
    tail: bytes
    crc: int
    inflated: int

    @property
    def size(self) -> int:
        return len(self.head) + len(self.block) * self.count + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        for _ in range(self.count):
            yield self.block
        yield self.tail


def deflate_repeated(prefix: bytes, fill: bytes, count: int, suffix: bytes, wbits: int = -15) -> Deflated:
    """``prefix + fill * count + suffix`` as raw deflate, computed in O(len(fill))."""
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(fill) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(fill) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "a full flush must reset the compressor"
    tail = c.compress(suffix) + c.flush(zlib.Z_FINISH)
    crc = crc32_combine(zlib.crc32(prefix), crc32_repeated(fill, count), len(fill) * count)
    crc = crc32_combine(crc, zlib.crc32(suffix), len(suffix))
    return Deflated(head, block, count, tail, crc, len(prefix) + len(fill) * count + len(suffix))


# -- CRC-32 of long repetitions without reading them: zlib's crc32_combine, by GF(2) matrices --


def _times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A + B from crc32(A), crc32(B) and len(B) (as zlib's crc32_combine)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:
        even = _square(odd)
        if len2 & 1:
            crc1 = _times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _square(even)
        if len2 & 1:
            crc1 = _times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return (crc1 ^ crc2) & 0xFFFFFFFF


def crc32_repeated(data: bytes, count: int) -> int:
    """CRC-32 of ``data * count`` in O(log count) combinations."""
    result, result_len = 0, 0
    power, power_len = zlib.crc32(data), len(data)
    while count:
        if count & 1:
            result, result_len = crc32_combine(result, power, power_len), result_len + power_len
        count >>= 1
        if count:
            power, power_len = crc32_combine(power, power, power_len), power_len * 2
    return result


def write_gzip_bomb(path: Path, size: int = GiB, declared: int | None = None) -> Path:
    """A gzip of ``size`` zero bytes. ``declared``: a forged ISIZE trailer (the real size by default)."""
    d = deflate_repeated(b"", b"\0" * MiB, size // MiB, b"")
    with path.open("wb") as fh:
        fh.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03")  # magic, deflate, no flags, mtime 0, XFL, Unix
        for chunk in d.chunks():
            fh.write(chunk)
        fh.write(struct.pack("<II", d.crc, (d.inflated if declared is None else declared) & 0xFFFFFFFF))
    return path


def write_zip(path: Path, members: list[tuple[str, Deflated]]) -> Path:
    """A zip archive of deflated members (no zip64: each member under 4 GiB)."""
    central = bytearray()
    with path.open("wb") as fh:
        for name, d in members:
            offset = fh.tell()
            raw = name.encode("utf-8")
            fh.write(
                struct.pack(
                    "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, d.crc, d.size, d.inflated, len(raw), 0
                )
            )
            fh.write(raw)
            for chunk in d.chunks():
                fh.write(chunk)
            central += struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                d.crc,
                d.size,
                d.inflated,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            central += raw
        start = fh.tell()
        fh.write(central)
        fh.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
        )
    return path


def small(data: bytes) -> Deflated:
    return deflate_repeated(data, b"", 0, b"")


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_ROWS = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
    b'<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>a</t></is></c></row>'
    b'<row r="3"><c r="A3"><v>2</v></c><c r="B3" t="inlineStr"><is><t>b</t></is></c></row>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def write_xlsx(path: Path, padding: int = 0) -> Path:
    """A one-sheet workbook (id, name; two rows); ``padding`` bytes of white space inside the
    sheet's XML make it a bomb that inflates to that size (valid XML all the same)."""
    sheet = deflate_repeated(SHEET_HEAD, b" " * MiB, padding // MiB, SHEET_ROWS + SHEET_TAIL)
    return write_zip(
        path,
        [
            ("[Content_Types].xml", small(CONTENT_TYPES)),
            ("_rels/.rels", small(ROOT_RELS)),
            ("xl/workbook.xml", small(WORKBOOK)),
            ("xl/_rels/workbook.xml.rels", small(WORKBOOK_RELS)),
            ("xl/worksheets/sheet1.xml", sheet),
        ],
    )


def write_zip_bomb(path: Path, size: int = GiB) -> Path:
    """A zip holding one "CSV" of ``size`` zero bytes."""
    return write_zip(path, [("data.csv", deflate_repeated(b"a,b\n", b"\0" * MiB, size // MiB, b""))])
