"""multipart/form-data parsing for uploads (pure; the stdlib's MIME parser does the work)."""

from __future__ import annotations

from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from rewind_images.errors import BadRequest


@dataclass(frozen=True)
class FormFile:
    """One uploaded file field."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def parse_form_files(content_type: str, body: bytes) -> dict[str, FormFile]:
    """The parts of a multipart/form-data body by field name; BadRequest when malformed."""
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        raise BadRequest("Expected multipart/form-data with a boundary")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise BadRequest("Malformed multipart body")
    parts: dict[str, FormFile] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        parts[name] = FormFile(
            name=name,
            filename=part.get_filename(),
            content_type=part.get_content_type(),
            data=payload if isinstance(payload, bytes) else b"",
        )
    return parts
