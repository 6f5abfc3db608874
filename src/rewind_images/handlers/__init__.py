"""Route handlers: each takes (request, context, path params, key) and returns a Response."""
