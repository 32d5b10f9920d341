"""Fuzzing: CSV-like files with random dialects, encodings, ragged rows, quotes, title lines and
binary junk, scored the way users score them (`odq score` in-process and as a subprocess, and
POST /api/v1/score). Whatever the bytes: no crash, no hang, a well-formed report (or a 4xx from
the API), never a traceback."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from fuzz_support import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from ops_support import ODQ, odq_env
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.main import create_app
from app.services.scoring import score_file
from app.settings import Settings

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BANDS = {"excellent", "good", "sufficient", "bad"}
TIME_LIMIT = 20.0  # seconds for one small file, on a loaded 2-core machine

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030", "big5", "cp1252", "latin-1", "shift_jis"]

# Cells: ordinary values, the values portals really publish, and the ones that break parsers.
cell = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "无",
            "暂无",
            "-",
            "/",
            "N/A",
            "NULL",
            "0",
            "1.5",
            "1,234",
            "２０２０",
            "2020-01-32",
            "北京市",
            "臺北市",
            "Zürich",
            '"',
            '""',
            "a\nb",
            "a\r\nb",
            "x,y",
            "x;y",
            "\t",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "'; DROP TABLE reports; --",
            '"; DROP TABLE reports; --',
            "\x00",
            "\ufeff",
            "\u202e",
            "e\u0301",
            "🙂",
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=20),
    st.text(alphabet="0123456789,.-", max_size=12),
)


@dataclass
class Sample:
    data: bytes
    name: str
    description: str


@st.composite
def csv_files(draw: st.DrawFn) -> Sample:
    width = draw(st.integers(1, 8))
    header = draw(
        st.lists(
            st.one_of(
                cell,
                st.sampled_from(['"; DROP TABLE x; --', "a" * 10_000, "", "dup", "dup", "\x01\x02", "__row"]),
            ),
            min_size=width,
            max_size=width,
        )
    )
    rows = draw(
        st.lists(
            # Ragged rows: each row draws its own width around the header's.
            st.lists(cell, min_size=max(0, width - 2), max_size=width + 2),
            max_size=40,
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " ", ":"]))
    quotechar = draw(st.sampled_from(['"', "'"]))
    terminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quoting: Literal[0, 1, 2, 3] = draw(
        st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC, csv.QUOTE_NONE])
    )
    buf = io.StringIO()
    writer = csv.writer(
        buf,
        delimiter=delimiter,
        quotechar=quotechar,
        lineterminator=terminator,
        quoting=quoting,
        escapechar="\\" if quoting == csv.QUOTE_NONE else None,
    )
    titles = draw(st.lists(st.sampled_from(["标题,,,", "# comment", "Table 1: population", ""]), max_size=3))
    for t in titles:
        buf.write(t + terminator)
    for row in [header, *rows]:
        try:
            writer.writerow(row)
        except csv.Error:
            buf.write(delimiter.join(row) + terminator)
    if draw(st.booleans()):
        buf.write(
            draw(st.sampled_from(["注：单位为万元", "数据来源：国家统计局", "Source: ministry"])) + terminator
        )
    encoding = draw(st.sampled_from(ENCODINGS))
    data = buf.getvalue().encode(encoding, errors="replace")

    # Damage: binary junk spliced in, a cut at a random byte, NULs, an unclosed quote.
    damage = draw(st.lists(st.sampled_from(["junk", "cut", "nul", "quote", "bom"]), max_size=3, unique=True))
    if "junk" in damage and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if "cut" in damage and data:
        data = data[: draw(st.integers(0, len(data)))]
    if "nul" in damage:
        data = data.replace(b"\n", b"\x00\n", 1)
    if "quote" in damage:
        data += b'"unclosed,1,2' + terminator.encode()
    if "bom" in damage:
        data = b"\xef\xbb\xbf" + data
    name = draw(
        st.sampled_from(["data.csv", "data.txt", "data.tsv", "data.xls", "data", "数据.csv", "x.json"])
    )
    return Sample(data, name, f"{encoding} {delimiter!r} {quotechar} {terminator!r} q{quoting} {damage}")


any_bytes = st.one_of(
    st.binary(max_size=3000).map(lambda b: Sample(b, "junk.csv", "random bytes")),
    st.sampled_from(
        [
            b"",
            b"\n\n\n",
            b"\xef\xbb\xbf",
            b"PK\x03\x04" + b"\x00" * 40,  # a zip header and nothing behind it
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an OLE (xls) header, truncated
            b"PAR1garbagePAR1",
            b"<html><body>Not found</body></html>",
            b'{"a": [1, 2, {"b": ',
            b"\x1f\x8b\x08\x00" + b"\x00" * 20,
            b"a" * 70_000,  # one long line, no newline
            b",,,,,,,,\n" * 50,
            b'"' * 1000,
        ]
    ).map(lambda b: Sample(b, "edge.csv", "edge case")),
)

samples = st.one_of(csv_files(), csv_files(), any_bytes)


def check_report(report: dict[str, Any], data: bytes) -> None:
    """The report is whole and consistent, whatever the input was."""
    assert 0 <= report["score"] <= 100, report["score"]
    assert report["band"] in BANDS
    assert report["source"]["bytes"] == len(data)
    json.dumps(report, allow_nan=False)  # serialisable, no NaN
    for f in report["findings"]:
        assert KEBAB.match(f["code"]), f["code"]
        assert isinstance(f["count"], int) and f["count"] >= 1, f
        assert 0 <= f["share"] <= 1, f
        assert f["points_lost"] >= 0, f
        for ex in f["examples"]:
            assert ex["row"] is None or ex["row"] >= 1, (f["code"], ex)
            assert ex["field"] is None or ex["field"] >= 1, (f["code"], ex)
    assert not report.get("check_errors"), f"a check crashed: {report.get('check_errors')}"


@given(sample=samples)
@fuzz_settings(2.0)
def test_score_file_never_crashes(tmp_path: Path, sample: Sample) -> None:
    path = tmp_path / "input.bin"
    path.write_bytes(sample.data)
    started = time.monotonic()
    report = score_file(path, sample.name, hashlib.sha256(sample.data).hexdigest())
    assert time.monotonic() - started < TIME_LIMIT, sample.description
    check_report(report, sample.data)


@given(sample=samples)
@fuzz_settings(0.6)
def test_odq_score_command_in_process(
    tmp_path: Path, sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`odq score FILE --format json`, stored (so hostile labels reach the database), through
    typer's runner: exit 0 or 1 (the --fail-under verdict), never 2, never an exception."""
    monkeypatch.setenv("ODQ_DATA_DIR", str(tmp_path / "var"))
    path = tmp_path / sample.name
    path.write_bytes(sample.data)
    result = CliRunner().invoke(cli_app, ["score", str(path), "--format", "json", "--fail-under", "50"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-500:])
    report = json.loads(result.stdout)
    check_report(report, sample.data)
    assert result.exit_code == (1 if report["score"] < 50 else 0)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("fuzz-api") / "var"
    with TestClient(create_app(Settings(data_dir=data_dir, anonymous_rate_per_minute=0))) as client:
        yield client


@given(sample=samples)
@fuzz_settings(0.6)
def test_api_answers_a_report_or_a_4xx(api: TestClient, sample: Sample) -> None:
    r = api.post("/api/v1/score", files={"file": (sample.name, sample.data)})
    assert r.status_code == 200 or 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    if r.status_code == 200:
        check_report(r.json(), sample.data)
        again = api.get(f"/api/v1/reports/{r.json()['id']}")
        assert again.status_code == 200 and again.json() == r.json()
    else:
        assert r.json()["ok"] is False


@given(sample=samples)
@fuzz_settings(0.08)
def test_odq_score_subprocess(tmp_path: Path, sample: Sample) -> None:
    """The real console script in its own process, with a hard timeout."""
    path = tmp_path / sample.name
    path.write_bytes(sample.data)
    done = subprocess.run(
        [str(ODQ), "score", str(path), "--format", "json", "--no-store"],
        env=odq_env(tmp_path / "var"),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in done.stderr
    check_report(json.loads(done.stdout), sample.data)
