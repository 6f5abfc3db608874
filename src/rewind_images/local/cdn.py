"""A local stand-in for the CDN, so the URLs this service hands out can be followed locally.

Production serves `{CDN_BASE_URL}/cdn-cgi/image/<options>/<key>` and `{CDN_BASE_URL}/<key>`
from a Cloudflare zone with Image Transformations in front of the R2 bucket. With the
`LOCAL_CDN` setting (local runs only, with `CDN_BASE_URL` pointing at the local server) the
Worker answers those paths itself: the object from the bucket, transformed by the Images
binding. It honours the options this service emits and the ones clients build themselves:
`width`/`w`, `height`/`h`, `fit` (cover, contain, scale-down, crop, pad), `format`/`f` (`auto`
picks AVIF or WebP from `Accept`, else the source's type; or webp, avif, jpeg, png), `quality`/
`q`, `dpr`. Errors answer as Cloudflare's do: a status, a plain-text `ERROR <code>` body and a
`cf-resized: err=<code>` header.

Its work is bounded like the service's own: an output over `LOCAL_CDN_MAX_SIDE` pixels a side
(after `dpr`, and after following the image's aspect ratio where a side is not given) is a 400
before anything is rendered, and HEAD answers the headers without rendering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import unquote

from rewind_images.config import LOCAL_CDN_MAX_DPR, LOCAL_CDN_MAX_SIDE, VARIANT_QUALITY
from rewind_images.context import Context
from rewind_images.http import Request, Response
from rewind_images.images.inputs import Domain
from rewind_images.images.variants import ORIGINAL_CACHE_CONTROL
from rewind_images.ports import VariantSpec

TRANSFORM_PREFIX = "/cdn-cgi/image/"
FITS = frozenset({"cover", "contain", "scale-down", "crop", "pad"})
FORMATS = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg", "png": "image/png"}
_ALIASES = {"w": "width", "h": "height", "f": "format", "q": "quality"}
_DOMAINS = frozenset(d.value for d in Domain)
# Cloudflare's error codes for these cases.
INVALID_OPTIONS = 9401
NOT_FOUND = 9404
UNREADABLE = 9422


class CdnError(Exception):
    """An answer Cloudflare would give instead of an image."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class CdnOptions:
    """Parsed transformation options (`format` as written: auto or a name in FORMATS)."""

    width: int | None = None
    height: int | None = None
    fit: str = "scale-down"
    format: str | None = None
    quality: int = VARIANT_QUALITY
    dpr: float = 1.0


