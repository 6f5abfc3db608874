"""Image type detection from magic bytes (the Content-Type header alone is not trusted)."""

from __future__ import annotations

ALLOWED_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif", "image/avif")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
}
# Content types an upstream may send for image bytes; the magic bytes decide the real type.
ACCEPTED_CONTENT_TYPES = frozenset(
    {
        *ALLOWED_IMAGE_TYPES,
        "image/jpg",
        "image/pjpeg",
        "application/octet-stream",
        "binary/octet-stream",
    }
)


def sniff_image_type(data: bytes) -> str | None:
    """The MIME type the bytes really are (JPEG, PNG, WebP, GIF, AVIF), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp" and data[8:12] in (b"avif", b"avis"):
        return "image/avif"
    return None


def content_type_acceptable(content_type: str | None) -> bool:
    """Whether a Content-Type header is one an image download may carry."""
    if not content_type:
        return False
    return content_type.split(";")[0].strip().lower() in ACCEPTED_CONTENT_TYPES
