"""Great Expectations suites: ODQ runs a suite on its loaded table and gets what GX run directly on
the same file (pandas.read_csv) gets; 0.x and 1.x suites; unknown types refused by name; the
generated suite is one the data meets (checked by GX directly too); GX stays out of plain scoring."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from app.ingest.load import load_table
from app.services.scoring import score_file
from profilers import expectations as ex
from profilers.context import Table

CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus").resolve()
CALENDAR = CORPUS / "portals" / "tw-data-gov-tw" / "office-calendar_ROC114_2025.csv"
CALENDAR_2021 = CORPUS / "portals" / "tw-data-gov-tw" / "office-calendar_ROC110_2021.csv"
HPD = CORPUS / "portals" / "nyc-open-data" / "hpd_violations.csv"

Suite = dict[str, Any]


def expect(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs}


# Each suite has not-null, unique, regex, between and in-set expectations; the calendar's 星期 are
# weekday names (六/日 fail the regex), 是否放假 is 0 or 2, 備註 is mostly empty.
SUITES: dict[str, tuple[Path, list[dict[str, Any]]]] = {
    "calendar": (
        CALENDAR,
        [
            expect("expect_column_values_to_not_be_null", column="備註"),
            expect("expect_column_values_to_be_unique", column="是否放假"),
            expect("expect_column_values_to_be_unique", column="西元日期"),
            expect("expect_column_values_to_match_regex", column="星期", regex="^[一二三四五]$"),
            expect(
                "expect_column_values_to_be_between",
                column="西元日期",
                min_value=20250101,
                max_value=20250630,
            ),
            expect("expect_column_values_to_be_in_set", column="是否放假", value_set=[0]),
            expect("expect_column_values_to_not_match_regex", column="備註", regex="補"),
        ],
    ),
    # hpd_violations: "7-07"-style house numbers, empty apartments, four classes, coordinates.
    "hpd": (
        HPD,
        [
            expect("expect_column_values_to_not_be_null", column="Apartment"),
            expect("expect_column_values_to_be_unique", column="BuildingID"),
            expect("expect_column_values_to_be_unique", column="ViolationID"),
            expect("expect_column_values_to_match_regex", column="HouseNumber", regex="^[0-9]+$"),
            expect("expect_column_values_to_be_between", column="Latitude", min_value=40.6, max_value=40.8),
            expect("expect_column_values_to_be_between", column="CurrentStatusID", min_value=5, max_value=20),
            expect("expect_column_values_to_be_in_set", column="Class", value_set=["A", "B"]),
            expect("expect_column_values_to_not_be_null", column="Apartment", mostly=0.5),
        ],
    ),
}


def load(path: Path, tmp_path: Path) -> Table:
    work = tmp_path / f"work-{path.stem}"
    work.mkdir(exist_ok=True)
    return load_table(path, path.name, hashlib.sha256(path.read_bytes()).hexdigest(), work)


def gx_direct(frame: pd.DataFrame, expectations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GX run directly on a pandas frame: per expectation (suite order) success, unexpected count and
    the first unexpected indexes."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("direct")
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    configs = [
        ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta={"i": i}).to_domain_obj()
        for i, e in enumerate(expectations)
    ]
    validation = batch.validate(
        gx.ExpectationSuite(name="direct", expectations=configs), result_format={"result_format": "COMPLETE"}
    )
    out: list[dict[str, Any]] = [{} for _ in expectations]
    for r in validation.results:
        result = r.result or {}
        config = r.expectation_config
        assert config is not None
        out[int(config.meta["i"])] = {
            "success": bool(r.success),
            "count": result.get("unexpected_count"),
            "indexes": list(result.get("unexpected_index_list") or [])[:5],
        }
    return out


@pytest.mark.parametrize("case", sorted(SUITES))
def test_same_unexpected_counts_as_gx_run_directly_on_the_file(case: str, tmp_path: Path) -> None:
    path, expectations = SUITES[case]
    direct = gx_direct(pd.read_csv(path), expectations)
    assert all(d["count"] is not None for d in direct), direct

    suite = ex.parse_suite({"name": case, "expectations": expectations})
    result, notes = ex.run_suite(load(path, tmp_path), suite)
    assert notes == []
    by_message = {f.message.split(":")[0]: f for f in result.findings}
    failed = 0
    for entry, d in zip(expectations, direct, strict=True):
        call = ex._describe({"type": entry["type"], "kwargs": entry["kwargs"]})
        finding = by_message.get(call)
        if d["success"]:
            assert finding is None, call
            continue
        failed += 1
        assert finding is not None, call
        assert finding.count == d["count"], call
        # pandas numbers data rows from 0; ODQ uses spreadsheet rows (the header is row 1).
        assert [e.row for e in finding.examples] == [i + 2 for i in d["indexes"]], call
        assert finding.code == "expectation-failed" and finding.level == "cell"
    assert len(result.findings) == failed >= 5
    assert result.status == "fail"


def test_calendar_counts_are_the_real_ones(tmp_path: Path) -> None:
    """The numbers, known from the file itself: 104 weekend days, 115 holidays (是否放假 = 2),
    184 days after June, 351 days without a note."""
    path, expectations = SUITES["calendar"]
    result, _ = ex.run_suite(load(path, tmp_path), ex.parse_suite({"expectations": expectations}))
    counts = [f.count for f in result.findings]
    frame = pd.read_csv(path)
    assert counts[0] == int(frame["備註"].isna().sum()) == 351
    assert counts[1] == 365  # every day repeats a value of 是否放假
    assert counts[2] == 104 == int(frame["星期"].isin(["六", "日"]).sum())
    assert counts[3] == 184 == int((frame["西元日期"] > 20250630).sum())
    assert counts[4] == 115 == int((frame["是否放假"] != 0).sum())
    assert [e.value for e in result.findings[2].examples[:2]] == ["六", "日"]
    assert result.findings[2].examples[0].column == "星期" and result.findings[2].examples[0].field == 2


def test_old_0x_suite_gives_the_same_findings(tmp_path: Path) -> None:
    path, expectations = SUITES["calendar"]
    new = ex.parse_suite({"name": "s", "expectations": expectations})
    old = ex.parse_suite(
        {
            "expectation_suite_name": "s",
            "data_asset_type": "Dataset",
            "meta": {"great_expectations_version": "0.18.12"},
            "expectations": [
                {
                    "expectation_type": e["type"],
                    "kwargs": {**e["kwargs"], "result_format": "BASIC", "catch_exceptions": True},
                    "meta": {},
                }
                for e in expectations
            ],
        }
    )
    assert old.fingerprint == new.fingerprint
    table = load(path, tmp_path)
    a, _ = ex.run_suite(table, new)
    b, _ = ex.run_suite(table, old)
    assert [(f.count, f.message) for f in a.findings] == [(f.count, f.message) for f in b.findings]


def test_unknown_expectation_types_are_refused_and_named() -> None:
    text = json.dumps(
        {
            "expectations": [
                expect("expect_column_values_to_not_be_nul", column="a"),
                expect("expect_column_values_to_be_unique", column="a"),
                {"expectation_type": "expect_column_to_be_awesome", "kwargs": {"column": "a"}},
            ]
        }
    )
    with pytest.raises(ex.SuiteError) as caught:
        ex.parse_suite(text)
    err = caught.value
    assert err.code == "unknown-expectation"
    assert err.unknown == ["expect_column_to_be_awesome", "expect_column_values_to_not_be_nul"]
    assert (
        "expect_column_values_to_not_be_nul (did you mean expect_column_values_to_not_be_null?)"
        in err.message
    )
    assert "expect_column_to_be_awesome" in err.message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("not json", "invalid-suite"),
        ("[1, 2]", "invalid-suite"),
        ('{"name": "no expectations"}', "invalid-suite"),
        ('{"expectations": [{"kwargs": {}}]}', "invalid-suite"),
        (
            '{"expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"min_value": 1}}]}',
            "invalid-expectation",
        ),
        (
            '{"expectations": [{"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "a"}}]}',
            "invalid-expectation",
        ),
    ],
)
def test_unusable_suites_are_refused_with_a_code(source: str, code: str) -> None:
    with pytest.raises(ex.SuiteError) as caught:
        ex.parse_suite(source)
    assert caught.value.code == code


def test_an_expectation_that_cannot_run_is_a_failed_expectation(tmp_path: Path) -> None:
    """A column that is not there (GX raises inside the validation) fails its expectation, the
    others still run."""
    suite = ex.parse_suite(
        {
            "expectations": [
                expect("expect_column_values_to_not_be_null", column="no such column"),
                expect("expect_column_to_exist", column="no such column"),
                expect("expect_column_values_to_not_be_null", column="星期"),
            ]
        }
    )
    result, _ = ex.run_suite(load(CALENDAR, tmp_path), suite)
    assert [f.level for f in result.findings] == ["column", "column"]
    assert "could not be evaluated" in result.findings[0].message
    assert "does not exist" in result.findings[0].message
    assert result.findings[0].count == 1 and result.findings[0].share == 1.0


def test_aggregate_expectation_reports_the_observed_value(tmp_path: Path) -> None:
    suite = ex.parse_suite(
        {"expectations": [expect("expect_column_mean_to_be_between", column="是否放假", min_value=1)]}
    )
    result, _ = ex.run_suite(load(CALENDAR, tmp_path), suite)
    (finding,) = result.findings
    assert finding.level == "column" and finding.examples[0].field == 3
    assert float(finding.examples[0].value or "nan") == pytest.approx(115 * 2 / 365)


def test_row_cap_runs_on_the_first_rows_and_says_so(tmp_path: Path) -> None:
    path, expectations = SUITES["calendar"]
    suite = ex.parse_suite({"expectations": [expectations[3]]})  # the weekday regex
    result, notes = ex.run_suite(load(path, tmp_path), suite, max_rows=100)
    assert len(notes) == 1 and "first 100 of 365 rows" in notes[0]
    weekend = int(pd.read_csv(path).head(100)["星期"].isin(["六", "日"]).sum())
    assert result.findings[0].count == weekend == 28


def test_severity_of_a_1x_expectation_is_kept(tmp_path: Path) -> None:
    entry = {
        **expect("expect_column_values_to_match_regex", column="星期", regex="^[一二三四五]$"),
        "severity": "warning",
    }
    result, _ = ex.run_suite(load(CALENDAR, tmp_path), ex.parse_suite({"expectations": [entry]}))
    assert result.findings[0].severity == "warning"


def test_suite_in_the_report_scores_and_is_described(tmp_path: Path) -> None:
    path, expectations = SUITES["calendar"]
    suite = ex.parse_suite({"name": "calendar rules", "expectations": expectations})
    report = score_file(path, path.name, "0" * 64, suite=suite)
    failed = [f for f in report["findings"] if f["code"] == "expectation-failed"]
    assert len(failed) == 6
    # Six failures of up to 20 points each empty the validity dimension (it stops at 0).
    assert report["dimensions"]["validity"]["score"] == 0
    assert sum(f["points_lost"] for f in failed) > 0
    assert report["checks"]["expectations"] == "fail"
    assert report["declared"]["expectations"] == {
        "name": "calendar rules",
        "expectations": 7,
        "fingerprint": suite.fingerprint,
    }
    plain = score_file(path, path.name, "0" * 64)
    assert "expectations" not in plain["checks"] and "declared" not in plain
    assert report["score"] < plain["score"]


# ---- the generated suite -------------------------------------------------------------------


@pytest.mark.parametrize("path", [CALENDAR, HPD], ids=lambda p: p.stem)
def test_generated_suite_is_met_by_its_data_in_odq_and_in_gx_directly(path: Path, tmp_path: Path) -> None:
    table = load(path, tmp_path)
    generated = ex.suite_from_table(table, path.name)
    suite = ex.parse_suite(generated)  # GX accepts every expectation
    result, _ = ex.run_suite(table, suite)
    assert result.status == "pass", [f.message for f in result.findings]
    direct = gx_direct(pd.read_csv(path), list(suite.expectations))
    failing = [e for e, d in zip(suite.expectations, direct, strict=True) if not d["success"]]
    assert failing == []


def test_generated_suite_holds_the_contract(tmp_path: Path) -> None:
    generated = ex.suite_from_table(load(CALENDAR, tmp_path), "calendar")
    kinds = {(e["type"], e["kwargs"].get("column")): e["kwargs"] for e in generated["expectations"]}
    assert kinds[("expect_table_columns_to_match_ordered_list", None)] == {
        "column_list": ["西元日期", "星期", "是否放假", "備註"]
    }
    assert ("expect_column_values_to_not_be_null", "西元日期") in kinds
    assert ("expect_column_values_to_be_unique", "西元日期") in kinds
    assert ("expect_column_values_to_not_be_null", "備註") not in kinds  # 351 days have no note
    assert kinds[("expect_column_values_to_be_between", "西元日期")] == {
        "column": "西元日期",
        "min_value": 20250101,
        "max_value": 20251231,
    }
    assert kinds[("expect_column_values_to_be_in_set", "是否放假")]["value_set"] == [0, 2]
    assert sorted(kinds[("expect_column_values_to_be_in_set", "星期")]["value_set"]) == sorted(
        "一二三四五六日"
    )
    assert ("expect_column_values_to_be_unique", "是否放假") not in kinds
    assert generated["meta"]["rows"] == 365


def test_generated_suite_catches_another_year(tmp_path: Path) -> None:
    """The 2025 contract run on the 2021 file: every date is out of range."""
    suite = ex.parse_suite(ex.suite_from_table(load(CALENDAR, tmp_path), "2025"))
    result, _ = ex.run_suite(load(CALENDAR_2021, tmp_path), suite)
    between = [
        f for f in result.findings if "expect_column_values_to_be_between(column='西元日期'" in f.message
    ]
    assert len(between) == 1 and between[0].count == 365


def test_suite_from_column_statistics_alone() -> None:
    columns = [
        {"name": "id", "nulls": 0, "distinct": 3, "placeholders": 0},
        {"name": "", "nulls": 1, "distinct": 2, "placeholders": 0},
        {"name": "id", "nulls": 0, "distinct": 1, "placeholders": 0},
    ]
    suite = ex.suite_from_columns(columns, 3, "t")
    kinds = [(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]]
    assert suite["expectations"][0]["kwargs"]["column_list"] == ["id", "Unnamed: 1", "id.1"]
    assert ("expect_column_values_to_be_unique", "id") in kinds
    assert ("expect_column_values_to_not_be_null", "Unnamed: 1") not in kinds
    assert ("expect_column_values_to_be_unique", "id.1") not in kinds
    ex.parse_suite(suite)


def test_pandas_names_follow_read_csv() -> None:
    assert ex.pandas_names(["a", "", "a", "b", "a", " "]) == [
        "a",
        "Unnamed: 1",
        "a.1",
        "b",
        "a.2",
        "Unnamed: 5",
    ]
    frame = pd.read_csv(__import__("io").StringIO("a,,a,b,a\n1,2,3,4,5\n"))
    assert list(frame.columns) == ex.pandas_names(["a", "", "a", "b", "a"])


def test_plain_scoring_never_imports_great_expectations() -> None:
    code = (
        "import sys, hashlib\n"
        "from pathlib import Path\n"
        "from app.services.scoring import score_file\n"
        "import app.services.expectations, profilers.expectations\n"
        f"p = Path({str(CALENDAR)!r})\n"
        "score_file(p, p.name, hashlib.sha256(p.read_bytes()).hexdigest())\n"
        "print('great_expectations' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert out.stdout.strip() == "False"


def test_the_whole_frame_fingerprint_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GX hashes every cell of a pandas batch to label it (about 2 s per million rows); ODQ never
    needs that label, so the hash must not run."""
    ex._gx()
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(frame: Any) -> str:
        raise AssertionError("the whole frame was hashed")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    suite = ex.parse_suite({"expectations": [expect("expect_column_values_to_not_be_null", column="星期")]})
    result, _ = ex.run_suite(load(CALENDAR, tmp_path), suite)
    assert result.status == "pass"