def _number(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not low <= number <= high:  # also false for nan
        raise CdnError(400, INVALID_OPTIONS, f"invalid {name}: {value}")
    return number


def parse_options(text: str) -> CdnOptions:
    """`width=300,height=300,fit=cover,...` -> CdnOptions; CdnError for anything unknown."""
    values: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = _ALIASES.get(name.strip(), name.strip())
        if not sep or not value or name in values:
            raise CdnError(400, INVALID_OPTIONS, f"invalid option: {part}")
        values[name] = value.strip()
    unknown = set(values) - {"width", "height", "fit", "format", "quality", "dpr"}
    if unknown:
        raise CdnError(400, INVALID_OPTIONS, f"unknown options: {', '.join(sorted(unknown))}")
    fit = values.get("fit", "scale-down")
    if fit not in FITS:
        raise CdnError(400, INVALID_OPTIONS, f"invalid fit: {fit}")
    fmt = values.get("format")
    if fmt is not None and fmt != "auto" and fmt not in FORMATS:
        raise CdnError(400, INVALID_OPTIONS, f"invalid format: {fmt}")
    sides = {
        name: int(_number(name, values[name], 1, LOCAL_CDN_MAX_SIDE))
        for name in ("width", "height")
        if name in values
    }
    return CdnOptions(
        width=sides.get("width"),
        height=sides.get("height"),
        fit=fit,
        format=fmt,
        quality=int(_number("quality", values.get("quality", str(VARIANT_QUALITY)), 1, 100)),
        dpr=_number("dpr", values.get("dpr", "1"), 0.1, LOCAL_CDN_MAX_DPR),
    )


def output_type(options: CdnOptions, accept: str | None, source_type: str) -> str:
    """The content type to encode: as asked, or for `auto` the best the client accepts."""
    if options.format in FORMATS:
        return FORMATS[options.format]
    if options.format == "auto":
        accepted = (accept or "").lower()
        for candidate in ("image/avif", "image/webp"):
            if candidate in accepted:
                return candidate
    return source_type if source_type in FORMATS.values() else "image/jpeg"


def _object_key(path: str) -> str | None:
    """The bucket key a CDN path names, when it has the layout of this service's objects."""
    key = unquote(path.lstrip("/"))
    parts = key.split("/")
    if len(parts) != 4 or parts[0] not in _DOMAINS or not parts[3].startswith("original."):
        return None
    return key


def _error(exc: CdnError) -> Response:
    return Response(
        status=exc.status,
        headers={"content-type": "text/plain; charset=utf-8", "cf-resized": f"err={exc.code}"},
        body=f"ERROR {exc.code}: {exc.message}".encode(),
    )


async def serve(request: Request, ctx: Context) -> Response | None:
    """The CDN's answer for a CDN path, or None when the path is not one (the API answers)."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = request.path
    transformed = path.startswith(TRANSFORM_PREFIX)
    if not transformed and _object_key(path) is None:
        return None
    try:
        return await _answer(request, ctx)
    except CdnError as exc:
        return _error(exc)


def _key_and_options(path: str) -> tuple[str, CdnOptions | None]:
    options = None
    if path.startswith(TRANSFORM_PREFIX):
        option_text, _, path = path[len(TRANSFORM_PREFIX) :].partition("/")
        options = parse_options(unquote(option_text))
    key = _object_key(path)
    if key is None:
        raise CdnError(404, NOT_FOUND, "no such image")
    return key, options


def output_size(
    source: tuple[int, int], width: int | None, height: int | None, fit: str
) -> tuple[int, int]:
    """The largest output a transform can make of a `source`-sized image: the box, or where a
    side is not given, that side following the image's aspect ratio (never enlarged by
    `scale-down`)."""
    source_width, source_height = source
    if width is not None and height is not None:
        return width, height
    if width is None and height is None:
        return source_width, source_height
    if width is not None:
        scale = width / source_width
    else:
        assert height is not None
        scale = height / source_height
    if fit == "scale-down":
        scale = min(scale, 1.0)
    return round(source_width * scale), round(source_height * scale)


async def _answer(request: Request, ctx: Context) -> Response:
    key, options = _key_and_options(request.path)
    stored = await ctx.bucket.get(key)
    if stored is None:
        raise CdnError(404, NOT_FOUND, "no such image")
    source_type = stored.content_type or "application/octet-stream"
    headers = {"cache-control": ORIGINAL_CACHE_CONTROL}
    if options is None:
        return Response(200, {**headers, "content-type": source_type}, stored.body)
    content_type = output_type(options, request.header("accept"), source_type)
    spec = VariantSpec(
        width=None if options.width is None else round(options.width * options.dpr),
        height=None if options.height is None else round(options.height * options.dpr),
        fit=options.fit,
        content_type=content_type,
        quality=options.quality,
    )
    await _check_output_size(ctx, stored.body, spec)
    if options.format == "auto":
        headers["vary"] = "Accept"
    if request.method == "HEAD":  # the headers are known without rendering
        return Response(200, {**headers, "content-type": content_type}, b"")
    try:
        body = await ctx.transformer.transform(stored.body, spec)
    except Exception as exc:
        print(f"local CDN transform of {key} failed: {exc!r}")
        raise CdnError(415, UNREADABLE, "the image could not be transformed") from exc
    return Response(200, {**headers, "content-type": content_type}, body)


async def _check_output_size(ctx: Context, body: bytes, spec: VariantSpec) -> None:
    boxed = [side for side in (spec.width, spec.height) if side is not None]
    if any(side > LOCAL_CDN_MAX_SIDE for side in boxed):
        raise CdnError(400, INVALID_OPTIONS, f"over {LOCAL_CDN_MAX_SIDE} px a side after dpr")
    if len(boxed) == 2:
        return  # the box bounds the output
    try:
        meta = await ctx.transformer.info(body)
    except Exception as exc:
        raise CdnError(415, UNREADABLE, "the image could not be read") from exc
    size = output_size((meta.width, meta.height), spec.width, spec.height, spec.fit)
    if max(size) > LOCAL_CDN_MAX_SIDE:
        raise CdnError(400, INVALID_OPTIONS, f"output {size[0]}x{size[1]} is over the limit")
