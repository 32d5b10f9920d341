"""The SSRF guard: every URL from outside is resolved once (here through a stub resolver, so no
real DNS is involved), every address must be public unless ODQ_FETCH_ALLOW lets it through, the
socket connects to the address that was checked, and every redirect is checked again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_fetch import CSV, LocalServer, send

from app.ingest.fetch import Allowlist, Fetcher, FetchError, Guard, check_url, parse_numeric_host
from app.settings import Settings

PUBLIC = "93.184.216.34"

# host → addresses the stub resolver gives
DNS: dict[str, list[str]] = {
    "public.example.org": [PUBLIC],
    "localhost.example.org": ["127.0.0.1"],
    "intranet.example.org": ["10.1.2.3"],
    "metadata.example.org": ["169.254.169.254"],
    "cgnat.example.org": ["100.64.0.7"],
    "v6local.example.org": ["fd12:3456::1"],
    "v6loop.example.org": ["::1"],
    "nat64.example.org": ["64:ff9b::a9fe:a9fe"],  # NAT64 of 169.254.169.254
    "rebind.example.org": [PUBLIC, "192.168.0.10"],  # one bad address is enough to refuse
    "portal.example.org": ["127.0.0.1"],  # the local test server under a name the real DNS does not know
}


class StubResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        if host not in DNS:
            raise OSError(f"stub resolver: {host} unknown")
        return list(DNS[host])


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver()


def fetcher_for(tmp_path: Path, resolver: StubResolver, allow: str = "") -> Fetcher:
    settings = Settings(
        data_dir=tmp_path / "var", fetch_allow=allow, fetch_timeout=1.0, fetch_per_host_rps=0, fetch_retries=0
    )
    return Fetcher(settings, resolver=resolver)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as s:
        yield s


REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/x.csv",
    "http://0.0.0.0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 embedding 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 embedding 169.254.169.254
    "http://[64:ff9b:1::a01:203]/",  # local-use NAT64
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 embedding 169.254.169.254
    "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f000001/",  # hex
    "http://0177.0.0.1/",  # octal
    "http://017700000001/",  # octal, one part
    "http://0x7f.1/",
    "http://127.1/",
    "http://2852039166/",  # decimal 169.254.169.254
    "http://224.0.0.1/",  # multicast
    "http://localhost.example.org/",
    "http://intranet.example.org/",
    "http://metadata.example.org/",
    "http://cgnat.example.org/",
    "http://v6local.example.org/",
    "http://v6loop.example.org/",
    "http://nat64.example.org/",
    "http://rebind.example.org/",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused(tmp_path: Path, resolver: StubResolver, url: str) -> None:
    with fetcher_for(tmp_path, resolver) as f:
        with pytest.raises(FetchError) as err:
            f.get_bytes(url, max_bytes=100)
        assert err.value.code == "url-refused", err.value.message
        got = f.download(url, tmp_path / "blobs", max_bytes=100)
        assert got.error_code == "url-refused" and got.blob is None
        link = f.head(url)
        assert link.error_code == "url-refused"
    host = url.split("//", 1)[1].split("/", 1)[0]
    if parse_numeric_host(host.rsplit(":", 1)[0] if not host.startswith("[") else host) is not None:
        assert resolver.calls == []  # numeric spellings are read, never handed to a resolver


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("[::1]", "::1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_numeric_spellings_are_read_like_inet_aton(spelling: str, address: str) -> None:
    assert str(parse_numeric_host(spelling)) == address


@pytest.mark.parametrize(
    "host", ["example.org", "08.1.1.1", "1.2.3.4.5", "256.1.1.1", "data-portal.gov", "1e100.net"]
)
def test_names_are_not_numbers(host: str) -> None:
    assert parse_numeric_host(host) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://public.example.org/a.csv",
        "file:///etc/passwd",
        "gopher://public.example.org/",
        "http:///nohost",
        "http://user:pw@public.example.org/",
    ],
)
def test_bad_urls(tmp_path: Path, resolver: StubResolver, url: str) -> None:
    with fetcher_for(tmp_path, resolver) as f, pytest.raises(FetchError) as err:
        f.get_bytes(url, max_bytes=100)
    assert err.value.code == "bad-url"
    assert resolver.calls == []


def test_a_public_address_passes_the_guard(resolver: StubResolver) -> None:
    guard = Guard(Allowlist(""), resolver)
    assert [str(a) for a in guard.addresses("public.example.org")] == [PUBLIC]
    assert resolver.calls == ["public.example.org"]


def test_allowlist_hosts_and_cidrs(resolver: StubResolver) -> None:
    guard = Guard(Allowlist("127.0.0.1, 10.0.0.0/8 ,intranet.example.org"), resolver)
    assert [str(a) for a in guard.addresses("127.0.0.1")] == ["127.0.0.1"]
    assert [str(a) for a in guard.addresses("10.200.0.1")] == ["10.200.0.1"]
    assert [str(a) for a in guard.addresses("intranet.example.org")] == ["10.1.2.3"]
    for host in ("127.0.0.2", "169.254.169.254", "192.168.0.1", "metadata.example.org"):
        with pytest.raises(Exception) as err:
            guard.addresses(host)
        assert "is" in str(err.value)


def test_the_refused_address_is_never_connected(
    tmp_path: Path, resolver: StubResolver, server: LocalServer
) -> None:
    """portal.example.org resolves to the running local server, but 127.0.0.1 is not allowed: refused
    before any connection, so the server sees nothing."""
    server.routes["/data.csv"] = lambda h: send(h, 200, CSV)
    with fetcher_for(tmp_path, resolver) as f:
        got = f.download(
            server.url("/data.csv", host="portal.example.org"), tmp_path / "blobs", max_bytes=1000
        )
    assert got.error_code == "url-refused"
    assert sum(server.hits.values()) == 0


def test_connects_to_the_checked_address_without_a_second_lookup(
    tmp_path: Path, resolver: StubResolver, server: LocalServer
) -> None:
    """portal.example.org exists only in the stub resolver: the download can only work if the socket goes
    to the address the guard checked. The Host header keeps the name."""
    server.routes["/data.csv"] = lambda h: send(h, 200, CSV)
    with fetcher_for(tmp_path, resolver, allow="127.0.0.1") as f:
        got = f.download(
            server.url("/data.csv", host="portal.example.org"), tmp_path / "blobs", max_bytes=1000
        )
    assert got.ok and got.blob is not None and got.blob.path.read_bytes() == CSV
    assert server.headers[-1]["host"] == f"portal.example.org:{server.port}"
    # HEAD, robots.txt and GET share one checked connection per origin: one lookup per connection
    assert 1 <= resolver.calls.count("portal.example.org") <= 3
    assert set(resolver.calls) == {"portal.example.org"}


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.2:{port}/data.csv",
        "http://[::1]:{port}/data.csv",
        "http://2130706434:{port}/data.csv",  # 127.0.0.2, decimal
        "http://intranet.example.org/data.csv",
        "http://nat64.example.org/",
        "file:///etc/passwd",
    ],
)
def test_redirects_are_checked_again(
    tmp_path: Path, resolver: StubResolver, server: LocalServer, target: str
) -> None:
    """The local server (allowed) redirects to a refused place: the hop is refused."""
    location = target.format(port=server.port)
    server.routes["/out.csv"] = lambda h: send(h, 302, b"", {"Location": location})
    server.routes["/data.csv"] = lambda h: send(h, 200, CSV)
    with fetcher_for(tmp_path, resolver, allow="127.0.0.1") as f:
        got = f.download(server.url("/out.csv"), tmp_path / "blobs", max_bytes=1000)
        assert got.error_code in ("url-refused", "bad-url"), got.error
        assert got.blob is None
        with pytest.raises(FetchError) as err:
            f.get_json(server.url("/out.csv"))
        assert err.value.code in ("url-refused", "bad-url")
    assert server.hits[("GET", "/data.csv")] == 0


def test_redirect_from_an_outside_name_to_loopback(
    tmp_path: Path, resolver: StubResolver, server: LocalServer
) -> None:
    """An allowed name (portal.example.org, on the allowlist by name) redirects to the loopback address
    itself, which is not allowed: refused."""
    server.routes["/go.csv"] = lambda h: send(h, 302, b"", {"Location": server.url("/data.csv")})
    server.routes["/data.csv"] = lambda h: send(h, 200, CSV)
    with fetcher_for(tmp_path, resolver, allow="portal.example.org") as f:
        got = f.download(server.url("/go.csv", host="portal.example.org"), tmp_path / "blobs", max_bytes=1000)
    assert got.error_code == "url-refused"
    assert server.hits[("GET", "/data.csv")] == 0 and server.hits[("HEAD", "/data.csv")] == 0


def test_unresolvable_host_has_its_own_code(tmp_path: Path, resolver: StubResolver) -> None:
    with fetcher_for(tmp_path, resolver) as f:
        got = f.download("http://no-such-host.example.org/a.csv", tmp_path / "blobs", max_bytes=100)
    assert got.error_code == "host-not-found" and "resolve" in (got.error or "")


SPECIAL_USE = [
    "localhost",
    "localhost.",
    "LOCALHOST",
    "api.localhost",
    "metadata.google.internal",
    "printer.local",
    "router.home.arpa",
    "nothing.invalid",
    "portal.test",
    "docs.example",
    "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion",
    "x.alt",
]


@pytest.mark.parametrize("host", SPECIAL_USE)
def test_special_use_names_are_refused_before_any_lookup(
    tmp_path: Path, resolver: StubResolver, host: str
) -> None:
    """RFC 6761/6762/7686/8375 names never denote a public host: refused by name, the resolver is
    never asked (``.internal`` names such as a cloud's metadata host exist only inside it)."""
    url = f"http://{host}/data.csv"
    with pytest.raises(FetchError) as err:
        check_url(url)
    assert err.value.code == "url-refused" and "special-use" in err.value.message
    with fetcher_for(tmp_path, resolver) as f:
        got = f.download(url, tmp_path / "blobs", max_bytes=100)
        assert got.error_code == "url-refused" and got.blob is None
        assert f.head(url).error_code == "url-refused"
    assert resolver.calls == []


def test_an_allowlisted_special_use_name_passes_the_syntax_check() -> None:
    assert check_url("http://data.intranet.internal/x.csv", Allowlist("data.intranet.internal"))[1] == (
        "data.intranet.internal"
    )
    for near in ("localhost.example.org", "mylocal", "testing.org", "onion.example.org"):
        assert check_url(f"http://{near}/")[1] == near  # only the names themselves and their subdomains


@pytest.mark.parametrize("host", ["..", "a..b", "-x.org", "x-.org", "a b.org", "x" * 64 + ".org"])
def test_a_host_that_is_no_host_name_is_a_bad_url(tmp_path: Path, resolver: StubResolver, host: str) -> None:
    with pytest.raises(FetchError) as err:
        check_url(f"https://{host}/srv/secret")
    assert err.value.code == "bad-url"
    with fetcher_for(tmp_path, resolver) as f:
        assert f.download(f"https://{host}/x.csv", tmp_path / "blobs", max_bytes=10).error_code == "bad-url"
    assert resolver.calls == []


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("[::1]", "a loopback address"),
        ("127.0.0.1", "a loopback address"),
        ("[::]", "the unspecified address"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("10.0.0.1", "a private address"),
    ],
)
def test_refusal_texts_name_the_kind_of_address(
    tmp_path: Path, resolver: StubResolver, host: str, why: str
) -> None:
    with fetcher_for(tmp_path, resolver) as f:
        got = f.download(f"http://{host}/", tmp_path / "blobs", max_bytes=10)
    assert got.error_code == "url-refused" and why in (got.error or ""), got.error
    if host == "[::1]":
        assert "private" not in (got.error or "")
