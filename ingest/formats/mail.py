"""Saved e-mails (.eml): the headers a reader looks at, then the body (plain text, or the HTML part's
visible text); attachments are listed by name, not read."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from assistant.errors import IngestError
from ingest.document import Limits, LoadedDocument, SectionedText

_SHOWN_HEADERS = ("Subject", "From", "To", "Cc", "Date")


def load_eml(path: Path, data: bytes, limits: Limits) -> LoadedDocument:
    """Sections 'Subject > headers' and 'Subject > body'."""
    if b"\x00" in data[:8192]:
        raise IngestError(
            f"{path.name}: looks like binary data, not a saved e-mail; save the message as .eml from your mail program"
        )
    message = email.message_from_bytes(data, policy=email.policy.default)
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
        from ingest.loaders import load_html

        return load_html(path, content.encode(), limits).text
    return str(content).replace("\r\n", "\n")
