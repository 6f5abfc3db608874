"""Build the Pyodide "dev" bundle that workerd loads from disk for offline local runs.

workerd downloads (and hash-checks) a Pyodide bundle for every released Python runtime, which
cannot work without internet. The special version `dev` (compatibility flag
`python_workers_development`) is read from `<dir>/pyodide_dev.capnp.bin` instead, unchecked.
This script makes that file from the npm `pyodide` package:

1. Patch `pyodide.asm.mjs` the way workerd's own build does (the text replacements of workerd's
   `src/pyodide/helpers.bzl`, Apache-2.0, credited here). Each pattern must be found: a missing one
   means a pin moved, and we stop loudly instead of producing a runtime that fails obscurely.
2. Write a Cap'n Proto schema of workerd's `Bundle` with the three internal modules embedded,
   and let `capnp eval` serialise it.

Usage: python3 scripts/build_pyodide_bundle.py <pyodide npm dir> <output dir>
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

# Pins this builder was verified against (see docs/runtime.md).
EXPECTED_PYODIDE_VERSION = "314.0.6"

_THROW = (
    "(() => {throw new Error('Internal Emscripten code tried to eval, "
    "which workerd does not allow')})()"
)

_PRELUDE = (
    "import { addEventListener, getRandomValues, location, monotonicDateNow, newWasmModule, "
    "patchedApplyFunc, patchedLoadLibData, wasmInstantiate, patched_PyEM_CountFuncParams } "
    'from "pyodide-internal:builtin_wrappers";\n'
)

# (pattern, replacement); every pattern must occur at least once.
REPLACEMENTS: list[tuple[str, str]] = [
    ("new WebAssembly.Module", "newWasmModule"),
    ("WebAssembly.instantiate", "wasmInstantiate"),
    ("Date.now", "monotonicDateNow"),
    ("crypto.getRandomValues(", "getRandomValues(Module, "),
    ("eval(func)", _THROW),
    ("eval(data)", _THROW),
    ("eval(UTF8ToString(ptr))", _THROW),
    (
        "function loadLibData(){",
        "function loadLibData(){"
        "var libData = patchedLoadLibData(Module, libName, flags.rpath);"
        "return flags.loadAsync ? Promise.resolve(libData) : libData;}"
        "function dummiedOutOrigLoadLibData(){",
    ),
    ("getMemory(", "Module.getMemoryPatched(Module, libName, "),
    (
        "export default _createPyodideModule;",
        _PRELUDE + "export default _createPyodideModule; export { _createPyodideModule };",
    ),
]

SCHEMA = """@0xd5a2f1c3b4e69a71;

# The subset of workerd's bundle schema (src/workerd/jsg/modules.capnp) that the runtime reads.
struct Bundle {
  modules @0 :List(Module);
}

struct Module {
  name @0 :Text;
  union {
    src @1 :Data;
    wasm @4 :Data;
    data @5 :Data;
    json @6 :Text;
  }
  tsDeclaration @3 :Text;
  type @2 :ModuleType;
  compileCache @7 :Data;
}

enum ModuleType {
  bundle @0;
  builtin @1;
  internal @2;
}

const bundle :Bundle = (modules = [
  (name = "pyodideRuntime-internal:pyodide.asm", src = embed "pyodide.asm.mjs", type = internal),
  (name = "pyodideRuntime-internal:pyodide.asm.wasm", wasm = embed "pyodide.asm.wasm",
   type = internal),
  (name = "pyodideRuntime-internal:python_stdlib.zip", data = embed "python_stdlib.zip",
   type = internal),
]);
"""

BUNDLE_NAME = "pyodide_dev.capnp.bin"


class BundleBuildError(RuntimeError):
    """The bundle could not be built (a pattern is missing, or capnp failed)."""


def patch_glue(source: str) -> str:
    """Apply every replacement; raise when any pattern is absent."""
    missing = [pattern for pattern, _ in REPLACEMENTS if pattern not in source]
    if missing:
        raise BundleBuildError(
            "pyodide.asm.mjs no longer contains: "
            + ", ".join(repr(m) for m in missing)
            + ". The pyodide or workerd pin moved; update REPLACEMENTS."
        )
    for pattern, replacement in REPLACEMENTS:
        source = source.replace(pattern, replacement)
    return source


def build(pyodide_dir: Path, out_dir: Path) -> Path:
    """Write `<out_dir>/pyodide_dev.capnp.bin` and return its path."""
    version = _package_version(pyodide_dir)
    if version != EXPECTED_PYODIDE_VERSION:
        raise BundleBuildError(
            f"pyodide {version} found, this builder is verified for {EXPECTED_PYODIDE_VERSION}"
        )
    capnp = shutil.which("capnp")
    if capnp is None:
        raise BundleBuildError("the capnp tool is missing (Debian package capnproto)")

    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    glue = (pyodide_dir / "pyodide.asm.mjs").read_text(encoding="utf-8")
    (work / "pyodide.asm.mjs").write_text(patch_glue(glue), encoding="utf-8")
    for name in ("pyodide.asm.wasm", "python_stdlib.zip"):
        shutil.copyfile(pyodide_dir / name, work / name)
    (work / "bundle.capnp").write_text(SCHEMA, encoding="utf-8")

    result = subprocess.run(
        [capnp, "eval", "bundle.capnp", "bundle", "-o", "binary"],
        cwd=work,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise BundleBuildError("capnp eval failed: " + result.stderr.decode(errors="replace"))
    target = out_dir / BUNDLE_NAME
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(result.stdout)
    tmp.replace(target)  # atomic: a half-written bundle is never picked up
    shutil.rmtree(work)
    return target


def _package_version(pyodide_dir: Path) -> str:
    import json

    meta = json.loads((pyodide_dir / "package.json").read_text(encoding="utf-8"))
    return str(meta["version"])


def main(argv: list[str]) -> int:
    """Command-line entry: build the bundle, print its path and digest."""
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        target = build(Path(argv[1]), Path(argv[2]))
    except BundleBuildError as exc:
        print(f"build_pyodide_bundle: {exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
    print(f"built {target} ({target.stat().st_size} bytes, sha256 {digest}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
