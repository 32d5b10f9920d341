"""Operations: request ids, structured JSON logs and Prometheus metrics, all in-process.

- Every HTTP request gets an id: a client's ``X-Request-ID`` is kept when it is a short token of
  safe characters (``[A-Za-z0-9._:-]``, at most 128), otherwise a new one is made; the response
  carries it back in ``X-Request-ID`` and every log record written while the request runs has it.
- Logs are one JSON object per line (``ts, level, logger, msg, request_id`` and extras) when
  ``odq serve`` configures them with :func:`log_config`. One access line per request:
  method, route template, path (never the query string, which may hold a key), status, duration.
  Request headers are never logged, so keys and tokens in ``Authorization`` or ``X-API-Key``
  never reach a log line; :class:`JsonFormatter` also masks key-like values in messages.
- ``GET /metrics`` serves the counters in the Prometheus text format (0.0.4). Labels are route
  templates (``/api/v1/reports/{report_id}``), never raw paths, so the series stay few. Other
  parts of the service add their own numbers with :meth:`Metrics.register_collector` (the job
  queue reports its depth that way) and count scored files with :func:`note_scored`.

The middleware is a plain ASGI one (not ``BaseHTTPMiddleware``): it does not buffer bodies, so
streamed uploads stay streamed.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds; the scoring of small files lands in the first buckets, big files in the last.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# key=…, token: …, Bearer … and odq_… keys in free text are masked before a line is written.
_SECRET = re.compile(
    r"(?i)(\b(?:api[_-]?key|token|secret|password|authorization)\b[\"']?\s*[:=]\s*[\"']?(?:bearer\s+)?)"
    r"([^\s\"'&,;]+)"
    r"|(\bbearer\s+)([A-Za-z0-9._~+/=-]+)"
    r"|\b(odq_[A-Za-z0-9_-]{8,})"
)

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("odq_request_id", default=None)
_current_metrics: contextvars.ContextVar[Metrics | None] = contextvars.ContextVar("odq_metrics", default=None)

access_log = logging.getLogger("odq.access")


def current_request_id() -> str | None:
    """The id of the request this code runs for (also inside ``run_in_threadpool``), if any."""
    return _request_id.get()


def request_id_from(value: str | None) -> str:
    """The client's id when it is safe to echo and log, else a fresh one."""
    if value and _SAFE_ID.match(value):
        return value
    return uuid.uuid4().hex


def redact(text: str) -> str:
    """Mask values that look like keys or tokens."""

    def mask(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1) + "[redacted]"
        if m.group(3) is not None:
            return m.group(3) + "[redacted]"
        return "[redacted]"

    return _SECRET.sub(mask, text)


# -- metrics ----------------------------------------------------------------------------------

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    buckets: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    n: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.buckets)

    def observe(self, value: float) -> None:
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += 1
                break
        self.total += value
        self.n += 1


@dataclass(frozen=True)
class Sample:
    """One line of a metric family produced by a collector: ``name{labels} value``."""

    name: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # counter | gauge
    help: str
    samples: tuple[Sample, ...]


Collector = Callable[[], Iterable[Family]]


