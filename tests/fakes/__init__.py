"""Test doubles: a fake of every upstream API (see tests/fakes/README.md).

Names are re-exported lazily so `python -m tests.fakes.upstream` does not import the module
twice (runpy warns when a package pre-imports the module it is about to run).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.upstream import (
        API_FAULTS,
        APPLE_MUSIC_TOKEN,
        FANART_API_KEY,
        IMAGE_FAULTS,
        TMDB_READ_TOKEN,
        FakeUpstream,
        LoggedRequest,
        api_fault_mbid,
        api_fault_tmdb_id,
        image_fault_tmdb_id,
        run_fake_upstream,
    )

__all__ = [
    "API_FAULTS",
    "APPLE_MUSIC_TOKEN",
    "FANART_API_KEY",
    "IMAGE_FAULTS",
    "TMDB_READ_TOKEN",
    "FakeUpstream",
    "LoggedRequest",
    "api_fault_mbid",
    "api_fault_tmdb_id",
    "image_fault_tmdb_id",
    "run_fake_upstream",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("tests.fakes.upstream"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
