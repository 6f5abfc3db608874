"""Request and response models of the key routes (validation and OpenAPI)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field, validator

from rewind_images.config import (
    DEFAULT_RATE_LIMIT_RPM,
    MAX_KEY_LIFETIME_DAYS,
    MAX_KEY_NAME_LENGTH,
    MAX_RATE_LIMIT_RPM,
    MAX_ROW_ID,
)
from rewind_images.pages import Pagination
from rewind_images.rules import TEXT_PATTERN
from rewind_images.timestamps import iso_from_datetime
from rewind_images.validation import ApiModel, check_text

# RFC 3339 date-time (section 5.6), the offset required; fractions past microseconds are cut.
RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,6})\d*)?([Zz]|[+-]\d{2}:\d{2})"
)
EXPIRY_FORMAT_MESSAGE = "must be an RFC 3339 date-time with an offset"


def parse_expiry(value: object) -> datetime:
    """An RFC 3339 date-time string with an offset, as an aware UTC datetime; ValueError for
    anything else (numbers, naive times, impossible dates, dates beyond year 9999 in UTC)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)  # built in Python, not from JSON
    match = RFC3339.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(EXPIRY_FORMAT_MESSAGE)
    moment, fraction, offset = match.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    text = moment.upper() + (f".{fraction.ljust(6, '0')}" if fraction else "") + offset
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(EXPIRY_FORMAT_MESSAGE) from exc


class KeyScope(StrEnum):
    """What a key may do: read = GET endpoints, admin = everything."""

    read = "read"
    admin = "admin"


class KeyCreate(ApiModel):
    """Body of POST /v1/admin/keys."""

    name: str = Field(
        ..., min_length=1, max_length=MAX_KEY_NAME_LENGTH, regex=TEXT_PATTERN, example="my app"
    )
    scope: KeyScope = KeyScope.read
    rate_limit_rpm: int = Field(DEFAULT_RATE_LIMIT_RPM, ge=1, le=MAX_RATE_LIMIT_RPM)
    expires_at: datetime | None = Field(
        None,
        description="Time after which the key stops working: an RFC 3339 date-time with an"
        f" offset, in the future, at most {MAX_KEY_LIFETIME_DAYS} days (ten years) ahead.",
    )

    @validator("rate_limit_rpm", pre=True)
    def _whole_number(cls, value: object) -> object:  # noqa: N805 - pydantic validator
        # pydantic 1 would take true, 1.9 or "60" as numbers; JSON's 60.0 is a whole number.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("must be a whole number")
        if isinstance(value, float) and not value.is_integer():
            raise TypeError("must be a whole number")
        return int(value)

    @validator("name")
    def _name(cls, value: str) -> str:  # noqa: N805 - pydantic validator
        check_text(value, "name")
        return value

    @validator("expires_at", pre=True)
    def _rfc3339(cls, value: object) -> datetime | None:  # noqa: N805 - pydantic validator
        # pydantic 1 would take numbers (1e20 became 1973) and naive times; only RFC 3339 text.
        return None if value is None else parse_expiry(value)

    def expires_at_text(self) -> str | None:
        """`expires_at` as stored in D1 (ISO-8601 UTC with milliseconds and Z)."""
        return None if self.expires_at is None else iso_from_datetime(self.expires_at)

    class Config:
        extra = "forbid"


class KeyInfo(ApiModel):
    """A key as listed: never the raw key, only its prefix and last four characters."""

    id: int
    name: str
    scope: KeyScope
    key_prefix: str
    key_hint: str
    rate_limit_rpm: int
    request_count: int
    last_used_at: str | None
    expires_at: str | None
    is_active: bool
    created_at: str


class KeyCreated(KeyInfo):
    """Answer of POST /v1/admin/keys: the raw key, shown this once."""

    key: str


class KeyList(ApiModel):
    """Answer of GET /v1/admin/keys."""

    data: list[KeyInfo]
    pagination: Pagination


class KeyIdPath(ApiModel):
    """Path parameter of key routes."""

    messages: ClassVar[dict[str, str]] = {"key_id": "Invalid key id: {value}"}

    key_id: int = Field(..., ge=1, le=MAX_ROW_ID)
