"""`make mutate`: mutation testing of the rule modules with mutmut against the CPython layers
(tests/unit and tests/app), then the score of each module and the surviving mutants' diffs.

    .venv/bin/python scripts/mutate.py [src/rewind_images/<module>.py ...]

The modules are `[tool.mutmut] only_mutate` of pyproject.toml unless paths are given (`make
mutate MODULES="..."`). Every run starts afresh in mutants/ (mutmut's working copy, git-ignored):
mutmut copies src/ and the tests there, mutates the modules, runs the test selection of
`[tool.mutmut]` once to learn which tests reach which function, then runs for each mutant only
those tests, fastest first, stopping at the first failure, two mutants at a time. A mutant is
killed when a test fails (or hangs past mutmut's timeout); it survives when all pass.

mutmut 3 has no command-line option for the modules, so this script sets them in mutmut's
configuration before running it in-process (mutmut is pinned exactly in pyproject.toml).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
SURVIVORS = WORK / "survivors.txt"
LOG = WORK / "mutmut.log"
# Statuses that mean a test noticed the mutant.
DETECTED = ("killed", "timeout", "segfault")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="source files (default: [tool.mutmut])")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    return parser.parse_args()


def prepare(modules: list[str]) -> list[str]:
    """Configure mutmut for `modules` (or its own list) and start from an empty mutants/."""
    from mutmut import configuration

    config = configuration.config()
    if modules:
        missing = [m for m in modules if not (ROOT / m).is_file()]
        if missing:
            sys.exit(f"mutate: no such module: {' '.join(missing)}")
        config.only_mutate = list(modules)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    # The ThumbHash and PNG tests of tests/unit compare against the npm reference encoder; the
    # upload tests build a deploy's upload, vendored packages included.
    for tooling in ("node_modules", "python_modules"):
        (WORK / tooling).symlink_to(ROOT / tooling)
    return list(config.only_mutate)


@contextlib.contextmanager
def output_to_log_unless_on_a_terminal() -> Iterator[None]:
    """mutmut redraws a spinner line on the process's stdout: fine on a terminal, megabytes of
    carriage returns in a log. Elsewhere its output goes to mutants/mutmut.log."""
    if sys.stdout.isatty():
        yield
        return
    print(f"mutate: mutmut's output goes to {LOG.relative_to(ROOT)}", flush=True)
    saved = os.dup(1)
    try:
        with LOG.open("w") as log:
            os.dup2(log.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_mutmut(max_children: int) -> None:
    from mutmut.__main__ import cli

    try:
        with output_to_log_unless_on_a_terminal():
            cli(["run", "--max-children", str(max_children)], standalone_mode=False)
    except SystemExit as exc:
        if exc.code:
            print(f"mutate: mutmut failed (exit {exc.code}); see its output", file=sys.stderr)
            raise


def report(modules: list[str], seconds: float) -> None:
    """Print each module's score and write the survivors' diffs to mutants/survivors.txt."""
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    rows: list[tuple[str, int, int, Counter[str]]] = []
    diffs: list[str] = []
    for module in modules:
        data = SourceFileMutationData(path=module)
        data.load()
        statuses = Counter(status_by_exit_code[code] for code in data.exit_code_by_key.values())
        detected = sum(statuses[s] for s in DETECTED)
        rows.append((module, detected, len(data.exit_code_by_key), statuses))
        for name, code in sorted(data.exit_code_by_key.items()):
            if status_by_exit_code[code] not in DETECTED:
                diffs.append(f"# {name}: {status_by_exit_code[code]}\n")
                diffs.append(get_diff_for_mutant(name, path=module) + "\n\n")
    SURVIVORS.write_text("".join(diffs))

    print(f"\nmutation score per module ({seconds / 60:.1f} min):")
    width = max(len(m) for m in modules)
    for module, detected, total, statuses in rows:
        score = 100 * detected / total if total else 100.0
        others = ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()) if s != "killed")
        print(f"  {module:<{width}}  {detected:4d}/{total:<4d} {score:5.1f} %  {others}")
    detected = sum(r[1] for r in rows)
    total = sum(r[2] for r in rows)
    print(f"  {'all':<{width}}  {detected:4d}/{total:<4d} {100 * detected / max(total, 1):5.1f} %")
    print(f"surviving mutants' diffs: {SURVIVORS.relative_to(ROOT)}")


def main() -> None:
    args = parse_args()
    os.chdir(ROOT)  # mutmut works in ./mutants and reads ./pyproject.toml
    started = time.monotonic()
    modules = prepare(args.modules)
    run_mutmut(args.max_children)
    report(modules, time.monotonic() - started)


if __name__ == "__main__":
    main()
