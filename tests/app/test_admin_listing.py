"""GET /v1/admin/images: every row of the `images` table, newest first, filtered and paginated
in the API's list envelope; bad filters are 400s in the error envelope. (The original's rows
and domains: tests/app/test_takeover.py.)"""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.support.app_client import InProcessApp
from tests.support.helpers import add_image, unique

LISTING = "/v1/admin/images"
DISCOVERY = {"artist_name": "Daft Punk", "album_name": "Discovery"}
NOTHING = {"artist_name": "Nobody", "album_name": "Nothing"}


def test_only_admin_keys_list(client: httpx.Client, reader: dict[str, str]) -> None:
    assert client.get(LISTING, headers=reader).json() == {"error": "Forbidden", "status": 403}
    assert client.get(LISTING).status_code == 401


def test_an_empty_table_is_an_empty_first_page(client: httpx.Client, admin: dict[str, str]) -> None:
    answer = client.get(LISTING, headers=admin)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == {
        "data": [],
        "pagination": {"page": 1, "limit": 20, "total": 0, "total_pages": 0},
    }


def test_rows_written_by_the_service_show_their_status(
    client: httpx.Client, admin: dict[str, str], reader: dict[str, str]
) -> None:
    found, nothing, overridden = unique("found"), unique("nothing"), unique("over")
    for entity, hints in ((found, DISCOVERY), (nothing, NOTHING), (overridden, DISCOVERY)):
        client.get(f"/v1/images/listening/albums/{entity}/small", params=hints, headers=reader)
    override = client.put(
        f"/v1/admin/images/listening/albums/{overridden}",
        files={"image": ("cover.png", _png(), "image/png")},
        headers=admin,
    )
    assert override.status_code == 200, override.text
    data = client.get(LISTING, headers=admin).json()["data"]
    by_id = {d["entity_id"]: d for d in data}
    assert [d["entity_id"] for d in data] == [overridden, nothing, found]  # newest first
    assert (by_id[found]["status"], by_id[found]["source"]) == ("ready", "apple_music")
    assert (by_id[nothing]["status"], by_id[nothing]["r2_key"]) == ("none", "")
    assert (by_id[overridden]["status"], by_id[overridden]["source"]) == ("override", "manual")
    assert by_id[overridden]["override_at"] is not None
    assert by_id[found]["search_hints"] == '{"album_name": "Discovery", "artist_name": "Daft Punk"}'
    for status, entity in (("ready", found), ("none", nothing), ("override", overridden)):
        listed = client.get(LISTING, params={"status": status}, headers=admin).json()
        assert [d["entity_id"] for d in listed["data"]] == [entity]


def _png() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((80, 80)).convert("RGB").save(out, format="PNG")
    return out.getvalue()


def seed(service: InProcessApp, domain: str, entity_type: str, entity_id: str, source: str) -> None:
    """A row and its object, written straight into D1 and R2."""
    add_image(service, domain, entity_type, entity_id, source=source)
    key = f"{domain}/{entity_type}/{entity_id}/original.jpg"
    put = service.bucket.put(
        key, b"\xff\xd8\xff", content_type="image/jpeg", cache_control="", custom_metadata={}
    )
    service.run(put)


def test_filters_combine_and_pages_hold_limit_rows(
    service: InProcessApp, client: httpx.Client, admin: dict[str, str]
) -> None:
    for n in range(5):
        seed(service, "listening", "albums", f"a{n}", "deezer" if n % 2 else "itunes")
    seed(service, "watching", "movies", "m1", "tmdb")
    seed(service, "anything", "at_all", "x1", "deezer")  # any domain is listed
    pages = [
        client.get(LISTING, params={"limit": 2, "page": page}, headers=admin).json()
        for page in (1, 2, 3, 4)
    ]
    assert [[d["entity_id"] for d in p["data"]] for p in pages] == [
        ["x1", "m1"],
        ["a4", "a3"],
        ["a2", "a1"],
        ["a0"],
    ]
    assert pages[3]["pagination"] == {"page": 4, "limit": 2, "total": 7, "total_pages": 4}
    past = client.get(LISTING, params={"limit": 2, "page": 9}, headers=admin).json()
    assert past == {"data": [], "pagination": {"page": 9, "limit": 2, "total": 7, "total_pages": 4}}

    def ids(**filters: str) -> list[str]:
        return [
            d["entity_id"]
            for d in client.get(LISTING, params=filters, headers=admin).json()["data"]
        ]

    assert ids(source="deezer") == ["x1", "a3", "a1"]
    assert ids(source="deezer", domain="listening") == ["a3", "a1"]
    assert ids(domain="watching", entity_type="movies", status="ready") == ["m1"]
    assert ids(domain="anything") == ["x1"]
    assert ids(entity_type="albums", source="tmdb") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=missing", "Invalid status"),
        ("limit=0", "Invalid limit"),
        ("limit=101", "Invalid limit"),
        ("page=0", "Invalid page"),
        ("page=two", "Invalid page"),
        ("domain=", "Invalid domain"),
        ("domain=list%01ening", "Invalid domain"),
        ("entity_type=" + "x" * 201, "Invalid entity_type"),
        ("source=a%0A", "Invalid source"),
        ("status=ready&status=none", "Query parameter status given more than once"),
    ],
)
def test_bad_filters_are_400s_in_the_envelope(
    client: httpx.Client, admin: dict[str, str], query: str, message: str
) -> None:
    answer = client.get(f"{LISTING}?{query}", headers=admin)
    assert answer.json() == {"error": message, "status": 400}


def test_the_listing_is_in_the_api_document(client: httpx.Client) -> None:
    doc = client.get("/v1/openapi.json").json()
    operation = doc["paths"][LISTING]["get"]
    assert operation["operationId"] == "listImages"
    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert list(parameters) == ["page", "limit", "domain", "entity_type", "status", "source"]
    assert parameters["status"]["enum"] == ["ready", "none", "override"]
    assert parameters["limit"]["maximum"] == 100
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    listing = doc["components"]["schemas"][answer["$ref"].rsplit("/", 1)[1]]
    assert set(listing["properties"]) == {"data", "pagination"}
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}
