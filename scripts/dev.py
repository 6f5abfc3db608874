"""`make dev`: the service on http://127.0.0.1:PORT with embedded D1, R2 and Images.

Applies the migrations to the local state directory, makes sure a local read key exists (kept
in <state>/dev-key.txt so it can be shown again; local only), prints what to curl, then runs
`wrangler dev` in the foreground. Settings come from wrangler.toml [vars] and .dev.vars.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rewind_devkit.local_d1 import ROOT, apply_migrations
from rewind_devkit.local_keys import add_key, is_active, new_key


def ensure_dev_key(state: Path) -> str:
    """The local read key, created on first use."""
    key_file = state / "dev-key.txt"
    if key_file.exists():
        raw = key_file.read_text().strip()
        if is_active(state, raw):
            return raw
    raw = add_key(state, new_key("read", name="local dev"))
    key_file.write_text(raw + "\n")
    return raw


def main() -> None:
    """Prepare the state, print the key and example requests, exec wrangler dev."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--state", default=".state")
    # Any other arguments are passed on to `wrangler dev` (e.g. --var NAME:VALUE).
    args, extra = parser.parse_known_args()
    state = (ROOT / args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    apply_migrations(state)
    key = ensure_dev_key(state)
    base = f"http://127.0.0.1:{args.port}"
    # The local CDN: the Locations this service hands out point back at it, and it serves them
    # from the local bucket (unless CDN_BASE_URL is set in .dev.vars or on the command line).
    dev_vars = ROOT / ".dev.vars"
    chosen = any(a.startswith("CDN_BASE_URL:") for a in extra) or (
        dev_vars.exists()
        and any(line.startswith("CDN_BASE_URL=") for line in dev_vars.read_text().splitlines())
    )
    if not chosen:
        extra = ["--var", "LOCAL_CDN:true", "--var", f"CDN_BASE_URL:{base}", *extra]
    cdn_note = "" if chosen else f"Redirects point at the local CDN on {base} (LOCAL_CDN).\n"
    print(
        f"""
Rewind images, local: {base}   (state in {state})
  curl {base}/v1/health
  curl -i -H 'Authorization: Bearer {key}' \\
       '{base}/v1/images/listening/albums/ok-computer/medium?artist_name=Radiohead&album_name=OK%20Computer'
  curl {base}/v1/openapi.json
{cdn_note}Mint more keys with: make key SCOPE=read|admin
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
        *extra,
    ]
    os.execv(str(wrangler), argv)


if __name__ == "__main__":
    main()
