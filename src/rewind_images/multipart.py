"""multipart/form-data parsing for uploads (pure), with bounds.

The body is split on its boundary by hand (RFC 2046 delimiters), so the work is linear in its
size and bounded in parts: at most `MAX_MULTIPART_PARTS`, and no part may itself be multipart
(the stdlib MIME parser recurses into nested multiparts, and a few thousand levels were a 500).
Only each part's header block goes through the stdlib header parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import HTTP

from rewind_images.config import MAX_MULTIPART_PARTS
from rewind_images.errors import BadRequest

NOT_MULTIPART_MESSAGE = "Expected multipart/form-data with a boundary"
MALFORMED_MESSAGE = "Malformed multipart body"
TOO_MANY_PARTS_MESSAGE = "Too many multipart parts"
NESTED_MESSAGE = "Nested multipart bodies are not accepted"
# RFC 2046: a boundary is 1 to 70 characters.
MAX_BOUNDARY_LENGTH = 70
CRLF = b"\r\n"


@dataclass(frozen=True)
class FormFile:
    """One uploaded file field."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _boundary(content_type: str) -> bytes:
    if not content_type.lower().startswith("multipart/form-data"):
        raise BadRequest(NOT_MULTIPART_MESSAGE)
    header = EmailMessage()
    header["content-type"] = content_type
    boundary = header.get_boundary()
    if not boundary or len(boundary) > MAX_BOUNDARY_LENGTH or not boundary.isascii():
        raise BadRequest(NOT_MULTIPART_MESSAGE)
    return boundary.encode("ascii")


def _split(body: bytes, boundary: bytes) -> list[bytes]:
    """The parts between the delimiters (at most `MAX_MULTIPART_PARTS`)."""
    delimiter = b"--" + boundary
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        start = body.find(CRLF + delimiter)  # after a preamble
        if start < 0:
            raise BadRequest(MALFORMED_MESSAGE)
        position = start + len(CRLF) + len(delimiter)
    parts: list[bytes] = []
    while not body.startswith(b"--", position):  # "--" after a delimiter closes the body
        line_end = body.find(CRLF, position)
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise BadRequest(MALFORMED_MESSAGE)
        start = line_end + len(CRLF)
        end = body.find(CRLF + delimiter, start)
        if end < 0:
            raise BadRequest(MALFORMED_MESSAGE)
        if len(parts) >= MAX_MULTIPART_PARTS:
            raise BadRequest(TOO_MANY_PARTS_MESSAGE)
        parts.append(body[start:end])
        position = end + len(CRLF) + len(delimiter)
    return parts


def _part(raw: bytes) -> tuple[Message, bytes]:
    """A part's headers (parsed alone: never its body) and its body."""
    if raw.startswith(CRLF):
        head, data = b"", raw[len(CRLF) :]
    else:
        end = raw.find(CRLF + CRLF)
        if end < 0:
            raise BadRequest(MALFORMED_MESSAGE)
        head, data = raw[:end], raw[end + 2 * len(CRLF) :]
    headers = BytesHeaderParser(policy=HTTP).parsebytes(head + CRLF)
    if headers.get_content_maintype() == "multipart":
        raise BadRequest(NESTED_MESSAGE)
    return headers, data


def parse_form_files(content_type: str, body: bytes) -> dict[str, FormFile]:
    """The parts of a multipart/form-data body by field name; BadRequest when malformed, with
    too many parts, or nested."""
    boundary = _boundary(content_type)
    files: dict[str, FormFile] = {}
    for raw in _split(body, boundary):
        headers, data = _part(raw)
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        files[name] = FormFile(
            name=name,
            filename=headers.get_filename(),
            content_type=headers.get_content_type(),
            data=data,
        )
    return files
