// Type tests of the service's declarations (types/rewind-images.d.ts), checked by
// `tsc --noEmit -p examples/rpc-caller` in `make test` (tests/unit/test_typescript.py): the right
// calls compile, and each line after a `@ts-expect-error` is an error (the test removes the
// directives and expects tsc to fail on exactly those lines). Not part of the Worker.

import type {
  AttachmentItem,
  AttachmentResult,
  AttachmentStatus,
  Domain,
  ErrorResponse,
  ImageList,
  InvalidResult,
  RewindImagesService,
} from "../../types/rewind-images";

declare const images: RewindImagesService;

const album: AttachmentItem = {
  domain: "listening",
  entity_type: "albums",
  entity_id: "a1",
  artist_name: "Daft Punk",
  album_name: "Discovery",
};

export async function rightCalls(): Promise<string[]> {
  const movie = { domain: "watching", entity_type: "movies", entity_id: 603, tmdb_id: 603 } as const;
  const results = await images.attachments([album, movie], "small");
  const one = await images.attachment({ ...album, size: "poster-sm" });
  const statuses: AttachmentStatus[] = ["ready", "none", "pending", "failed", "invalid"];
  const urls = [...results, one].map((result) => {
    switch (result.status) {
      case "ready":
        return result.image.cdn_url; // narrowed: the attachment is there
      case "invalid":
        return result.error;
      default:
        return statuses.includes(result.status) ? result.status : "unknown";
    }
  });
  return urls;
}

export function answers(listed: ImageList, failed: ErrorResponse): string[] {
  const none = listed.data.filter((row) => row.status === "none").map((row) => row.entity_id);
  return [...none, `${listed.pagination.total_pages}`, failed.error];
}

export async function wrongCalls(result: AttachmentResult): Promise<void> {
  // @ts-expect-error: a size the service does not have
  await images.attachments([album], "huge");
  // @ts-expect-error: one item where a list is wanted
  await images.attachments(album);
  // @ts-expect-error: a list where one item is wanted
  await images.attachment([album]);
  // @ts-expect-error: a domain the service does not serve
  await images.attachment({ domain: "attending", entity_type: "albums", entity_id: "1" });
  // @ts-expect-error: an entity type the service does not know
  await images.attachment({ domain: "listening", entity_type: "songs", entity_id: "1" });
  // @ts-expect-error: an entity is named by its id too
  await images.attachment({ domain: "listening", entity_type: "albums" });
  // @ts-expect-error: hints are named in snake_case, as in the HTTP API
  await images.attachment({ domain: "listening", entity_type: "albums", entity_id: "1", artistName: "Air" });
  // @ts-expect-error: the answer is a promise
  const sync: AttachmentResult = images.attachment(album);
  // @ts-expect-error: the image is null unless the status is ready
  const url: string = result.image.cdn_url;
  // @ts-expect-error: no such status
  const missing = result.status === "missing";
  // @ts-expect-error: an invalid item's domain is echoed as given, so not always a Domain
  const domain: Domain = (result as InvalidResult).domain;
  void [sync, url, missing, domain];
}
