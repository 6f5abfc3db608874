"""Dominant and accent colours of an image, in pure Python (stdlib only).

Pipeline: sample at most MAX_COLOR_SAMPLES pixels, give every pixel a one-byte cell of a
perceptual colour grid (LEVELS steps per channel, or "transparent" when alpha < 128), count the
cells, run a weighted, deterministic k-means over the occupied cells in OKLab, measure each
resulting cluster's exact mean colour from its pixels, merge clusters that are perceptually the
same colour, then

* dominant = the heaviest cluster (the most pixels);
* accent = the most vivid (highest OKLab chroma) other cluster that covers at least
  ACCENT_MIN_SHARE of the pixels and is at least ACCENT_MIN_DISTANCE away from the dominant.
  If no cluster is vivid (chroma >= ACCENT_MIN_CHROMA), e.g. a greyscale image, the accent is
  the largest cluster whose lightness differs from the dominant's by ACCENT_MIN_LIGHTNESS_DELTA
  or more (black text on white gives black); otherwise there is no accent.

Why OKLab: k-means minimises Euclidean distances, so the space must make equal distances look
equally different. In sRGB, dark shades that look alike are far apart and saturated colours
that look different are close; OKLab (Ottosson 2020) is built so Euclidean distance tracks
perceived difference, and its chroma sqrt(a^2 + b^2) is a direct "vividness" measure. The
thresholds below are therefore in OKLab units (L in 0..1; a JND is about 0.02).

Speed: every per-pixel step is a C-level operation on whole byte strings (stepped slices,
bytes.translate through 256-entry tables, Counter, and big-integer addition, AND and modulo),
so Python code only ever loops over occupied grid cells (at most LEVELS ** 3) and clusters,
never over pixels or distinct colours. The grid splits each channel at equal steps of
cbrt(linear light), as OKLab does to its LMS channels, so cells are of similar perceptual size
(a plain sRGB grid is very coarse in the darks and needlessly fine in the lights); each cell's
OKLab position is computed once, at import.

The reported colours are the mean sRGB of each cluster's actual pixels, so a flat image yields
exactly its colour. Everything is deterministic: cells are visited in a fixed order and the
k-means seeds are chosen greedily (heaviest cell first, then the cell with the largest
weight * squared distance to the chosen seeds), with no randomness.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from operator import mul

__all__ = [
    "ACCENT_MIN_CHROMA",
    "ACCENT_MIN_DISTANCE",
    "ACCENT_MIN_LIGHTNESS_DELTA",
    "ACCENT_MIN_SHARE",
    "ALPHA_OPAQUE_MIN",
    "KMEANS_K",
    "KMEANS_ROUNDS",
    "LEVELS",
    "MAX_COLOR_SAMPLES",
    "MERGE_DISTANCE",
    "Palette",
    "extract_colors",
]

# Pixels with less alpha than this are ignored (they are mostly background showing through).
ALPHA_OPAQUE_MIN = 128
# At most this many pixels are looked at (an even stride over the image): 100x100 needs ~1/3.
MAX_COLOR_SAMPLES = 4096
# Grid steps per channel. Cells only group pixels for k-means (the reported colours and the
# merge and accent tests use exact pixel means), so they can be coarse: a step is 1/6 of the
# lightness range on the grey axis, and 6 ** 3 = 216 cells keep a cell id in one byte, with
# 0xFF free to mark transparent pixels.
LEVELS = 6
# Clusters sought, and the most k-means assignment rounds. Photos usually settle after one
# update; only noise-like images use them all, and later rounds barely move their colours.
KMEANS_K = 6
KMEANS_ROUNDS = 4
# Clusters closer than this (OKLab distance) are the same colour and get merged, so that one
# noisy or gradient-shaded colour does not split into several "dominant" candidates.
MERGE_DISTANCE = 0.06
# An accent must cover this share of the opaque pixels (ignores specks and noise)...
ACCENT_MIN_SHARE = 0.02
# ...be at least this far (OKLab distance) from the dominant colour...
ACCENT_MIN_DISTANCE = 0.12
# ...and count as vivid from this chroma (greys are ~0; pure sRGB red is ~0.26).
ACCENT_MIN_CHROMA = 0.05
# Without a vivid candidate, an accent needs at least this lightness difference instead.
ACCENT_MIN_LIGHTNESS_DELTA = 0.3

Lab = tuple[float, float, float]

# sRGB byte -> linear light 0..1
_LINEAR = [
    (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    for v in (i / 255 for i in range(256))
]
# sRGB byte -> grid step 0..LEVELS-1 (equal steps of cbrt(linear light)). No byte lies within
# 7e-4 of a step boundary, so a last-bit difference in libm's pow cannot move a byte.
_LEVEL = [min(LEVELS - 1, int(LEVELS * x ** (1 / 3))) for x in _LINEAR]
# Per-channel tables whose sum is the pixel's cell id, red * LEVELS^2 + green * LEVELS + blue.
_RED_PART = bytes(level * LEVELS * LEVELS for level in _LEVEL)
_GREEN_PART = bytes(level * LEVELS for level in _LEVEL)
_BLUE_PART = bytes(_LEVEL)
# alpha byte -> 0xFF for ignored pixels (OR-ed into the cell id), 0 for opaque enough ones
_TRANSPARENT = 0xFF
_HIDDEN = bytes(_TRANSPARENT if a < ALPHA_OPAQUE_MIN else 0 for a in range(256))
# Channel sums are taken modulo this (see _measure): exact while 255 * pixels < 2 ** 24 - 1,
# i.e. up to 65,793 pixels, far above MAX_COLOR_SAMPLES.
_LANE_MOD = (1 << 24) - 1


@dataclass(frozen=True, slots=True)
class Palette:
    """The extracted colours as lowercase "#rrggbb", or None when there is nothing to report."""

    dominant: str | None
    accent: str | None


@dataclass(frozen=True, slots=True)
class _Cluster:
    weight: int
    sums: tuple[int, int, int]  # sum of r, g, b over the member pixels
    lab: Lab  # OKLab of the mean colour

    @classmethod
    def of(cls, weight: int, sums: tuple[int, int, int]) -> _Cluster:
        return cls(weight, sums, _oklab_linear(*(_srgb_linear(s / weight) for s in sums)))

    @property
    def chroma(self) -> float:
        return math.hypot(self.lab[1], self.lab[2])

    def hex(self) -> str:
        r, g, b = (int(s / self.weight + 0.5) for s in self.sums)
        return f"#{r:02x}{g:02x}{b:02x}"


def extract_colors(w: int, h: int, rgba: bytes) -> Palette:
    """Dominant and accent colour of a w x h RGBA image (not premultiplied, row by row).

    Only pixels with alpha >= ALPHA_OPAQUE_MIN count; if there are none (or the image is
    empty) both colours are None. A single-colour image has no accent. Deterministic: the same
    pixels always give the same answer. Raises ValueError if `rgba` is not w * h * 4 bytes.
    """
    if w < 0 or h < 0:
        raise ValueError(f"invalid image size {w}x{h}")
    n = w * h
    if len(rgba) != n * 4:
        raise ValueError(f"expected {n * 4} bytes of RGBA for {w}x{h}, got {len(rgba)}")
    if n == 0:
        return Palette(None, None)

    data = bytes(rgba)
    step = -(-n // MAX_COLOR_SAMPLES)
    if step > 1:
        with memoryview(data) as view, view.cast("I") as pixels:
            data = pixels[::step].tobytes()
        n = len(data) // 4
    red, green, blue = data[0::4], data[1::4], data[2::4]
    # One cell id byte per pixel: three table look-ups added as big integers (no carries, as
    # every sum is below LEVELS ** 3), then OR 0xFF for transparent pixels.
    cell_ids = (
        (
            int.from_bytes(red.translate(_RED_PART), "little")
            + int.from_bytes(green.translate(_GREEN_PART), "little")
            + int.from_bytes(blue.translate(_BLUE_PART), "little")
        )
        | int.from_bytes(data[3::4].translate(_HIDDEN), "little")
    ).to_bytes(n, "little")
    counts = Counter(cell_ids)
    counts.pop(_TRANSPARENT, None)
    if not counts:
        return Palette(None, None)

    cells = sorted(counts)  # a fixed order, whatever order the pixels came in
    weights = [counts[cell] for cell in cells]
    assignment = _kmeans([_CELL_LAB[cell] for cell in cells], weights)

    clusters = _merge_close(_measure(cell_ids, (red, green, blue), cells, assignment))
    total = sum(c.weight for c in clusters)
    dominant = max(clusters, key=lambda c: c.weight)
    accent = _pick_accent(dominant, clusters, total)
    return Palette(dominant.hex(), accent.hex() if accent else None)


def _kmeans(points: list[Lab], weights: list[int]) -> list[int]:
    """Weighted k-means in OKLab, deterministically seeded: the cluster index of each point."""
    # Seeds: the heaviest cell, then repeatedly the cell maximising weight * (squared distance
    # to the nearest seed) -- k-means++ without the dice, so big and far-away colours both get
    # one. Ranking by sqrt(weight) * distance is the same order, with one multiplication less.
    seeds = [weights.index(max(weights))]
    distances = [list(map(math.dist, points, repeat(points[seeds[0]])))]
    nearest = distances[0]
    roots = list(map(math.sqrt, weights))
    while len(seeds) < KMEANS_K:
        scores = list(map(mul, roots, nearest))
        best = scores.index(max(scores))
        if nearest[best] == 0.0:
            break  # every cell is a seed already
        seeds.append(best)
        distances.append(list(map(math.dist, points, repeat(points[best]))))
        nearest = list(map(min, nearest, distances[-1]))
    if len(seeds) == 1:
        return [0] * len(points)

    # Lloyd rounds; the first assignment reuses the seeding's distances.
    centres = [points[seed] for seed in seeds]
    assignment = _argmin(distances)
    for _ in range(KMEANS_ROUNDS - 1):
        sums = [[0, 0.0, 0.0, 0.0] for _ in centres]
        for (pl, pa, pb), weight, j in zip(points, weights, assignment, strict=True):
            acc = sums[j]
            acc[0] += weight
            acc[1] += pl * weight
            acc[2] += pa * weight
            acc[3] += pb * weight
        centres = [
            (sl / total, sa / total, sb / total) if total else centre
            for (total, sl, sa, sb), centre in zip(sums, centres, strict=True)
        ]
        new_assignment = _argmin([list(map(math.dist, points, repeat(c))) for c in centres])
        if new_assignment == assignment:
            break
        assignment = new_assignment
    return assignment


def _argmin(distances: list[list[float]]) -> list[int]:
    """For every point, the index of the row (centre) nearest to it; the lowest on ties.

    One C-level pass per centre computed the rows; tuple.index(min(column)) picks per point.
    """
    columns = list(zip(*distances, strict=True))
    return list(map(tuple.index, columns, map(min, columns)))


def _measure(
    cell_ids: bytes, channels: tuple[bytes, bytes, bytes], cells: list[int], assignment: list[int]
) -> list[_Cluster]:
    """Exact pixel count and channel sums of every non-empty cluster, from the pixels.

    Every per-byte string is spread into 3-byte lanes and read as one big integer. A cluster's
    mask keeps the lanes of its pixels (cell_ids.translate), AND-ing a channel with it leaves
    sum(v_i << 24 * i) over the cluster's pixels, and since 2 ** 24 = 1 (mod 2 ** 24 - 1), that
    integer mod 2 ** 24 - 1 is the channel sum (below 255 * MAX_COLOR_SAMPLES, so exact).
    """
    n = len(cell_ids)
    spread = bytearray((_TRANSPARENT,)) * (3 * n)  # the padding lanes belong to no cluster
    spread[0::3] = cell_ids
    planes = []
    for channel in channels:
        lanes = bytearray(3 * n)
        lanes[0::3] = channel
        planes.append(int.from_bytes(lanes, "little"))
    members = [bytearray(256) for _ in range(max(assignment) + 1)]
    for cell, j in zip(cells, assignment, strict=True):
        members[j][cell] = 0xFF
    clusters = []
    for table in members:
        mask = int.from_bytes(spread.translate(table), "little")
        if mask:
            red, green, blue = ((plane & mask) % _LANE_MOD for plane in planes)
            clusters.append(_Cluster.of(mask.bit_count() // 8, (red, green, blue)))
    return clusters


def _merge_close(clusters: list[_Cluster]) -> list[_Cluster]:
    """Merge the closest pair of clusters while it is closer than MERGE_DISTANCE.

    A merged cluster's position is the OKLab of its pixels' combined mean colour.
    """
    clusters = list(clusters)
    limit = MERGE_DISTANCE * MERGE_DISTANCE
    while len(clusters) > 1:
        d, i, j = min(
            (_dist2(a.lab, b.lab), i, j)
            for i, a in enumerate(clusters)
            for j, b in enumerate(clusters)
            if i < j
        )
        if d >= limit:
            break
        a, b = clusters[i], clusters[j]
        clusters[i] = _Cluster.of(
            a.weight + b.weight,
            (a.sums[0] + b.sums[0], a.sums[1] + b.sums[1], a.sums[2] + b.sums[2]),
        )
        del clusters[j]
    return clusters


def _pick_accent(dominant: _Cluster, clusters: list[_Cluster], total: int) -> _Cluster | None:
    min_distance2 = ACCENT_MIN_DISTANCE * ACCENT_MIN_DISTANCE
    candidates = [
        c
        for c in clusters
        if c is not dominant
        and c.weight >= ACCENT_MIN_SHARE * total
        and _dist2(c.lab, dominant.lab) >= min_distance2
    ]
    vivid = [c for c in candidates if c.chroma >= ACCENT_MIN_CHROMA]
    if vivid:
        return max(vivid, key=lambda c: (c.chroma, c.weight))
    contrasting = [
        c for c in candidates if abs(c.lab[0] - dominant.lab[0]) >= ACCENT_MIN_LIGHTNESS_DELTA
    ]
    if contrasting:
        return max(contrasting, key=lambda c: (c.weight, abs(c.lab[0] - dominant.lab[0])))
    return None


def _dist2(p: Lab, q: Lab) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2


def _srgb_linear(v: float) -> float:
    """sRGB channel value 0..255 (possibly fractional, a mean) -> linear light 0..1."""
    if v == int(v):
        return _LINEAR[int(v)]
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _oklab_linear(lr: float, lg: float, lb: float) -> Lab:
    """Linear-light RGB (0..1 per channel) -> OKLab (Ottosson's published matrices)."""
    lms_l = 0.4122214708 * lr + 0.5363325363 * lg + 0.0514459929 * lb
    lms_m = 0.2119034982 * lr + 0.6806995451 * lg + 0.1073969566 * lb
    lms_s = 0.0883024619 * lr + 0.2817188376 * lg + 0.6299787005 * lb
    l_, m_, s_ = (x ** (1 / 3) for x in (lms_l, lms_m, lms_s))
    return (
        0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
        1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
        0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_,
    )


# OKLab position of every cell: its channels' midpoints in cbrt(linear light), i.e. linear
# light ((level + 0.5) / LEVELS) ** 3. Unused ids (transparent and beyond) are never looked up.
_MID_LINEAR = [((level + 0.5) / LEVELS) ** 3 for level in range(LEVELS)]
_CELL_LAB = [_oklab_linear(r, g, b) for r in _MID_LINEAR for g in _MID_LINEAR for b in _MID_LINEAR]
