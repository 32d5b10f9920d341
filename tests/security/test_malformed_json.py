"""Malformed JSON from a caller is a 4xx, never a 500: documents nested 30,000 levels deep (which
make Python's JSON reader raise RecursionError) in every place a JSON text is read, and numbers
beyond the float range, which JSON cannot hold, in the answers."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from security_support import PORTAL_A, Secured

from app.api.responses import JSONResponse
from profilers import jsontext

DEEP = "[" * 30_000
DEEP_CLOSED = "[" * 30_000 + "]" * 30_000
CSV = b"id,name\n1,a\n2,b\n3,c\n"


def strict_json(response: httpx2.Response) -> Any:
    """The body parsed as JSON proper: Infinity and NaN are not JSON."""

    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in a JSON answer: {response.text[:300]}")

    return json.loads(response.text, parse_constant=refuse)


def assert_client_error(response: httpx2.Response) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = strict_json(response)
    assert body["ok"] is False and body["code"] and body["error"]
    return dict(body)


@pytest.mark.parametrize("body", [DEEP, DEEP_CLOSED, '{"url": ' + DEEP_CLOSED + "}"])
def test_a_deeply_nested_score_body_is_a_400(secured: Secured, body: str) -> None:
    r = secured.client.post("/api/v1/score", content=body, headers={"Content-Type": "application/json"})
    assert assert_client_error(r)["code"] == "invalid-json"


@pytest.mark.parametrize("field", ["expectations", "schema"])
@pytest.mark.parametrize("text", [DEEP, '{"expectations": ' + DEEP_CLOSED + "}"])
def test_a_deeply_nested_suite_or_schema_field_is_a_400(secured: Secured, field: str, text: str) -> None:
    r = secured.client.post("/api/v1/score?wait=true", files={"file": ("data.csv", CSV)}, data={field: text})
    body = assert_client_error(r)
    assert "nested deeper" in body["error"]


def test_a_deeply_nested_portal_suite_is_a_400(secured: Secured) -> None:
    for text in (DEEP, DEEP_CLOSED):
        r = secured.client.put(
            f"/api/v1/portals/{PORTAL_A}/expectations", content=text, headers=secured.auth(PORTAL_A)
        )
        assert "nested deeper" in assert_client_error(r)["error"]


@pytest.mark.parametrize(("path", "method"), [("/api/v1/catalogs", "POST"), ("/api/v1/keys", "POST")])
def test_a_deeply_nested_model_body_is_a_4xx(secured: Secured, path: str, method: str) -> None:
    r = secured.client.request(
        method, path, content=DEEP_CLOSED, headers={"Content-Type": "application/json", **secured.admin}
    )
    assert_client_error(r)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("deep.json", DEEP_CLOSED.encode()),
        ("deep-open.json", DEEP.encode()),
        ("records.json", b'[{"a": 1, "b": ' + DEEP_CLOSED.encode() + b"}]"),
        ("first-line.json", b'{"a": ' + DEEP_CLOSED.encode() + b"}\n" + b'{"a": 2}\n'),
    ],
)
def test_a_deeply_nested_json_file_is_scored_with_its_defect_named(
    secured: Secured, name: str, data: bytes
) -> None:
    r = secured.client.post("/api/v1/score?wait=true", files={"file": (name, data)})
    assert r.status_code == 200, r.text[:300]
    report = strict_json(r)
    texts = json.dumps(report["findings"])
    assert "nested deeper than" in texts, texts[:500]


def test_a_json_lines_file_with_one_deep_line_keeps_the_other_lines(secured: Secured) -> None:
    lines = [json.dumps({"id": i, "name": f"n{i}"}) for i in range(6)]
    lines.insert(3, '{"id": ' + DEEP_CLOSED + "}")
    data = ("\n".join(lines) + "\n").encode()
    r = secured.client.post("/api/v1/score?wait=true", files={"file": ("rows.jsonl", data)})
    assert r.status_code == 200, r.text[:300]
    report = strict_json(r)
    assert report["source"]["rows"] == 6
    assert "invalid-json-line" in {f["code"] for f in report["findings"]}


def test_numbers_beyond_the_float_range_never_reach_a_json_answer(secured: Secured) -> None:
    rows = "\n".join(f"{i},{'1e999' if i % 2 else '-1e999'},{i}.5" for i in range(40))
    r = secured.client.post(
        "/api/v1/score?wait=true", files={"file": ("huge.csv", f"id,big,x\n{rows}\n".encode())}
    )
    assert r.status_code == 200, r.text[:300]
    report_id = strict_json(r)["id"]
    for path in (f"/api/v1/reports/{report_id}", "/api/v1/reports"):
        got = secured.client.get(path)
        assert got.status_code == 200, got.text[:300]
        strict_json(got)


def test_the_depth_scan_reads_strings_and_encodings_right() -> None:
    assert jsontext.depth('["[[[[", {"a": [1]}]') == 3
    assert jsontext.depth(r'["\"[[[", 1]') == 1
    assert jsontext.depth("[孕]".encode("utf-16")) == 1  # a code unit holding the byte of '['
    assert jsontext.loads("[" * 128 + "]" * 128) is not None
    assert len(jsontext.loads("[" + ",".join(["[1]"] * 500) + "]")) == 500  # many brackets, depth 2
    assert jsontext.loads(json.dumps(["[" * 500])) == ["[" * 500]  # brackets in a string do not nest
    with pytest.raises(ValueError, match="nested deeper than 128"):
        jsontext.loads("[" * 129 + "]" * 129)
    assert jsontext.finite({"a": [1.5, float("inf")], "b": (float("nan"),)}) == {
        "a": [1.5, "inf"],
        "b": ["nan"],
    }


def test_the_answers_write_non_finite_numbers_as_strings() -> None:
    content = {
        "min": float("-inf"),
        "max": float("inf"),
        "mean": float("nan"),
        "rows": [1.5, {"x": 1e308 * 10}],
    }
    body = JSONResponse(content).body
    assert json.loads(body, parse_constant=lambda c: pytest.fail(c)) == {
        "min": "-inf",
        "max": "inf",
        "mean": "nan",
        "rows": [1.5, {"x": "inf"}],
    }
    assert content["max"] == float("inf")  # the caller's value is not changed
