"""D1 as the `Database` port: rows come back as plain dicts, NULL as None."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyodide.ffi import JsException

from rewind_images.config import D1_BUSY_RETRY_DELAYS_S
from rewind_images.ports import Row, SqlParam
from rewind_images.runtime import PlatformError
from rewind_images.runtime.js_convert import sql_param, to_python


class D1Error(PlatformError):
    """A D1 query failed."""


# "database is locked" means the statement did not run (nothing committed), so it is safe to
# try again; locally it happens when two runtimes share one state dir. Other errors are raised.
BUSY_MARKERS = ("SQLITE_BUSY", "database is locked")


async def _with_busy_retry(call: Callable[[], Awaitable[Any]]) -> Any:
    for delay in (*D1_BUSY_RETRY_DELAYS_S, None):
        try:
            return await call()
        except JsException as exc:
            if delay is None or not any(m in str(exc) for m in BUSY_MARKERS):
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class D1Database:
    """Wraps a D1 binding."""

    def __init__(self, binding: Any) -> None:
        self._db = binding

    def _statement(self, sql: str, params: Sequence[SqlParam]) -> Any:
        statement = self._db.prepare(sql)
        if params:
            statement = statement.bind(*[sql_param(p) for p in params])
        return statement

    async def first(self, sql: str, *params: SqlParam) -> Row | None:
        """The first row, or None."""
        try:
            row = await _with_busy_retry(lambda: self._statement(sql, params).first())
        except JsException as exc:
            raise D1Error(f"D1 query failed: {exc}") from exc
        result = to_python(row)
        return result if isinstance(result, dict) else None

    async def all(self, sql: str, *params: SqlParam) -> list[Row]:
        """All rows."""
        try:
            result = await _with_busy_retry(lambda: self._statement(sql, params).all())
        except JsException as exc:
            raise D1Error(f"D1 query failed: {exc}") from exc
        return list(to_python(result.results) or [])

    async def run(self, sql: str, *params: SqlParam) -> int:
        """Execute; the number of changed rows."""
        try:
            result = await _with_busy_retry(lambda: self._statement(sql, params).run())
        except JsException as exc:
            raise D1Error(f"D1 statement failed: {exc}") from exc
        return int(result.meta.changes)

    async def batch(self, statements: Sequence[tuple[str, Sequence[SqlParam]]]) -> list[list[Row]]:
        """Execute statements in one transaction (D1 batch); each statement's rows."""
        try:
            results = await _with_busy_retry(
                lambda: self._db.batch([self._statement(sql, p) for sql, p in statements])
            )
        except JsException as exc:
            raise D1Error(f"D1 batch failed: {exc}") from exc
        return [list(to_python(r.results) or []) for r in results]
