"""Sizes after EXIF orientation (issue 23): a photo stored sideways is recorded at the size it
is displayed at, and its hash, placeholder and recorded size agree, for all eight orientations;
the same under workerd (marked), where the real Images binding turns the image."""

from __future__ import annotations

import base64
import struct

import httpx
import pytest

from rewind_images.imaging.thumbhash import thumbhash_to_approximate_aspect_ratio
from tests.support.helpers import unique
from tests.support.orientation import QUARTER_TURNS, sideways_photo


def _upload(client: httpx.Client, admin: dict[str, str], entity: str, data: bytes) -> dict:
    put = client.put(
        f"/v1/admin/images/listening/albums/{entity}",
        files={"image": ("photo.jpg", data, "image/jpeg")},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    return put.json()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_an_upload_is_recorded_at_its_displayed_size(
    client: httpx.Client, admin: dict[str, str], reader: dict[str, str], orientation: int
) -> None:
    entity = unique(f"orient{orientation}")
    record = _upload(client, admin, entity, sideways_photo(orientation))
    turned = orientation in QUARTER_TURNS
    assert (record["width"], record["height"]) == ((200, 400) if turned else (400, 200))
    # The hash was taken from the turned image: its aspect ratio agrees with the record's.
    ratio = thumbhash_to_approximate_aspect_ratio(base64.b64decode(record["thumbhash"]))
    assert (ratio < 1) == turned
    attachment = client.get(
        f"/v1/images/listening/albums/{entity}/original?format=json", headers=reader
    ).json()["data"]
    assert attachment["aspect_ratio"] == (0.5 if turned else 2.0)
    assert (attachment["width"], attachment["height"]) == (record["width"], record["height"])


@pytest.mark.workerd
def test_a_sideways_phone_photo_is_recorded_portrait(
    client: httpx.Client, admin: dict[str, str], reader: dict[str, str]
) -> None:
    # The case: a 400x200 JPEG marked orientation 6 (taken upright).
    entity = unique("orient-phone")
    record = _upload(client, admin, entity, sideways_photo(6))
    assert (record["width"], record["height"]) == (200, 400)
    attachment = client.get(
        f"/v1/images/listening/albums/{entity}/original?format=json", headers=reader
    ).json()["data"]
    assert attachment["aspect_ratio"] == 0.5
    ratio = thumbhash_to_approximate_aspect_ratio(base64.b64decode(attachment["thumbhash"]))
    assert ratio < 1
    png = base64.b64decode(attachment["placeholder"].split(",", 1)[1])
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert width < height  # a portrait placeholder
    # Uploaded again upright: the same key (original.jpg) holds an object already, which the
    # storage rule's fenced put replaces (R2's etag condition) while holding the claim.
    again = _upload(client, admin, entity, sideways_photo(1))
    assert (again["r2_key"], again["width"], again["height"]) == (record["r2_key"], 400, 200)
