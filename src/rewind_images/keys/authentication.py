"""Bearer-key authentication, per-key rate limits and usage counting.

One call of `authenticate` per request. Key rows are cached per isolate for at most
`settings.auth_cache_seconds`, so a hit costs no D1 query for auth. Usage (`request_count`,
`last_used_at`) is summed in memory and written at most once per flush interval per key, in the
background (`wait_until`), not on every request.

Limits are counted per isolate in fixed one-minute windows: with several isolates a key may get
up to (isolates x limit) per minute. That is the documented trade for answering without a
round trip to shared state. A request counts 1; a handler whose request costs more (a batch)
takes the rest with `ApiKey.charge` once it knows the size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images.config import (
    KEY_CACHE_MAX_ENTRIES,
    MAX_TOKEN_LENGTH,
    RATE_WINDOW_MS,
    USAGE_FLUSH_INTERVAL_MS,
)
from rewind_images.context import Context, isolate_object
from rewind_images.errors import Forbidden, TooManyRequests, Unauthorized
from rewind_images.http import Request
from rewind_images.keys import store
from rewind_images.keys.material import hash_token
from rewind_images.keys.store import KeyRecord
from rewind_images.memo import BoundedDict
from rewind_images.timestamps import iso_from_ms
from rewind_images.windows import FixedWindows


class ApiKey:
    """The authenticated key of one request, with its rate-limit headers."""

    __slots__ = ("_now", "_record", "_state", "rate_limit_headers")

    def __init__(
        self, state: AuthState, record: KeyRecord, now: int, rate_limit_headers: dict[str, str]
    ) -> None:
        self._state, self._record, self._now = state, record, now
        self.rate_limit_headers = rate_limit_headers

    @property
    def id(self) -> int:
        """The key's id."""
        return self._record.id

    @property
    def scope(self) -> str:
        """The key's scope."""
        return self._record.scope

    def charge(self, units: int) -> None:
        """Count `units` more against the key's limit, for a request that costs more than one.
        Raises TooManyRequests (counting nothing more) when fewer are left in the window."""
        if units > 0:
            self.rate_limit_headers = _rate_limit(self._state, self._record, self._now, units)


@dataclass
class _Usage:
    pending: int = 0
    flushed_ms: int = 0


@dataclass
class AuthState:
    """Per-isolate caches: key rows, rate windows, unflushed usage."""

    keys: BoundedDict[str, tuple[KeyRecord | None, int]] = field(
        default_factory=lambda: BoundedDict(KEY_CACHE_MAX_ENTRIES)
    )
    # Each token's hash, so a repeated token is not hashed again.
    hashes: BoundedDict[str, str] = field(
        default_factory=lambda: BoundedDict(KEY_CACHE_MAX_ENTRIES)
    )
    windows: FixedWindows[int] = field(
        default_factory=lambda: FixedWindows(RATE_WINDOW_MS, KEY_CACHE_MAX_ENTRIES)
    )
    usage: dict[int, _Usage] = field(default_factory=dict)

    def forget(self, key_hash: str | None = None) -> None:
        """Drop cached key rows (one, or all), e.g. after a revoke."""
        if key_hash is None:
            self.keys.clear()
        else:
            self.keys.pop(key_hash, None)


# RFC 6750: a 401 names the scheme, and says why when a token was sent.
CHALLENGE = {"www-authenticate": "Bearer"}
INVALID_TOKEN_CHALLENGE = {"www-authenticate": 'Bearer error="invalid_token"'}


def _sent_a_token(authorization: str | None) -> bool:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


async def _read_key(ctx: Context, state: AuthState, key_hash: str, now: int) -> KeyRecord | None:
    """The key's row from D1, cached from `now` (None, cached too, for an unknown hash)."""
    record = await store.key_by_hash(ctx.db, key_hash)
    state.keys[key_hash] = (record, now)  # bounded: a flood of random tokens evicts old ones
    return record


def _rate_limit(state: AuthState, record: KeyRecord, now: int, cost: int = 1) -> dict[str, str]:
    windows, limit = state.windows, record.rate_limit_rpm
    headers = {"x-ratelimit-limit": str(limit), "x-ratelimit-reset": str(windows.reset_s(now))}
    if windows.take(record.id, limit, now, cost) != cost:
        headers["x-ratelimit-remaining"] = str(max(0, limit - windows.used(record.id, now)))
        headers["retry-after"] = str(windows.retry_after_s(now))
        raise TooManyRequests("Too Many Requests", headers=headers)
    headers["x-ratelimit-remaining"] = str(limit - windows.used(record.id, now))
    return headers


def _count_usage(ctx: Context, state: AuthState, key_id: int, now: int) -> None:
    usage = state.usage.get(key_id)
    first_use = usage is None
    if usage is None:
        usage = state.usage[key_id] = _Usage()
    usage.pending += 1
    if not first_use and now - usage.flushed_ms < USAGE_FLUSH_INTERVAL_MS:
        return
    pending, usage.pending, usage.flushed_ms = usage.pending, 0, now
    ctx.wait_until(store.add_usage(ctx.db, key_id, pending, iso_from_ms(now)))


def auth_state(ctx: Context) -> AuthState:
    """The isolate's auth state."""
    return isolate_object(ctx, "auth", AuthState)


async def authenticate(request: Request, ctx: Context, admin: bool) -> ApiKey:
    """Check the request's key, scope and rate limit; count its use. Raises 401/403/429."""
    authorization = request.header("authorization")
    token = bearer_token(authorization)
    if token is None:
        challenge = INVALID_TOKEN_CHALLENGE if _sent_a_token(authorization) else CHALLENGE
        raise Unauthorized("Unauthorized", headers=dict(challenge))
    state = auth_state(ctx)
    now = ctx.clock_ms()
    key_hash = state.hashes.get(token)
    if key_hash is None:
        key_hash = state.hashes[token] = hash_token(token)
    cached = state.keys.get(key_hash)
    if cached is not None and now - cached[1] < ctx.settings.auth_cache_seconds * 1000:
        record = cached[0]  # the warm path: no coroutine to make
    else:
        record = await _read_key(ctx, state, key_hash, now)
    if record is None or not record.is_active:
        raise Unauthorized("Unauthorized", headers=dict(INVALID_TOKEN_CHALLENGE))
    if record.expires_at_ms is not None and record.expires_at_ms <= now:
        raise Unauthorized("Token expired", headers=dict(INVALID_TOKEN_CHALLENGE))
    if admin and record.scope != "admin":
        raise Forbidden("Forbidden")
    headers = _rate_limit(state, record, now)
    _count_usage(ctx, state, record.id, now)
    return ApiKey(state, record, now, headers)
