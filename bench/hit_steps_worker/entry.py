"""The hit path's steps inside workerd, for bench/hit_steps.py (which puts the service's
production sources beside this entry).

`GET /steps?step=NAME&n=K` warms the hit path once, then runs one step K times and answers 204:
the bench times K = 1 and K = many from outside (clocks are frozen while code runs). Any other
request is the hit path, answered after the stage the `HIT_STEPS_STOP` variable names: `entry`
(a constant 302 built by the edge: the entry and the runtime only), `request` (also the JS
request read), `answer` (the request read, then the service's own answer of that path, made by
`handle` once per path and kept: its nine headers without the app's per-request work), `app`
(also `handle`, its answer dropped for the constant), or none (the service's own path: request,
app, response).
"""

import gc
from urllib.parse import parse_qsl

import js
from workers import Response as SdkResponse

from rewind_images.app import TABLE, handle
from rewind_images.http import Request, Response
from rewind_images.images.hit import records
from rewind_images.images.hit.redirect import redirect_headers
from rewind_images.keys.authentication import authenticate
from rewind_images.runtime.edge import build_context, to_js_response, to_request

gc.freeze()

KEY = "Bearer rw_live_benchkey0123456789"
ENTITIES = 1000  # the anchors' rows: listening/albums/a0..a999
CONSTANT = Response(
    302,
    {
        "location": "https://cdn.rewind.rest/cdn-cgi/image/width=300,height=300,fit=cover,"
        "format=auto,quality=85/listening/albums/a1/original.jpg?v=1",
        "x-thumbhash": "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB",
    },
)

# The `answer` stage's answers, one per path, made by the app once.
ANSWERS: dict[str, Response] = {}


def hit(number):
    return Request.build(
        "GET", f"/v1/images/listening/albums/a{number}/medium", "", {"authorization": KEY}
    )


async def run_step(step, n, env, ctx, js_request):
    """Run `step` n times (the hit path warmed first, every entity once)."""
    context = build_context(env, ctx)
    requests = [hit(i) for i in range(ENTITIES)]
    for request in requests:
        response = await handle(request, context)
        assert response.status == 302, response
    entity = ("listening", "albums", "a1")
    record = await records.lookup(context, entity)
    segments = requests[1].path_segments()
    steps = {
        "request": lambda: to_request(js_request),
        "context": lambda: build_context(env, ctx),
        "route match": lambda: next(
            r for r in TABLE.by_length[len(segments)] if r.match(segments) is not None
        ),
        "redirect headers": lambda: redirect_headers(record, "medium", context.settings),
        "response": lambda: to_js_response(response),
        "SDK Response (py-floor's)": lambda: SdkResponse(
            None, status=302, headers=dict(CONSTANT.headers)
        ),
    }
    awaited = {
        "app (handle)": lambda i: handle(requests[i % ENTITIES], context),
        "authenticate": lambda i: authenticate(requests[1], context, False),
        "record lookup": lambda i: records.lookup(context, entity),
    }
    if step in steps:
        run = steps[step]
        for _ in range(n):
            run()
    else:
        run_awaited = awaited[step]
        for i in range(n):
            await run_awaited(i)


async def on_fetch(request, env, ctx):
    """The service's dispatch (a module-level handler: src/entry.py)."""
    url = str(request.url)
    if "/steps?" in url:
        query = dict(parse_qsl(url.split("?", 1)[1]))
        await run_step(query["step"], int(query["n"]), env, ctx, request)
        return js.Response.new(None, js.Object.fromEntries([["status", 204]]))
    stop = str(getattr(env, "HIT_STEPS_STOP", "") or "")
    context = build_context(env, ctx)
    if stop == "entry":
        return to_js_response(CONSTANT)
    converted = to_request(request)
    if stop == "request":
        return to_js_response(CONSTANT)
    if stop == "answer":
        kept = ANSWERS.get(converted.path)
        if kept is None:
            kept = ANSWERS[converted.path] = await handle(converted, context)
        return to_js_response(Response(kept.status, dict(kept.headers)))
    answer = await handle(converted, context)
    if stop == "app":
        return to_js_response(CONSTANT)
    return to_js_response(answer)
