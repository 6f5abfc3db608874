"""The fake upstream's pictures: one per image key, drawn with Pillow, the same on every run.

Each looks like a cover or a poster, not like its own placeholder: a two-colour gradient sky, a
disc, layered hills, a texture (halftone dots or stripes), the key's title in large letters and
its source's name small, and a fine grain, so a ThumbHash (a blur of it) and the image differ
at a glance, and JPEG encodes it like a photo. Everything comes from the key's SHA-256:
colours, layout, where each shape goes.
"""

from __future__ import annotations

import colorsys
import hashlib
import random

from PIL import Image, ImageChops, ImageDraw, ImageFont

RGB = tuple[int, int, int]
GRAIN_LEVELS = 8  # noise of 0-7 levels, centred (what a camera's sensor adds)
TITLE_SHARE = 0.86  # the title fills at most this share of the shorter side


def palette(key: str) -> tuple[RGB, RGB]:
    """Two distinct, saturated colours derived from the key (stable across runs)."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = digest[0] / 255
    second = (hue + 0.25 + digest[1] / 255 * 0.25) % 1.0
    a = colorsys.hsv_to_rgb(hue, 0.55 + digest[2] / 255 * 0.4, 0.75 + digest[3] / 255 * 0.25)
    b = colorsys.hsv_to_rgb(second, 0.6 + digest[4] / 255 * 0.4, 0.35 + digest[5] / 255 * 0.4)
    return _rgb(a), _rgb(b)


def _rgb(values: tuple[float, float, float]) -> RGB:
    return (round(values[0] * 255), round(values[1] * 255), round(values[2] * 255))


def _shade(colour: RGB, hue_shift: float, value: float, saturation: float = 1.0) -> RGB:
    """The colour turned on the colour wheel, with another brightness (and saturation)."""
    h, s, _ = colorsys.rgb_to_hsv(*(c / 255 for c in colour))
    return _rgb(colorsys.hsv_to_rgb((h + hue_shift) % 1.0, min(1.0, s * saturation), value))


def title_of(key: str) -> tuple[str, str]:
    """(source, title) of an image key: "apple-discovery" -> ("apple", "DISCOVERY")."""
    source, _, rest = key.partition("-")
    return source, (rest or source).replace("-", " ").upper()


def picture(key: str, width: int, height: int) -> Image.Image:
    """The picture of `key` at width x height (RGB)."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    sky, ground = palette(key)
    image = _gradient(width, height, sky, ground)
    draw = ImageDraw.Draw(image, "RGBA")
    short = min(width, height)
    # The disc: a sun or a record, light, in the upper half.
    radius = short * rng.uniform(0.16, 0.26)
    cx, cy = width * rng.uniform(0.25, 0.75), height * rng.uniform(0.22, 0.42)
    disc = _shade(sky, 0.08, 0.98, 0.55)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=disc)
    for ring in range(1, 4):  # grooves
        r = radius * (1 - ring * 0.18)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(*_shade(sky, 0.1, 0.7), 160))
    _texture(draw, rng, width, height, _shade(ground, 0.5, 0.95, 0.8))
    # Three layers of hills or of towers, darker towards the front.
    skyline = _towers if rng.random() < 0.4 else _hills
    for layer in range(3):
        fill = _shade(ground, 0.04 * layer, 0.55 - 0.15 * layer)
        skyline(draw, rng, width, height, height * (0.58 + 0.1 * layer), fill)
    _lettering(draw, key, width, height, _shade(sky, 0.5, 1.0, 0.35))
    return _grain(image, rng)


def _gradient(width: int, height: int, top: RGB, bottom: RGB) -> Image.Image:
    """A blend from `top` to `bottom`."""
    mask = Image.linear_gradient("L").resize((width, height))
    return Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask
    )


def _hills(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, base: float, fill: RGB
) -> None:
    peaks = rng.randint(3, 6)
    points = [(0.0, float(height)), (0.0, base)]
    for i in range(1, peaks + 1):
        x = width * i / peaks
        points.append((x - width / peaks / 2, base - height * rng.uniform(0.05, 0.18)))
        points.append((x, base + height * rng.uniform(-0.02, 0.04)))
    points.append((float(width), float(height)))
    draw.polygon(points, fill=fill)


def _towers(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, base: float, fill: RGB
) -> None:
    x = -rng.uniform(0, width * 0.05)
    while x < width:
        tower = width * rng.uniform(0.06, 0.14)
        top = base - height * rng.uniform(0.02, 0.2)
        draw.rectangle((x, top, x + tower, height), fill=fill)
        x += tower + width * rng.uniform(0.0, 0.02)


def _texture(
    draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, colour: RGB
) -> None:
    """Halftone dots growing down a band, or a band of diagonal stripes."""
    top, bottom = height * 0.45, height * 0.75
    step = max(6, min(width, height) // 36)
    if rng.random() < 0.5:
        y = top
        while y < bottom:
            r = step * 0.45 * (y - top) / (bottom - top)
            for x in range(0, width + step, step):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, 190))
            y += step
        return
    for x in range(-height, width, step):
        draw.line(
            (x, bottom, x + (bottom - top), top), fill=(*colour, 150), width=max(2, step // 3)
        )


def _lettering(draw: ImageDraw.ImageDraw, key: str, width: int, height: int, ink: RGB) -> None:
    """The title large at the bottom, the source small at the top."""
    source, title = title_of(key)
    # Within the centred square, so a square crop of a wide picture keeps it whole.
    room = min(width, height) * TITLE_SHARE
    size = max(10, width // 7)
    font = ImageFont.load_default(size=size)
    while size > 10 and draw.textlength(title, font=font) > room:
        size = int(size * 0.9)
        font = ImageFont.load_default(size=size)
    text_width = draw.textlength(title, font=font)
    position = ((width - text_width) / 2, height * 0.9 - size)
    draw.text(
        position,
        title,
        font=font,
        fill=ink,
        stroke_width=max(1, size // 14),
        stroke_fill=(20, 20, 24),
    )
    short = min(width, height)
    label = ImageFont.load_default(size=max(10, short // 28))
    corner = ((width - short) / 2 + short * 0.05, height * 0.04)
    draw.text(corner, source.upper(), font=label, fill=(*ink, 220))


def _grain(image: Image.Image, rng: random.Random) -> Image.Image:
    width, height = image.size
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    noise = noise.point(lambda v: v % GRAIN_LEVELS)
    return ImageChops.add(image, noise, 1.0, -(GRAIN_LEVELS // 2))
