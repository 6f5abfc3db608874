"""What a deploy uploads of the Worker's own code: src/ without its local-only modules.

wrangler uploads every `.py` file under the entry's folder (src/), and its configuration takes no
rules for Python modules (`rules` accepts only ESModule, CommonJS, CompiledWasm, Text and Data
in wrangler 4.164), so wrangler.toml cannot leave a module out. So `scripts/wrangler-local
deploy` (and `versions upload`) copy the production sources into a folder of their own with
`stage` and upload the entry from there; local runs (`wrangler-local dev`) run src/ as it is,
local-only modules included. The vendored packages' unused files are left out by wrangler.toml
(`[python_modules] exclude`), for every upload.

Local-only: the local CDN and the demo page, imported only with the LOCAL_CDN setting (local runs
only); production never imports them.

    python3 scripts/upload.py stage DIR    copies the production sources into DIR/src
    python3 scripts/upload.py list         prints them, one path (relative to src/) a line
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
ENTRY = "entry.py"
# The package (path relative to src/) that only local runs import.
LOCAL_ONLY_PACKAGE = "rewind_images/local/"


def is_local_only(relative: str) -> bool:
    """Whether a source file (its path relative to src/) is imported only by local runs."""
    return relative.startswith(LOCAL_ONLY_PACKAGE)


def production_sources(src: Path = SRC) -> list[str]:
    """The Python files production uploads, relative to `src`, sorted."""
    found = (path.relative_to(src).as_posix() for path in src.rglob("*.py"))
    return sorted(relative for relative in found if not is_local_only(relative))


def stage(folder: Path, src: Path = SRC) -> Path:
    """Copy the production sources into `folder`/src (replacing it); returns the entry there."""
    staged = folder / "src"
    shutil.rmtree(staged, ignore_errors=True)
    for relative in production_sources(src):
        target = staged / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / relative, target)
    return staged / ENTRY


def main(argv: list[str]) -> int:
    """The command line (see the module docstring)."""
    if argv[:1] == ["stage"] and len(argv) == 2:
        print(stage(Path(argv[1])))
        return 0
    if argv == ["list"]:
        print("\n".join(production_sources()))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
