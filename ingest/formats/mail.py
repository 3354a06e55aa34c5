"""Saved e-mails (.eml): the headers a reader looks at, then the body (plain text, or the HTML part's
visible text); attachments are listed by name, not read."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText
from ingest.formats.web import load_html

_SHOWN_HEADERS = ("Subject", "From", "To", "Cc", "Date")
_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s";]{1,200}))', re.IGNORECASE)
_HEADERS_END = re.compile(rb"\r?\n\r?\n")


def load_eml(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Sections 'Subject > headers' and 'Subject > body'."""
    if b"\x00" in data[:8192]:
        raise IngestError(
            f"{path.name}: looks like binary data, not a saved e-mail; save the message as .eml from your mail program"
        )
    message = email.message_from_bytes(_without_attachment_bodies(data), policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not any(message.get(name) for name in ("From", "Subject", "Date")):
        raise IngestError(
            f"{path.name}: not an e-mail (no From, Subject or Date header); save the message as .eml from your "
            "mail program"
        )
    if message.get_content_type() in ("application/pkcs7-mime", "multipart/encrypted"):
        raise IngestError(
            f"{path.name}: the e-mail is encrypted (S/MIME or PGP); save a decrypted copy and ingest that"
        )
    subject = " ".join(str(message.get("Subject", "")).split())
    out = SectionedText(path, limits)
    out.section(subject, "headers")
    out.add(
        "\n".join(f"{name}: {' '.join(str(message[name]).split())}" for name in _SHOWN_HEADERS if message.get(name))
    )
    out.section(subject, "body")
    out.add(_body(message, path, limits))
    attachments = [part.get_filename() for part in message.iter_attachments() if part.get_filename()]
    if attachments:
        out.section(subject, "attachments")
        out.add("Attachments (not read): " + ", ".join(str(name) for name in attachments))
    return out.document()


def _body(message: EmailMessage, path: Path, limits: Limits) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError) as exc:  # an unknown charset or a damaged transfer encoding
        payload = part.get_payload(decode=True) or b""
        if not isinstance(payload, bytes):
            raise IngestError(
                f"{path.name}: the e-mail body cannot be decoded ({exc}); save the message again"
            ) from exc
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_type() == "text/html":
        return load_html(path, content.encode(), limits).text
    return str(content).replace("\r\n", "\n")


def _without_attachment_bodies(data: bytes) -> bytes:
    """The message with the bodies of its attachments and other parts that are not text left out (their
    headers, and so their names, kept). Attachments are not read, and parsed whole a 70 MB attachment took
    several copies of itself (lines, text, payload): 425 MB above a one-file ingest. Parts are found by the
    boundaries the message declares; the bytes of a part left out are never copied."""
    boundaries = {match.group(1) or match.group(2) for match in _BOUNDARY.finditer(data)}
    if not boundaries:
        return data
    names = b"|".join(re.escape(name) for name in sorted(boundaries, key=len, reverse=True))
    delimiter = re.compile(rb"^--(?:" + names + rb")(?:--)?[ \t]*\r?$", re.MULTILINE)
    kept: list[bytes] = []
    position = 0
    for match in delimiter.finditer(data):
        kept.append(_part(data, position, match.start()) if kept else data[position : match.start()])
        kept.append(data[match.start() : match.end()])
        position = match.end()
    if not kept:
        return data
    kept.append(data[position:])
    return b"".join(kept)


def _part(data: bytes, start: int, end: int) -> bytes:
    """The bytes of one MIME part between two delimiters, its body left out when it is not text."""
    found = _HEADERS_END.search(data, start, end)
    if found is None:
        return data[start:end]
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(data[start : found.end()].lstrip(b"\r\n"))
    kind = headers.get_content_type()
    attachment = str(headers.get("Content-Disposition", "")).strip().lower().startswith("attachment")
    if not attachment and kind.startswith(("text/", "multipart/", "message/")):
        return data[start:end]
    return data[start : found.end()] + b"\r\n"
