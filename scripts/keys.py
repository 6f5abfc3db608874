"""Mint an API key into the local database (`make key`) or a remote one (`--remote`).

The raw key is printed once and never stored; D1 keeps its SHA-256, a prefix and the last four
characters. Locally the key is written straight into the state dir's D1 file (SQLite's locking
makes that safe while `make dev` runs); `--remote` sends the key store's same INSERT through
`wrangler d1 execute`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from rewind_devkit.local_d1 import ROOT
from rewind_devkit.local_keys import add_key, new_key
from rewind_images.keys.store import insert_key_script


def main() -> int:
    """Parse arguments, insert the key, print it once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scope", choices=["read", "admin"], default="read")
    parser.add_argument("--name", default="cli")
    parser.add_argument("--rate-limit", type=int, default=60)
    parser.add_argument("--state", default=".state", help="local state dir (make dev's)")
    parser.add_argument("--remote", action="store_true", help="the deployed D1 database")
    args = parser.parse_args()
    key = new_key(args.scope, name=args.name, rate_limit_rpm=args.rate_limit)
    if not args.remote:
        add_key(ROOT / args.state, key)
        print(f"{args.scope} key (shown once): {key.material.raw}")
        return 0
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "wrangler-local"),
            "d1",
            "execute",
            "DB",
            "--remote",
            "--command",
            insert_key_script(key),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        return 1
    print(f"{args.scope} key (shown once): {key.material.raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
