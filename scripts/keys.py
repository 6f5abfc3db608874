"""Mint an API key into the local database (`make key`) or a remote one (`--remote`).

The raw key is printed once and never stored; D1 keeps its SHA-256, a prefix and the last four
characters. Runs through wrangler, so it works while `make dev` is running.
"""

from __future__ import annotations

import argparse
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rewind_images.keys import new_key_material  # noqa: E402


def insert_sql(scope: str, name: str, rate_limit_rpm: int) -> tuple[str, str]:
    """A new raw key and the SQL that stores it."""
    material = new_key_material(scope, secrets.token_urlsafe(24))
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sql = (
        "INSERT INTO api_keys (key_hash, key_prefix, key_hint, name, scope, rate_limit_rpm,"
        f" created_at) VALUES ('{material.key_hash}', '{material.prefix}', '{material.hint}',"
        f" '{name.replace(chr(39), chr(39) * 2)}', '{scope}', {int(rate_limit_rpm)}, '{now}')"
    )
    return material.raw, sql


def main() -> int:
    """Parse arguments, insert the key, print it once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scope", choices=["read", "admin"], default="read")
    parser.add_argument("--name", default="cli")
    parser.add_argument("--rate-limit", type=int, default=60)
    parser.add_argument("--state", default=".state", help="local state dir (make dev's)")
    parser.add_argument("--remote", action="store_true", help="the deployed D1 database")
    args = parser.parse_args()
    raw, sql = insert_sql(args.scope, args.name, args.rate_limit)
    target = ["--remote"] if args.remote else ["--local", "--persist-to", args.state]
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "wrangler-local"),
            "d1",
            "execute",
            "DB",
            *target,
            "--command",
            sql,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        return 1
    print(f"{args.scope} key (shown once): {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
