"""What a deploy uploads: the modules production imports, nothing else.

The upload is listed as a deploy makes it: `scripts/wrangler-local deploy --dry-run --outdir`
(offline; wrangler writes every module it would upload there). Production's own modules are the
import closure of src/entry.py (every import statement, also those inside functions), without
the local-only modules (scripts/upload.py), which no production import may load; the vendored
ones are what importing pydantic and typing_extensions loads.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scripts.upload import ENTRY, SRC, is_local_only, production_sources

ROOT = Path(__file__).resolve().parents[3]
VENDORED = ROOT / "python_modules"
VENDORED_PREFIX = "python_modules/"


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every file of the upload, relative to the upload's root."""
    out = tmp_path_factory.mktemp("upload")
    done = subprocess.run(
        [str(ROOT / "scripts" / "wrangler-local"), "deploy", "--dry-run", "--outdir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    files = {path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file()}
    return files - {"README.md"}  # wrangler's note about the folder, not a module


def _module_file(name: str) -> str | None:
    path = SRC.joinpath(*name.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.is_file():
            return candidate.relative_to(SRC).as_posix()
    return None


def _imported_names(relative: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse((SRC / relative).read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def production_closure() -> set[str]:
    """The source files src/entry.py imports, directly or not (packages' __init__ included),
    not following local-only modules."""
    found: set[str] = {ENTRY}
    todo = list(_imported_names(ENTRY))
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            relative = _module_file(".".join(parts[:depth]))
            if relative is None or relative in found or is_local_only(relative):
                continue
            found.add(relative)
            todo.extend(_imported_names(relative))
    return found


def test_the_sources_uploaded_are_what_production_imports(uploaded: set[str]) -> None:
    sources = {name for name in uploaded if not name.startswith(VENDORED_PREFIX)}
    closure = production_closure()
    assert sources - closure == set(), "uploaded, but production imports none of them"
    assert closure - sources == set(), "production imports them, but they are not uploaded"
    assert sources == set(production_sources())


def test_no_local_only_module_is_uploaded(uploaded: set[str]) -> None:
    local_only = {p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")} - set(
        production_sources()
    )
    assert local_only, "the local CDN and demo page modules are expected in src/"
    assert all(is_local_only(name) for name in local_only)
    assert local_only & uploaded == set()
    assert not any(name.endswith(".pyc") or "__pycache__" in name for name in uploaded)


def test_production_modules_load_no_local_only_module() -> None:
    # Every production module that CPython can import (runtime/ and the entry need the
    # Worker's `js`); a local-only module they load would be missing in production.
    modules = [
        relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for relative in production_sources()
        if relative != ENTRY and not relative.startswith("rewind_images/runtime/")
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps([m.__file__ for m in list(sys.modules.values())"
        " if getattr(m, '__file__', None)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = [Path(file) for file in json.loads(done.stdout)]
    local = [
        f for f in loaded if f.is_relative_to(SRC) and is_local_only(f.relative_to(SRC).as_posix())
    ]
    assert local == []


def test_the_vendored_files_uploaded_are_what_importing_them_loads(uploaded: set[str]) -> None:
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(VENDORED)!r})\n"
        "import pydantic, typing_extensions\n"
        "assert not pydantic.compiled\n"
        "print(json.dumps([m.__file__ for m in list(sys.modules.values())"
        " if getattr(m, '__file__', None)]))"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    loaded = {
        VENDORED_PREFIX + Path(file).relative_to(VENDORED).as_posix()
        for file in json.loads(done.stdout)
        if Path(file).is_relative_to(VENDORED)
    }
    vendored = {name for name in uploaded if name.startswith(VENDORED_PREFIX)}
    assert "python_modules/pydantic/main.py" in loaded
    assert vendored == loaded
