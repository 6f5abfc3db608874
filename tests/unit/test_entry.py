"""src/entry.py as the runtime reads it (the module imports the runtime's `workers`, so it is
read, not imported): HTTP and queues through module-level handlers, RPC through the named
entrypoint that callers' service bindings give."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ast.parse((ROOT / "src" / "entry.py").read_text())
MODULE_HANDLERS_FLAG = "disable_python_no_global_handlers"


def _config(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text())


def test_http_and_queues_reach_module_level_handlers() -> None:
    # With the flag, the runtime calls `on_fetch`/`on_queue` directly; a class named `Default`
    # would become the default export again and bring back the per-request class dispatch.
    handlers = {node.name for node in ENTRY.body if isinstance(node, ast.AsyncFunctionDef)}
    classes = {node.name for node in ENTRY.body if isinstance(node, ast.ClassDef)}
    assert {"on_fetch", "on_queue"} <= handlers
    assert "Default" not in classes
    flags = _config(ROOT / "wrangler.toml")["compatibility_flags"]
    assert isinstance(flags, list)
    assert MODULE_HANDLERS_FLAG in flags


def test_the_callers_binding_names_the_rpc_entrypoint_of_the_entry() -> None:
    classes = {node.name: node for node in ENTRY.body if isinstance(node, ast.ClassDef)}
    services = _config(ROOT / "examples" / "rpc-caller" / "wrangler.toml")["services"]
    assert isinstance(services, list)
    (binding,) = services
    entrypoint = classes[binding["entrypoint"]]
    methods = {node.name for node in entrypoint.body if isinstance(node, ast.AsyncFunctionDef)}
    # Under the flag the runtime maps a binding's `fetch` to `on_fetch` on the class too.
    assert {"attachments", "attachment", "on_fetch"} <= methods
