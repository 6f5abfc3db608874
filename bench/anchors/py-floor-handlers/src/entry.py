"""py-floor through the dispatch the service uses (ours, not the brief's): the same constant
302 from a module-level `on_fetch` (disable_python_no_global_handlers) instead of an entry
class, so the comparison leaves out what the runtime's dispatch costs."""

from workers import Response


async def on_fetch(request, env, ctx):
    return Response(
        None,
        status=302,
        headers={
            "Location": "https://cdn.rewind.rest/cdn-cgi/image/width=300,height=300,fit=cover,format=auto,quality=85/listening/albums/a1/original.jpg?v=1",
            "X-ThumbHash": "8icGFwT3VpdohHl4hVqWaHZ3GV8U+CoB",
        },
    )
