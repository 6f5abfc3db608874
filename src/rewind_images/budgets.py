"""Budgets: how much one key (a caller, an upstream, a site) may spend per period, counted across
isolates by the Workers Rate Limiting binding each budget names (`config.BUDGETS`).

`spend` is the one way to spend: the runtime's bindings count where they are declared
(`ports.SharedBudgets`); where a budget has no binding (the in-process app, a Worker
without the declaration) or the binding fails, it is counted in this isolate's memory instead,
with the same limit and period.

What is exact: the per-isolate count. What is approximate: the binding's, which Cloudflare
counts per location (a key reaching the service through two locations has two counters) and
eventually consistent within one; it protects upstream quotas, it is no accounting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rewind_images.config import BUDGETS, KEY_CACHE_MAX_ENTRIES
from rewind_images.context import Context, isolate_object
from rewind_images.windows import FixedWindows


@dataclass
class _IsolateWindows:
    by_budget: dict[str, FixedWindows[str]] = field(default_factory=dict)


async def spend(ctx: Context, name: str, key: str) -> bool:
    """Spend one unit of budget `name` for `key`; False when none is left in the period."""
    limit = ctx.settings.budget_limit(name)
    if ctx.budgets is not None:
        shared = await ctx.budgets.spend(name, key, limit)
        if shared is not None:
            return shared
    return _isolate_windows(ctx, name).take(key, limit, ctx.clock_ms()) == 1


def retry_after_s(ctx: Context, name: str) -> int:
    """Whole seconds until budget `name`'s period ends (windows align to the clock)."""
    return _isolate_windows(ctx, name).retry_after_s(ctx.clock_ms())


def _isolate_windows(ctx: Context, name: str) -> FixedWindows[str]:
    """Budget `name`'s count in this isolate: one window per period."""
    windows = isolate_object(ctx, "budgets", _IsolateWindows).by_budget
    counted = windows.get(name)
    if counted is None:
        counted = windows[name] = FixedWindows(BUDGETS[name].period_s * 1000, KEY_CACHE_MAX_ENTRIES)
    return counted
