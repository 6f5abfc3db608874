// TypeScript declarations for callers of the Rewind image service: the RPC methods a service
// binding reaches (the Worker's RPC entrypoint `RewindImages`, src/entry.py) and the JSON of its
// HTTP answers.
// Answers match the service's OpenAPI document (GET /v1/openapi.json); tests/unit/test_typescript.py
// checks them against it. Use them in a Worker with a service binding:
//
//   # wrangler.toml
//   services = [{ binding = "IMAGES_SERVICE", service = "rewind-images", entrypoint = "RewindImages" }]
//
//   import type { RewindImagesService } from "./rewind-images";
//   interface Env { IMAGES_SERVICE: RewindImagesService }
//   const results = await env.IMAGES_SERVICE.attachments([{ domain: "listening", ... }], "small");

// --- entities ------------------------------------------------------------------------------

export type Domain = "listening" | "watching" | "collecting" | "reading";
export type EntityType = "albums" | "artists" | "movies" | "shows" | "releases" | "articles";
/** Named sizes: thumbnail 64x64, small 150x150, medium 300x300, large 600x600, poster 342x513,
 * poster-lg 500x750, backdrop 780x439, poster-sm 240x360, original (the source's size). */
export type Size =
  | "thumbnail"
  | "small"
  | "medium"
  | "large"
  | "poster"
  | "poster-lg"
  | "backdrop"
  | "original"
  | "poster-sm";

/** Search hints, used when the entity has no image record yet. */
export interface SearchHints {
  /** At most 300 characters. */
  artist_name?: string;
  /** At most 300 characters. */
  album_name?: string;
  /** A MusicBrainz release UUID. */
  mbid?: string;
  /** A positive integer of at most 10 digits (as digits, or a number). */
  tmdb_id?: string | number;
  /** reading/articles: the page whose og:image to use. */
  article_url?: string;
}

/** An entity, with the hints its sources need. */
export interface EntityItem extends SearchHints {
  domain: Domain;
  entity_type: EntityType;
  /** 1-200 characters: no control characters, no "/" or "\", not "." or ".."; an integer is
   * read as its digits. */
  entity_id: string | number;
}

/** An entity whose attachment is wanted; `size` defaults to the call's. */
export interface AttachmentItem extends EntityItem {
  size?: Size;
}

// --- attachments ---------------------------------------------------------------------------

/** An entity's image as the Rewind API embeds it. Unknown values are null. */
export interface Attachment {
  /** Exactly the redirect's Location for this size. */
  cdn_url: string;
  /** The same value as cdn_url. */
  url: string;
  /** Standard base64, as the X-ThumbHash header. */
  thumbhash: string | null;
  /** Lower-case #rrggbb. */
  dominant_color: string | null;
  accent_color: string | null;
  /** Of the variant: the preset's for a size, the source's for original. */
  width: number | null;
  height: number | null;
  /** The source image's width / height, 4 decimals. */
  aspect_ratio: number | null;
  /** The ThumbHash as a PNG data URL (next/image's blurDataURL). */
  placeholder: string | null;
  /** As stored: this service's names (apple_music, ...) or the original's (apple-music, ...). */
  source: string;
  image_version: number;
}

/** The entity an answer is for, as its (valid) item named it. */
export interface AnsweredEntity {
  domain: Domain;
  entity_type: EntityType;
  entity_id: string;
  size: Size;
}

/** The entity has an image. */
export interface ReadyResult extends AnsweredEntity {
  status: "ready";
  image: Attachment;
}

/** `none`: no image exists (a recorded "no image"), or no source can be asked with the item's
 * hints (nothing queued). `pending`: queued for the background; ask again later. `failed`: its
 * background resolution failed on every try; queued again when asked later, or at once with
 * other hints. */
export interface EmptyResult extends AnsweredEntity {
  status: "none" | "pending" | "failed";
  image: null;
}

/** The item is malformed: `error` is the message a single GET for it would get. Its fields are
 * echoed when they are text (an integer id as its digits), else null. */
export interface InvalidResult {
  domain: string | null;
  entity_type: string | null;
  entity_id: string | null;
  size: string | null;
  status: "invalid";
  image: null;
  error: string;
}

/** One item's answer, at its position in the call. */
export type AttachmentResult = ReadyResult | EmptyResult | InvalidResult;
export type AttachmentStatus = AttachmentResult["status"];

// --- the RPC methods of the service binding --------------------------------------------------

/** The service binding to the image Worker (no key: a binding is private to the account). A
 * malformed call (not 1-100 items, an unknown size) rejects with the HTTP route's 400 message;
 * a malformed item is answered `invalid` at its position instead. */
export interface RewindImagesService {
  /** The answers of 1 to 100 items, in order (POST /v1/images/attachments' `data`). */
  attachments(items: readonly AttachmentItem[], size?: Size): Promise<AttachmentResult[]>;
  /** One item's answer, as `attachments` gives it. */
  attachment(item: AttachmentItem, size?: Size): Promise<AttachmentResult>;
  /** The HTTP API, as at its own address (keys as there). */
  fetch(request: Request): Promise<Response>;
}

