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
bytes.translate through 256-entry tables, big-integer addition, Counter, itertools.compress),
so Python code only ever loops over grid cells (at most LEVELS ** 3) and clusters. The grid
splits each channel at equal steps of cbrt(linear light), which is what OKLab does to its LMS
channels, so cells are about equally large perceptually (a plain sRGB grid is very coarse in
the darks and needlessly fine in the lights); each cell's OKLab position is precomputed.

The reported colours are the mean sRGB of each cluster's actual pixels, so a flat image yields
exactly its colour. Everything is deterministic: cells are visited in a fixed order and the
k-means seeds are chosen greedily (heaviest cell first, then the cell with the largest
weight * squared distance to the chosen seeds), with no randomness.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import compress, repeat
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
# Grid steps per channel. Cells only group pixels for k-means (the reported colours are exact
# pixel means), so they can be coarse: 6 steps of cbrt(linear light) are about 0.17 OKLab
# wide, and 6 ** 3 = 216 cells keep a cell id in one byte, with 255 left for "transparent".
LEVELS = 6
# Clusters sought, and the most k-means refinement rounds (it usually settles in 2-4).
KMEANS_K = 6
KMEANS_ROUNDS = 6
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
# 1e-3 of a step boundary, so a last-bit difference in libm's pow cannot move a byte.
_LEVEL = [min(LEVELS - 1, int(LEVELS * x ** (1 / 3))) for x in _LINEAR]
# Per-channel tables whose sum is the pixel's cell id, red * LEVELS^2 + green * LEVELS + blue.
_RED_PART = bytes(level * LEVELS * LEVELS for level in _LEVEL)
_GREEN_PART = bytes(level * LEVELS for level in _LEVEL)
_BLUE_PART = bytes(_LEVEL)
# alpha byte -> 0xFF for ignored pixels (OR-ed into the cell id), 0 for opaque enough ones
_TRANSPARENT = 0xFF
_HIDDEN = bytes(_TRANSPARENT if a < ALPHA_OPAQUE_MIN else 0 for a in range(256))
# Channel sums per cluster come from one compress-and-sum over 64-bit lanes holding
# r + (g << 24) + (b << 48): the 24-bit fields cannot overflow below 65,793 pixels.
_LANE_BYTES = (0, 3, 6) if sys.byteorder == "little" else (7, 4, 1)
_FIELD = (1 << 24) - 1


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
        r, g, b = sums
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

    lanes = bytearray(8 * n)
    for offset, channel in zip(_LANE_BYTES, (red, green, blue), strict=True):
        lanes[offset::8] = channel
    clusters = _merge_close(_measure(cell_ids, lanes, cells, assignment))
    total = sum(c.weight for c in clusters)
    dominant = max(clusters, key=lambda c: c.weight)
    accent = _pick_accent(dominant, clusters, total)
    return Palette(dominant.hex(), accent.hex() if accent else None)


def _kmeans(points: list[Lab], weights: list[int]) -> list[int]:
    """Weighted k-means in OKLab, deterministically seeded: the cluster index of each point."""
    m = len(points)
    # Seeds: the heaviest cell, then repeatedly the cell maximising weight * (squared distance
    # to the nearest seed) -- k-means++ without the dice, so big and far-away colours both get
    # one.
    first = weights.index(max(weights))
    centres = [points[first]]
    nearest = list(map(math.dist, points, repeat(points[first])))
    while len(centres) < min(KMEANS_K, m):
        scores = list(map(mul, weights, map(mul, nearest, nearest)))
        best = scores.index(max(scores))
        if nearest[best] == 0.0:
            break  # every cell coincides with a seed already
        centres.append(points[best])
        nearest = list(map(min, nearest, map(math.dist, points, repeat(points[best]))))
    if len(centres) == 1:
        return [0] * m

    assignment: list[int] = []
    for _ in range(KMEANS_ROUNDS):
        new_assignment = _nearest_centre(points, centres)
        if new_assignment == assignment:
            break
        assignment = new_assignment
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
    return assignment


def _nearest_centre(points: list[Lab], centres: list[Lab]) -> list[int]:
    """Index of the nearest centre for every point (the lowest index on ties).

    Distances to one centre at a time via map(math.dist), then the argmin of each point's row
    via tuple.index(min(row)): all C-level calls, no Python loop per point and centre.
    """
    distances = [list(map(math.dist, points, repeat(centre))) for centre in centres]
    rows = list(zip(*distances, strict=True))
    return list(map(tuple.index, rows, map(min, rows)))


def _measure(
    cell_ids: bytes, lanes: bytearray, cells: list[int], assignment: list[int]
) -> list[_Cluster]:
    """Exact pixel count and channel sums of every non-empty cluster, from the pixels."""
    members = [bytearray(256) for _ in range(max(assignment) + 1)]
    for cell, j in zip(cells, assignment, strict=True):
        members[j][cell] = 1
    values = memoryview(lanes).cast("Q")
    clusters = []
    for table in members:
        selected = cell_ids.translate(table)  # 1 where the pixel's cell is in the cluster
        weight = selected.count(1)
        if weight:
            packed = sum(compress(values, selected))
            sums = (packed & _FIELD, (packed >> 24) & _FIELD, packed >> 48)
            clusters.append(_Cluster.of(weight, sums))
    values.release()
    return clusters


def _merge_close(clusters: list[_Cluster]) -> list[_Cluster]:
    """Merge the closest pair of clusters while it is closer than MERGE_DISTANCE."""
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
_CELL_LAB = [
    _oklab_linear(r, g, b) for r in _MID_LINEAR for g in _MID_LINEAR for b in _MID_LINEAR
]
