"""Stream a multipart upload straight into the blob store: the file part never sits in memory
and the size limit is enforced while the bytes arrive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from app.ingest.blobs import Blob, BlobWriter

MAX_FIELD_BYTES = 64 * 1024
DECLARED_FIELDS = ("expectations", "schema")
"""The fields that carry a Great Expectations suite or a Table Schema: their limit is
ODQ_SUITE_MAX_BYTES (``declared_max``), the others' MAX_FIELD_BYTES."""
MULTIPART_OVERHEAD = 64 * 1024


@dataclass
class Upload:
    blob: Blob | None = None
    filename: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _Collector:
    def __init__(self, blob_dir: Path, limit: int, declared_max: int) -> None:
        self.blob_dir = blob_dir
        self.limit = limit
        self.declared_max = declared_max
        self.upload = Upload()
        self.writer: BlobWriter | None = None
        self._headers: dict[str, str] = {}
        self._hname = b""
        self._hvalue = b""
        self._name: str | None = None
        self._is_file = False
        self._value = bytearray()

    # header callbacks
    def on_part_begin(self) -> None:
        self._headers = {}
        self._name = None
        self._is_file = False
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def on_header_end(self) -> None:
        # latin-1 keeps the raw bytes: parse_options_header re-encodes the value as latin-1, and the
        # file name is decoded as UTF-8 below (browsers send UTF-8 names unescaped).
        self._headers[self._hname.decode("latin-1").lower()] = self._hvalue.decode("latin-1")
        self._hname = b""
        self._hvalue = b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        name = params.get(b"name")
        self._name = name.decode("utf-8", "replace") if name else None
        filename = params.get(b"filename")
        if filename is not None and self._name == "file":
            if self.writer is not None:
                raise BadRequest("Send one file per request.", code="too-many-files")
            self._is_file = True
            self.upload.filename = filename.decode("utf-8", "replace")
            self.writer = BlobWriter(self.blob_dir, self.limit)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            assert self.writer is not None
            self.writer.write(data[start:end])
        else:
            self._value += data[start:end]
            most = self.declared_max if self._name in DECLARED_FIELDS else MAX_FIELD_BYTES
            if len(self._value) > most:
                raise BadRequest(
                    f"Form field {self._name!r} is longer than {most:,} bytes"
                    + (" (ODQ_SUITE_MAX_BYTES)." if self._name in DECLARED_FIELDS else "."),
                    code="field-too-long",
                )

    def on_part_end(self) -> None:
        if not self._is_file and self._name:
            self.upload.fields[self._name] = self._value.decode("utf-8", "replace")


async def receive_upload(
    request: Request,
    blob_dir: Path,
    limit: int,
    check_fields: Callable[[dict[str, str], str | None], None] | None = None,
    *,
    declared_max: int = 1024 * 1024,
) -> Upload:
    """The upload, its file stored as a blob. ``check_fields(fields, filename)`` (run in a thread)
    may refuse the form fields by raising: the file is then discarded, never stored."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or b"boundary" not in params:
        raise UnsupportedMediaType(
            "Send the file as multipart/form-data in a field named 'file' (curl -F file=@data.csv …).",
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(
            f"The upload is {int(declared) / 1024 / 1024:.1f} MiB; the limit is {limit / 1024 / 1024:.0f} MiB. "
            "Split the file or ask the operator to raise ODQ_MAX_UPLOAD_MB.",
            limit_bytes=limit,
        )
    collector = _Collector(blob_dir, limit, declared_max)
    callbacks = {
        "on_part_begin": collector.on_part_begin,
        "on_part_data": collector.on_part_data,
        "on_part_end": collector.on_part_end,
        "on_header_field": collector.on_header_field,
        "on_header_value": collector.on_header_value,
        "on_header_end": collector.on_header_end,
        "on_headers_finished": collector.on_headers_finished,
    }
    try:
        # Inside the try: the parser refuses some boundaries (longer than 256 characters) at once.
        parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        # python-multipart's finalize() does not check that the body ended: a body cut off
        # before its closing boundary would otherwise be scored as if complete.
        if parser.state != MultipartState.END:
            raise BadRequest(
                "The multipart body ended before its closing boundary (upload interrupted?); send it again.",
                code="malformed-multipart",
            )
    except (BadRequest, PayloadTooLarge):
        if collector.writer is not None:
            collector.writer.abort()
        raise
    except Exception as exc:  # malformed multipart bodies raise several parser errors
        if collector.writer is not None:
            collector.writer.abort()
        raise BadRequest(
            f"The multipart body could not be parsed: {exc}", code="malformed-multipart"
        ) from exc
    upload = collector.upload
    if check_fields is not None:
        try:
            await run_in_threadpool(check_fields, upload.fields, upload.filename)
        except BaseException:
            if collector.writer is not None:
                collector.writer.abort()
            raise
    if collector.writer is not None:
        # In a thread: moving the file into place (and any flush to disk) never stalls the event loop.
        upload.blob = await run_in_threadpool(collector.writer.commit)
    return upload
