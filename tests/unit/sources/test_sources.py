"""Source layer: request building and parsing of realistic upstream bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from rewind_images.config import Settings
from rewind_images.sources import (
    Candidate,
    SourceQuery,
    SourceResponseError,
    sources_for,
)
from rewind_images.sources.apple_music import APPLE_MUSIC_ALBUMS, APPLE_MUSIC_ARTISTS
from rewind_images.sources.base import https_url
from rewind_images.sources.cover_art_archive import COVER_ART_ARCHIVE
from rewind_images.sources.cover_art_archive_release_group import (
    COVER_ART_ARCHIVE_RELEASE_GROUP,
)
from rewind_images.sources.deezer import DEEZER_ALBUMS, DEEZER_ARTISTS
from rewind_images.sources.fanart import FANART_ARTISTS, FANART_MOVIES
from rewind_images.sources.itunes import ITUNES, upscale_artwork_url
from rewind_images.sources.og_image import MAX_CANDIDATES, OG_IMAGE
from rewind_images.sources.tmdb import TMDB_MOVIES, TMDB_SHOWS

UA = "rewind-images-test/1.0 (+https://example.test)"
SETTINGS = Settings(
    user_agent=UA,
    apple_music_token="apple-token",
    tmdb_read_token="tmdb-token",
    fanart_api_key="fanart key",
)
NO_SECRETS = Settings(user_agent=UA)
MBID = "056e4f3e-d505-4dad-8ec1-d04f521cbb56"


def album(artist: str | None, title: str | None) -> SourceQuery:
    return SourceQuery("listening", "albums", "a1", artist_name=artist, album_name=title)


def artist(name: str | None, mbid: str | None = None) -> SourceQuery:
    return SourceQuery("listening", "artists", "r1", artist_name=name, mbid=mbid)


def movie(tmdb_id: str | None) -> SourceQuery:
    return SourceQuery("watching", "movies", "m1", tmdb_id=tmdb_id)


def release(mbid: str | None) -> SourceQuery:
    return SourceQuery("collecting", "releases", "c1", mbid=mbid)


def article(url: str | None) -> SourceQuery:
    return SourceQuery("reading", "articles", "p1", article_url=url)


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def query_params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def urls(candidates: list[Candidate]) -> list[str]:
    return [c.url for c in candidates]


# --- registry -----------------------------------------------------------------------------------


def test_registry_order() -> None:
    def names(domain: str, kind: str) -> list[str]:
        return [s.name for s in sources_for(domain, kind)]

    caa = ["cover_art_archive", "cover_art_archive_release_group"]
    assert names("listening", "albums") == [*caa, "apple_music", "deezer", "itunes"]
    assert names("listening", "artists") == ["deezer", "apple_music", "fanart"]
    assert names("watching", "movies") == ["tmdb", "fanart"]
    assert names("watching", "shows") == ["tmdb"]
    assert names("collecting", "releases") == [*caa, "itunes"]
    assert names("reading", "articles") == ["og_image"]
    assert names("listening", "tracks") == []
    assert names("nope", "albums") == []


@pytest.mark.parametrize(
    ("source", "query"),
    [
        (APPLE_MUSIC_ALBUMS, album("Daft Punk", "Discovery")),
        (APPLE_MUSIC_ARTISTS, artist("Daft Punk")),
        (DEEZER_ALBUMS, album("Daft Punk", "Discovery")),
        (DEEZER_ARTISTS, artist("Daft Punk")),
        (ITUNES, album("Daft Punk", "Discovery")),
        (TMDB_MOVIES, movie("603")),
        (TMDB_SHOWS, movie("1399")),
        (FANART_ARTISTS, artist("Daft Punk", MBID)),
        (FANART_MOVIES, movie("603")),
        (COVER_ART_ARCHIVE, release(MBID)),
        (OG_IMAGE, article("https://example.com/post")),
    ],
)
def test_every_request_identifies_itself(source: Any, query: SourceQuery) -> None:
    request = source.request(query, SETTINGS)
    assert request is not None
    assert request.headers["User-Agent"] == UA
    assert request.url.startswith("https://")


# --- Apple Music --------------------------------------------------------------------------------

APPLE_ALBUMS = {
    "results": {
        "albums": {
            "href": "/v1/catalog/us/search?limit=10&term=air+moon+safari&types=albums",
            "data": [
                {
                    "id": "1",
                    "type": "albums",
                    "href": "/v1/catalog/us/albums/1",
                    "attributes": {
                        "artistName": "Airbourne",
                        "name": "Moon Safari",
                        "artwork": {
                            "width": 3000,
                            "height": 3000,
                            "url": "https://is1-ssl.mzstatic.com/image/thumb/Music/aa/{w}x{h}bb.jpg",
                        },
                    },
                },
                {
                    "id": "2",
                    "type": "albums",
                    "href": "/v1/catalog/us/albums/2",
                    "attributes": {
                        "artistName": "Air",
                        "name": "Moon Safari (Remastered)",
                        "artwork": {
                            "width": 1400,
                            "height": 1400,
                            "url": "https://is1-ssl.mzstatic.com/image/thumb/Music/bb/{w}x{h}bb.jpg",
                            "bgColor": "f4efe3",
                        },
                    },
                },
                {
                    "id": "3",
                    "type": "albums",
                    "href": "/v1/catalog/us/albums/3",
                    "attributes": {
                        "artistName": "AIR",
                        "name": "Moon Safari",
                        "artwork": {
                            "width": 3000,
                            "height": 2000,
                            "url": "https://is1-ssl.mzstatic.com/image/thumb/Music/cc/{w}x{h}{c}.{f}",
                        },
                    },
                },
            ],
        }
    },
    "meta": {"results": {"order": ["albums"], "rawOrder": ["albums"]}},
}


def test_apple_request_encodes_the_term() -> None:
    request = APPLE_MUSIC_ALBUMS.request(
        album("Simon & Garfunkel", "Bridge Over Troubled Water (Remastered)"), SETTINGS
    )
    assert request is not None
    assert request.url.startswith("https://api.music.apple.com/v1/catalog/us/search?")
    assert "&" not in request.url.split("term=")[1].split("&types")[0]
    params = query_params(request.url)
    assert params == {
        "term": "Simon & Garfunkel Bridge Over Troubled Water",
        "types": "albums",
        "limit": "10",
    }
    assert request.headers["Authorization"] == "Bearer apple-token"


def test_apple_declines_without_token_or_hints() -> None:
    assert APPLE_MUSIC_ALBUMS.request(album("Air", "Moon Safari"), NO_SECRETS) is None
    assert APPLE_MUSIC_ALBUMS.request(album("Air", None), SETTINGS) is None
    assert APPLE_MUSIC_ALBUMS.request(album("  ", "Moon Safari"), SETTINGS) is None
    assert APPLE_MUSIC_ARTISTS.request(artist(None), SETTINGS) is None


def test_apple_albums_filters_and_ranks() -> None:
    found = APPLE_MUSIC_ALBUMS.parse(album("Air", "Moon Safari"), body(APPLE_ALBUMS), SETTINGS)
    # Airbourne is dropped; the exact title (id 3) beats the remaster (id 2).
    assert urls(found) == [
        "https://is1-ssl.mzstatic.com/image/thumb/Music/cc/1200x1200bb.jpg",
        "https://is1-ssl.mzstatic.com/image/thumb/Music/bb/1200x1200bb.jpg",
    ]
    assert (found[0].width, found[0].height) == (1200, 800)
    assert (found[1].width, found[1].height) == (1200, 1200)
    assert {c.source for c in found} == {"apple_music"}


def test_apple_never_upscales_past_the_original() -> None:
    doc = json.loads(body(APPLE_ALBUMS))
    doc["results"]["albums"]["data"][2]["attributes"]["artwork"].update(width=600, height=600)
    found = APPLE_MUSIC_ALBUMS.parse(album("Air", "Moon Safari"), body(doc), SETTINGS)
    assert found[0].url.endswith("/600x600bb.jpg")


def test_apple_empty_and_broken_bodies() -> None:
    empty = {"results": {}, "meta": {"results": {"order": [], "rawOrder": []}}}
    assert APPLE_MUSIC_ALBUMS.parse(album("Air", "X"), body(empty), SETTINGS) == []
    with pytest.raises(SourceResponseError):
        APPLE_MUSIC_ALBUMS.parse(album("Air", "X"), b'{"results": {"albums": {"data": [', SETTINGS)
    with pytest.raises(SourceResponseError):
        APPLE_MUSIC_ALBUMS.parse(album("Air", "X"), body({"results": []}), SETTINGS)
    with pytest.raises(SourceResponseError):
        APPLE_MUSIC_ALBUMS.parse(album("Air", "X"), body(["not", "an", "object"]), SETTINGS)


def test_apple_artists() -> None:
    doc = {
        "results": {
            "artists": {
                "data": [
                    {"id": "9", "type": "artists", "attributes": {"name": "Sigur Rós"}},
                    {
                        "id": "10",
                        "type": "artists",
                        "attributes": {
                            "name": "Sigur Rós",
                            "genreNames": ["Alternative"],
                            "artwork": {
                                "width": 2400,
                                "height": 2400,
                                "url": "https://is1-ssl.mzstatic.com/image/thumb/AMCArtistImages/x/{w}x{h}bb.jpg",
                            },
                        },
                    },
                ]
            }
        }
    }
    found = APPLE_MUSIC_ARTISTS.parse(artist("Sigur Ros"), body(doc), SETTINGS)
    assert urls(found) == [
        "https://is1-ssl.mzstatic.com/image/thumb/AMCArtistImages/x/1000x1000bb.jpg"
    ]
    request = APPLE_MUSIC_ARTISTS.request(artist("Sigur Rós"), SETTINGS)
    assert request is not None
    assert query_params(request.url)["types"] == "artists"
    assert "Sigur+R%C3%B3s" in request.url


# --- Deezer -------------------------------------------------------------------------------------


def deezer_album(title: str, artist_name: str, md5: str) -> dict[str, Any]:
    cover = f"https://e-cdns-images.dzcdn.net/images/cover/{md5}"
    return {
        "id": 302127,
        "title": title,
        "link": "https://www.deezer.com/album/302127",
        "cover": "https://api.deezer.com/album/302127/image",
        "cover_small": f"{cover}/56x56-000000-80-0-0.jpg",
        "cover_medium": f"{cover}/250x250-000000-80-0-0.jpg",
        "cover_big": f"{cover}/500x500-000000-80-0-0.jpg",
        "cover_xl": f"{cover}/1000x1000-000000-80-0-0.jpg",
        "md5_image": md5,
        "genre_id": 113,
        "nb_tracks": 10,
        "record_type": "album",
        "tracklist": "https://api.deezer.com/album/302127/tracks",
        "explicit_lyrics": False,
        "artist": {"id": 27, "name": artist_name, "type": "artist"},
        "type": "album",
    }


def test_deezer_album_query_syntax() -> None:
    request = DEEZER_ALBUMS.request(album('Weird "Al" Yankovic', "Mandatory Fun"), SETTINGS)
    assert request is not None
    assert request.url.startswith("https://api.deezer.com/search/album?")
    assert query_params(request.url)["q"] == 'artist:"Weird Al Yankovic" album:"Mandatory Fun"'
    artist_request = DEEZER_ARTISTS.request(artist("AC/DC"), SETTINGS)
    assert artist_request is not None
    assert artist_request.url.startswith("https://api.deezer.com/search/artist?q=AC%2FDC")
    assert DEEZER_ALBUMS.request(album("Air", None), SETTINGS) is None
    assert DEEZER_ALBUMS.request(album("Air", "Moon Safari"), NO_SECRETS) is not None


def test_deezer_albums_prefer_exact_title() -> None:
    doc = {
        "data": [
            deezer_album("Moon Safari (20th Anniversary Edition)", "Air", "a" * 32),
            deezer_album("Moon Safari", "Airbourne", "b" * 32),
            deezer_album("Moon Safari", "Air", "c" * 32),
        ],
        "total": 3,
    }
    found = DEEZER_ALBUMS.parse(album("Air", "Moon Safari"), body(doc), SETTINGS)
    assert [c.url.split("/")[-2] for c in found] == ["c" * 32, "a" * 32]
    assert (found[0].width, found[0].height) == (1000, 1000)


def test_deezer_artist_placeholder_is_not_art() -> None:
    doc = {
        "data": [
            {
                "id": 1,
                "name": "Airbourne",
                "picture_xl": "https://e-cdns-images.dzcdn.net/images/artist/aaa/1000x1000-000000-80-0-0.jpg",
            },
            {
                "id": 2,
                "name": "Air",
                "picture_xl": "https://e-cdns-images.dzcdn.net/images/artist//1000x1000-000000-80-0-0.jpg",
            },
            {
                "id": 3,
                "name": "Air",
                "picture_xl": "https://e-cdns-images.dzcdn.net/images/artist/d41d8cd98f00b204e9800998ecf8427e/1000x1000-000000-80-0-0.jpg",
            },
        ],
        "total": 3,
    }
    assert DEEZER_ARTISTS.parse(artist("Air"), body(doc), SETTINGS) == []
    doc["data"].append(
        {
            "id": 4,
            "name": "AIR",
            "picture_xl": "https://e-cdns-images.dzcdn.net/images/artist/0123/1000x1000-000000-80-0-0.jpg",
        }
    )
    found = DEEZER_ARTISTS.parse(artist("Air"), body(doc), SETTINGS)
    assert urls(found) == [
        "https://e-cdns-images.dzcdn.net/images/artist/0123/1000x1000-000000-80-0-0.jpg"
    ]


def test_deezer_errors() -> None:
    no_data = {"error": {"type": "DataException", "message": "no data", "code": 800}}
    assert DEEZER_ALBUMS.parse(album("Air", "X"), body(no_data), SETTINGS) == []
    quota = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
    with pytest.raises(SourceResponseError):
        DEEZER_ALBUMS.parse(album("Air", "X"), body(quota), SETTINGS)
    with pytest.raises(SourceResponseError):
        DEEZER_ALBUMS.parse(album("Air", "X"), b"<html>oops</html>", SETTINGS)
    with pytest.raises(SourceResponseError):
        DEEZER_ALBUMS.parse(album("Air", "X"), body({"data": {"0": 1}}), SETTINGS)
    assert DEEZER_ALBUMS.parse(album("Air", "X"), body({"data": [], "total": 0}), SETTINGS) == []


# --- iTunes -------------------------------------------------------------------------------------


def itunes_result(artist_name: str, title: str, art: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "wrapperType": "collection",
        "collectionType": "Album",
        "artistId": 1,
        "collectionId": 2,
        "artistName": artist_name,
        "collectionName": title,
        "collectionCensoredName": title,
        "trackCount": 11,
        "country": "USA",
        "primaryGenreName": "Rock",
    }
    if art is not None:
        result["artworkUrl60"] = art.replace("100x100", "60x60")
        result["artworkUrl100"] = art
    return result


def test_itunes_request() -> None:
    request = ITUNES.request(album("Fleetwood Mac", "Rumours (Super Deluxe)"), SETTINGS)
    assert request is not None
    assert request.url.startswith("https://itunes.apple.com/search?")
    assert query_params(request.url) == {
        "term": "Fleetwood Mac Rumours",
        "media": "music",
        "entity": "album",
        "limit": "10",
        "country": "US",
    }
    assert ITUNES.request(album(None, "Rumours"), SETTINGS) is None


def test_itunes_parse() -> None:
    art = "https://is1-ssl.mzstatic.com/image/thumb/Music115/v4/ab/cd/source/100x100bb.jpg"
    doc = {
        "resultCount": 4,
        "results": [
            itunes_result("Fleetwood Mac", "Tusk", art),
            {"wrapperType": "artist", "artistName": "Fleetwood Mac"},
            itunes_result("Fleetwood Mac", "Rumours (Super Deluxe)", art.replace("ab", "zz")),
            itunes_result("Fleetwood Mac", "Rumours", None),
            itunes_result("Fleetwood Mac", "Rumours", art),
        ],
    }
    raw = b"\n\n\n" + body(doc)  # the real API pads with blank lines
    found = ITUNES.parse(album("Fleetwood Mac", "Rumours"), raw, SETTINGS)
    assert urls(found) == [
        "https://is1-ssl.mzstatic.com/image/thumb/Music115/v4/ab/cd/source/1200x1200bb.jpg",
        "https://is1-ssl.mzstatic.com/image/thumb/Music115/v4/zz/cd/source/1200x1200bb.jpg",
    ]


def test_itunes_upscale() -> None:
    assert (
        upscale_artwork_url("https://x.test/a/100x100bb.jpg", 600)
        == "https://x.test/a/600x600bb.jpg"
    )
    assert (
        upscale_artwork_url("https://x.test/a/100x100bb.png") == "https://x.test/a/1200x1200bb.png"
    )
    assert upscale_artwork_url("https://x.test/a/100x100.jpg") == "https://x.test/a/1200x1200bb.jpg"
    assert upscale_artwork_url("https://x.test/a/cover.jpg") is None


# --- TMDB ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id", [None, "", "abc", "0", "12a", "../1", "1/2", "-5", "12345678901"]
)
def test_tmdb_rejects_bad_ids(bad_id: str | None) -> None:
    assert TMDB_MOVIES.request(movie(bad_id), SETTINGS) is None
    assert FANART_MOVIES.request(movie(bad_id), SETTINGS) is None


def test_tmdb_request_and_parse() -> None:
    request = TMDB_MOVIES.request(movie(" 603 "), SETTINGS)
    assert request is not None
    assert request.url == "https://api.themoviedb.org/3/movie/603"
    assert request.headers["Authorization"] == "Bearer tmdb-token"
    assert TMDB_MOVIES.request(movie("603"), NO_SECRETS) is None
    show = TMDB_SHOWS.request(movie("1399"), SETTINGS)
    assert show is not None
    assert show.url == "https://api.themoviedb.org/3/tv/1399"

    record = {
        "adult": False,
        "backdrop_path": "/fNG7i7RqMErkcqhohV2a6cV1Ehy.jpg",
        "id": 603,
        "imdb_id": "tt0133093",
        "original_title": "The Matrix",
        "poster_path": "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg",
        "release_date": "1999-03-31",
        "title": "The Matrix",
    }
    found = TMDB_MOVIES.parse(movie("603"), body(record), SETTINGS)
    assert found == [
        Candidate(
            "tmdb", "https://image.tmdb.org/t/p/w780/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg", 780, None
        )
    ]
    record["poster_path"] = None
    assert TMDB_MOVIES.parse(movie("603"), body(record), SETTINGS) == []
    tv = {"id": 1399, "name": "Game of Thrones", "poster_path": "/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg"}
    assert urls(TMDB_SHOWS.parse(movie("1399"), body(tv), SETTINGS)) == [
        "https://image.tmdb.org/t/p/w780/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg"
    ]


def test_tmdb_broken_bodies() -> None:
    with pytest.raises(SourceResponseError):
        TMDB_MOVIES.parse(movie("603"), body({"title": "no id"}), SETTINGS)
    with pytest.raises(SourceResponseError):
        TMDB_MOVIES.parse(movie("603"), body({"id": 603, "poster_path": "/../../x.jpg"}), SETTINGS)
    with pytest.raises(SourceResponseError):
        TMDB_MOVIES.parse(movie("603"), body({"id": 603, "poster_path": 7}), SETTINGS)
    envelope = {"success": False, "status_code": 34, "status_message": "not found"}
    assert TMDB_MOVIES.parse(movie("603"), body(envelope), SETTINGS) == []


# --- Fanart.tv ----------------------------------------------------------------------------------


def test_fanart_requests() -> None:
    request = FANART_ARTISTS.request(artist("Daft Punk", MBID.upper()), SETTINGS)
    assert request is not None
    assert request.url == f"https://webservice.fanart.tv/v3/music/{MBID}?api_key=fanart+key"
    assert FANART_ARTISTS.request(artist("Daft Punk", "not-a-uuid"), SETTINGS) is None
    assert FANART_ARTISTS.request(artist("Daft Punk", MBID), NO_SECRETS) is None
    poster = FANART_MOVIES.request(movie("603"), SETTINGS)
    assert poster is not None
    assert poster.url == "https://webservice.fanart.tv/v3/movies/603?api_key=fanart+key"


def test_fanart_artist_thumbs_by_likes() -> None:
    doc = {
        "name": "Daft Punk",
        "mbid_id": MBID,
        "artistbackground": [{"id": "1", "url": "https://assets.fanart.tv/bg.jpg", "likes": "40"}],
        "artistthumb": [
            {"id": "2", "url": "https://assets.fanart.tv/fanart/music/a.jpg", "likes": "1"},
            {"id": "3", "url": "http://assets.fanart.tv/fanart/music/b.jpg", "likes": "12"},
            {"id": "4", "url": "https://assets.fanart.tv/fanart/music/c.jpg", "likes": "3"},
        ],
    }
    found = FANART_ARTISTS.parse(artist("Daft Punk", MBID), body(doc), SETTINGS)
    assert urls(found) == [
        "https://assets.fanart.tv/fanart/music/b.jpg",
        "https://assets.fanart.tv/fanart/music/c.jpg",
        "https://assets.fanart.tv/fanart/music/a.jpg",
    ]
    assert (found[0].width, found[0].height) == (1000, 1000)
    assert FANART_ARTISTS.parse(artist("X", MBID), body({"name": "X"}), SETTINGS) == []
    error = {"status": "error", "error message": "Not found"}
    assert FANART_ARTISTS.parse(artist("X", MBID), body(error), SETTINGS) == []


def test_fanart_posters_prefer_english_then_textless() -> None:
    doc = {
        "name": "Inception",
        "tmdb_id": "27205",
        "movieposter": [
            {"id": "1", "url": "https://assets.fanart.tv/p/de.jpg", "lang": "de", "likes": "30"},
            {"id": "2", "url": "https://assets.fanart.tv/p/00.jpg", "lang": "00", "likes": "9"},
            {"id": "3", "url": "https://assets.fanart.tv/p/en-low.jpg", "lang": "en", "likes": "2"},
            {"id": "4", "url": "https://assets.fanart.tv/p/en-top.jpg", "lang": "en", "likes": "5"},
        ],
    }
    found = FANART_MOVIES.parse(movie("27205"), body(doc), SETTINGS)
    assert [u.rsplit("/", 1)[1] for u in urls(found)] == [
        "en-top.jpg",
        "en-low.jpg",
        "00.jpg",
        "de.jpg",
    ]
    with pytest.raises(SourceResponseError):
        FANART_MOVIES.parse(movie("27205"), body({"movieposter": {"a": 1}}), SETTINGS)


# --- Cover Art Archive --------------------------------------------------------------------------

CAA_LISTING = {
    "images": [
        {
            "approved": True,
            "back": True,
            "comment": "",
            "edit": 1,
            "front": False,
            "id": "111",
            "image": f"http://coverartarchive.org/release/{MBID}/111.jpg",
            "thumbnails": {
                "250": f"http://coverartarchive.org/release/{MBID}/111-250.jpg",
                "500": f"http://coverartarchive.org/release/{MBID}/111-500.jpg",
                "1200": f"http://coverartarchive.org/release/{MBID}/111-1200.jpg",
                "large": f"http://coverartarchive.org/release/{MBID}/111-500.jpg",
                "small": f"http://coverartarchive.org/release/{MBID}/111-250.jpg",
            },
            "types": ["Back"],
        },
        {
            "approved": True,
            "back": False,
            "comment": "",
            "edit": 2,
            "front": True,
            "id": 222,
            "image": f"https://coverartarchive.org/release/{MBID}/222.jpg",
            "thumbnails": {
                "250": f"https://coverartarchive.org/release/{MBID}/222-250.jpg",
                "500": f"https://coverartarchive.org/release/{MBID}/222-500.jpg",
                "1200": f"http://coverartarchive.org/release/{MBID}/222-1200.jpg",
                "large": f"https://coverartarchive.org/release/{MBID}/222-500.jpg",
                "small": f"https://coverartarchive.org/release/{MBID}/222-250.jpg",
            },
            "types": ["Front"],
        },
    ],
    "release": f"https://musicbrainz.org/release/{MBID}",
}


def test_caa_request() -> None:
    request = COVER_ART_ARCHIVE.request(release(MBID), NO_SECRETS)
    assert request is not None
    assert request.url == f"https://coverartarchive.org/release/{MBID}"
    assert COVER_ART_ARCHIVE.request(release("123"), SETTINGS) is None
    assert COVER_ART_ARCHIVE.request(release(f"{MBID}/../x"), SETTINGS) is None


def test_caa_front_sizes_in_order() -> None:
    found = COVER_ART_ARCHIVE.parse(release(MBID), body(CAA_LISTING), SETTINGS)
    assert urls(found) == [
        f"https://coverartarchive.org/release/{MBID}/222-1200.jpg",
        f"https://coverartarchive.org/release/{MBID}/222-500.jpg",
        f"https://coverartarchive.org/release/{MBID}/222.jpg",
    ]


def test_caa_without_front_or_with_old_listing() -> None:
    back_only = {"images": [CAA_LISTING["images"][0]], "release": "x"}
    assert COVER_ART_ARCHIVE.parse(release(MBID), body(back_only), SETTINGS) == []
    old = {
        "images": [
            {
                "types": ["Front"],
                "image": "http://coverartarchive.org/release/x/1.jpg",
                "thumbnails": {
                    "large": "http://coverartarchive.org/release/x/1-500.jpg",
                    "small": "http://coverartarchive.org/release/x/1-250.jpg",
                },
            }
        ]
    }
    assert urls(COVER_ART_ARCHIVE.parse(release(MBID), body(old), SETTINGS)) == [
        "https://coverartarchive.org/release/x/1-500.jpg",
        "https://coverartarchive.org/release/x/1.jpg",
    ]
    with pytest.raises(SourceResponseError):
        COVER_ART_ARCHIVE.parse(release(MBID), body({"images": "none"}), SETTINGS)


# --- og:image -----------------------------------------------------------------------------------


def page(head: str) -> bytes:
    return f"<!doctype html><html><head>{head}</head><body><p>x</p></body></html>".encode()


def test_og_request() -> None:
    request = OG_IMAGE.request(article("https://example.com/posts/1?ref=a#comments"), SETTINGS)
    assert request is not None
    assert request.url == "https://example.com/posts/1?ref=a"
    assert request.headers["Accept"].startswith("text/html")
    for bad in (
        None,
        "",
        "/relative/path",
        "ftp://example.com/x",
        "javascript:alert(1)",
        "https://user:pw@example.com/",
        "https://example.com/" + "a" * 3000,
    ):
        assert OG_IMAGE.request(article(bad), SETTINGS) is None, bad


def test_og_image_absolute_with_size() -> None:
    html = page(
        '<meta property="og:image" content="https://cdn.example.com/a.jpg?w=1&amp;h=2">'
        '<meta property="og:image:width" content="1200">'
        '<meta property="og:image:height" content="630">'
        '<meta name="twitter:image" content="https://cdn.example.com/t.jpg">'
    )
    found = OG_IMAGE.parse(article("https://example.com/p"), html, SETTINGS)
    assert found == [
        Candidate("og_image", "https://cdn.example.com/a.jpg?w=1&h=2", 1200, 630),
        Candidate("og_image", "https://cdn.example.com/t.jpg", None, None),
    ]


def test_og_image_fallbacks_and_resolution() -> None:
    url = "https://example.com/blog/post.html"
    twitter = page('<meta name="twitter:image:src" content="img/card.png">')
    assert urls(OG_IMAGE.parse(article(url), twitter, SETTINGS)) == [
        "https://example.com/blog/img/card.png"
    ]
    secure = page(
        '<meta name="twitter:image" content="/t.png">'
        '<meta property="og:image:secure_url" content="//static.example.com/s.png">'
    )
    assert urls(OG_IMAGE.parse(article(url), secure, SETTINGS)) == [
        "https://static.example.com/s.png",
        "https://example.com/t.png",
    ]
    based = page(
        '<base href="https://assets.example.net/x/"><meta property="og:image" content="a b.png">'
    )
    assert urls(OG_IMAGE.parse(article(url), based, SETTINGS)) == [
        "https://assets.example.net/x/a%20b.png"
    ]
    link = page('<link rel="image_src" href="/legacy.jpg">')
    assert urls(OG_IMAGE.parse(article(url), link, SETTINGS)) == ["https://example.com/legacy.jpg"]


def test_og_image_rejects_unsafe_or_missing() -> None:
    url = "https://example.com/p"
    assert OG_IMAGE.parse(article(url), page("<title>none</title>"), SETTINGS) == []
    hostile = page(
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta property="og:image" content="data:image/png;base64,AAAA">'
        '<meta property="og:image" content="">'
    )
    assert OG_IMAGE.parse(article(url), hostile, SETTINGS) == []
    assert OG_IMAGE.parse(article(url), b"\x00\xff<<<meta<<", SETTINGS) == []
    assert OG_IMAGE.parse(article(url), b"", SETTINGS) == []


def test_og_image_charset_and_unicode() -> None:
    latin1 = (
        '<meta charset="iso-8859-1"><meta property="og:image" content="/caf\xe9.png">'
    ).encode("latin-1")
    assert urls(OG_IMAGE.parse(article("https://example.com/"), latin1, SETTINGS)) == [
        "https://example.com/caf%C3%A9.png"
    ]


def test_og_candidates_are_limited() -> None:
    many = "".join(
        f'<meta property="og:image" content="/{n}.png">'
        f'<meta property="og:image:width" content="{900 + n}">'
        for n in range(20)
    )
    found = OG_IMAGE.parse(article("https://example.com/p"), page(many), SETTINGS)
    assert len(found) == MAX_CANDIDATES
    assert found[0].url == "https://example.com/19.png"  # the largest declared first


def test_og_image_ranking_by_declared_size() -> None:
    html = page(
        '<meta property="og:image" content="https://cdn.example.com/logo.png">'
        '<meta property="og:image:width" content="128">'
        '<meta property="og:image:height" content="128">'
        '<meta property="og:image" content="http://cdn.example.com/small.jpg">'
        '<meta property="og:image:width" content="600">'
        '<meta property="og:image:height" content="315">'
        '<meta property="og:image" content="https://cdn.example.com/undeclared.jpg">'
        '<meta property="og:image" content="https://cdn.example.com/hero.jpg">'
        '<meta property="og:image:secure_url" content="https://secure.example.com/hero.jpg">'
        '<meta property="og:image:width" content="1200">'
        '<meta property="og:image:height" content="630">'
        '<meta name="twitter:image" content="https://cdn.example.com/card.jpg">'
    )
    found = OG_IMAGE.parse(article("https://example.com/p"), html, SETTINGS)
    assert found == [
        # The largest declared, its secure_url first; the 128 px logo is gone.
        Candidate("og_image", "https://secure.example.com/hero.jpg", 1200, 630),
        Candidate("og_image", "https://cdn.example.com/hero.jpg", 1200, 630),
        Candidate("og_image", "https://cdn.example.com/small.jpg", 600, 315),  # http upgraded
        Candidate("og_image", "https://cdn.example.com/undeclared.jpg", None, None),
        Candidate("og_image", "https://cdn.example.com/card.jpg", None, None),
    ]


def test_og_image_json_ld_shapes() -> None:
    url = "https://example.com/news/a"
    graph = page(
        '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
        '{"@type": "Organization", "logo": {"@id": "#logo"}, "image": "https://example.com/logo.png"},'
        '{"@type": "ImageObject", "@id": "#primary", "url": "/img/a.jpg", "width": {"@type":'
        ' "QuantitativeValue", "value": 1600}, "height": "900"},'
        '{"@type": ["WebPage", "ItemPage"], "primaryImageOfPage": {"@id": "#primary"}},'
        '{"@type": "https://schema.org/NewsArticle", "image": ["https://example.com/b.jpg",'
        ' {"@type": "ImageObject", "contentUrl": "https://example.com/c.jpg", "width": 100}]}'
        "]}</script>"
        '<script type="application/ld+json"><!-- {"broken": </script>'
        '<script type="application/ld+json">{"@type": "BlogPosting", "image": [["https://x.test/'
        'nested.jpg"], {"@type": "Person", "url": "https://x.test/me"}, {"@id": "#nowhere"}]}'
        "</script>"
        f'<script type="application/ld+json">{"[" * 100_000}</script>'
        '<link rel="image_src" href="/legacy.jpg">'
    )
    assert [(c.url, c.width, c.height) for c in OG_IMAGE.parse(article(url), graph, SETTINGS)] == [
        ("https://example.com/img/a.jpg", 1600, 900),
        ("https://example.com/b.jpg", None, None),
        # c.jpg is declared 100 px wide: a thumbnail, dropped; the Organization logo never counts.
        ("https://example.com/legacy.jpg", None, None),
    ]


def test_og_image_final_url_and_relative_base() -> None:
    html = page(
        '<base href="/assets/"><meta property="og:image" content="hero.png?a=1&amp;amp;b=2">'
    )
    found = OG_IMAGE.parse(
        article("http://example.com/short"),
        html,
        SETTINGS,
        final_url="https://www.example.org/2024/long-article",
    )
    # <base href> resolves against the final URL, the image against <base>; "&amp;amp;" is
    # decoded once, to the literal "&amp;".
    assert urls(found) == ["https://www.example.org/assets/hero.png?a=1&amp;b=2"]
    # Without a final URL the (https-upgraded) request URL is the base.
    assert urls(OG_IMAGE.parse(article("http://example.com/short"), html, SETTINGS)) == [
        "https://example.com/assets/hero.png?a=1&amp;b=2"
    ]
    # A final URL that is not http(s) is ignored.
    assert urls(
        OG_IMAGE.parse(article("https://example.com/x"), html, SETTINGS, final_url="ftp://h/")
    )


def test_og_request_upgrades_http_article_urls() -> None:
    request = OG_IMAGE.request(article("http://www.bbc.com/news/business-40504764"), SETTINGS)
    assert request is not None
    assert request.url == "https://www.bbc.com/news/business-40504764"
    port80 = OG_IMAGE.request(article("http://example.com:80/a"), SETTINGS)
    assert port80 is not None
    assert port80.url == "https://example.com/a"


def test_https_url() -> None:
    insecure = Settings(allow_insecure_sources=True)
    assert https_url("http://is1.mzstatic.com/a/100x100bb.jpg", SETTINGS) == (
        "https://is1.mzstatic.com/a/100x100bb.jpg"
    )
    assert https_url("HTTP://Example.com/x", SETTINGS) == "https://Example.com/x"
    assert https_url("https://example.com/x", SETTINGS) == "https://example.com/x"
    # The loopback fake keeps plain http only while insecure sources are allowed.
    assert (
        https_url("http://127.0.0.1:8790/img/a.png", insecure) == "http://127.0.0.1:8790/img/a.png"
    )
    assert https_url("http://localhost/a.png", insecure) == "http://localhost/a.png"
    assert (
        https_url("http://127.0.0.1:8790/img/a.png", SETTINGS) == "https://127.0.0.1:8790/img/a.png"
    )
    # Public hosts are upgraded whatever the flag says.
    assert https_url("http://assets.fanart.tv/a.jpg", insecure) == "https://assets.fanart.tv/a.jpg"
    assert https_url("http://[::1", SETTINGS) == "http://[::1"  # malformed: left for the guard


# --- Cover Art Archive release-group fallback ----------------------------------------------------


def test_caa_release_group_request() -> None:
    wired = Settings(user_agent=UA)
    request = COVER_ART_ARCHIVE_RELEASE_GROUP.request(release(MBID.upper()), wired)
    assert request is not None
    assert request.url == (
        f"https://musicbrainz.org/ws/2/release/{MBID}?inc=release-groups&fmt=json"
    )
    assert request.headers["User-Agent"] == UA
    assert COVER_ART_ARCHIVE_RELEASE_GROUP.request(release("nope"), wired) is None
    listening = SourceQuery("listening", "albums", "a1", "Air", "Moon Safari", mbid=MBID)
    assert COVER_ART_ARCHIVE.request(listening, SETTINGS) is not None
    assert COVER_ART_ARCHIVE.request(album("Air", "Moon Safari"), SETTINGS) is None


def test_caa_release_group_parse_errors() -> None:
    with pytest.raises(SourceResponseError):
        COVER_ART_ARCHIVE_RELEASE_GROUP.parse(release(MBID), body({"id": MBID}), SETTINGS)
    with pytest.raises(SourceResponseError):
        COVER_ART_ARCHIVE_RELEASE_GROUP.parse(
            release(MBID), body({"release-group": {"id": "../x"}}), SETTINGS
        )


# --- captured real bodies (provenance: tests/unit/sources/captured/README.md) -------------

CAPTURED = Path(__file__).parent / "captured"


def captured(name: str) -> bytes:
    return (CAPTURED / name).read_bytes()


# (file, article URL of the saved page, expected candidates: URL, or (URL, width, height))
ARTICLE_PAGES: list[tuple[str, str, list[Any]]] = [
    (
        # Blogger: the blog's 128 px logo is the first og:image, undeclared; the post's
        # picture is the second one, and twitter:image and image_src repeat its file name.
        "googleblog.html",
        "https://cloudplatform.googleblog.com/2016/09/Google-Cloud-Platform-sets-a-course-for-new-horizons.html",
        [
            "https://2.bp.blogspot.com/-mCc_hmccB3k/V-y4E1VHooI/AAAAAAAADIs/Cx3pc4MlBasLG3uB2VBsZ-gCpqy_ftbvACLcB/w1200-h630-p-k-no-nu/google-cloud-network.png",
            "https://3.bp.blogspot.com/-m90zG1Qb7vc/Vel5wAn_isI/AAAAAAAARGE/iSOuuYWUXUA/s1600-r/CloudPlatform_128px_Retina.png",
            "https://2.bp.blogspot.com/-mCc_hmccB3k/V-y4E1VHooI/AAAAAAAADIs/Cx3pc4MlBasLG3uB2VBsZ-gCpqy_ftbvACLcB/s72-c/google-cloud-network.png",
            "https://2.bp.blogspot.com/-mCc_hmccB3k/V-y4E1VHooI/AAAAAAAADIs/Cx3pc4MlBasLG3uB2VBsZ-gCpqy_ftbvACLcB/s640/google-cloud-network.png",
        ],
    ),
    (
        # og:image and its og:image:url alias, width/height; twitter:image; JSON-LD array.
        "los-angeles-times.html",
        "http://www.latimes.com/business/technology/la-fi-tn-tech-downturn-20160429-story.html",
        [
            (
                "https://ca-times.brightspotcdn.com/dims4/default/78d090f/2147483647/strip/true/crop/2048x1075+0+146/resize/1200x630!/quality/75/?url=https%3A%2F%2Fcalifornia-times-brightspot.s3.amazonaws.com%2F07%2F12%2F36025c1a8b6f34ec37234f02980c%2Fla-la-fi-adv-start-up-funding007-jpg-20160429",
                1200,
                630,
            ),
            ...,
        ],
    ),
    (
        # og:image:secure_url before og:image, both the same picture.
        "acast.html",
        "https://play.acast.com/s/saywhytodrugs/caffeine",
        [
            (
                "https://assets.pippa.io/shows/611ed6f306c05edd31f40e82/611ed70f27513b0013d09bb8.jpg",
                600,
                315,
            )
        ],
    ),
    (
        "nbcnews.html",
        "https://www.nbcnews.com/news/us-news/no-charges-filed-against-kenosha-officers-jacob-blake-shooting-n1252739",
        [
            (
                "https://media4.s-nbcnews.com/j/newscms/2020_45/3407342/200825-jacob-blake-2x1-se-152p_19527f3bde0e0abf3b82395738909a41.nbcnews-fp-1200-630.jpg",
                1200,
                630,
            ),
            "https://media4.s-nbcnews.com/j/newscms/2020_45/3407342/200825-jacob-blake-2x1-se-152p_19527f3bde0e0abf3b82395738909a41.nbcnews-fp-1024-512.jpg",
            (
                "https://media4.s-nbcnews.com/i/newscms/2020_45/3407342/200825-jacob-blake-2x1-se-152p_19527f3bde0e0abf3b82395738909a41.jpg",
                1200,
                600,
            ),
        ],
    ),
    (
        # No og:image: twitter:image, and a Yoast @graph whose WebPage points at an
        # ImageObject by "@id".
        "jewish-business-news.html",
        "https://jewishbusinessnews.com/2016/01/20/israeli-startup-jfrog-raises-50-million-in-c-round/",
        [
            "https://jewishbusinessnews.com/wp-content/uploads/2016/01/Shlomi-Ben-Haim-JFrog-Co-Founder-and-CEO-Source-JFrog-e1453326404147.jpg"
        ],
    ),
    (
        # Only JSON-LD: a NewsArticle ImageObject with string width/height; http:// page.
        "the-register.html",
        "http://www.theregister.co.uk/2016/05/03/emc_world_virtustream_announcement",
        [("https://regmedia.co.uk/2016/05/04/raincloud_teaser.jpg", 700, 488)],
    ),
    (
        # og:image plus a WebPage primaryImageOfPage in the @graph (the same picture).
        "bfi.html",
        "https://bfi.uchicago.edu/podcast/the-big-tech-threat/",
        [("https://bfi.uchicago.edu/wp-content/uploads/2018/11/pie-web-banner_6.png", 3334, 1460)],
    ),
    (
        # JSON-LD image as an array of strings, after og:image.
        "vice.html",
        "https://www.vice.com/en/article/kb77gv/google-wins-trial-against-oracle-saves-9-billion",
        [
            "https://images.vice.com/motherboard/content-images/article/no-id/1464294050922700.jpg?image-resize-opts=Y3JvcD0wLjg0NzExMTExMTExMTExMXh3OjF4aDtjZW50ZXIsY2VudGVyJnJlc2l6ZT0xMjAwOiomcmVzaXplPTEyMDA6Kg",
            "https://images.vice.com/motherboard/content-images/article/no-id/1464294050922700.jpg?crop=0.847111111111111xw:1xh;center,center&resize=1200:*",
        ],
    ),
    (
        # JSON-LD image as an array of ImageObjects, largest declared first.
        "hola.html",
        "https://www.hola.com/us/celebrities/20240624701307/rauw-alejandro-bruna-marquezine-dreams-to-accomplish/",
        [
            ...,
            (
                "https://www.hola.com/us/horizon/43/2ec6ca11d80b-new-york-new-york-rauw-alejandro-and-bruna-marquezine-are-seen-during-a-photosho.jpg",
                1920,
                1440,
            ),
            ...,
        ],
    ),
    (
        # twitter:image:src only (with twitter:image:width/height), http:// image and page.
        "smitten-kitchen.html",
        "http://smittenkitchen.com/blog/2016/05/cucumber-yogurt-raita-salad",
        [
            (
                "https://smittenkitchen.com/wp-content/uploads/cucumber-yogurt-raita-salad-300x200.jpg",
                300,
                200,
            )
        ],
    ),
    (
        # <base href="http://..."> with twitter:image and <link rel="image_src">, all http://.
        "business-today.html",
        "http://www.businesstoday.in/magazine/features/hackerrank-helping-cos-hire-coding-champions-via-online-tests/story/232567.html",
        [
            "https://media2.intoday.in/btmt/images/stories/code505_051616043033.jpg",
            "https://media2.intoday.in/btmt/images/stories/code144_051616043033.jpg",
        ],
    ),
    (
        # A relative og:image with "&amp;" and percent-escapes in its query.
        "globenewswire.html",
        "https://www.globenewswire.com/news-release/2016/04/06/1300478/0/en/Segment-Launches-Sources-to-Unify-Siloed-Customer-Data-in-Minutes.html",
        [
            "https://www.globenewswire.com/news-release/logo/901814/0/901814.png?lastModified=09%2F16%2F2020%2010%3A00%3A19&v=1300478"
        ],
    ),
    (
        # An http:// og:image on an http:// page; the JSON-LD image belongs to a Product.
        "anandtech.html",
        "http://www.anandtech.com/show/11591/amd-launches-ryzen-pro-cpus-enhanced-security-longer-warranty-better-quality",
        ["https://images.anandtech.com/doci/11591/amd_ryzen_pro_678_678x452.jpg"],
    ),
    (
        # og:image repeated, with og:image:secure_url and a declared size; JSON-LD "@id" that
        # is the image URL itself.
        "techmonitor.html",
        "https://techmonitor.ai/technology/ai-and-automation/us-ai-safety-institute-consortium",
        [
            (
                "https://techmonitor.ai/wp-content/uploads/sites/4/2024/02/shutterstock_2423355809.jpg",
                612,
                612,
            )
        ],
    ),
    (
        # "&amp;" in og:image, decoded once.
        "computerworld.html",
        "https://www.computerworld.com/article/4049928/top-ai-certifications-that-will-get-you-hired-and-promoted.html",
        [
            (
                "https://www.computerworld.com/wp-content/uploads/2025/09/4049928-0-03018300-1757093725-cio-building-AI-skills-16x9-1.jpg?quality=50&strip=all&w=1024",
                1024,
                577,
            ),
            "https://www.computerworld.com/wp-content/uploads/2025/09/4049928-0-03018300-1757093725-cio-building-AI-skills-16x9-1.jpg?quality=50&strip=all",
        ],
    ),
    # Nothing usable: an empty JSON-LD image; an Organization logo only.
    (
        "pr-newswire.html",
        "https://www.prnewswire.com/news-releases/hackerrank--cybermedia-technologies-partner-to-help-close-the-stem-skills-gap-in-federal-government-300256929.html",
        [],
    ),
    ("belfusto.html", "https://www.belfusto.com/tendencia/ergowear/", []),
]


@pytest.mark.parametrize(
    ("name", "url", "expected"), ARTICLE_PAGES, ids=[p[0] for p in ARTICLE_PAGES]
)
def test_captured_article_pages(name: str, url: str, expected: list[Any]) -> None:
    request = OG_IMAGE.request(article(url), SETTINGS)
    assert request is not None
    assert request.url.startswith("https://")
    found = OG_IMAGE.parse(article(url), captured(f"articles/{name}"), SETTINGS)
    if ... not in expected:
        assert len(found) == len(expected)
    for position, want in enumerate(expected):
        if want is ...:
            continue
        got = found[position]
        if isinstance(want, tuple):
            assert (got.url, got.width, got.height) == want
        else:
            assert got.url == want
    assert all(c.url.startswith("https://") for c in found)


def test_captured_json_ld_graph_alone() -> None:
    """The real Yoast @graph resolves by itself once the twitter:image is taken away."""
    html = captured("articles/jewish-business-news.html")
    without_twitter = b"\n".join(line for line in html.splitlines() if b"twitter:image" not in line)
    url = "https://jewishbusinessnews.com/2016/01/20/israeli-startup-jfrog-raises-50-million-in-c-round/"
    assert urls(OG_IMAGE.parse(article(url), without_twitter, SETTINGS)) == [
        "https://jewishbusinessnews.com/wp-content/uploads/2016/01/Shlomi-Ben-Haim-JFrog-Co-Founder-and-CEO-Source-JFrog-e1453326404147.jpg"
    ]


def test_captured_deezer() -> None:
    albums = captured("deezer/search_album_daft_punk.json")
    assert b"\\/" in albums  # Deezer escapes slashes
    assert urls(DEEZER_ALBUMS.parse(album("Daft Punk", "Discovery"), albums, SETTINGS)) == [
        "https://e-cdns-images.dzcdn.net/images/cover/2e018122cb56986277102d2041a592c8/1000x1000-000000-80-0-0.jpg"
    ]
    artists = captured("deezer/search_artist_daft_punk.json")
    # "Daft Punk - Stardust" (a placeholder picture) and "Tribute to Daft Punk" do not count.
    assert urls(DEEZER_ARTISTS.parse(artist("Daft Punk"), artists, SETTINGS)) == [
        "https://e-cdns-images.dzcdn.net/images/artist/f2bc007e9133c946ac3c3907ddc5d2ea/1000x1000-000000-80-0-0.jpg"
    ]
    library = captured("deezer/user_artists_2018.json")
    # "Kool & The Gang" is listed with the `/images/artist//` stand-in only: nothing to take.
    assert DEEZER_ARTISTS.parse(artist("Kool & The Gang"), library, SETTINGS) == []
    assert urls(DEEZER_ARTISTS.parse(artist("Damian Marley"), library, SETTINGS)) == [
        "https://e-cdns-images.dzcdn.net/images/artist/115bacd4f76f5a2a9dbfe2ad4026c798/1000x1000-000000-80-0-0.jpg"
    ]
    old = captured("deezer/chart_0_artists_2018.json")  # 2018: every URL is http://
    assert urls(DEEZER_ARTISTS.parse(artist("PNL"), old, SETTINGS)) == [
        "https://cdn-images.deezer.com/images/artist/c60478371435ba049949409706bb6673/1000x1000-000000-80-0-0.jpg"
    ]


def test_captured_itunes_collaboration_credits() -> None:
    doc = captured("itunes/search_mamonas_assassinas.json")

    def first(artist_name: str, title: str) -> str | None:
        found = ITUNES.parse(album(artist_name, title), doc, SETTINGS)
        return found[0].url if found else None

    pelados = "https://is4-ssl.mzstatic.com/image/thumb/Music118/v4/a6/53/6e/a6536eee-50b2-442f-48e4-52b931c8ef77/source/1200x1200bb.jpg"
    assert first("Mamonas Assassinas", "Pelados Em Santos") == pelados  # "..., Alok & Sevenn"
    assert first("Alok", "Pelados Em Santos") == pelados
    assert first("Mamonas Assassinas", "Vai Aê") == (  # "Ruy Brissac & Mamonas Assassinas"
        "https://is1-ssl.mzstatic.com/image/thumb/Music115/v4/a7/46/f3/a746f302-669a-6ffb-2b0f-93b89e29163a/source/1200x1200bb.jpg"
    )
    assert first("Mamonas Assassinas", "Mundo Animal (Remix)") is not None
    assert first("Mamonas Assassinas", "Mundo Animal") is None  # a remix is another record
    assert first("Mamonas", "Pelados Em Santos") is None


def test_captured_itunes_http_artwork() -> None:
    doc = captured("itunes/search_bob_dylan_2017.json")
    found = ITUNES.parse(album("Bob Dylan", "Blood on the Tracks"), doc, SETTINGS)
    assert urls(found) == [
        "https://is4.mzstatic.com/image/thumb/Music5/v4/69/99/42/69994248-ac5c-23fa-22f5-b1f1b5d55cb1/source/1200x1200bb.jpg"
    ]
    essential = ITUNES.parse(album("Bob Dylan", "The Essential Bob Dylan"), doc, SETTINGS)
    assert urls(essential)[0].startswith("https://is2.mzstatic.com/image/thumb/Music3/")
    # A 2011 result: "...100x100-75.jpg" on a1.phobos.apple.com cannot be resized; skipped.
    legacy = json.loads(captured("itunes/result_beastie_boys_2011.json"))
    wrapped = body({"resultCount": 1, "results": [legacy]})
    assert ITUNES.parse(album("Beastie Boys", "Paul's Boutique"), wrapped, SETTINGS) == []


def test_captured_apple_music() -> None:
    doc = captured("apple_music/search_james_brown.json")
    found = APPLE_MUSIC_ALBUMS.parse(
        album("James Brown", "20 All-Time Greatest Hits!"), doc, SETTINGS
    )
    assert found == [
        Candidate(
            "apple_music",
            "https://is1-ssl.mzstatic.com/image/thumb/Music4/v4/76/85/e5/7685e5c8-9346-88db-95ff-af87bf84151b/source/1200x1200bb.jpg",
            1200,
            1200,
        )
    ]
    # This (older) response has no artist artwork at all.
    assert APPLE_MUSIC_ARTISTS.parse(artist("James Brown"), doc, SETTINGS) == []


def test_captured_tmdb() -> None:
    assert urls(TMDB_MOVIES.parse(movie("550"), captured("tmdb/movie_550.json"), SETTINGS)) == [
        "https://image.tmdb.org/t/p/w780/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"
    ]
    assert urls(TMDB_SHOWS.parse(movie("1399"), captured("tmdb/tv_1399.json"), SETTINGS)) == [
        "https://image.tmdb.org/t/p/w780/1XS1oqL89opfnbLl8WnZY1O1uJx.jpg"
    ]
    latest = captured("tmdb/movie_latest_no_poster.json")
    assert TMDB_MOVIES.parse(movie("1236474"), latest, SETTINGS) == []


def test_captured_fanart() -> None:
    mbid = "f4a31f0a-51dd-4fa7-986d-3095c40c5ed9"
    thumbs = FANART_ARTISTS.parse(
        artist("Evanescence", mbid), captured("fanart/music_evanescence.json"), SETTINGS
    )
    assert urls(thumbs) == [
        f"https://assets.fanart.tv/fanart/music/{mbid}/artistthumb/evanescence-53c3e236e646b.jpg"
    ]
    posters = FANART_MOVIES.parse(movie("120"), captured("fanart/movies_120.json"), SETTINGS)
    assert urls(posters) == [
        "https://assets.fanart.tv/fanart/movies/120/movieposter/the-lord-of-the-rings-the-fellowship-of-the-ring-52ca39328f269.jpg"
    ]


@pytest.mark.parametrize(
    ("name", "mbid", "image"),
    [
        ("release_76df3287_lastfm.json", "76df3287-6cda-33eb-8e9a-044b5e15ffdd", "829521842"),
        ("release_740a2832_index.json", "740a2832-8325-335e-9005-b80cdc31108b", "1606516577"),
    ],
)
def test_captured_caa_listings(name: str, mbid: str, image: str) -> None:
    found = COVER_ART_ARCHIVE.parse(release(mbid), captured(f"cover_art_archive/{name}"), SETTINGS)
    # Old listings: only "large"/"small" thumbnails, every URL http://.
    assert urls(found) == [
        f"https://coverartarchive.org/release/{mbid}/{image}-500.jpg",
        f"https://coverartarchive.org/release/{mbid}/{image}.jpg",
    ]


def test_captured_musicbrainz_release_names_its_group() -> None:
    doc = captured("musicbrainz/release_b84ee12a_inc_release_groups.json")
    found = COVER_ART_ARCHIVE_RELEASE_GROUP.parse(
        release("b84ee12a-09ef-421b-82de-0441a926375b"), doc, SETTINGS
    )
    group = "https://coverartarchive.org/release-group/f5093c06-23e3-404f-aeaa-40f72885ee3a"
    assert found == [
        Candidate("cover_art_archive", f"{group}/front-1200", None, None),
        Candidate("cover_art_archive", f"{group}/front-500", None, None),
    ]
