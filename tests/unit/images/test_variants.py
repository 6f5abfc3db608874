"""images.variants: sizes, R2 object keys, key encoding (like JS encodeURIComponent) and exact
CDN URLs."""

from __future__ import annotations

import pytest

from rewind_images.images.variants import (
    DIMENSIONS,
    SIZE_NAMES,
    TRANSFORM_FIT,
    TRANSFORM_FORMAT,
    TRANSFORM_QUALITY,
    Size,
    cdn_url,
    encode_key,
    object_key,
)

CDN = "https://cdn.rewind.rest"
KEY = "listening/albums/album-123/original.jpg"

IMG = f"{CDN}/cdn-cgi/image/"
EXPECTED_URLS = {
    "thumbnail": f"{IMG}width=64,height=64,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "small": f"{IMG}width=150,height=150,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "medium": f"{IMG}width=300,height=300,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "large": f"{IMG}width=600,height=600,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "poster": f"{IMG}width=342,height=513,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "poster-lg": f"{IMG}width=500,height=750,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "backdrop": f"{IMG}width=780,height=439,fit=cover,format=auto,quality=85/{KEY}?v=1",
    "original": f"{CDN}/{KEY}?v=1",
    "poster-sm": f"{IMG}width=240,height=360,fit=cover,format=auto,quality=85/{KEY}?v=1",
}


def test_every_size_has_an_expected_url():
    assert set(EXPECTED_URLS) == {size.value for size in DIMENSIONS}


@pytest.mark.parametrize(("size", "expected"), EXPECTED_URLS.items())
def test_cdn_url_is_exact_for_every_size(size, expected):
    assert cdn_url(CDN, KEY, size, 1) == expected


def test_transform_options_are_the_originals():
    assert (TRANSFORM_FIT, TRANSFORM_FORMAT, TRANSFORM_QUALITY) == ("cover", "auto", 85)


def test_version_goes_into_the_query():
    assert cdn_url(CDN, KEY, "original", 7) == f"{CDN}/{KEY}?v=7"
    assert cdn_url(CDN, KEY, "small", 12).endswith(f"/{KEY}?v=12")


def test_other_cdn_base():
    url = cdn_url("http://127.0.0.1:8787/cdn", KEY, "thumbnail", 3)
    assert url == (
        "http://127.0.0.1:8787/cdn/cdn-cgi/image/width=64,height=64,fit=cover,format=auto,"
        f"quality=85/{KEY}?v=3"
    )


def test_cdn_url_encodes_the_key():
    key = object_key(("watching", "movies", "tmdb:15 #1"), "jpg")
    assert (
        cdn_url(CDN, key, "original", 2)
        == f"{CDN}/watching/movies/tmdb%3A15%20%231/original.jpg?v=2"
    )
    assert cdn_url(CDN, key, "medium", 2) == (
        f"{CDN}/cdn-cgi/image/width=300,height=300,fit=cover,format=auto,quality=85/"
        "watching/movies/tmdb%3A15%20%231/original.jpg?v=2"
    )


def test_unknown_size_raises():
    with pytest.raises(ValueError, match="'huge' is not a valid Size"):
        cdn_url(CDN, KEY, "huge", 1)


# --- encode_key: expected values are what JavaScript's encodeURIComponent gives per segment -----


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("tmdb:15 #1", "tmdb%3A15%20%231"),
        ("album-123", "album-123"),
        ("Björk", "Bj%C3%B6rk"),
        ("東京", "%E6%9D%B1%E4%BA%AC"),
        ("🎵", "%F0%9F%8E%B5"),
        ("-_.!~*'()", "-_.!~*'()"),
        ("a'b(c)d*e!f~g", "a'b(c)d*e!f~g"),
        (
            '$&+,;=@?[]%"<>^`{|}\\',
            "%24%26%2B%2C%3B%3D%40%3F%5B%5D%25%22%3C%3E%5E%60%7B%7C%7D%5C",
        ),
        ("100%", "100%25"),
        ("a+b", "a%2Bb"),
    ],
)
def test_encode_key_segment_like_encode_uri_component(segment, expected):
    assert encode_key(segment) == expected


def test_encode_key_keeps_slashes_between_segments():
    assert encode_key("reading/articles/a b/original.png") == "reading/articles/a%20b/original.png"
    assert encode_key("a/b/c") == "a/b/c"


def test_encode_key_is_not_idempotent_on_percent():
    # Already-encoded text is encoded again (the key is raw text, never pre-encoded).
    assert encode_key("a%20b") == "a%2520b"


# --- object_key --------------------------------------------------------------------------------


def test_object_key_layout():
    assert object_key(("listening", "albums", "album-123"), "jpg") == KEY
    assert object_key(("watching", "movies", "tmdb:15 #1"), "webp") == (
        "watching/movies/tmdb:15 #1/original.webp"
    )
    assert object_key(("reading", "articles", "x"), "avif").endswith("/original.avif")


# --- sizes ---------------------------------------------------------------------------------------


def test_size_enum_matches_preset_names_in_order():
    assert tuple(s.value for s in Size) == SIZE_NAMES
    assert SIZE_NAMES == (
        "thumbnail",
        "small",
        "medium",
        "large",
        "poster",
        "poster-lg",
        "backdrop",
        "original",
        "poster-sm",
    )


def test_only_original_has_no_dimensions():
    assert [size for size, dims in DIMENSIONS.items() if dims is None] == [Size.original]
    for name, dims in DIMENSIONS.items():
        if dims is not None:
            width, height = dims
            assert width > 0, name
            assert height > 0, name
