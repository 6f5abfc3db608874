"""What `make dev` shows of wrangler's output (rewind_devkit.wrangler_output), on output
recorded from `wrangler dev` runs of this Worker: one with the real upstreams on a machine
offline, one against the fake upstream."""

from __future__ import annotations

from rewind_devkit.wrangler_output import TerminalFilter, plain

STACK = (
    "  stack: /w/node_modules/@cloudflare/workerd-linux-64/bin/workerd@3d4d979 "
    "/w/node_modules/@cloudflare/workerd-linux-64/bin/workerd@2b5edc0; "
    "sentryErrorContext = jsgInternalError; wdErrId = 05g7j0vgtdpe715ep437qtkm"
)
LOOKUP_FAILED = (
    "\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1me = rust/worker/ffi.rs:104: "
    "failed: failed to lookup address information: Name or service not known\x1b[0m"
)
STARTUP = [
    "",
    " ⛅️ wrangler 4.164.0",
    "────────────────────",
    "Your Worker has access to the following bindings:",
    "Binding                                    Resource                  Mode",
    "env.RESOLVE_QUEUE (rewind-images-resolve)  Queue                     local",
    'env.CDN_BASE_URL ("(hidden)")              Environment Variable      local',
    "",
    "[wrangler:warn] Unable to fetch the `Request.cf` object! Falling back to a default ...",
    "Error: getaddrinfo ENOTFOUND workers.cloudflare.com",
    "    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26)",
    "    at GetAddrInfoReqWrap.callbackTrampoline (node:internal/async_hooks:130:17)",
    "Attaching additional modules:",
    "┌──────────────────────────────┬────────┬────────────┐",
    "│ Name                         │ Type   │ Size       │",
    "├──────────────────────────────┼────────┼────────────┤",
    "│ rewind_images/__init__.py    │ python │ 0.00 KiB   │",
    "└──────────────────────────────┴────────┴────────────┘",
    "⎔ Starting local server...",
    "⎔ Connection status updated",
    "[wrangler:info] Ready on http://127.0.0.1:8787",
    "[wrangler:info] GET /__dev/ready 404 Not Found (1038ms)",
]
# One miss with the real upstreams offline: workerd's block for each failed lookup (Deezer,
# iTunes, each tried twice), then the Worker's own line, then the request.
OFFLINE_MISS = [
    *[LOOKUP_FAILED, "", STACK, "", ""] * 4,
    "sources failed for listening/albums/discovery: deezer: network error for "
    "https://api.deezer.com/search/album?q=x: Error: internal error; reference = 05g7j0vg",
    "[wrangler:info] GET /v1/images/listening/albums/discovery/medium 502 Bad Gateway (771ms)",
]


def shown(lines: list[str], hidden: frozenset[str] = frozenset({"/__dev/ready"})) -> list[str]:
    keep = TerminalFilter(hidden)
    return [kept for line in lines if (kept := keep.feed(line)) is not None]


def test_wranglers_startup_chrome_and_the_readiness_probe_are_not_shown() -> None:
    assert shown(STARTUP) == []


def test_a_miss_with_the_upstreams_offline_is_two_lines_without_a_stack() -> None:
    assert shown(STARTUP + OFFLINE_MISS) == [
        "sources failed for listening/albums/discovery: deezer: network error for "
        "https://api.deezer.com/search/album?q=x: Error: internal error; reference = 05g7j0vg",
        "GET /v1/images/listening/albums/discovery/medium 502 Bad Gateway (771ms)",
    ]


def test_requests_queue_batches_and_the_workers_lines_are_shown() -> None:
    lines = [
        "[wrangler:info] GET /v1/health 200 OK (12ms)",
        "[wrangler:info] POST /v1/admin/images/backfill 200 OK (17ms)",
        "queue rewind-images-resolve: Consumed(resolved=2, already_recorded=0, retried=0)",
        "[wrangler:info] QUEUE rewind-images-resolve 2/2 (148ms)",
        '🪵  Logs were written to "/w/.wrangler/logs/wrangler.log"',
    ]
    assert shown(lines) == [
        "GET /v1/health 200 OK (12ms)",
        "POST /v1/admin/images/backfill 200 OK (17ms)",
        "queue rewind-images-resolve: Consumed(resolved=2, already_recorded=0, retried=0)",
        "QUEUE rewind-images-resolve 2/2 (148ms)",
    ]


def test_the_workers_tracebacks_are_shown_whole_even_right_after_a_dropped_block() -> None:
    traceback = [
        "unhandled error on GET /v1/images/x",
        "Traceback (most recent call last):",
        '  File "/session/metadata/rewind_images/routing.py", line 150, in dispatch',
        "    return await handler(call)",
        "ValueError: boom",
    ]
    assert shown([LOOKUP_FAILED, "", STACK, "", *traceback]) == traceback


def test_other_wrangler_errors_and_warnings_are_shown_with_their_level() -> None:
    lines = [
        "\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m Build failed with 1 error:",
        "[wrangler:warn] Something the developer should know",
    ]
    assert shown(lines) == [
        "✘ [ERROR] Build failed with 1 error:",
        "warn: Something the developer should know",
    ]


def test_plain_strips_colours_and_trailing_space() -> None:
    assert plain("\x1b[1mbold\x1b[0m  \r") == "bold"
