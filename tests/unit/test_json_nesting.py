"""JSON nesting measured without parsing, and every JSON parser of outside input guarded by it."""

from __future__ import annotations

import pytest

from rewind_images.config import MAX_UPSTREAM_JSON_DEPTH, Settings
from rewind_images.json_nesting import nesting_exceeds
from rewind_images.sources import SourceQuery, SourceResponseError
from rewind_images.sources.base import load_json
from rewind_images.sources.og_image import OG_IMAGE


@pytest.mark.parametrize(
    ("text", "limit", "deeper"),
    [
        (b"[]", 1, False),
        (b"[[]]", 1, True),
        (b'{"a": [{"b": [1]}]}', 4, False),
        (b'{"a": [{"b": [1]}]}', 3, True),
        (b'["[[[[[[[["]', 1, False),  # brackets inside strings are text
        (b'["\\"[[[[[[["]', 1, False),  # escaped quotes do not end the string
        (b"[[[[[", 4, True),  # openers never closed count: the parser recurses first
        (b"[][][][][]", 1, False),  # siblings are not nesting
        ('{"é": [[["ü"]]]}', 3, True),  # text (str) too
    ],
)
def test_nesting_exceeds(text: bytes | str, limit: int, deeper: bool) -> None:
    assert nesting_exceeds(text, limit) is deeper


def test_very_deep_input_is_measured_without_recursion() -> None:
    assert nesting_exceeds(b"[" * 1_000_000 + b"]" * 1_000_000, 32)


def test_upstream_json_too_deep_is_a_response_error_not_a_crash() -> None:
    deep = b'{"results": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    with pytest.raises(SourceResponseError, match="nested too deeply"):
        load_json(deep, "itunes")
    ok = b'{"a": ' + b"[" * (MAX_UPSTREAM_JSON_DEPTH - 1) + b"]" * (MAX_UPSTREAM_JSON_DEPTH - 1)
    assert load_json(ok + b"}", "itunes")["a"] is not None


def test_deep_json_ld_is_skipped() -> None:
    page = (
        b"<html><head>"
        b'<script type="application/ld+json">' + b"[" * 50_000 + b"]" * 50_000 + b"</script>"
        b'<meta property="og:image" content="https://example.com/a.jpg">'
        b"</head></html>"
    )
    query = SourceQuery("reading", "articles", "a", article_url="https://example.com/post")
    found = OG_IMAGE.parse(query, page, Settings(), final_url="https://example.com/post")
    assert [c.url for c in found] == ["https://example.com/a.jpg"]
