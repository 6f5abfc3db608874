"""images.writing.storage on the D1 and R2 doubles, with other writers acting between the steps
of one writer (ours, holding the claim `OURS`): the fenced put and its retries, the strays a
writer that lost its claim leaves (or does not), the placeholders a write prepares, and
re-analysis. Time moves by hand: a writer loses its claim when its lease has run out and
another writer takes it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import pytest
from PIL import Image

from rewind_images.config import CLAIM_LEASE_MS, FENCED_PUT_ATTEMPTS, Settings
from rewind_images.context import Context
from rewind_images.errors import DependencyError
from rewind_images.images.resolution.analysis import analyse
from rewind_images.images.resolution.search import Found
from rewind_images.images.row import NewImage
from rewind_images.images.store import claim_rows, image_rows
from rewind_images.images.store.image_rows import StoredImageRow, WriteResult
from rewind_images.images.writing import storage
from rewind_images.imaging.features import ImageAnalysis
from rewind_images.sources import Candidate
from rewind_images.timestamps import iso_from_ms
from tests.support.doubles import MemoryBucket, PillowTransformer, SqliteDatabase
from tests.support.helpers import add_image

ENTITY = ("listening", "albums", "a")
JPEG = "listening/albums/a/original.jpg"
PNG = "listening/albums/a/original.png"
START_MS = 1_900_000_000_000
OURS = "ours"
THUMBHASH = "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB"  # decodes: its placeholder can be made

Action = Callable[[], Awaitable[Any]]


class World:
    """One entity's D1 and R2. Our writer's puts go through `bucket.put`, where `before_put`
    and `after_put` (by the put's number, from 1) let other writers act around them; theirs
    go straight to the bucket (`put_as`). Background work (`wait_until`) is kept in
    `background`, to be run (`run_background`) or inspected."""

    def __init__(self) -> None:
        self.db = SqliteDatabase()
        self.bucket = MemoryBucket()
        self.now = START_MS
        self.background: list[Awaitable[Any]] = []
        self.ctx = Context(
            settings=Settings(),
            db=self.db,
            bucket=self.bucket,
            transformer=PillowTransformer(),
            fetcher=None,  # type: ignore[arg-type]
            queue=None,  # type: ignore[arg-type]
            wait_until=self.background.append,
            clock_ms=lambda: self.now,
        )
        self.before_put: dict[int, Action] = {}
        self.after_put: dict[int, Action] = {}
        self.our_puts = 0
        self._put = self.bucket.put
        self.bucket.put = self._our_put  # type: ignore[method-assign]

    async def _our_put(self, key: str, body: bytes, **kwargs: Any) -> bool:
        self.our_puts += 1
        if self.our_puts in self.before_put:
            await self.before_put[self.our_puts]()
        stored = await self._put(key, body, **kwargs)
        if self.our_puts in self.after_put:
            await self.after_put[self.our_puts]()
        return stored

    async def put_as(self, token: str, key: str = JPEG, body: bytes | None = None) -> None:
        """Another writer's object under `key` (its body the token unless given), put under its
        claim `token`."""
        await self._put(
            key,
            token.encode() if body is None else body,
            content_type="image/jpeg",
            cache_control="",
            custom_metadata={storage.CLAIM_METADATA: token},
        )

    async def claim(self, token: str) -> None:
        assert await claim_rows.claim(self.db, ENTITY, token, self.now, CLAIM_LEASE_MS)

    async def take_over(self, token: str) -> None:
        """The current holder's lease runs out and the writer `token` takes the claim."""
        self.now += CLAIM_LEASE_MS + 1
        await self.claim(token)

    def body(self, key: str = JPEG) -> bytes | None:
        stored = self.bucket.objects.get(key)
        return None if stored is None else stored.body

    def objects(self) -> list[str]:
        return sorted(self.bucket.objects)

    def holder(self) -> list[tuple[object, ...]]:
        return self.db.sql("SELECT token FROM image_claims")

    def placeholders(self) -> list[tuple[object, ...]]:
        return self.db.sql("SELECT thumbhash FROM image_placeholders")

    async def run_background(self) -> None:
        while self.background:
            await self.background.pop(0)


@pytest.fixture
def world() -> Iterator[World]:
    world = World()
    yield world
    for left in world.background:  # background work a test did not run
        if isinstance(left, Coroutine):
            left.close()


def found() -> Found:
    """Our writer's image (its bytes b"ours")."""
    return Found(
        candidate=Candidate("deezer", "https://cdn.example/a.jpg"),
        body=b"ours",
        content_type="image/jpeg",
        width=600,
        height=600,
        analysis=ImageAnalysis(THUMBHASH, "#112233", "#445566"),
    )


async def save(world: World, image: Found | None, previous_key: str = "") -> WriteResult:
    """Our pipeline run's write (the row write releases the claim, as the pipeline's does)."""

    async def write(new: NewImage) -> WriteResult:
        now_iso = iso_from_ms(world.now)
        return await image_rows.write_pipeline_image(world.db, ENTITY, OURS, new, now_iso)

    described = storage.describe(ENTITY, image, None)
    return await storage.save(
        world.ctx, ENTITY, OURS, image, described, write, previous_key=previous_key
    )


# --- the fenced put ----------------------------------------------------------------------------


def test_a_stray_under_the_key_is_replaced_once_the_claim_is_confirmed(world: World) -> None:
    async def scenario() -> None:
        await world.put_as("stalled")  # a writer that lost its lease left its object
        await world.claim(OURS)
        result = await save(world, found())
        assert result.written
        assert world.body() == b"ours"

    asyncio.run(scenario())


def test_a_retried_put_replaces_only_the_object_it_saw(world: World) -> None:
    async def takes_over_and_puts() -> None:
        # Between our look at the stray and our retry, our lease runs out; the writer that
        # takes the claim over puts its own object under the key.
        await world.take_over("winner")
        await world.put_as("winner")

    async def scenario() -> None:
        await world.put_as("stalled")
        await world.claim(OURS)
        world.before_put[2] = takes_over_and_puts
        result = await save(world, found())
        # The retry was conditioned on the stray; the winner's object stays, nothing of ours.
        assert result == WriteResult(False, None)
        assert world.objects() == [JPEG]
        assert world.body() == b"winner"
        assert world.holder() == [("winner",)]

    asyncio.run(scenario())


def test_a_retried_put_into_a_key_that_emptied_puts_only_into_a_free_key(world: World) -> None:
    async def stray_removed() -> None:
        await world.bucket.delete([JPEG])  # its writer cleaned its stray up

    async def takes_over_and_puts() -> None:
        await world.take_over("winner")
        await world.put_as("winner")

    async def scenario() -> None:
        await world.put_as("stalled")
        await world.claim(OURS)
        world.after_put[1] = stray_removed
        world.before_put[2] = takes_over_and_puts
        result = await save(world, found())
        assert result == WriteResult(False, None)
        assert world.body() == b"winner"

    asyncio.run(scenario())


def test_a_retried_put_that_reports_failure_after_its_own_object_landed_counts_as_put(
    world: World,
) -> None:
    async def scenario() -> None:
        await world.claim(OURS)
        original = world.bucket.put

        async def landed_but_failed(key: str, body: bytes, **kwargs: Any) -> bool:
            # R2 retried the request: the first landed, the retry's condition then failed.
            await original(key, body, **kwargs)
            return False

        world.bucket.put = landed_but_failed  # type: ignore[method-assign]
        result = await save(world, found())
        assert result.written
        assert result.record is not None
        assert result.record.r2_key == JPEG
        assert world.body() == b"ours"
        assert world.our_puts == 1

    asyncio.run(scenario())


def test_a_put_that_keeps_finding_another_object_gives_up_with_a_dependency_error(
    world: World,
) -> None:
    async def another_object() -> None:
        await world.put_as("stalled")  # replaced again before each of our puts

    async def scenario() -> None:
        await world.claim(OURS)
        for attempt in range(1, FENCED_PUT_ATTEMPTS + 2):
            world.before_put[attempt] = another_object
        with pytest.raises(DependencyError, match=JPEG):
            await save(world, found())
        assert world.our_puts == FENCED_PUT_ATTEMPTS
        assert world.body() == b"stalled"
        assert await image_rows.get_image(world.db, ENTITY) is None

    asyncio.run(scenario())


# --- strays after a lost claim -----------------------------------------------------------------


def test_a_writer_that_lost_its_claim_removes_every_unnamed_object_once_the_claim_is_free(
    world: World,
) -> None:
    async def lost_and_abandoned() -> None:
        # After our put landed: a writer took the claim over, put its object over ours, and
        # stalled in turn; its lease has run out too, so the claim is free to take.
        await world.take_over("stalled")
        await world.put_as("stalled")
        world.now += CLAIM_LEASE_MS + 1

    async def scenario() -> None:
        await world.claim(OURS)
        world.after_put[1] = lost_and_abandoned
        result = await save(world, found())
        assert result == WriteResult(False, None)
        assert world.objects() == []  # no row names it: removed under the claim
        assert world.holder() == []  # which was released again

    asyncio.run(scenario())


def test_the_object_a_row_names_stays_when_the_strays_are_removed(world: World) -> None:
    async def moved_to_png_then_stalled() -> None:
        # A writer took the claim over and moved the row to a PNG; a third took it then and
        # put a JPEG over ours before stalling (its lease has run out: the claim is free).
        await world.take_over("winner")
        await world.put_as("winner", PNG)
        add_image(world.db, *ENTITY, r2_key=PNG, source="deezer")
        await claim_rows.release(world.db, ENTITY, "winner")
        await world.claim("third")
        await world.put_as("third")
        world.now += CLAIM_LEASE_MS + 1

    async def scenario() -> None:
        await world.claim(OURS)
        world.after_put[1] = moved_to_png_then_stalled
        result = await save(world, found())
        assert not result.written
        assert result.record is not None
        assert result.record.r2_key == PNG
        assert world.objects() == [PNG]
        assert world.holder() == []

    asyncio.run(scenario())


def test_a_writer_that_lost_its_claim_leaves_the_new_holders_object_under_the_same_key(
    world: World,
) -> None:
    async def taken_over() -> None:
        # After our put landed, the writer that took the claim over put its object over ours;
        # its row is not written yet.
        await world.take_over("winner")
        await world.put_as("winner")

    async def scenario() -> None:
        await world.claim(OURS)
        world.after_put[1] = taken_over
        result = await save(world, found())
        assert result == WriteResult(False, None)
        assert world.body() == b"winner"
        assert world.holder() == [("winner",)]

    asyncio.run(scenario())


# --- what a write leaves besides the row -------------------------------------------------------


def test_a_failed_no_image_row_write_deletes_nothing(world: World) -> None:
    async def scenario() -> None:
        await world.claim(OURS)
        world.db.fail_sql = "INSERT INTO images"
        with pytest.raises(DependencyError):
            await save(world, None)
        assert world.bucket.deleted == []

    asyncio.run(scenario())


def test_only_a_written_row_with_a_thumbhash_gets_its_placeholder_prepared(world: World) -> None:
    async def taken_over_and_written() -> None:
        # After our put landed, the writer that took the claim over put its object over ours,
        # wrote its row (with a hash) and released the claim.
        await world.take_over("winner")
        await world.put_as("winner")
        add_image(world.db, *ENTITY, r2_key=JPEG, thumbhash=THUMBHASH)
        await claim_rows.release(world.db, ENTITY, "winner")

    async def scenario() -> None:
        # A "no image" row: no placeholder to make, no background work.
        await world.claim(OURS)
        result = await save(world, None)
        assert result.written
        assert world.background == []

        # A write that lost to another writer's row: that writer prepares its placeholder.
        world.db.sql("DELETE FROM images")
        await world.claim(OURS)
        world.after_put[1] = taken_over_and_written
        result = await save(world, found())
        assert not result.written
        assert result.record is not None
        assert result.record.thumbhash == THUMBHASH
        assert world.body() == b"winner"
        assert world.background == []

        # A written image row: its placeholder is stored in the background.
        await world.claim(OURS)
        result = await save(world, found(), previous_key=JPEG)
        assert result.written
        assert world.body() == b"ours"
        assert world.placeholders() == []
        await world.run_background()
        assert world.placeholders() == [(THUMBHASH,)]

    asyncio.run(scenario())


# --- re-analysis -------------------------------------------------------------------------------


def _two_tone_png() -> bytes:
    """Mostly teal with a red stripe: a dominant colour and an accent."""
    image = Image.new("RGB", (64, 64), (20, 120, 120))
    image.paste((220, 30, 30), (0, 0, 16, 64))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_reanalysis_stores_every_result_and_prepares_the_new_hashs_placeholder(
    world: World,
) -> None:
    async def scenario() -> None:
        body = _two_tone_png()
        add_image(world.db, *ENTITY, r2_key=PNG, thumbhash=None, accent=None)
        await world.put_as("earlier", PNG, body)
        (row_id,) = world.db.sql("SELECT id FROM images")[0]
        assert isinstance(row_id, int)
        expected = await analyse(world.ctx, body)
        assert expected.accent is not None

        await world.claim(OURS)
        assert await storage.reanalyse(world.ctx, StoredImageRow(row_id, ENTITY, PNG), OURS)
        record = await image_rows.get_image(world.db, ENTITY)
        assert record is not None
        analysed = (record.thumbhash, record.dominant_color, record.accent_color)
        assert analysed == (expected.thumbhash, expected.dominant, expected.accent)
        await world.run_background()
        assert world.placeholders() == [(expected.thumbhash,)]

    asyncio.run(scenario())
