// A caller of the image service over a service binding, as the Rewind API's own Worker calls
// it: no HTTP between the two and no key (a service binding is private to the account). The
// binding is declared in this folder's wrangler.toml:
//
//   services = [{ binding = "IMAGES_SERVICE", service = "rewind-images" }]
//
// Routes (for the demo and tests/worker/test_rpc_caller.py):
//   POST /attachments  {"items": [...], "size"?: "medium"}  ->  {"data": <attachments(items, size)>}
//   POST /attachment   {"item": {...}, "size"?: "medium"}   ->  {"data": <attachment(item, size)>}
// A malformed call rejects; its message is answered with a 400.

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || !["/attachments", "/attachment"].includes(pathname)) {
      return Response.json({ error: "Not found" }, { status: 404 });
    }
    const { items, item, size } = await request.json();
    try {
      const data =
        pathname === "/attachments"
          ? await env.IMAGES_SERVICE.attachments(items, size)
          : await env.IMAGES_SERVICE.attachment(item, size);
      return Response.json({ data });
    } catch (error) {
      return Response.json({ error: String(error?.message ?? error) }, { status: 400 });
    }
  },
};
