"""Schemathesis against the OpenAPI schema of a real `odq serve` (uvicorn on 127.0.0.1, temporary
data dir): generated requests, valid and invalid, to every operation. No 5xx, and every response
conforms to the schema (status documented, body matching, content type as declared)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import schemathesis
from fuzz_support import fuzz_settings
from hypothesis import HealthCheck, given, settings
from ops_support import Server, running
from schemathesis import GenerationMode, checks

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module. When its tests are done (whichever worker ran them), it must
    still be up, with no 5xx counted and no traceback in its log: every failure was a 4xx."""
    root = tmp_path_factory.mktemp("schemathesis")
    with running(root / "var", root / "server.log") as s:
        yield s
        assert httpx2.get(f"{s.base_url}/health", timeout=30).status_code == 200
        metrics = httpx2.get(f"{s.base_url}/metrics", timeout=30).text
        assert not [line for line in metrics.splitlines() if 'status="5' in line], metrics
    log = s.log()
    assert "Traceback" not in log, log[-3000:]
    assert '"status": 5' not in log, [line for line in log.splitlines() if '"status": 5' in line][:5]


def operations() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) of every operation in the app's schema (read from the app, no
    server): positive cases for all, negative ones where there is a query or a body to break."""
    app = create_app(Settings(data_dir=Path("unused-never-started")))
    out = []
    for path, ops in app.openapi()["paths"].items():
        for method, op in ops.items():
            out.append((method.upper(), path, GenerationMode.POSITIVE))
            # (a path parameter that takes any string has no invalid value to send)
            if op.get("requestBody") or any(x.get("in") != "path" for x in op.get("parameters", [])):
                out.append((method.upper(), path, GenerationMode.NEGATIVE))
    return sorted(out)


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


# What the API promises: no 5xx, and each response as its schema documents it (status, content
# type, headers, body). Whether every schema-valid request is also accepted (schemathesis'
# positive_data_acceptance) is a stricter property, not asserted here.
CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


# schemathesis.pytest.from_fixture() cannot run under pytest 9 (it sets Function._nodeid, which
# pytest 9 no longer has), so each operation's strategy is driven by hypothesis directly.
@pytest.mark.parametrize("operation", operations(), ids=lambda o: f"{o[0]} {o[1]} {o[2]}")
def test_api_conforms_to_its_schema(
    api_schema: Any, server: Server, operation: tuple[str, str, GenerationMode]
) -> None:
    method, path, mode = operation
    strategy = api_schema[path][method].as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(fuzz_settings(0.4), suppress_health_check=[*HealthCheck.all()])
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=server.base_url, timeout=60, checks=CONFORMANCE)

    run()
