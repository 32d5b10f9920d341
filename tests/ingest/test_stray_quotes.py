"""A stray quote must not swallow the records after it (app/ingest/grid.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingest.grid import read_text_grid

Report = dict[str, Any]


def rows_of(report: Report, code: str) -> list[int]:
    return [e["row"] for f in report["findings"] if f["code"] == code for e in f["examples"]]


def parts_file(tmp_path: Path) -> Path:
    lines = ["id,item,size,qty"] + [f"{i},bolt,M{i},{i * 2}" for i in range(1, 21)]
    lines[3] = '3,pipe 12" long,M3,6'  # an inch mark inside a cell: literal, never a quote
    lines[4] = '4,"valve,M4,8'  # opens a quote that the typo on line 11 "closes"
    lines[10] = '10,"washer,M10,20'
    lines[15] = '15,nut",M15,30'  # opens again, never closed
    path = tmp_path / "parts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stray_quotes_keep_every_record(tmp_path: Path, score: Callable[..., Report]) -> None:
    report = score(parts_file(tmp_path))
    assert report["source"]["rows"] == 20
    assert rows_of(report, "unclosed-quote") == [5, 11, 16]  # each stray quote, where it stands
    assert "missing-cell" not in {f["code"] for f in report["findings"]}
    assert "extra-cell" not in {f["code"] for f in report["findings"]}


def test_the_stray_quote_stays_in_its_cell(tmp_path: Path) -> None:
    grid = read_text_grid(parts_file(tmp_path))
    fields = grid.frame.get_column("__fields").to_list()
    assert fields[4] == ["4", '"valve', "M4", "8"]
    assert fields[5] == ["5", "bolt", "M5", "10"]
    assert grid.stray_quote_rows == [5, 11]


def test_a_real_multi_line_cell_is_still_one_record(tmp_path: Path, score: Callable[..., Report]) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text(
        'id,name,address,phone\n1,Office,"1 Main St\nSuite 2\nTown",555\n2,Depot,"3 Side Rd",556\n',
        encoding="utf-8",
    )
    report = score(path)
    assert report["source"]["rows"] == 2
    assert "unclosed-quote" not in {f["code"] for f in report["findings"]}
    grid = read_text_grid(path)
    assert grid.frame.get_column("__fields").to_list()[1] == [
        "1",
        "Office",
        "1 Main St\nSuite 2\nTown",
        "555",
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(3, 8),
    height=st.integers(4, 40),
    data=st.data(),
)
def test_one_stray_quote_anywhere_costs_no_record(tmp_path: Path, width: int, height: int, data: Any) -> None:
    """A quote typed at the start of one cell of any record: every record is still read, with
    its own width, and the row of the quote is reported."""
    at = data.draw(st.integers(1, height), label="record")
    col = data.draw(st.integers(0, width - 1), label="cell")
    lines = [",".join(f"h{c}" for c in range(width))]
    for r in range(1, height + 1):
        cells = [f"v{r}x{c}" for c in range(width)]
        if r == at:
            cells[col] = '"' + cells[col]
        lines.append(",".join(cells))
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    grid = read_text_grid(path)
    widths = grid.frame.get_column("__fields").list.len().to_list()
    assert grid.height == height + 1
    assert widths == [width] * (height + 1)
    reported = grid.stray_quote_rows + ([grid.unclosed_quote_row] if grid.unclosed_quote_row else [])
    assert reported == [at + 1]
