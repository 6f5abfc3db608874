"""Crossing the Python/JavaScript boundary in one place.

Python None crosses as JS `undefined` (D1 rejects it): bind SQL NULL as `jsnull`. Dicts become
JS Maps unless converted with `Object.fromEntries`. JS results are proxies: convert once, here.
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import JsProxy, jsnull, to_js  # type: ignore[attr-defined]  # stub lags runtime


def js_object(data: dict[str, Any]) -> Any:
    """A Python dict as a plain JS object (nested dicts too)."""
    return to_js(data, dict_converter=js.Object.fromEntries)


def js_bytes(data: bytes) -> Any:
    """Python bytes as a JS Uint8Array (a copy)."""
    return to_js(data)


def to_python(value: Any) -> Any:
    """A JS value as plain Python: objects to dicts, null/undefined to None (recursively)."""
    if isinstance(value, JsProxy):
        value = value.to_py()
    return _strip_nulls(value)


def _strip_nulls(value: Any) -> Any:
    if value is None or value is jsnull:
        return None
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def sql_param(value: Any) -> Any:
    """A Python value as a D1 bind parameter."""
    return jsnull if value is None else value
