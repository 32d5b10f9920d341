"""The API docs load nothing from outside: ODQ runs on air-gapped networks."""

import re

import pytest
from fastapi.testclient import TestClient

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_use_only_local_assets(client: TestClient, page: str) -> None:
    r = client.get(page)
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert not EXTERNAL.findall(r.text), EXTERNAL.findall(r.text)
    # and every local asset they name is served
    for url in re.findall(r"""["'](/static-offline-docs/[^"']+)["']""", r.text):
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
