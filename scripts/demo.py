"""`make demo`: the service offline with a fake upstream, showing a miss become a 302, then a hit.

Starts the fake upstream (every source's real response shapes, generated image bytes) on
loopback, runs the Worker against it with a fresh state dir (.state-demo/), mints a read key
and an admin key, requests an album twice (miss, then hit) and prints what came back. It then
keeps running so you can try more requests (Ctrl-C, SIGTERM or SIGHUP stops everything). No
internet, no API keys.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

import httpx

from rewind_devkit.fake_upstream import run_fake_upstream
from rewind_devkit.local_keys import add_key, new_key
from rewind_devkit.local_settings import fake_upstream_settings
from rewind_devkit.local_worker import ROOT, LocalWorker
from rewind_devkit.signals import stop_on_signals
from rewind_devkit.tls import shared_tls_context

EXAMPLES = [
    ("listening/albums/discovery", {"artist_name": "Daft Punk", "album_name": "Discovery"}),
    ("watching/movies/the-matrix", {"tmdb_id": "603"}),
    ("listening/artists/air", {"artist_name": "Air"}),
]


def show(client: httpx.Client, token: str, path: str, params: dict[str, str]) -> None:
    """One request, printed like curl -i would, with its time."""
    start = time.perf_counter()
    headers = {"authorization": f"Bearer {token}"}
    response = client.get(f"/v1/images/{path}/medium", params=params, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    print(f"GET /v1/images/{path}/medium  ->  {response.status_code} in {elapsed:.0f} ms")
    for name in ("location", "x-thumbhash", "x-dominant-color", "x-accent-color"):
        if name in response.headers:
            print(f"    {name}: {response.headers[name]}")
    if response.status_code != 302:
        print(f"    {response.text}")


def main() -> int:
    """Run the demo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--no-wait", action="store_true", help="stop after the examples")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # shown as it goes
    stop_on_signals()  # SIGTERM/SIGHUP, and SIGINT in a background job, stop it like Ctrl-C
    state = ROOT / ".state-demo"
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    with run_fake_upstream() as fake:
        print(f"fake upstream on {fake.base_url}")
        # With the local CDN, every Location printed below can be followed to the image.
        env = fake_upstream_settings(fake, f"http://127.0.0.1:{args.port}")
        worker = LocalWorker(vars=env, state_dir=state, port=args.port)
        try:
            worker.start()
            token = add_key(worker.state_dir, new_key("read", name="demo"))
            admin = add_key(worker.state_dir, new_key("admin", name="demo admin"))
            print(f"service on {worker.base_url}\n  read key:  {token}\n  admin key: {admin}\n")
            with httpx.Client(
                base_url=worker.base_url, timeout=60, verify=shared_tls_context()
            ) as client:
                for path, params in EXAMPLES:
                    print("miss (sources -> R2 -> Images -> ThumbHash/colours -> D1):")
                    show(client, token, path, params)
                    print("hit (one lookup):")
                    show(client, token, path, params)
                    print()
            if not args.no_wait:
                query = "artist_name=Daft%20Punk&album_name=Discovery"
                print(
                    f"The placeholder page: {worker.base_url}/demo\n"
                    "Try it yourself:\n"
                    f"  curl -i -H 'Authorization: Bearer {token}' "
                    f"'{worker.base_url}/v1/images/listening/albums/x/large?{query}'\n"
                    "The admin routes, with the admin key: docs/admin.md (more keys: "
                    f"make key SCOPE=admin STATE={state.relative_to(ROOT)})\n"
                    "Ctrl-C to stop."
                )
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
