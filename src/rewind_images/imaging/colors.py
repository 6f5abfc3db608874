"""Dominant and accent colours of an image, in pure Python (stdlib only).

Pipeline: sample at most MAX_COLOR_SAMPLES pixels, keep the opaque ones (alpha >= 128), bin
them on a coarse sRGB grid (BIN_BITS per channel), run a weighted, deterministic k-means over
the bins in OKLab, merge clusters that are perceptually the same colour, then

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

The reported colours are the mean sRGB of each cluster's actual pixels, so a flat image yields
exactly its colour. Everything is deterministic: bins are visited in a fixed order and the
k-means seeds are chosen greedily (heaviest bin first, then the bin with the largest
weight * squared distance to the chosen seeds), with no randomness.
"""

from __future__ import annotations

import math
import sys
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
    "BIN_BITS",
    "KMEANS_K",
    "KMEANS_ROUNDS",
    "MAX_COLOR_SAMPLES",
    "MERGE_DISTANCE",
    "Palette",
    "extract_colors",
]

# Pixels with less alpha than this are ignored (they are mostly background showing through).
ALPHA_OPAQUE_MIN = 128
# At most this many pixels are looked at (an even stride over the image): 100x100 needs ~1/3.
MAX_COLOR_SAMPLES = 4096
# Bits kept per sRGB channel when binning: 3 -> at most 512 bins, each 32 levels wide. Bins
# only group pixels for k-means (each bin is represented by its members' mean colour), so they
# can be coarse; this bounds the k-means work for noisy images.
BIN_BITS = 3
# Clusters sought, and the most k-means refinement rounds (it usually settles in 3-5).
KMEANS_K = 6
KMEANS_ROUNDS = 8
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

