"""Known stand-in art: images upstreams serve where they have none, which are never an image.

Every candidate of every source passes `is_stand_in` before it is downloaded
(`images.resolution.search`), so a stand-in found anywhere (an API answer, a page's og:image
that points at one) counts as nothing, exactly as a source without an image. The list is the one
place such URLs are recognised; each entry says where it was seen.

    Deezer, a missing picture or cover: the image hash in the CDN path is empty
        (`.../images/artist//1000x1000-000000-80-0-0.jpg`, also `cover//`, `playlist//`) or
        the MD5 of the empty string (`.../images/cover/d41d8cd98f00b204e9800998ecf8427e/...`).
        The CDN answers both with a grey silhouette or an empty square, HTTP 200.
        Seen in: snipsco/snips-app-sonos d291da5, tests/services/deezer/
        test_music_customization_service.py (a `/user/me/artists` body: "Kool & The Gang" and
        "Roy Ayers" with `artist//`; a playlist with `cover//`; kept in
        tests/unit/sources/captured/deezer/user_artists_2018.json); browniebroke/deezer-python
        f6672de (search "Daft Punk - Stardust", `artist//`); sonicblend/MuSAPI c22683a,
        t/deezer.t (an album search whose artist has `artist//`); the empty-MD5 cover is the
        default cover URL many Deezer clients ship (e.g. deemix-style players).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Deezer CDN paths: /images/<kind>/<hash>/<size>.jpg, <hash> empty or the empty string's MD5.
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
_DEEZER_STAND_IN = re.compile(
    r"/images/(?:artist|cover|playlist|user|misc|talk)/(?:" + EMPTY_MD5 + r")?/"
)


def is_stand_in(url: str) -> bool:
    """Whether a candidate URL is known stand-in art."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return _DEEZER_STAND_IN.search(path) is not None
