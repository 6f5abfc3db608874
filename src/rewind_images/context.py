"""What a handler gets to work with: settings, the ports, the request's scheduler, and the
isolate's long-lived state. Built by the runtime edge (or a test) once per request, queue batch
or RPC call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rewind_images.config import Settings
from rewind_images.ports import (
    Bucket,
    Database,
    Fetcher,
    ImageTransformer,
    MessageQueue,
    SharedBudgets,
)
from rewind_images.timestamps import wall_clock_ms

T = TypeVar("T")


@dataclass
class Context:
    """Everything a request handler may use. `bucket` is R2, `transformer` the Images binding,
    `queue` the queue of background resolutions (Cloudflare Queues)."""

    settings: Settings
    db: Database
    bucket: Bucket
    transformer: ImageTransformer
    fetcher: Fetcher
    queue: MessageQueue
    wait_until: Callable[[Awaitable[Any]], None]
    clock_ms: Callable[[], int] = wall_clock_ms
    state: dict[str, Any] = field(default_factory=dict)
    # Budgets counted across isolates (the Rate Limiting bindings); None: in this isolate.
    budgets: SharedBudgets | None = None


def isolate_object(ctx: Context, name: str, kind: type[T]) -> T:
    """The isolate's instance of `kind` under `name` in `ctx.state` (made on first use)."""
    found = ctx.state.get(name)
    if not isinstance(found, kind):
        found = ctx.state[name] = kind()
    return found
