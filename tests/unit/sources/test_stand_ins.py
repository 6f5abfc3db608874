"""Known stand-in art is recognised wherever it appears, and nothing else is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewind_images.sources.stand_ins import is_stand_in

CAPTURED = Path(__file__).parent / "captured"


@pytest.mark.parametrize(
    "url",
    [
        # Real URLs from captured upstream answers (captured/README.md).
        "https://e-cdns-images.dzcdn.net/images/artist//1000x1000-000000-80-0-0.jpg",
        "https://cdns-images.dzcdn.net/images/artist//500x500-000000-80-0-0.jpg",
        "http://e-cdn-images.deezer.com/images/artist//250x250-000000-80-0-0.jpg",
        "https://e-cdns-images.dzcdn.net/images/cover//1000x1000-000000-80-0-0.jpg",
        "https://e-cdns-images.dzcdn.net/images/cover/d41d8cd98f00b204e9800998ecf8427e/1000x1000-000000-80-0-0.jpg",
        "https://e-cdns-images.dzcdn.net/images/artist/d41d8cd98f00b204e9800998ecf8427e/500x500-000000-80-0-0.jpg",
        # The same paths behind another host (a proxy, or the local fake upstream).
        "http://127.0.0.1:8080/images/cover//1000x1000-000000-80-0-0.jpg",
    ],
)
def test_deezer_stand_ins_are_recognised(url: str) -> None:
    assert is_stand_in(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://e-cdns-images.dzcdn.net/images/artist/115bacd4f76f5a2a9dbfe2ad4026c798/1000x1000-000000-80-0-0.jpg",
        "https://e-cdns-images.dzcdn.net/images/cover/2e018122cb56986277102d2041a592c8/1000x1000-000000-80-0-0.jpg",
        # A double slash elsewhere in another service's path is not Deezer's stand-in.
        "https://static.qobuz.com/images/artists/covers//large/abc.jpg",
        "https://example.com//images/photo.jpg",
        "https://is1-ssl.mzstatic.com/image/thumb/Music/v4/ab/cd/ef/1200x1200bb.jpg",
        "not a url at all",
    ],
)
def test_real_art_is_not_a_stand_in(url: str) -> None:
    assert not is_stand_in(url)


def test_every_picture_of_a_captured_artist_without_one_is_a_stand_in() -> None:
    doc = json.loads((CAPTURED / "deezer" / "user_artists_2018.json").read_text())
    by_name = {item["name"]: item for item in doc["data"]}
    sizes = ("picture_small", "picture_medium", "picture_big", "picture_xl")
    assert all(is_stand_in(by_name["Kool & The Gang"][size]) for size in sizes)
    assert not any(is_stand_in(by_name["IAM"][size]) for size in sizes)
