"""The Images binding as the `ImageTransformer` port."""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import JsException

from rewind_images.ports import ImageMeta, VariantSpec
from rewind_images.runtime import PlatformError
from rewind_images.runtime.js_convert import js_bytes, js_object, to_python


class ImagesError(PlatformError):
    """The Images binding refused or failed (e.g. not an image: error 9523)."""


def _stream(data: bytes) -> Any:
    """The bytes as a ReadableStream (what the binding reads)."""
    return js.Response.new(js_bytes(data)).body


class ImagesBinding:
    """Wraps the `[images]` binding."""

    def __init__(self, binding: Any) -> None:
        self._images = binding

    async def info(self, data: bytes) -> ImageMeta:
        """Dimensions and format, read from the encoded bytes."""
        try:
            info = to_python(await self._images.info(_stream(data)))
        except JsException as exc:
            raise ImagesError(f"image info failed: {exc}") from exc
        if not isinstance(info, dict) or "width" not in info:
            raise ImagesError(f"image info without dimensions: {info!r}")
        return ImageMeta(
            width=int(info["width"]), height=int(info["height"]), format=str(info.get("format", ""))
        )

    async def to_png(self, data: bytes, max_side: int) -> bytes:
        """Shrink to fit max_side x max_side keeping the aspect ratio; PNG bytes."""
        try:
            transformer = self._images.input(_stream(data)).transform(
                js_object({"width": max_side, "height": max_side, "fit": "scale-down"})
            )
            result = await transformer.output(js_object({"format": "image/png"}))
            buffer = await result.response().arrayBuffer()
        except JsException as exc:
            raise ImagesError(f"image transform failed: {exc}") from exc
        return bytes(buffer.to_bytes())

    async def transform(self, data: bytes, spec: VariantSpec) -> bytes:
        """A variant: width/height/fit, then the output type and quality."""
        box: dict[str, str | int] = {"fit": spec.fit}
        if spec.width is not None:
            box["width"] = spec.width
        if spec.height is not None:
            box["height"] = spec.height
        try:
            transformer = self._images.input(_stream(data)).transform(js_object(box))
            result = await transformer.output(
                js_object({"format": spec.content_type, "quality": spec.quality})
            )
            buffer = await result.response().arrayBuffer()
        except JsException as exc:
            raise ImagesError(f"image transform failed: {exc}") from exc
        return bytes(buffer.to_bytes())
