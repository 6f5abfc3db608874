"""Benchmarks (run on loopback; see docs/benchmarks.md)."""

import os

# Every Worker of a benchmark starts the same way: without a Python memory snapshot. The anchors
# and an older revision cannot load this Worker's snapshot (scripts/workerd), so with it only the
# service would start differently from them (docs/benchmarks.md, run I). bench/cold_start.py
# saves a snapshot for each Worker it starts and loads it explicitly (REWIND_LOAD_PYTHON_SNAPSHOT).
os.environ.setdefault("REWIND_PYTHON_SNAPSHOT", "off")
