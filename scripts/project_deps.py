"""Print one dependency list of pyproject.toml, one requirement a line.

`runtime`: [project].dependencies (vendored into python_modules/ for the Worker).
`dev`: [dependency-groups].dev (the host virtualenv). pip 23 cannot read dependency groups itself.
"""

import sys
import tomllib
from pathlib import Path

data = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
which = sys.argv[1] if len(sys.argv) > 1 else "runtime"
deps = data["project"]["dependencies"] if which == "runtime" else data["dependency-groups"][which]
print("\n".join(deps))
