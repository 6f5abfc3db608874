// A caller of the image service over a service binding, as the Rewind API's own Worker calls
// it: no HTTP between the two and no key (a service binding is private to the account). The
// binding is declared in this folder's wrangler.toml, and typed with the service's
// declarations (types/rewind-images.d.ts):
//
//   services = [{ binding = "IMAGES_SERVICE", service = "rewind-images", entrypoint = "RewindImages" }]
//
// Routes (for the demo and tests/worker/test_rpc_caller.py):
//   POST /attachments  {"items": [...], "size"?: "medium"}  ->  {"data": <attachments(items, size)>}
//   POST /attachment   {"item": {...}, "size"?: "medium"}   ->  {"data": <attachment(item, size)>}
//   /v1/...            forwarded as it came: env.IMAGES_SERVICE.fetch(request)
// A malformed call rejects; its message is answered with a 400. (type-tests.ts: calls the
// declarations refuse.)

import type {
  AttachmentItem,
  AttachmentResult,
  RewindImagesService,
  Size,
} from "../../types/rewind-images";

interface Env {
  IMAGES_SERVICE: RewindImagesService;
}

// What this caller is sent. It passes the values on as they came, malformed ones too: the
// service answers a malformed item `invalid`, and rejects a malformed call.
interface CallerRequest {
  items: AttachmentItem[];
  item: AttachmentItem;
  size?: Size;
}

async function answer(env: Env, pathname: string, body: CallerRequest): Promise<Response> {
  try {
    const data: AttachmentResult[] | AttachmentResult =
      pathname === "/attachments"
        ? await env.IMAGES_SERVICE.attachments(body.items, body.size)
        : await env.IMAGES_SERVICE.attachment(body.item, body.size);
    return Response.json({ data });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return Response.json({ error: message }, { status: 400 });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/v1/")) {
      return env.IMAGES_SERVICE.fetch(request);
    }
    if (request.method !== "POST" || !["/attachments", "/attachment"].includes(pathname)) {
      return Response.json({ error: "Not found" }, { status: 404 });
    }
    return answer(env, pathname, (await request.json()) as CallerRequest);
  },
};
