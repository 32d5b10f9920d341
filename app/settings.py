"""Settings, read from the environment with the prefix ``ODQ_``. Built explicitly (never at
import time) so tests pass their own: ``create_app(Settings(data_dir=tmp_path))``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # Errors name the setting and the rule, never the value (it may be a token).
    model_config = SettingsConfigDict(env_prefix="ODQ_", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(
        Path("./var"),
        description="Folder of the DuckDB database (odq.duckdb) and the uploaded files (blobs/, by sha256).",
    )
    host: str = Field("127.0.0.1", description="Address `odq serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `odq serve` listens on.")
    max_upload_mb: float = Field(
        512.0,
        gt=0,
        description="Largest file accepted for scoring, in MiB; enforced while the upload streams (413 above it).",
    )
    store_rows: bool = Field(
        True,
        description="Keep the rows ODQ loaded from each file in the database (table data.r_<sha256>), "
        "for previews and cross-dataset checks.",
    )
    log_level: str = Field(
        "info",
        pattern="^(?i)(debug|info|warning|error|critical)$",
        description="Lowest level of the log lines `odq serve` writes (debug, info, warning, error).",
    )
    log_json: bool = Field(
        True,
        description="Write logs as one JSON object per line (ts, level, logger, msg, request_id, …); "
        "false: plain text.",
    )
    admin_token: SecretStr | None = Field(
        None,
        min_length=16,
        description="Token of the administrator (send as `Authorization: Bearer …` or `X-API-Key`): may write to "
        "every portal and manage API keys; at least 16 characters. Unset: no administrator over HTTP (use "
        "`odq keys` on the server).",
    )
    anonymous_scoring: bool = Field(
        True,
        description="Let callers without an API key score files (the form and POST /api/v1/score); they never "
        "write to a portal. Off: scoring needs a key (401 without one).",
    )
    anonymous_rate_per_minute: int = Field(
        30,
        ge=0,
        description="Scoring requests per minute one anonymous client (IP address) may make; 429 with "
        "Retry-After above it. 0: no limit.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDRs of reverse proxies (e.g. `127.0.0.1,10.0.0.0/8`) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed: behind them, the client a rate limit counts is the "
        "forwarded one. Empty: forwarded headers are ignored, whoever sends them (loopback included).",
    )
    isolate_parsing: bool = Field(
        True,
        description="Read and profile each uploaded file in a worker process with the limits below, so a "
        "pathological file costs one worker and a `resource-limit` finding, never the server.",
    )
    worker_memory_mb: int = Field(
        4096,
        ge=64,
        description="Resident memory (MiB) a parsing worker may use for one file (address space: 3×).",
    )
    worker_cpu_seconds: int = Field(
        300, ge=1, description="CPU time (seconds) a parsing worker may spend on one file."
    )
    max_sheets: int = Field(
        20,
        ge=0,
        description="Other data sheets of a workbook scored with its data sheet, each on its own (the report's "
        "`sheets`); the ones past it are listed as not scored. The cell limit applies to the sheets together.",
    )
    worker_timeout_s: float = Field(
        600.0, gt=0, description="Wall-clock time (seconds) after which the worker parsing a file is stopped."
    )
    score_wait_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds `POST /api/v1/score` waits for a fresh upload's report; a report ready by then is "
        "answered with 200, else 202 with the job to follow (`GET /api/v1/jobs/{id}`). `?wait=true` or "
        "`Prefer: wait=N` waits longer (up to ODQ_SCORE_WAIT_MAX_SECONDS).",
    )
    score_wait_max_seconds: float = Field(
        600.0,
        ge=0,
        description="Most seconds a request asking to wait (`?wait=true`, `Prefer: wait=N`) is held for its report.",
    )
    score_workers: int = Field(
        0,
        ge=0,
        le=64,
        description="Uploads scored at the same time (the parsing workers); the others queue in arrival order. "
        "0: one per CPU core.",
    )
    score_queue_max: int = Field(
        64,
        ge=1,
        description="Most uploads and URLs waiting for a scoring worker (the API's and the web form's); above it "
        "the request is answered 503 `queue-full` with Retry-After.",
    )
    # -- the work one request may cause: a cheap request never buys expensive work --
    suite_max_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest Great Expectations suite or Table Schema a caller may send (the `expectations` and "
        "`schema` upload fields, a portal's suite), in bytes; above it 413 `suite-too-large` / "
        "`schema-too-large` (400 `field-too-long` in a multipart form).",
    )
    suite_max_rules: int = Field(
        1000,
        ge=1,
        description="Most expectations in a suite, and most fields plus constraints and keys in a Table Schema, "
        "a caller may send; above it 422 `too-many-rules`. Each expectation costs a scoring worker about "
        "30 ms of CPU on a small file, more on a large one.",
    )
    shutdown_seconds: float = Field(
        10.0,
        gt=0,
        description="On SIGTERM/SIGINT: seconds `odq serve` waits for requests in flight and running score "
        "jobs before it exits; parsing workers and downloads still running then are ended (their jobs "
        "resume at the next start).",
    )
    fetch_allow: str = Field(
        "",
        description="Comma-separated hosts or CIDRs (e.g. `127.0.0.1,10.1.0.0/16,data.intranet`) the SSRF guard "
        "lets through although they are not public addresses. Empty: only public addresses are fetched.",
    )
    fetch_timeout: float = Field(
        30.0, gt=0, description="Seconds to wait for a remote server to connect or to send the next bytes."
    )
    fetch_deadline: float = Field(
        300.0, gt=0, description="Most seconds one download may take in all, redirects and retries included."
    )
    fetch_max_mb: float = Field(
        512.0, gt=0, description="Largest remote file downloaded for scoring, in MiB (too-large above it)."
    )
    fetch_retries: int = Field(
        3,
        ge=0,
        le=10,
        description="Retries of a request after a connection error, 429 (honouring Retry-After), 502, 503 or 504.",
    )
    fetch_per_host: int = Field(4, ge=1, le=64, description="Most requests in flight to one host at a time.")
    fetch_per_host_rps: float = Field(
        10.0, ge=0, description="Most requests per second started to one host (0: no limit)."
    )
    fetch_user_agent: str = Field(
        "ODQ/0.1 (open government data quality scoring; catalog harvester)",
        description="User-Agent sent with every request, so portal operators can see who is fetching.",
    )
    fetch_robots: bool = Field(
        True,
        description="Obey robots.txt of the portals harvested and of the hosts files are downloaded from.",
    )
    # -- catalog runs: who may start how many, with how many workers ------------------------
    catalog_runs_max: int = Field(
        4,
        ge=1,
        description="Catalog runs the server runs at the same time (all keys together); above it "
        "POST /api/v1/catalogs answers 503 `runs-full` with Retry-After.",
    )
    catalog_runs_per_key: int = Field(
        2,
        ge=1,
        description="Catalog runs one API key (a portal's or the administrator's) may have going at the same "
        "time; above it 429 `too-many-runs` with Retry-After.",
    )
    catalog_workers: int = Field(
        4,
        ge=1,
        le=256,
        description="Worker processes of a catalog run that asks for none (fewer on a machine with fewer "
        "cores), and the most a portal key may ask for (400 `too-many-workers` above it).",
    )
    catalog_workers_max: int = Field(
        16,
        ge=1,
        le=256,
        description="The most worker processes any catalog run may have, the administrator's and `odq "
        "catalog`'s included (400 `too-many-workers` above it).",
    )
    # -- end of catalog runs ----------------------------------------------------------------------
    web_background_mb: float = Field(
        8.0,
        ge=0,
        description="Files larger than this (MiB) uploaded through the web form go to a progress page at once; "
        "smaller ones wait for their report (up to ODQ_SCORE_WAIT_MAX_SECONDS). Both are jobs of the score queue.",
    )
    weights_file: Path | None = Field(
        None,
        description="A scoring weights JSON (the format of scoring/weights/v1.json) that /methodology shows instead "
        "of the packaged weights, with a notice naming it, while calibrating. Scores still use the packaged weights.",
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "odq.duckdb"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
