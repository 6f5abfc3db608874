"""The API's page-based lists: `?page=&limit=` and the `pagination` block of their answers,
`{"data": [...], "pagination": {"page", "limit", "total", "total_pages"}}`."""

from __future__ import annotations

import math

from pydantic import Field

from rewind_images.config import DEFAULT_PAGE_LIMIT, MAX_PAGE, MAX_PAGE_LIMIT
from rewind_images.validation import ApiModel


class PageQuery(ApiModel):
    """?page=&limit= of list endpoints."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(DEFAULT_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.limit


class Pagination(ApiModel):
    """The API's page-based pagination block."""

    page: int
    limit: int
    total: int
    total_pages: int

    @classmethod
    def of(cls, query: PageQuery, total: int) -> Pagination:
        """The block of the page `query` asked for, out of `total` rows."""
        pages = math.ceil(total / query.limit) if total else 0
        return cls(page=query.page, limit=query.limit, total=total, total_pages=pages)
