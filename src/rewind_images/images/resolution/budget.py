"""The miss budget: how many resolutions a caller may start per minute.

Every resolution admitted for a caller spends one unit, when it is run (a GET miss) or when it
is queued (a batch item, an RPC item, a demo tile): past `settings.miss_limit_per_minute` in a
minute, a GET answers 429 with its own message and `Retry-After`, and a batch answers the rest
`pending` without queueing them (they are queued when asked again in a later minute). Upstream
quotas are small (iTunes allows about 20 requests a minute), so no caller can drive unbounded
upstream traffic or rows. The admin backfill and the queue consumer spend none: the backfill
exists to queue many, and the consumer runs at the queue's own pace.

Callers are named: `key:<id>` for an API key, `rpc` for the service binding, `demo` for the
local demo page. The budget is `config.MISS_BUDGET`, counted across isolates by its Rate
Limiting binding (`budgets`).
"""

from __future__ import annotations

import asyncio

from rewind_images import budgets
from rewind_images.config import MISS_BUDGET
from rewind_images.context import Context
from rewind_images.errors import TooManyRequests

MISS_LIMIT_MESSAGE = "Too many new images requested; try again later"
RPC_CALLER = "rpc"
DEMO_CALLER = "demo"


def key_caller(key_id: int) -> str:
    """The budget's name for an API key."""
    return f"key:{key_id}"


async def take(ctx: Context, caller: str, wanted: int) -> int:
    """Spend up to `wanted` units of the caller's budget; how many it allowed."""
    spent = await asyncio.gather(*(budgets.spend(ctx, MISS_BUDGET, caller) for _ in range(wanted)))
    return sum(spent)


async def charge(ctx: Context, caller: str) -> None:
    """Spend one unit; TooManyRequests (with Retry-After) when none is left."""
    if not await budgets.spend(ctx, MISS_BUDGET, caller):
        retry_s = budgets.retry_after_s(ctx, MISS_BUDGET)
        raise TooManyRequests(MISS_LIMIT_MESSAGE, headers={"retry-after": str(retry_s)})
