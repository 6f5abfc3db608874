"""imaging.sniff: the real type from magic bytes, and which Content-Types an image may carry."""

from __future__ import annotations

import pytest

from rewind_images.imaging.sniff import (
    ALLOWED_IMAGE_TYPES,
    EXTENSIONS,
    content_type_acceptable,
    sniff_image_type,
)

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
JPEG_EXIF = b"\xff\xd8\xff\xe1\x00\x18Exif\x00\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
GIF87 = b"GIF87a\x01\x00\x01\x00"
GIF89 = b"GIF89a\x01\x00\x01\x00"
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00"
AVIS = b"\x00\x00\x00\x20ftypavis\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (JPEG, "image/jpeg"),
        (JPEG_EXIF, "image/jpeg"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (PNG, "image/png"),
        (WEBP, "image/webp"),
        (GIF87, "image/gif"),
        (GIF89, "image/gif"),
        (AVIF, "image/avif"),
        (AVIS, "image/avif"),
    ],
)
def test_known_types(data, mime):
    assert sniff_image_type(data) == mime
    assert sniff_image_type(data + b"\x00" * 1000) == mime


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",  # truncated JPEG marker
        b"\xff\xd8\x00",
        b"\x89PNG\r\n\x1a",  # truncated signature
        b"\x89PNG\r\n\x0a\n",  # line-ending mangled PNG
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # RIFF but audio
        b"RIFF\x24\x00\x00\x00WEB",
        b"WEBPRIFF\x00\x00\x00\x00",
        b"GIF88a",
        b"gif89a",
        b"\x00\x00\x00\x1cftypheic\x00\x00",  # HEIF is not accepted
        b"\x00\x00\x00\x1cftypmp42\x00\x00",  # an MP4
        b"\x00\x00\x00\x1cftypavi",  # brand cut short
        b"ftypavif",  # box header missing
        b"<!doctype html><html>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b'{"error": "not found"}',
        b"BM\x36\x00\x00\x00",  # BMP
        b"II*\x00",  # TIFF
        b"\x00\x00\x01\x00",  # ICO
    ],
)
def test_unknown_or_truncated_is_none(data):
    assert sniff_image_type(data) is None


def test_every_allowed_type_has_an_extension():
    assert set(EXTENSIONS) == set(ALLOWED_IMAGE_TYPES)
    assert EXTENSIONS == {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "image/gif": "gif",
        "image/avif": "avif",
    }


def test_every_sniffed_type_is_allowed():
    for data in (JPEG, PNG, WEBP, GIF89, AVIF):
        assert sniff_image_type(data) in ALLOWED_IMAGE_TYPES


@pytest.mark.parametrize(
    "content_type",
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
        "image/jpg",
        "image/pjpeg",
        "application/octet-stream",
        "binary/octet-stream",
        "IMAGE/JPEG",
        "image/png; charset=binary",
        "  image/webp ; q=1",
    ],
)
def test_acceptable_content_types(content_type):
    assert content_type_acceptable(content_type) is True


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "text/html",
        "text/html; charset=utf-8",
        "image/svg+xml",
        "application/json",
        "image/heic",
        "image/bmp",
        "image/jpegx",
        "image",
        "image/png, text/html",
    ],
)
def test_refused_content_types(content_type):
    assert content_type_acceptable(content_type) is False
