"""The Workers Rate Limiting bindings of `config.BUDGETS` as the `SharedBudgets` port.

A budget whose binding is not declared, or whose call fails, answers None: `budgets.spend`
counts it in the isolate then. A deployment's limits are its wrangler.toml's; a limit set
otherwise (local runs, tests: `BUDGET_LIMITS`, `MISS_LIMIT_PER_MINUTE`) is passed with the call,
which the local runtime's simulation honours.
"""

from __future__ import annotations

from typing import Any

from pyodide.ffi import JsException

from rewind_images.config import BUDGETS
from rewind_images.runtime.js_convert import js_object


class RateLimitBindings:
    """The budgets' bindings, read from the Worker's env."""

    def __init__(self, env: Any) -> None:
        self._env = env

    async def spend(self, name: str, key: str, limit: int) -> bool | None:
        """One unit of budget `name` for `key` through its binding; None without one."""
        budget = BUDGETS[name]
        binding = getattr(self._env, budget.binding, None)
        if binding is None:
            return None
        options: dict[str, Any] = {"key": key}
        if limit != budget.limit:
            options["limit"] = limit
        try:
            outcome = await binding.limit(js_object(options))
        except JsException as exc:
            print(f"rate limit binding {budget.binding} failed ({exc}); counted in the isolate")
            return None
        return bool(outcome.success)