# Each sampled pixel becomes one 32-bit key: r, g, b and a transparency flag in the 4th byte.
_LITTLE = sys.byteorder == "little"
_R_SHIFT, _G_SHIFT, _B_SHIFT = (0, 8, 16) if _LITTLE else (24, 16, 8)
_FLAG_MASK = 0xFF000000 if _LITTLE else 0xFF
_KEEP = (0xFF << (8 - BIN_BITS)) & 0xFF
_BIN_MASK = (_KEEP << _R_SHIFT) | (_KEEP << _G_SHIFT) | (_KEEP << _B_SHIFT)
# alpha byte -> 0 (opaque enough) or 1 (ignored)
_TRANSPARENT_FLAG = bytes(int(a < ALPHA_OPAQUE_MIN) for a in range(256))
# sRGB byte -> linear light, for the fast path of exact colours
_LINEAR = [
    (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    for v in (i / 255 for i in range(256))
]


@dataclass(frozen=True, slots=True)
class Palette:
    """The extracted colours as lowercase "#rrggbb", or None when there is nothing to report."""

    dominant: str | None
    accent: str | None


@dataclass(slots=True)
class _Cluster:
    weight: int
    lab: tuple[float, float, float]
    sums: tuple[int, int, int]  # sum of r, g, b over the member pixels

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

    bins = _bin_pixels(bytes(rgba), n)
    if not bins:
        return Palette(None, None)
    total = sum(stats[0] for stats in bins)
    clusters = _merge_close(_kmeans(bins))
    dominant = max(clusters, key=lambda c: c.weight)
    accent = _pick_accent(dominant, clusters, total)
    return Palette(dominant.hex(), accent.hex() if accent else None)


def _bin_pixels(data: bytes, n: int) -> list[tuple[int, int, int, int]]:
    """Sample, drop transparent pixels, and bin: [(count, sum_r, sum_g, sum_b)] in bin order."""
    step = -(-n // MAX_COLOR_SAMPLES)
    keyed = bytearray(data)
    # The alpha byte becomes a flag, so opaque pixels with the same RGB share one key.
    keyed[3::4] = data[3::4].translate(_TRANSPARENT_FLAG)
    keys = memoryview(keyed).cast("I")
    # Counting exact colours is C-level (Counter); only distinct colours reach Python code.
    counts = Counter(keys[::step] if step > 1 else keys)
    keys.release()
    bins: dict[int, list[int]] = {}
    for key, count in counts.items():
        if key & _FLAG_MASK:
            continue
        stats = bins.get(key & _BIN_MASK)
        if stats is None:
            stats = bins[key & _BIN_MASK] = [0, 0, 0, 0]
        stats[0] += count
        stats[1] += ((key >> _R_SHIFT) & 255) * count
        stats[2] += ((key >> _G_SHIFT) & 255) * count
        stats[3] += ((key >> _B_SHIFT) & 255) * count
    # Sorted, so the result cannot depend on the order pixels were seen in.
    return [(s[0], s[1], s[2], s[3]) for _, s in sorted(bins.items())]


def _kmeans(bins: list[tuple[int, int, int, int]]) -> list[_Cluster]:
    """Weighted k-means over the bins' mean colours in OKLab, deterministically seeded."""
    points = [_oklab(r / c, g / c, b / c) for c, r, g, b in bins]
    weights = [c for c, *_ in bins]
    m = len(points)

    # Seeds: the heaviest bin, then repeatedly the bin maximising weight * (squared distance to
    # the nearest seed) -- k-means++ without the dice, so big and far-away colours both get one.
    first = weights.index(max(weights))
    centres = [points[first]]
    nearest = list(map(math.dist, points, repeat(points[first])))
    while len(centres) < min(KMEANS_K, m):
        scores = list(map(mul, weights, map(mul, nearest, nearest)))
        best = scores.index(max(scores))
        if nearest[best] == 0.0:
            break  # every bin coincides with a seed already
        centres.append(points[best])
        nearest = list(map(min, nearest, map(math.dist, points, repeat(points[best]))))

    assignment: list[int] = []
    for _ in range(KMEANS_ROUNDS):
        new_assignment = _nearest_centre(points, centres)
        if new_assignment == assignment:
            break
        assignment = new_assignment
        centres = [
            (sl / total, sa / total, sb / total) if total else centre
            for (total, sl, sa, sb), centre in zip(
                _cluster_sums(points, weights, assignment, len(centres)), centres, strict=True
            )
        ]

    sums = _cluster_sums(points, weights, assignment, len(centres))
    rgb_sums = [[0, 0, 0] for _ in centres]
    for (_, r, g, b), j in zip(bins, assignment, strict=True):
        acc = rgb_sums[j]
        acc[0] += r
        acc[1] += g
        acc[2] += b
    return [
        _Cluster(int(total), (sl / total, sa / total, sb / total), (rgb[0], rgb[1], rgb[2]))
        for (total, sl, sa, sb), rgb in zip(sums, rgb_sums, strict=True)
        if total
    ]


def _nearest_centre(
    points: list[tuple[float, float, float]], centres: list[tuple[float, float, float]]
) -> list[int]:
    """Index of the nearest centre for every point (the lowest index on ties).

    Distances to one centre at a time via map(math.dist), then the argmin of each point's row
    via tuple.index(min(row)): all C-level calls, no Python loop per point and centre.
    """
    distances = [list(map(math.dist, points, repeat(centre))) for centre in centres]
    rows = list(zip(*distances, strict=True))
    return list(map(tuple.index, rows, map(min, rows)))


def _cluster_sums(
    points: list[tuple[float, float, float]],
    weights: list[int],
    assignment: list[int],
    k: int,
) -> list[tuple[float, float, float, float]]:
    """(total weight, weighted sums of L, a, b) per cluster, in one pass over the points."""
    sums = [[0.0, 0.0, 0.0, 0.0] for _ in range(k)]
    for (pl, pa, pb), weight, j in zip(points, weights, assignment, strict=True):
        acc = sums[j]
        acc[0] += weight
        acc[1] += pl * weight
        acc[2] += pa * weight
        acc[3] += pb * weight
    return [(acc[0], acc[1], acc[2], acc[3]) for acc in sums]


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
        weight = a.weight + b.weight
        lab = (
            (a.lab[0] * a.weight + b.lab[0] * b.weight) / weight,
            (a.lab[1] * a.weight + b.lab[1] * b.weight) / weight,
            (a.lab[2] * a.weight + b.lab[2] * b.weight) / weight,
        )
        sums = (a.sums[0] + b.sums[0], a.sums[1] + b.sums[1], a.sums[2] + b.sums[2])
        clusters[i] = _Cluster(weight, lab, sums)
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


def _dist2(p: tuple[float, float, float], q: tuple[float, float, float]) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2


def _linear(v: float) -> float:
    """sRGB channel value 0..255 (possibly fractional, a bin mean) -> linear light 0..1."""
    if v == int(v):
        return _LINEAR[int(v)]
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _oklab(r: float, g: float, b: float) -> tuple[float, float, float]:
    """sRGB (0..255 per channel) -> OKLab (Ottosson's published matrices)."""
    lr, lg, lb = _linear(r), _linear(g), _linear(b)
    lms_l = 0.4122214708 * lr + 0.5363325363 * lg + 0.0514459929 * lb
    lms_m = 0.2119034982 * lr + 0.6806995451 * lg + 0.1073969566 * lb
    lms_s = 0.0883024619 * lr + 0.2817188376 * lg + 0.6299787005 * lb
    l_, m_, s_ = (x ** (1 / 3) for x in (lms_l, lms_m, lms_s))
    return (
        0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_,
        1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_,
        0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_,
    )