class Metrics:
    """Counters, gauges and a latency histogram of one app, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.requests: dict[Labels, int] = {}
        self.latency: dict[Labels, _Histogram] = {}
        self.in_flight = 0
        self.reports: dict[Labels, int] = {}
        self.rows = 0
        self.bytes = 0
        self._collectors: list[Collector] = []

    # updates

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (("method", method), ("route", route), ("status", str(status)))
        hkey = (("method", method), ("route", route))
        with self._lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            hist = self.latency.get(hkey)
            if hist is None:
                hist = self.latency[hkey] = _Histogram(LATENCY_BUCKETS)
            hist.observe(seconds)

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def observe_scored(self, rows: int, size: int, cached: bool) -> None:
        key = (("cached", "true" if cached else "false"),)
        with self._lock:
            self.reports[key] = self.reports.get(key, 0) + 1
            if not cached:
                self.rows += rows
                self.bytes += size

    def register_collector(self, collector: Collector) -> None:
        """``collector()`` is called on each scrape and returns families (e.g. job counts by
        state, queue depth). A collector that raises is skipped, and counted."""
        with self._lock:
            self._collectors.append(collector)

    # exposition

    def render(self) -> str:
        with self._lock:
            requests = dict(self.requests)
            latency = {k: (list(h.counts), h.total, h.n) for k, h in self.latency.items()}
            in_flight, reports, rows, size = self.in_flight, dict(self.reports), self.rows, self.bytes
            collectors = list(self._collectors)
        out: list[str] = []

        def family(name: str, kind: str, help_: str) -> None:
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {kind}")

        family("odq_http_requests_total", "counter", "HTTP requests answered, by method, route and status.")
        for key in sorted(requests):
            out.append(f"odq_http_requests_total{_labels(key)} {requests[key]}")
        family(
            "odq_http_request_duration_seconds",
            "histogram",
            "Time from the request's arrival to the end of its response, by method and route.",
        )
        for key in sorted(latency):
            counts, total, n = latency[key]
            running = 0
            for bound, c in zip(LATENCY_BUCKETS, counts, strict=True):
                running += c
                le = (*key, ("le", _num(bound)))
                out.append(f"odq_http_request_duration_seconds_bucket{_labels(le)} {running}")
            out.append(f"odq_http_request_duration_seconds_bucket{_labels((*key, ('le', '+Inf')))} {n}")
            out.append(f"odq_http_request_duration_seconds_sum{_labels(key)} {_num(total)}")
            out.append(f"odq_http_request_duration_seconds_count{_labels(key)} {n}")
        family("odq_http_requests_in_flight", "gauge", "HTTP requests being answered now.")
        out.append(f"odq_http_requests_in_flight {in_flight}")
        family(
            "odq_reports_total",
            "counter",
            "Reports returned by scoring, by whether the stored report was reused (cached).",
        )
        for cached in ("false", "true"):
            key = (("cached", cached),)
            out.append(f"odq_reports_total{_labels(key)} {reports.get(key, 0)}")
        family("odq_scored_rows_total", "counter", "Data rows read by scoring (reused reports not counted).")
        out.append(f"odq_scored_rows_total {rows}")
        family("odq_scored_bytes_total", "counter", "Bytes of files scored (reused reports not counted).")
        out.append(f"odq_scored_bytes_total {size}")

        failed = 0
        for collect in collectors:
            try:
                families = list(collect())
            except Exception:
                logging.getLogger("odq.metrics").exception("metrics collector failed")
                failed += 1
                continue
            for fam in families:
                family(fam.name, fam.kind, fam.help)
                for s in fam.samples:
                    lab = tuple(sorted(s.labels.items()))
                    out.append(f"{s.name}{_labels(lab)} {_num(s.value)}")
        family("odq_metrics_collector_errors", "gauge", "Collectors that failed during this scrape.")
        out.append(f"odq_metrics_collector_errors {failed}")

        family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.")
        out.append(f"process_start_time_seconds {_num(self.started)}")
        rss = _rss_bytes()
        if rss is not None:
            family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
            out.append(f"process_resident_memory_bytes {rss}")
        return "\n".join(out) + "\n"


JOB_STATES = ("queued", "running", "done", "failed")


def job_families(job_stats: Callable[[], Mapping[str, int]] | None) -> list[Family]:
    """``odq_jobs{state}`` and ``odq_queue_depth`` from ``app.state.job_stats`` (a callable
    returning job counts by state, set by the job runner); zeros while there is none."""
    counts = dict(job_stats()) if job_stats is not None else {}
    states = list(JOB_STATES) + sorted(set(counts) - set(JOB_STATES))
    return [
        Family(
            "odq_jobs",
            "gauge",
            "Jobs in the job table, by state.",
            tuple(Sample("odq_jobs", counts.get(s, 0), {"state": s}) for s in states),
        ),
        Family(
            "odq_queue_depth",
            "gauge",
            "Jobs waiting to run.",
            (Sample("odq_queue_depth", counts.get("queued", 0)),),
        ),
    ]


def _labels(pairs: Labels) -> str:
    if not pairs:
        return ""
    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(float(value))
    return repr(float(value))


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def note_scored(rows: int, size: int, cached: bool) -> None:
    """Count a scored file in the metrics of the app serving this request (no-op elsewhere,
    e.g. in the CLI)."""
    metrics = _current_metrics.get()
    if metrics is not None:
        metrics.observe_scored(rows, size, cached)


def bind_metrics(metrics: Metrics | None) -> None:
    """Count what this thread scores in ``metrics`` (a background worker of the app, e.g. the
    score queue's, which serves no request of its own)."""
    _current_metrics.set(metrics)


# -- middleware -------------------------------------------------------------------------------


class ObservabilityMiddleware:
    """Request id, access log line and request metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        rid = request_id_from(incoming)
        rid_token = _request_id.set(rid)
        metrics_token = _current_metrics.set(self.metrics)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        self.metrics.enter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.leave()
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            if route != "/metrics":
                self.metrics.observe_request(method, route, status, elapsed)
            access_log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "path": str(scope.get("path", "")),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            _current_metrics.reset(metrics_token)
            _request_id.reset(rid_token)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "(unmatched)"


def install(app: Any) -> Metrics:
    """Add the middleware and ``GET /metrics`` (outside the OpenAPI schema) to a FastAPI app."""
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    metrics.register_collector(lambda: job_families(getattr(app.state, "job_stats", None)))

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        current: Metrics = request.app.state.metrics
        return Response(current.render(), media_type=CONTENT_TYPE)

    return metrics


# -- logging ----------------------------------------------------------------------------------

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, msg, request_id, the record's
    extra fields, and ``exc`` with the traceback when there is one. Key-like values are masked."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None) or _request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key in out or key.startswith("_"):
                continue
            out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(level: str = "info", json_logs: bool = True) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for ``uvicorn.run(log_config=…)``: JSON lines on stderr for
    ODQ and uvicorn (uvicorn's own access log is replaced by ``odq.access``)."""
    formatter = (
        {"()": f"{__name__}.JsonFormatter"}
        if json_logs
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
