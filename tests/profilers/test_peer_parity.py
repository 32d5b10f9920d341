"""Parity with the peers' own fixtures (corpus/peer-cases/EXPECTED.md §1 frictionless, §2 csvlint).

Peer codes map to ODQ codes one to one: blank-label → blank-header, duplicate-label →
duplicate-header, missing-cell, extra-cell, blank-row; csvlint ragged_rows → missing-cell,
blank_rows → blank-row, whitespace, unclosed_quote → unclosed-quote, title_row → title-rows,
duplicate_column_name → duplicate-header. Rows and fields are the same numbers (DESIGN §3); a
header finding, which frictionless numbers row None, carries the header's row in ODQ.

ODQ reports more than the peers (duplicate-row, low-capacity, null-values …); these tests compare
only the codes that have a peer equivalent, exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.ingest.load import load_table

PEER = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "peer-cases").resolve()
FRICTIONLESS = PEER / "frictionless"
CSVLINT = PEER / "csvlint"

STRUCTURAL = ("blank-header", "duplicate-header", "missing-cell", "extra-cell", "blank-row")

Report = dict[str, Any]
Found = tuple[str, int | None, int | None]


def structural(report: Report, flatten: Callable[..., list[list[Any]]]) -> list[Found]:
    found = [tuple(x) for x in flatten(report, ["code", "row", "field"], STRUCTURAL)]
    return sorted(found, key=lambda f: (f[1] or 0, f[2] or 0, f[0]))  # type: ignore[arg-type,return-value]


def ordered(found: list[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (f[1] or 0, f[2] or 0, f[0]))


# ---- §1 frictionless-py --------------------------------------------------------------------

FRICTIONLESS_EXPECTED: dict[str, list[Found]] = {
    "invalid.csv": [
        ("blank-header", 1, 3),
        ("duplicate-header", 1, 4),
        ("missing-cell", 2, 3),
        ("missing-cell", 2, 4),
        ("missing-cell", 3, 3),
        ("missing-cell", 3, 4),
        ("blank-row", 4, None),
        ("extra-cell", 5, 5),
    ],
    "blank-headers.csv": [("blank-header", 1, 2)],
    "duplicate-headers.csv": [("duplicate-header", 1, 3), ("duplicate-header", 1, 5)],
    "defective-rows.csv": [("missing-cell", 2, 3), ("extra-cell", 3, 4)],
    "blank-rows.csv": [("blank-row", 4, None)],
    # Without a schema frictionless reports only the three surplus cells of row 5.
    "schema-errors.csv": [("extra-cell", 5, 4), ("extra-cell", 5, 5), ("extra-cell", 5, 6)],
    "nested-invalid.csv": [],
    "ascii-notvalid.csv": [],
    "table.csv": [],
    "table-limits.csv": [],
    "encoding-issue-274.csv": [],
    "issue-1066-largecellsize.csv": [],
    "issue-1066-largecellsizewithdeviation.csv": [],
}


@pytest.mark.parametrize("name", sorted(FRICTIONLESS_EXPECTED))
def test_frictionless_structural_errors(name: str, report_of, flatten) -> None:
    report = report_of(FRICTIONLESS / name)
    assert structural(report, flatten) == ordered(FRICTIONLESS_EXPECTED[name])
    assert report["check_errors"] == {}


def test_frictionless_invalid_counts(report_of, finding) -> None:
    report = report_of(FRICTIONLESS / "invalid.csv")
    counts = {code: finding(report, code)["count"] for code in STRUCTURAL}
    assert counts == {
        "blank-header": 1,
        "duplicate-header": 1,
        "missing-cell": 4,
        "extra-cell": 1,
        "blank-row": 1,
    }
    assert report["source"]["header_row"] == 1


def test_frictionless_blank_rows_multiple(report_of, finding) -> None:
    """Eleven blank rows, 4..14: the count is exact, the examples are capped at five."""
    report = report_of(FRICTIONLESS / "blank-rows-multiple.csv")
    blank = finding(report, "blank-row")
    assert blank["count"] == 11
    assert [e["row"] for e in blank["examples"]] == [4, 5, 6, 7, 8]
    assert blank["truncated"] is True
    assert report["source"]["rows"] == 2


@pytest.mark.parametrize(
    ("name", "rows", "columns"),
    [
        ("table.csv", 2, 2),
        ("table-limits.csv", 3, 4),
        ("encoding-issue-274.csv", 507, 17),
        ("issue-1066-largecellsize.csv", 19, 2),
        ("issue-1066-largecellsizewithdeviation.csv", 19, 2),
        ("nested-invalid.csv", 5, 3),
    ],
)
def test_frictionless_valid_files_keep_their_size(name: str, rows: int, columns: int, report_of) -> None:
    report = report_of(FRICTIONLESS / name)
    assert (report["source"]["rows"], report["source"]["columns"]) == (rows, columns)
    assert report["source"]["encoding"] == "utf-8"
    assert report["fatal"] is None


def test_frictionless_empty_is_a_scored_report(report_of, flatten) -> None:
    # frictionless: source-error "the source is empty"
    report = report_of(FRICTIONLESS / "empty.csv")
    assert flatten(report, ["code"]) == [["empty-file"]]
    assert report["score"] == 0
    assert report["fatal"] == "empty-file"


@pytest.mark.parametrize(
    ("name", "comment"),
    [
        ("skip-rows-before-headers.csv", "# it's a comment!"),
        ("matrix-with-comment.csv", "# comment"),
    ],
)
def test_comment_line_above_the_header(name: str, comment: str, report_of, flatten) -> None:
    """ODQ differs on purpose: it finds the real header under the comment line (row 2) and
    reports the comment as a title row, where frictionless with its default dialect takes the
    comment as the header and reports extra cells on every row (EXPECTED §1)."""
    report = report_of(FRICTIONLESS / name)
    assert report["source"]["header_row"] == 2
    assert flatten(report, ["row", "field", "value"], ["title-rows"]) == [[1, 1, comment]]
    assert structural(report, flatten) == []


def test_matrix_with_comment_keeps_all_rows(report_of) -> None:
    report = report_of(FRICTIONLESS / "matrix-with-comment.csv")
    assert (report["source"]["rows"], report["source"]["columns"]) == (4, 4)
    assert [c["name"] for c in report["columns"]] == ["f1", "f2", "f3", "f4"]


def test_skip_rows_xlsx_title_above_header(report_of, flatten) -> None:
    """ODQ differs on purpose: 'Table 1' in A1 is a title, the header is row 2 (A, B); frictionless
    takes row 1 as the header and reports blank-label at field 2."""
    report = report_of(FRICTIONLESS / "skip-rows.xlsx")
    assert report["source"]["format"] == "xlsx"
    assert report["source"]["header_row"] == 2
    assert flatten(report, ["row", "field", "value"], ["title-rows"]) == [[1, 1, "Table 1"]]
    assert structural(report, flatten) == []
    assert [c["name"] for c in report["columns"]] == ["A", "B"]


def test_merged_cells_xlsx(report_of, flatten) -> None:
    """ODQ differs on purpose: the sheet is one merged caption ('data', A1:B3) and nothing else.
    ODQ says header-only (there is no data row); frictionless reports blank-label at field 2 for
    the hidden half of the merged cell."""
    report = report_of(FRICTIONLESS / "merged-cells.xlsx")
    assert report["fatal"] == "header-only"
    assert report["score"] == 0
    assert flatten(report, ["code"], ["header-only", "blank-header"]) == [["header-only"]]


def test_latin1_is_decoded_as_cp1252(report_of, flatten, tmp_path: Path) -> None:
    """frictionless forced to UTF-8 fails with encoding-error (byte 0xa9 at position 20). ODQ
    detects the legacy codec instead, decodes the file and says so with legacy-encoding."""
    path = FRICTIONLESS / "latin1.csv"
    report = report_of(path)
    assert report["source"]["encoding"] == "cp1252"
    assert flatten(report, ["code", "value"], ["legacy-encoding", "encoding-error"]) == [
        ["legacy-encoding", "cp1252"]
    ]
    work = tmp_path / "work"
    work.mkdir()
    table = load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), work)
    assert table.data.filter(table.data["__row"] == 3)["c2"].to_list() == ["©"]


# ---- §2 csvlint.rb ------------------------------------------------------------------------


CSVLINT_STRUCTURAL: dict[str, list[Found]] = {
    "feature_ragged_rows.csv": [("missing-cell", 3, 3)],  # ragged_rows, row 3
    "feature_blank_rows.csv": [("blank-row", 3, None)],  # blank_rows, row 3
    "feature_whitespace.csv": [],
    "feature_unclosed_quote.csv": [],
    "valid.csv": [],
    "lf-line-endings.csv": [],
    "crlf-line-endings.csv": [],
    "cr-line-endings.csv": [],
    "windows-line-endings.csv": [],
    "inconsistent-line-endings.csv": [],
}


@pytest.mark.parametrize("name", sorted(CSVLINT_STRUCTURAL))
def test_csvlint_structural_errors(name: str, report_of, flatten) -> None:
    report = report_of(CSVLINT / name)
    assert structural(report, flatten) == ordered(CSVLINT_STRUCTURAL[name])
    assert report["check_errors"] == {}


def test_csvlint_whitespace(report_of, flatten) -> None:
    report = report_of(CSVLINT / "feature_whitespace.csv")
    assert flatten(report, ["row", "field"], ["whitespace"]) == [[2, 3]]


def test_csvlint_unclosed_quote(report_of, flatten) -> None:
    report = report_of(CSVLINT / "feature_unclosed_quote.csv")
    assert flatten(report, ["code", "row"], ["unclosed-quote"]) == [["unclosed-quote", 2]]


def test_csvlint_title_row(report_of, flatten) -> None:
    """csvlint warns title_row; ODQ finds the header at row 2 under it (frictionless, taking row 1
    as the header, reports blank-label at fields 2 and 3 instead)."""
    report = report_of(CSVLINT / "title-row.csv")
    assert report["source"]["header_row"] == 2
    assert flatten(report, ["row", "field", "value"], ["title-rows"]) == [[1, 1, "This is a title row"]]
    assert structural(report, flatten) == []
    assert [c["name"] for c in report["columns"]] == ["Foo", "Bsr", "Baz"]
    assert report["source"]["rows"] == 2


def test_csvlint_duplicate_column_name(report_of, flatten) -> None:
    """`minimum, minimum`: the second label (with its leading space) repeats the first. The file is
    only a header, so ODQ also says header-only."""
    report = report_of(CSVLINT / "spec_duplicate_column_name.csv")
    assert flatten(report, ["row", "field", "value"], ["duplicate-header"]) == [[1, 2, " minimum"]]
    assert report["fatal"] == "header-only"


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("valid.csv", 2),
        ("lf-line-endings.csv", 2),
        ("crlf-line-endings.csv", 2),
        ("cr-line-endings.csv", 2),
        ("inconsistent-line-endings.csv", 2),
        ("windows-line-endings.csv", 1),
    ],
)
def test_csvlint_line_endings_all_read(name: str, rows: int, report_of) -> None:
    """ODQ reads LF, CRLF, CR-only and mixed line ends alike (csvlint's line_breaks messages are
    about a declared dialect, which ODQ does not take)."""
    report = report_of(CSVLINT / name)
    assert report["source"]["rows"] == rows
    assert report["source"]["columns"] == 3
    assert report["source"]["header_row"] == 1


def test_csvlint_invalid_byte_sequence_is_decoded_as_cp1252(report_of, flatten) -> None:
    """csvlint (declared UTF-8) and frictionless report invalid_encoding / encoding-error at byte
    0xf3; declared ISO-8859-1 it is clean. ODQ detects the legacy codec, decodes the Portuguese
    labels and reports legacy-encoding, not encoding-error."""
    report = report_of(CSVLINT / "invalid-byte-sequence.csv")
    assert report["source"]["encoding"] == "cp1252"
    assert flatten(report, ["code", "value"], ["legacy-encoding", "encoding-error"]) == [
        ["legacy-encoding", "cp1252"]
    ]
    labels = [c["name"] for c in report["columns"]]
    assert labels[:6] == [
        "Data",
        "Dependencia Origem",
        "Histórico",
        "Data do Balancete",
        "Número do documento",
        "Valor",
    ]
    assert report["source"]["rows"] == 23


def test_csvlint_spreadsheet_xls_is_read_as_excel(report_of) -> None:
    """Read as CSV csvlint reports invalid_encoding; ODQ sniffs the bytes, reads the workbook
    (one header a,b,c and no rows) and says header-only."""
    report = report_of(CSVLINT / "spreadsheet.xls")
    assert report["source"]["format"] == "xls"
    assert report["fatal"] == "header-only"
    assert report["source"]["columns"] == 3


@pytest.mark.parametrize(
    "path",
    sorted(p for p in [*FRICTIONLESS.iterdir(), *CSVLINT.iterdir()] if p.suffix in (".csv", ".xls", ".xlsx")),
    ids=lambda p: p.name,
)
def test_every_peer_fixture_scores_without_check_errors(path: Path, report_of) -> None:
    report = report_of(path)
    assert report["check_errors"] == {}
    assert 0 <= report["score"] <= 100
