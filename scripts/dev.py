"""`make dev`: the service on http://127.0.0.1:PORT with embedded D1, R2 and Images.

Applies the migrations to the local state directory, makes sure a local read key exists (kept
in <state>/dev-key.txt so it can be shown again; local only), prints what to curl, then runs
`wrangler dev` in the foreground. Settings come from wrangler.toml [vars] and .dev.vars.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from rewind_images.keys import new_key_material  # noqa: E402
from scripts.local_d1 import apply_migrations, execute_sql  # noqa: E402


def ensure_dev_key(state: Path) -> str:
    """The local read key, created on first use."""
    key_file = state / "dev-key.txt"
    if key_file.exists():
        raw = key_file.read_text().strip()
        material = new_key_material("read", raw.removeprefix("rw_live_"))
        found = execute_sql(
            state,
            "SELECT 1 FROM api_keys WHERE key_hash = ? AND is_active = 1",
            (material.key_hash,),
        )
        if found:
            return raw
    material = new_key_material("read", secrets.token_urlsafe(24))
    execute_sql(
        state,
        "INSERT INTO api_keys (key_hash, key_prefix, key_hint, name, scope, rate_limit_rpm,"
        " created_at) VALUES (?, ?, ?, 'local dev', 'read', 600, strftime('%Y-%m-%dT%H:%M:%fZ'))",
        (material.key_hash, material.prefix, material.hint),
    )
    key_file.write_text(material.raw + "\n")
    return material.raw


def main() -> None:
    """Prepare the state, print the key and example requests, exec wrangler dev."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--state", default=".state")
    parser.add_argument("--extra", nargs="*", default=[], help="more wrangler dev arguments")
    args = parser.parse_args()
    state = (ROOT / args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    apply_migrations(state)
    key = ensure_dev_key(state)
    base = f"http://127.0.0.1:{args.port}"
    print(
        f"""
Rewind images, local: {base}   (state in {state})
  curl {base}/v1/health
  curl -i -H 'Authorization: Bearer {key}' \\
       '{base}/v1/images/listening/albums/ok-computer/medium?artist_name=Radiohead&album_name=OK%20Computer'
  curl {base}/v1/openapi.json
Mint more keys with: make key SCOPE=read|admin
""",
        flush=True,
    )
    wrangler = ROOT / "scripts" / "wrangler-local"
    argv = [
        str(wrangler),
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(args.port),
        "--persist-to",
        str(state),
        *args.extra,
    ]
    os.execv(str(wrangler), argv)


if __name__ == "__main__":
    main()
