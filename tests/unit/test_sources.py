"""Source layer: request building and parsing of realistic upstream bodies."""

from __future__ import annotations

import json
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
from rewind_images.sources.cover_art_archive import COVER_ART_ARCHIVE
from rewind_images.sources.deezer import DEEZER_ALBUMS, DEEZER_ARTISTS
from rewind_images.sources.fanart import FANART_ARTISTS, FANART_MOVIES
from rewind_images.sources.itunes import ITUNES, upscale_artwork_url
from rewind_images.sources.og_image import OG_IMAGE
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
    assert request.accept_json


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
    assert not request.accept_json
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