// --- HTTP answers --------------------------------------------------------------------------

/** Every 4xx and 5xx answer. */
export interface ErrorResponse {
  error: string;
  status: number;
}

/** GET /v1/health. */
export interface HealthResponse {
  status: string;
  service: string;
  version: string;
}

/** GET /v1/images/{domain}/{entity_type}/{entity_id}/{size} with Accept: application/json. */
export interface AttachmentAnswer {
  data: Attachment;
}

/** Body of POST /v1/images/attachments. */
export interface AttachmentsRequest {
  size?: Size;
  items: AttachmentItem[];
}

/** POST /v1/images/attachments. */
export interface AttachmentsAnswer {
  data: AttachmentResult[];
}

/** The API's page-based lists (?page=&limit=, limit at most 100). */
export interface Pagination {
  page: number;
  limit: number;
  total: number;
  total_pages: number;
}

export type KeyScope = "read" | "admin";

/** A key as listed: never the raw key. */
export interface KeyInfo {
  id: number;
  name: string;
  scope: KeyScope;
  key_prefix: string;
  key_hint: string;
  rate_limit_rpm: number;
  request_count: number;
  last_used_at: string | null;
  expires_at: string | null;
  is_active: boolean;
  created_at: string;
}

/** Body of POST /v1/admin/keys. */
export interface KeyCreate {
  name: string;
  scope?: KeyScope;
  rate_limit_rpm?: number;
  /** RFC 3339 with an offset, in the future, at most ten years ahead. */
  expires_at?: string | null;
}

/** POST /v1/admin/keys: the raw key, shown this once. */
export interface KeyCreated extends KeyInfo {
  key: string;
}

/** GET /v1/admin/keys. */
export interface KeyList {
  data: KeyInfo[];
  pagination: Pagination;
}

/** `override` (an admin's image), else `none` (a recorded "no image"), else `ready`. */
export type ImageStatus = "ready" | "none" | "override";

/** One `images` row as stored (of any domain: also those the service does not serve). */
export interface ListedImage {
  id: number;
  domain: string;
  entity_type: string;
  entity_id: string;
  status: ImageStatus;
  source: string;
  source_url: string | null;
  r2_key: string;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  dominant_color: string | null;
  accent_color: string | null;
  is_override: boolean;
  override_at: string | null;
  image_version: number;
  created_at: string;
  search_hints: string | null;
}

/** GET /v1/admin/images (?domain=&entity_type=&status=&source=&page=&limit=). */
export interface ImageList {
  data: ListedImage[];
  pagination: Pagination;
}

/** One image a source offers. */
export interface CandidateInfo {
  source: string;
  url: string;
  width: number | null;
  height: number | null;
}

/** A source that could not be asked. */
export interface SourceFailure {
  source: string;
  error: string;
}

export interface CurrentImage {
  source: string;
  source_url: string | null;
  is_override: boolean;
  image_version: number;
}

/** GET /v1/admin/images/{domain}/{entity_type}/{entity_id}/alternatives. */
export interface Alternatives {
  candidates: CandidateInfo[];
  failures: SourceFailure[];
  current: CurrentImage | null;
}

/** PUT /v1/admin/images/{...} (an override) and DELETE /v1/admin/images/{...}/override. */
export interface ImageRecordInfo {
  domain: string;
  entity_type: string;
  entity_id: string;
  has_image: boolean;
  r2_key: string;
  source: string;
  source_url: string | null;
  width: number | null;
  height: number | null;
  thumbhash: string | null;
  dominant_color: string | null;
  accent_color: string | null;
  search_hints: string | null;
  is_override: boolean;
  image_version: number;
  created_at: string;
}

/** DELETE /v1/admin/images/{domain}/{entity_type}/{entity_id}. */
export interface Deleted {
  deleted: boolean;
  removed_objects: string[];
}

/** Body of POST /v1/admin/images/reanalyze. */
export interface ReanalyzeRequest {
  batch_size?: number;
  all?: boolean;
  cursor?: number;
}

/** POST /v1/admin/images/reanalyze; call again with `cursor: next_cursor` while `remaining`. */
export interface ReanalyzeResult {
  updated: number;
  failed: number;
  remaining: number;
  next_cursor: number;
}

/** Body of POST /v1/admin/images/backfill (1 to 1,000 items). */
export interface BackfillRequest {
  items: EntityItem[];
}

/** `queued`: a background resolution is queued. `recorded`: the entity has its record.
 * `unaskable`: no source can be asked with the item's hints (nothing queued). `failed`: its
 * background resolution failed on every try lately, and the item brings no other hints.
 * `invalid`: `error` says why. */
export type BackfillStatus = "queued" | "recorded" | "unaskable" | "failed" | "invalid";

export interface BackfillItemResult {
  status: BackfillStatus;
  /** Only with status invalid. */
  error?: string;
}

/** POST /v1/admin/images/backfill. */
export interface BackfillResult {
  queued: number;
  recorded: number;
  unaskable: number;
  failed: number;
  invalid: number;
  items: BackfillItemResult[];
}
