"""Reading an upload request's multipart body as it streams in, each file straight into the request's own
staging folder on the data disk: nothing is held in memory or spooled to /tmp, a file over the per-file cap
stops being written at once (its real size still counted, for the message), and the whole request is bounded
by the route's body limit (413 while it streams)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import IO

from fastapi.exceptions import RequestValidationError
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from assistant.app.uploads import StagedFile, Staging, too_large
from assistant.errors import InputError
from assistant.settings import Settings

FIELD = "files"
# As Starlette's form parser: more parts than this in one request are refused.
MAX_FILES = 1000


def _missing_files() -> RequestValidationError:
    return RequestValidationError([{"type": "missing", "loc": ("body", FIELD), "msg": "Field required", "input": None}])


class _Parts:
    """The parser's callbacks: each file part of the field ``files`` into a staged file of its own."""

    def __init__(self, staging: Staging, settings: Settings) -> None:
        self.staging = staging
        self.settings = settings
        self.limit = settings.server.max_upload_mb * 1024 * 1024
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.current: StagedFile | None = None
        self.sink: IO[bytes] | None = None
        self.parts = 0

    def on_part_begin(self) -> None:
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.strip().lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.parts += 1
        if self.parts > MAX_FILES:
            raise InputError(f"the request holds more than {MAX_FILES} parts; send the files in several requests")
        if options.get(b"name") != FIELD.encode() or b"filename" not in options:
            self.current = None  # another field: ignored, as OpenAPI declares only `files`
            return
        name = options[b"filename"].decode("utf-8", errors="replace") or "upload"
        self.current, self.sink = self.staging.new_file(name)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        staged = self.current
        if staged is None:
            return
        staged.size += end - start
        if self.sink is not None and staged.size > self.limit:
            self._drop(staged)  # over the cap: the rest of it is counted, not written
        if self.sink is not None:
            self.sink.write(data[start:end])

    def on_part_end(self) -> None:
        if self.current is not None and self.current.size > self.limit:
            self.current.problem = too_large(self.current.name, self.current.size, self.settings)
        self._close()
        self.current = None

    def _drop(self, staged: StagedFile) -> None:
        self._close()
        if staged.path is not None:
            staged.path.unlink(missing_ok=True)
            staged.path = None

    def _close(self) -> None:
        if self.sink is not None:
            self.sink.close()
            self.sink = None


async def read_upload(content_type: str, body: AsyncIterator[bytes], staging: Staging, settings: Settings) -> None:
    """Stream a ``multipart/form-data`` body into ``staging`` (its ``files`` list, in order)."""
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise _missing_files()
    parts = _Parts(staging, settings)
    parser = MultipartParser(
        options[b"boundary"],
        {
            "on_part_begin": parts.on_part_begin,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        problem = f"the upload is not valid multipart/form-data ({exc}); send the files as the field 'files'"
        raise InputError(problem) from exc
    finally:
        parts._close()
    if not staging.files:
        raise _missing_files()
