"""keys.authentication: bearer parsing, timestamps, and `authenticate` (401/403/429, rate-limit
headers, usage flushing, the key cache) against a fake database and a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from rewind_images.config import (
    MAX_TOKEN_LENGTH,
    RATE_WINDOW_MS,
    USAGE_FLUSH_INTERVAL_MS,
    Settings,
)
from rewind_images.context import Context
from rewind_images.errors import Forbidden, TooManyRequests, Unauthorized
from rewind_images.http import Request
from rewind_images.keys import authentication
from rewind_images.keys.authentication import AuthState, authenticate, bearer_token
from rewind_images.keys.material import hash_token
from rewind_images.keys.store import ADD_USAGE, SELECT_KEY_BY_HASH
from rewind_images.timestamps import iso_from_ms, parse_timestamp_ms

# --- bearer_token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer rw_live_abc", "rw_live_abc"),
        ("bearer rw_live_abc", "rw_live_abc"),
        ("BEARER rw_live_abc", "rw_live_abc"),
        ("  Bearer   rw_live_abc  ", "rw_live_abc"),
        ("Bearer " + "t" * MAX_TOKEN_LENGTH, "t" * MAX_TOKEN_LENGTH),
    ],
)
def test_bearer_token_parsed(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "rw_live_abc",
        "Basic dXNlcjpwYXNz",
        "Token rw_live_abc",
        "Bearerrw_live_abc",
        "Bearer " + "t" * (MAX_TOKEN_LENGTH + 1),
    ],
)
def test_bearer_token_refused(header):
    assert bearer_token(header) is None


# --- timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2024-01-01T00:00:00.000Z", 1_704_067_200_000),
        ("2024-01-01T00:00:00Z", 1_704_067_200_000),
        ("2024-01-01T00:00:00.123Z", 1_704_067_200_123),
        ("2024-01-01 00:00:00", 1_704_067_200_000),  # SQLite datetime('now'): naive = UTC
        ("2024-01-01T02:00:00+02:00", 1_704_067_200_000),
        ("1970-01-01T00:00:00.000Z", 0),
    ],
)
def test_parse_timestamp_ms(text, ms):
    assert parse_timestamp_ms(text) == ms


@pytest.mark.parametrize("value", [None, ""])
def test_parse_timestamp_ms_empty(value):
    assert parse_timestamp_ms(value) is None


def test_parse_timestamp_ms_rejects_garbage():
    with pytest.raises(ValueError, match="Invalid isoformat"):
        parse_timestamp_ms("next tuesday")


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1_704_067_200_000, "2024-01-01T00:00:00.000Z"),
        (1_704_067_200_001, "2024-01-01T00:00:00.001Z"),
        (1_704_067_200_999, "2024-01-01T00:00:00.999Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
    ],
)
def test_iso_from_ms(ms, text):
    assert iso_from_ms(ms) == text


def test_round_trip_of_current_times():
    # every millisecond of a few seconds now-ish, and a spread over this century's dates
    start = 1_767_225_600_000  # 2026-01-01
    values = list(range(start, start + 5_000)) + list(
        range(1_600_000_000_000, 4_000_000_000_000, 9_999_991_919)
    )
    for ms in values:
        assert parse_timestamp_ms(iso_from_ms(ms)) == ms, ms


def test_round_trip_is_exact_for_older_dates():
    assert parse_timestamp_ms("1987-02-09T14:53:11.545Z") == 539_880_791_545


# --- authenticate --------------------------------------------------------------------------------

READ_TOKEN = "rw_live_readreadreadread"
ADMIN_TOKEN = "rw_admin_adminadminadmin"
NOW = 1_767_225_600_000 + 5_000  # 2026-01-01T00:00:05Z, 5 s into a rate window


class FakeDatabase:
    def __init__(self):
        self.rows = {}
        self.first_calls = []
        self.run_calls = []

    def add_key(self, token, *, id, scope="read", rpm=60, expires_at=None, active=1):
        self.rows[hash_token(token)] = {
            "id": id,
            "scope": scope,
            "rate_limit_rpm": rpm,
            "expires_at": expires_at,
            "is_active": active,
        }

    async def first(self, sql, *params):
        self.first_calls.append((sql, params))
        return self.rows.get(params[0])

    async def all(self, sql, *params):
        raise AssertionError("auth must not list rows")

    async def run(self, sql, *params):
        self.run_calls.append((sql, params))
        return 1

    async def batch(self, statements):
        raise AssertionError("auth must not batch")


class Unused:
    def __getattr__(self, name):
        raise AssertionError(f"auth used {name} of a service it should not touch")


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class Harness:
    def __init__(self, *, auth_cache_seconds=60):
        self.db = FakeDatabase()
        self.clock = Clock(NOW)
        self.background = []
        self.ctx = Context(
            settings=Settings(auth_cache_seconds=auth_cache_seconds),
            db=self.db,
            bucket=Unused(),
            transformer=Unused(),
            fetcher=Unused(),
            queue=Unused(),
            wait_until=self.background.append,
            clock_ms=self.clock,
        )

    def auth(self, token=READ_TOKEN, *, admin=False, header=None):
        headers = {"Authorization": header if header is not None else f"Bearer {token}"}
        request = Request.build("GET", "/v1/images/listening/albums/a/small", "", headers)
        return asyncio.run(authenticate(request, self.ctx, admin=admin))

    def fail(self, error, token=READ_TOKEN, **kwargs):
        with pytest.raises(error) as info:
            self.auth(token, **kwargs)
        return info.value

    def drain(self):
        """Run what was handed to wait_until; return the usage updates it wrote."""
        pending, self.background[:] = list(self.background), []

        async def run_all():
            for awaitable in pending:
                await awaitable

        asyncio.run(run_all())
        calls = [params for sql, params in self.db.run_calls if sql == ADD_USAGE]
        self.db.run_calls.clear()
        return calls


@pytest.fixture
def make_harness():
    made = []

    def make(**kwargs):
        made.append(Harness(**kwargs))
        return made[-1]

    yield make
    for harness in made:  # run leftover background work, so no coroutine is left unawaited
        harness.drain()


@pytest.fixture
def h(make_harness):
    return make_harness()


def test_valid_read_key(h):
    h.db.add_key(READ_TOKEN, id=7, rpm=60)
    key = h.auth()
    assert (key.id, key.scope) == (7, "read")
    assert h.db.first_calls == [(SELECT_KEY_BY_HASH, (hash_token(READ_TOKEN),))]
    assert key.rate_limit_headers == {
        "x-ratelimit-limit": "60",
        "x-ratelimit-remaining": "59",
        "x-ratelimit-reset": str((NOW // RATE_WINDOW_MS + 1) * RATE_WINDOW_MS // 1000),
    }


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer", "Bearer " + "x" * 300])
def test_missing_or_malformed_header_is_401_without_a_query(h, header):
    error = h.fail(Unauthorized, header=header)
    assert (error.status, error.message) == (401, "Unauthorized")
    assert h.db.first_calls == []


def test_no_authorization_header_at_all(h):
    request = Request.build("GET", "/v1/images/x", "", {})
    with pytest.raises(Unauthorized):
        asyncio.run(authenticate(request, h.ctx, admin=False))


def test_unknown_key_is_401(h):
    error = h.fail(Unauthorized, "rw_live_nope")
    assert error.message == "Unauthorized"
    assert h.db.first_calls == [(SELECT_KEY_BY_HASH, (hash_token("rw_live_nope"),))]


def test_revoked_key_is_401(h):
    h.db.add_key(READ_TOKEN, id=1, active=0)
    assert h.fail(Unauthorized).message == "Unauthorized"


def test_expired_key(h):
    h.db.add_key(READ_TOKEN, id=1, expires_at=iso_from_ms(NOW))
    error = h.fail(Unauthorized)
    assert (error.status, error.message) == (401, "Token expired")


def test_key_expiring_later_works_until_then(make_harness):
    h = make_harness(auth_cache_seconds=3600)
    h.db.add_key(READ_TOKEN, id=1, expires_at=iso_from_ms(NOW + 1))
    assert h.auth().id == 1
    h.clock.now = NOW + 1
    assert h.fail(Unauthorized).message == "Token expired"  # the cached row is re-checked


def test_read_key_on_admin_route_is_403(h):
    h.db.add_key(READ_TOKEN, id=1, scope="read")
    error = h.fail(Forbidden, admin=True)
    assert (error.status, error.message) == (403, "Forbidden")


def test_admin_key_works_everywhere(h):
    h.db.add_key(ADMIN_TOKEN, id=2, scope="admin")
    assert h.auth(ADMIN_TOKEN, admin=True).scope == "admin"
    assert h.auth(ADMIN_TOKEN, admin=False).scope == "admin"


def test_rate_limit_429_with_headers(h):
    h.db.add_key(READ_TOKEN, id=3, rpm=3)
    reset_s = (NOW // RATE_WINDOW_MS + 1) * RATE_WINDOW_MS // 1000
    remaining = [h.auth().rate_limit_headers["x-ratelimit-remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    error = h.fail(TooManyRequests)
    assert (error.status, error.message) == (429, "Too Many Requests")
    assert error.headers == {
        "x-ratelimit-limit": "3",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(reset_s),
        "retry-after": str(reset_s - NOW // 1000),
    }
    assert int(error.headers["retry-after"]) == 55  # 5 s into the window


def test_retry_after_is_at_least_one_second(h):
    h.db.add_key(READ_TOKEN, id=3, rpm=1)
    window_end = (NOW // RATE_WINDOW_MS + 1) * RATE_WINDOW_MS
    h.clock.now = window_end - 1
    h.auth()
    assert h.fail(TooManyRequests).headers["retry-after"] == "1"


def test_rate_limit_resets_in_the_next_window(h):
    h.db.add_key(READ_TOKEN, id=3, rpm=2)
    h.auth()
    h.auth()
    h.fail(TooManyRequests)
    h.clock.now = (NOW // RATE_WINDOW_MS + 1) * RATE_WINDOW_MS
    headers = h.auth().rate_limit_headers
    assert headers["x-ratelimit-remaining"] == "1"
    assert headers["x-ratelimit-reset"] == str(h.clock.now // 1000 + 60)


def test_a_request_that_costs_more_charges_the_rest_of_the_same_window(h):
    h.db.add_key(READ_TOKEN, id=3, rpm=10)
    key = h.auth()  # 1 of 10
    key.charge(4)  # 5 of 10
    assert key.rate_limit_headers["x-ratelimit-remaining"] == "5"
    key.charge(0)  # nothing more
    assert h.auth().rate_limit_headers["x-ratelimit-remaining"] == "4"
    big = h.auth()  # 7 of 10
    with pytest.raises(TooManyRequests) as refused:
        big.charge(4)  # would be 11: refused, nothing more counted
    assert refused.value.headers["x-ratelimit-remaining"] == "3"
    big.charge(3)
    assert big.rate_limit_headers["x-ratelimit-remaining"] == "0"
    h.fail(TooManyRequests)


def test_rate_limits_are_per_key(h):
    h.db.add_key(READ_TOKEN, id=1, rpm=1)
    h.db.add_key(ADMIN_TOKEN, id=2, scope="admin", rpm=1)
    h.auth(READ_TOKEN)
    h.fail(TooManyRequests, READ_TOKEN)
    assert h.auth(ADMIN_TOKEN).rate_limit_headers["x-ratelimit-remaining"] == "0"


def test_usage_first_use_flushes_then_at_most_once_per_interval(h):
    h.db.add_key(READ_TOKEN, id=9, rpm=1000)
    h.auth()
    assert h.drain() == [(1, iso_from_ms(NOW), 9)]

    for step in range(1, 5):
        h.clock.now = NOW + step * 1000
        h.auth()
    assert h.background == []
    assert h.drain() == []

    h.clock.now = NOW + USAGE_FLUSH_INTERVAL_MS - 1
    h.auth()
    assert h.drain() == []

    h.clock.now = NOW + USAGE_FLUSH_INTERVAL_MS
    h.auth()
    # the 4 + 1 unflushed uses plus this one, stamped with this request's time
    assert h.drain() == [(6, iso_from_ms(NOW + USAGE_FLUSH_INTERVAL_MS), 9)]

    h.clock.now = NOW + USAGE_FLUSH_INTERVAL_MS + 30_000
    h.auth()
    assert h.drain() == []
    h.clock.now = NOW + 2 * USAGE_FLUSH_INTERVAL_MS
    h.auth()
    assert h.drain() == [(2, iso_from_ms(NOW + 2 * USAGE_FLUSH_INTERVAL_MS), 9)]


def test_usage_is_counted_per_key(h):
    h.db.add_key(READ_TOKEN, id=1)
    h.db.add_key(ADMIN_TOKEN, id=2, scope="admin")
    h.auth(READ_TOKEN)
    h.auth(ADMIN_TOKEN)
    assert sorted(h.drain(), key=lambda p: p[2]) == [
        (1, iso_from_ms(NOW), 1),
        (1, iso_from_ms(NOW), 2),
    ]


def test_refused_requests_are_not_counted(h):
    h.db.add_key(READ_TOKEN, id=4, rpm=1)
    h.auth()
    assert h.drain() == [(1, iso_from_ms(NOW), 4)]
    h.fail(TooManyRequests)
    h.fail(TooManyRequests)
    h.fail(Forbidden, admin=True)
    h.clock.now = NOW + USAGE_FLUSH_INTERVAL_MS
    h.auth()
    assert h.drain() == [(1, iso_from_ms(NOW + USAGE_FLUSH_INTERVAL_MS), 4)]


def test_key_rows_are_cached_for_auth_cache_seconds(make_harness):
    h = make_harness(auth_cache_seconds=30)
    h.db.add_key(READ_TOKEN, id=5)
    h.auth()
    h.clock.now = NOW + 29_999
    h.auth()
    assert len(h.db.first_calls) == 1
    h.clock.now = NOW + 30_000
    h.auth()
    assert len(h.db.first_calls) == 2
    h.clock.now = NOW + 59_999
    h.auth()
    assert len(h.db.first_calls) == 2


def test_a_revoke_is_seen_after_the_cache_expires(make_harness):
    h = make_harness(auth_cache_seconds=60)
    h.db.add_key(READ_TOKEN, id=5)
    h.auth()
    h.db.rows[hash_token(READ_TOKEN)]["is_active"] = 0
    h.clock.now = NOW + 1_000
    assert h.auth().id == 5  # still cached
    h.clock.now = NOW + 60_000
    h.fail(Unauthorized)


def test_unknown_keys_are_cached_too(h):
    h.fail(Unauthorized, "rw_live_unknown")
    h.fail(Unauthorized, "rw_live_unknown")
    assert len(h.db.first_calls) == 1
    h.db.add_key("rw_live_unknown", id=6)
    h.clock.now = NOW + 60_000
    assert h.auth("rw_live_unknown").id == 6


def test_forget_drops_cached_rows(h):
    h.db.add_key(READ_TOKEN, id=5)
    h.db.add_key(ADMIN_TOKEN, id=6, scope="admin")
    h.auth(READ_TOKEN)
    h.auth(ADMIN_TOKEN)
    state = h.ctx.state["auth"]
    assert isinstance(state, AuthState)
    state.forget(hash_token(READ_TOKEN))
    h.auth(READ_TOKEN)
    h.auth(ADMIN_TOKEN)
    assert len(h.db.first_calls) == 3
    state.forget()
    h.auth(READ_TOKEN)
    h.auth(ADMIN_TOKEN)
    assert len(h.db.first_calls) == 5


def test_zero_cache_seconds_queries_every_time(make_harness):
    h = make_harness(auth_cache_seconds=0)
    h.db.add_key(READ_TOKEN, id=5)
    h.auth()
    h.auth()
    assert len(h.db.first_calls) == 2


def test_key_cache_is_bounded(h, monkeypatch):
    monkeypatch.setattr(authentication, "KEY_CACHE_MAX_ENTRIES", 3)
    for n in range(3):
        h.fail(Unauthorized, f"rw_live_flood{n}")
    state = h.ctx.state["auth"]
    assert len(state.keys) == 3
    h.fail(Unauthorized, "rw_live_flood3")
    assert len(state.keys) == 3  # the oldest made room
    assert hash_token("rw_live_flood0") not in state.keys
    assert hash_token("rw_live_flood3") in state.keys


def test_state_lives_in_the_context(h):
    h.db.add_key(READ_TOKEN, id=1, rpm=1)
    h.auth()
    h.ctx.state.clear()  # a new isolate: fresh windows and caches
    assert h.auth().rate_limit_headers["x-ratelimit-remaining"] == "0"
    assert len(h.db.first_calls) == 2


TOO_LONG = "x" * (MAX_TOKEN_LENGTH + 1)


@pytest.mark.parametrize(
    ("header", "challenge"),
    [
        ("", authentication.CHALLENGE),
        ("Basic abc", authentication.CHALLENGE),
        ("Bearer", authentication.CHALLENGE),
        ("Bearer    ", authentication.CHALLENGE),
        (f"Basic {TOO_LONG}", authentication.CHALLENGE),
        (f"Bearer {TOO_LONG}", authentication.INVALID_TOKEN_CHALLENGE),
        (f"bearer {TOO_LONG}", authentication.INVALID_TOKEN_CHALLENGE),
        (f"  BEARER {TOO_LONG} more", authentication.INVALID_TOKEN_CHALLENGE),
        ("Bearer rw_live_unknown", authentication.INVALID_TOKEN_CHALLENGE),
    ],
)
def test_a_401_says_invalid_token_exactly_when_a_bearer_token_was_sent(h, header, challenge):
    assert h.fail(Unauthorized, header=header).headers == challenge


def test_a_charge_of_nothing_or_less_counts_nothing_and_keeps_the_headers(h):
    h.db.add_key(READ_TOKEN, id=3, rpm=3)
    key = h.auth()  # 1 of 3
    other = h.auth()  # 2 of 3, counted after `key`'s headers were made
    headers = dict(key.rate_limit_headers)
    key.charge(0)
    key.charge(-5)
    assert key.rate_limit_headers == headers
    assert other.rate_limit_headers["x-ratelimit-remaining"] == "1"
    h.auth()
    h.fail(TooManyRequests)


def test_forgetting_a_key_this_isolate_never_cached_is_harmless(h):
    h.db.add_key(READ_TOKEN, id=5)
    h.auth()
    state = h.ctx.state["auth"]
    state.forget(hash_token("rw_live_never_seen"))
    assert list(state.keys) == [hash_token(READ_TOKEN)]
