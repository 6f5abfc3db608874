"""Dominant and accent colours of an image, in pure Python (stdlib only).

Pipeline: sample at most MAX_COLOR_SAMPLES pixels, give every pixel a one-byte cell of a
perceptual colour grid (LEVELS steps per channel, or "transparent" when alpha < 128), count the
cells, run a weighted, deterministic k-means over the occupied cells in OKLab, measure each
resulting cluster's exact mean colour from its pixels, merge clusters that are perceptually the
same colour, then

* dominant = the heaviest cluster (the most pixels), reported as its pixels' mean colour;
* accent = a colour of another cluster that covers at least ACCENT_MIN_SHARE of the pixels and
  is at least ACCENT_MIN_DISTANCE away from the dominant: the most vivid one that passes the
  checks below (OKLab chroma from ACCENT_MIN_CHROMA), else the largest passing one whose
  lightness differs from the dominant's by ACCENT_MIN_LIGHTNESS_DELTA or more (black text on
  white gives black); otherwise there is no accent.

Both must be colours the image has, not blends the downscale made. A downscale averages pixels,
so where a small or thin shape meets the background (a logo's dot, a line, text) its pixels
are mixtures of the two, and specks finer than a pixel leave every pixel a mixture.

* The dominant cluster is replaced by its main component when it is such a mixture: spatially
  incoherent (its pixels scattered like chance, see _unmix) and on the line between two distinct
  colours the image also has (in sRGB, where resampling averages). Real colour regions, even
  one between two others, are coherent and stay.
* An accent candidate is the mean of its cluster's purest grid cell (the most vivid one, or the
  one whose lightness differs most from the dominant's) holding at least ACCENT_MIN_COVERAGE of
  the pixels, and is dropped unless at least ACCENT_MIN_COVERAGE of the pixels lie within
  NEAR_STEP of it on every channel. A colour with an inside (SOLID_MIN_SHARE of its pixels
  surrounded by more of it) is a shape of its own and kept. Any other is dropped when it lies
  on the line between two other cluster colours (the dominant's included), and when purer
  pixels lie further out on the line from the dominant through it, it is a mixture of the
  dominant with them: those pixels replace it if they are the body of its colour
  (PURER_MIN_RATIO), else it is dropped (see _present).

No accent is better than one that is not in the image. Detail finer than about one pixel of the
analysed image still averages away, so the caller should pass an image large enough for the
detail it cares about (the pipeline uses a larger one for colours than for the ThumbHash).

Why OKLab: k-means minimises Euclidean distances, so the space must make equal distances look
equally different. In sRGB, dark shades that look alike are far apart and saturated colours
that look different are close; OKLab (Ottosson 2020) is built so Euclidean distance tracks
perceived difference, and its chroma sqrt(a^2 + b^2) is a direct "vividness" measure. The
thresholds below are therefore in OKLab units (L in 0..1; a JND is about 0.02).

Speed: every per-pixel step is a C-level operation on whole byte strings (stepped slices,
bytes.translate through 256-entry tables, Counter, and big-integer addition, shifts, AND and
bit_count), so Python code only ever loops over occupied grid cells (at most LEVELS ** 3) and
clusters, never over pixels or distinct colours. The grid splits each channel at equal steps of
cbrt(linear light), as OKLab does to its LMS channels, so cells are of similar perceptual size
(a plain sRGB grid is very coarse in the darks and needlessly fine in the lights); each cell's
OKLab position is computed once, at import.

The reported colours are means of actual pixels, so a flat image yields exactly its colour.
Everything is deterministic: cells are visited in a fixed order and the k-means seeds are
chosen greedily (heaviest cell first, then the cell with the largest weight * squared distance
to the chosen seeds), with no randomness.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from itertools import repeat
from operator import mul

__all__ = [
    "ACCENT_MIN_CHROMA",
    "ACCENT_MIN_COVERAGE",
    "ACCENT_MIN_DISTANCE",
    "ACCENT_MIN_LIGHTNESS_DELTA",
    "ACCENT_MIN_SHARE",
    "ALPHA_OPAQUE_MIN",
    "BLEND_END_GAP",
    "BLEND_END_MIN_SHARE",
    "BLEND_MAX_OFFSET",
    "BLEND_PROBES",
    "KMEANS_K",
    "KMEANS_MAX_CELLS",
    "KMEANS_ROUNDS",
    "LEVELS",
    "MAX_COLOR_SAMPLES",
    "MERGE_DISTANCE",
    "NEAR_STEP",
    "PURER_MIN_RATIO",
    "PURER_MOVES",
    "SOLID_MIN_SHARE",
    "UNMIX_MAX_COHERENCE",
    "UNMIX_MAX_SHARE",
    "UNMIX_MIN_SPREAD",
    "Palette",
    "extract_colors",
]

# Pixels with less alpha than this are ignored (they are mostly background showing through).
ALPHA_OPAQUE_MIN = 128
# At most this many pixels are looked at (an even stride over the image): every other one of
# the pipeline's 56x56 colour image, which keeps its detail (each sample is one pixel).
MAX_COLOR_SAMPLES = 2048
# Grid steps per channel. Cells only group pixels for k-means (the reported colours and the
# merge and accent tests use exact pixel means), so they can be coarse: a step is 1/6 of the
# lightness range on the grey axis, and 6 ** 3 = 216 cells keep a cell id in one byte, with
# 0xFF free to mark transparent pixels.
LEVELS = 6
# Clusters sought, and the most k-means assignment rounds. Photos usually settle after one
# update; only noise-like images use them all, and later rounds barely move their colours.
KMEANS_K = 6
KMEANS_ROUNDS = 4
# Noise-like images occupy nearly all 216 cells, photos and artwork far fewer (1 to 53 in 64 px
# reductions of 23 real ones). Beyond this many, the centres are fitted to the heaviest cells only
# and the rest join their nearest centre, which bounds the cost without changing real images.
KMEANS_MAX_CELLS = 64
# Clusters closer than this (OKLab distance) are the same colour and get merged, so that one
# noisy or gradient-shaded colour does not split into several "dominant" candidates.
MERGE_DISTANCE = 0.06
# An accent's cluster must cover this share of the opaque pixels (ignores specks and noise)...
ACCENT_MIN_SHARE = 0.02
# ...be at least this far (OKLab distance) from the dominant colour...
ACCENT_MIN_DISTANCE = 0.12
# ...and count as vivid from this chroma (greys are ~0; pure sRGB red is ~0.26).
ACCENT_MIN_CHROMA = 0.05
# Without a vivid candidate, an accent needs at least this lightness difference instead.
ACCENT_MIN_LIGHTNESS_DELTA = 0.3
# The accent colour itself must be this share of the pixels, counting those within NEAR_STEP.
ACCENT_MIN_COVERAGE = 0.01
# "Near" a colour: within this distance on each channel, in cbrt(linear light) (the grid's
# scale: a grid step is 1 / LEVELS). Half a step is about CIE76 delta E 8-15 per channel.
NEAR_STEP = 0.5 / LEVELS
# A colour whose pixels have at least this share inside (all neighbours near it too) is a shape
# of its own, not a mixture at an edge (where a shape meets the background the mixtures are a
# pixel or two wide), and is kept whatever line it lies on: shades of one hue are collinear.
SOLID_MIN_SHARE = 0.25
# A colour is a mixture of two others when it lies on the segment between them, away from both
# ends (at least BLEND_END_GAP of the way) and off the line by at most this share of its length.
BLEND_MAX_OFFSET = 0.15
BLEND_END_GAP = 0.15
# Purer pixels further out than a candidate accent (see the module docstring) count from this
# share of the pixels; they are looked for at these multiples of its distance from the dominant.
BLEND_END_MIN_SHARE = 0.005
BLEND_PROBES = (1.25, 1.5, 2.0, 3.0)
# If those purer pixels are a real share (ACCENT_MIN_COVERAGE) and at least this share of the
# candidate's own, they are the candidate instead (a mean that mixes a shape with its edges
# moves out to the shape), up to PURER_MOVES times.
PURER_MIN_RATIO = 0.5
PURER_MOVES = 2
# The dominant cluster is checked for being a blend (see _unmix) when it holds at most this
# share of the pixels, its spatial coherence is below this, and the two colours it would be a
# mixture of are at least this far apart (OKLab).
UNMIX_MAX_SHARE = 0.9
UNMIX_MAX_COHERENCE = 0.1
UNMIX_MIN_SPREAD = 0.25

Lab = tuple[float, float, float]
RGB = tuple[float, float, float]

# sRGB byte -> linear light 0..1
_LINEAR = [
    (v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4)
    for v in (i / 255 for i in range(256))
]
# sRGB byte -> cbrt(linear light), the grid's axis (ascending, so windows are bisect ranges)
_CBRT = [x ** (1 / 3) for x in _LINEAR]
# sRGB byte -> grid step 0..LEVELS-1 (equal steps of cbrt(linear light)). No byte lies within
# 7e-4 of a step boundary, so a last-bit difference in libm's pow cannot move a byte.
_LEVEL = [min(LEVELS - 1, int(LEVELS * x)) for x in _CBRT]
# Per-channel tables whose sum is the pixel's cell id, red * LEVELS^2 + green * LEVELS + blue.
_RED_PART = bytes(level * LEVELS * LEVELS for level in _LEVEL)
_GREEN_PART = bytes(level * LEVELS for level in _LEVEL)
_BLUE_PART = bytes(_LEVEL)
# alpha byte -> 0xFF for ignored pixels (OR-ed into the cell id), 0 for opaque enough ones
_TRANSPARENT = 0xFF
_HIDDEN = bytes(_TRANSPARENT if a < ALPHA_OPAQUE_MIN else 0 for a in range(256))
# cell id -> 0xFF for the pixels that count (every id but the transparent marker)
_COUNTED = bytes(0xFF if cell != _TRANSPARENT else 0 for cell in range(256))
# Channel sums are added up in lanes of this many bits (see _Sample): exact while
# 255 * pixels < 2 ** 24, i.e. up to 65,793 pixels, far above MAX_COLOR_SAMPLES.
_LANE_BITS = 24


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
    cells: tuple[int, ...]  # the grid cells whose pixels it holds

    @classmethod
    def of(cls, weight: int, sums: tuple[int, int, int], cells: tuple[int, ...]) -> _Cluster:
        return cls(weight, sums, _oklab_rgb(_mean(weight, sums)), cells)

    @property
    def chroma(self) -> float:
        return math.hypot(self.lab[1], self.lab[2])

    @property
    def rgb(self) -> RGB:
        return _mean(self.weight, self.sums)


def extract_colors(w: int, h: int, rgba: bytes) -> Palette:
    """Dominant and accent colour of a w x h RGBA image (not premultiplied, row by row).

    Only pixels with alpha >= ALPHA_OPAQUE_MIN count; if there are none (or the image is
    empty) both colours are None. A single-colour image has no accent, and neither has an image
    whose only candidates are mixtures (see the module docstring). Deterministic: the same
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

    # The sample's rows line up (every `step`-th pixel of each row) when step divides w.
    sample = _Sample(cell_ids, (red, green, blue), w // step if w % step == 0 else None)
    clusters = _merge_close(_measure(sample, cells, assignment))
    total = sum(c.weight for c in clusters)
    dominant = _unmix(max(clusters, key=lambda c: c.weight), clusters, total, sample)
    accent = _pick_accent(dominant, clusters, total, counts, sample)
    return Palette(_hex(dominant.rgb), None if accent is None else _hex(accent))


def _kmeans(points: list[Lab], weights: list[int]) -> list[int]:
    """Weighted k-means in OKLab, deterministically seeded: the cluster index of each point.

    With more than KMEANS_MAX_CELLS points, the centres are fitted to the heaviest of them and
    then every point joins its nearest centre (see KMEANS_MAX_CELLS).
    """
    if len(points) <= KMEANS_MAX_CELLS:
        return _lloyd(points, weights)[1]
    # A stable sort: equally heavy cells keep their fixed order.
    heaviest = sorted(range(len(points)), key=weights.__getitem__, reverse=True)
    del heaviest[KMEANS_MAX_CELLS:]
    heaviest.sort()  # back to the points' own order
    centres, _ = _lloyd([points[i] for i in heaviest], [weights[i] for i in heaviest])
    return _argmin([list(map(math.dist, points, repeat(c))) for c in centres])


def _lloyd(points: list[Lab], weights: list[int]) -> tuple[list[Lab], list[int]]:
    """The final centres and the cluster index of each point (nearest final centre)."""
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
    centres = [points[seed] for seed in seeds]
    if len(seeds) == 1:
        return centres, [0] * len(points)

    # Lloyd rounds; the first assignment reuses the seeding's distances.
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
    return centres, assignment


def _argmin(distances: list[list[float]]) -> list[int]:
    """For every point, the index of the row (centre) nearest to it; the lowest on ties.

    One C-level pass per centre computed the rows; tuple.index(min(column)) picks per point.
    """
    columns = list(zip(*distances, strict=True))
    return list(map(tuple.index, columns, map(min, columns)))


class _Sample:
    """The sampled pixels, with exact channel sums and "near a colour" counts over pixel masks.

    A mask is a big integer with one byte per pixel, 0xFF for the pixels it holds (made with
    bytes.translate from the cell ids or the channels); bit_count() / 8 counts them. For sums,
    every per-byte string is spread into 3-byte lanes and read as one big integer: a mask
    spread the same way, AND-ed with a channel, keeps its pixels' values, one per lane, and
    adding the top half of the lanes onto the bottom half until one lane is left sums them (a
    few big-integer shifts, ANDs and adds). No lane overflows, as the total stays below
    255 * MAX_COLOR_SAMPLES < 2 ** 24.
    """

    def __init__(
        self, cell_ids: bytes, channels: tuple[bytes, bytes, bytes], row: int | None = None
    ) -> None:
        n = len(cell_ids)
        self.cell_ids = cell_ids
        self.channels = channels
        self.row = row  # samples per image row, when the sample keeps the rows' layout
        spread = bytearray((_TRANSPARENT,)) * (3 * n)  # the padding lanes belong to no cell
        spread[0::3] = cell_ids
        self.spread_ids = bytes(spread)
        self.planes = []
        for channel in channels:
            lanes = bytearray(3 * n)
            lanes[0::3] = channel
            self.planes.append(int.from_bytes(lanes, "little"))
        self.folds = []  # (shift, mask of the bottom half) per halving of the lane count
        lanes_left = n
        while lanes_left > 1:
            half = (lanes_left + 1) // 2
            self.folds.append((_LANE_BITS * half, (1 << (_LANE_BITS * half)) - 1))
            lanes_left = half
        self.counted = int.from_bytes(cell_ids.translate(_COUNTED), "little")
        self.total = self.counted.bit_count() // 8

    def measure(self, members: bytes) -> tuple[int, tuple[int, int, int]]:
        """Pixel count and channel sums of the cells marked 0xFF in the 256-entry `members`."""
        return self._sums(int.from_bytes(self.spread_ids.translate(members), "little"))

    def count_near(self, rgb: RGB) -> int:
        """How many counted pixels lie within NEAR_STEP of `rgb` on every channel."""
        return self._near(rgb).bit_count() // 8

    def mean_near(self, rgb: RGB) -> tuple[int, RGB]:
        """How many counted pixels lie near `rgb` (as count_near), and their mean colour."""
        n = len(self.cell_ids)
        spread = bytearray(3 * n)
        spread[0::3] = self._near(rgb).to_bytes(n, "little")
        count, sums = self._sums(int.from_bytes(spread, "little"))
        return count, _mean(count, sums) if count else rgb

    def near(self, rgb: RGB) -> tuple[int, float]:
        """How many counted pixels lie near `rgb` (as count_near), and the share of them whose
        neighbours (left, right, and when the rows are known, above and below) are all near it
        too: the inside of a shape."""
        mask = self._near(rgb)
        count = mask.bit_count()
        if not count:
            return 0, 0.0
        inside = mask & (mask >> 8) & (mask << 8)
        if self.row is not None:
            shift = 8 * self.row
            inside &= (mask >> shift) & (mask << shift)
        return count // 8, inside.bit_count() / count

    def coherence(self, mask: int) -> float:
        """How much more often than chance a pixel's neighbours are in the mask too.

        (P(a right, or lower, neighbour of one of its pixels is in it) - its share) /
        (1 - its share): 0 for pixels scattered at random, 1 for a single solid region.
        """
        count = mask.bit_count() // 8
        share = count / len(self.cell_ids)
        if not count or share >= 1:
            return 1.0
        pairs = (mask & (mask >> 8)).bit_count() // 8
        chances = count
        if self.row is not None:
            pairs += (mask & (mask >> (8 * self.row))).bit_count() // 8
            chances *= 2
        return (pairs / chances - share) / (1 - share)

    def _sums(self, lane_mask: int) -> tuple[int, tuple[int, int, int]]:
        """Pixel count and channel sums of a mask spread into 3-byte lanes."""
        red, green, blue = (self._lane_sum(plane & lane_mask) for plane in self.planes)
        return lane_mask.bit_count() // 8, (red, green, blue)

    def _lane_sum(self, lanes: int) -> int:
        for shift, bottom in self.folds:
            lanes = (lanes & bottom) + (lanes >> shift)
        return lanes

    def _near(self, rgb: RGB) -> int:
        mask = self.counted
        for channel, value in zip(self.channels, rgb, strict=True):
            centre = _srgb_linear(value) ** (1 / 3)
            low = bisect_left(_CBRT, centre - NEAR_STEP)
            high = bisect_right(_CBRT, centre + NEAR_STEP)
            window = bytes(low) + b"\xff" * (high - low) + bytes(256 - high)
            mask &= int.from_bytes(channel.translate(window), "little")
        return mask


def _measure(sample: _Sample, cells: list[int], assignment: list[int]) -> list[_Cluster]:
    """Exact pixel count and channel sums of every non-empty cluster, from the pixels."""
    members: list[list[int]] = [[] for _ in range(max(assignment) + 1)]
    for cell, j in zip(cells, assignment, strict=True):
        members[j].append(cell)
    clusters = []
    for group in members:
        if group:
            weight, sums = sample.measure(_table(group))
            clusters.append(_Cluster.of(weight, sums, tuple(group)))
    return clusters


def _table(cells: list[int]) -> bytes:
    """A translate table marking `cells` with 0xFF."""
    table = bytearray(256)
    for cell in cells:
        table[cell] = 0xFF
    return bytes(table)


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
            tuple(sorted(a.cells + b.cells)),
        )
        del clusters[j]
    return clusters


def _pick_accent(
    dominant: _Cluster,
    clusters: list[_Cluster],
    total: int,
    counts: Counter[int],
    sample: _Sample,
) -> RGB | None:
    """The accent colour (see the module docstring), or None."""
    min_distance2 = ACCENT_MIN_DISTANCE * ACCENT_MIN_DISTANCE
    min_pixels = ACCENT_MIN_COVERAGE * total
    vivid: list[tuple[float, int, int, _Cluster]] = []
    contrasting: list[tuple[int, float, int, _Cluster]] = []
    for c in clusters:
        if (
            c is dominant
            or c.weight < ACCENT_MIN_SHARE * total
            or _dist2(c.lab, dominant.lab) < min_distance2
        ):
            continue
        is_vivid = c.chroma >= ACCENT_MIN_CHROMA
        if not is_vivid and abs(c.lab[0] - dominant.lab[0]) < ACCENT_MIN_LIGHTNESS_DELTA:
            continue
        # Where a shape meets the background its pixels are mixtures, less vivid or less
        # contrasting than the shape: the purest cell holding a real share is its colour.
        populated = [cell for cell in c.cells if counts[cell] >= min_pixels]
        if not populated:
            continue
        if is_vivid:
            best = max(populated, key=lambda cell: (_chroma(_CELL_LAB[cell]), counts[cell]))
            vivid.append((_chroma(_CELL_LAB[best]), c.weight, best, c))
        else:
            best = max(
                populated,
                key=lambda cell: (abs(_CELL_LAB[cell][0] - dominant.lab[0]), counts[cell]),
            )
            contrasting.append((c.weight, abs(_CELL_LAB[best][0] - dominant.lab[0]), best, c))
    # The most vivid first (ties: the larger), then the largest contrasting one; each is
    # measured only when its turn comes.
    vivid.sort(key=lambda v: (-v[0], -v[1]))
    contrasting.sort(key=lambda v: (-v[0], -v[1]))
    dominant_rgb = dominant.rgb
    for is_vivid, cell, cluster in [(True, v[2], v[3]) for v in vivid] + [
        (False, v[2], v[3]) for v in contrasting
    ]:
        rgb = _mean(*sample.measure(_table([cell])))
        lab = _oklab_rgb(rgb)
        if _dist2(lab, dominant.lab) < min_distance2:
            continue
        if is_vivid and _chroma(lab) < ACCENT_MIN_CHROMA:
            continue
        if not is_vivid and abs(lab[0] - dominant.lab[0]) < ACCENT_MIN_LIGHTNESS_DELTA:
            continue
        ends = [dominant_rgb, *(c.rgb for c in clusters if c is not cluster and c is not dominant)]
        colour = _present(sample, rgb, dominant_rgb, ends, min_pixels)
        if colour is not None:
            return colour
    return None


def _present(
    sample: _Sample, rgb: RGB, dominant: RGB, ends: list[RGB], min_pixels: float
) -> RGB | None:
    """`rgb` if the image has it, or the purer colour it is a mixture of, or None.

    A colour with an inside (at least SOLID_MIN_SHARE of its pixels surrounded by more of it)
    is a shape of its own, not the edge where two others meet, and is kept. Otherwise it must
    not lie between two other colours, and purer pixels further out from the dominant (see
    _purer) replace it when they are the body of its colour and it their fringe: a real share,
    and at least PURER_MIN_RATIO as many as the pixels near it (at most PURER_MOVES times).
    Fewer make them the tail of a spread of mixtures (specks finer than a pixel), so the
    candidate is a mixture and not reported.
    """
    for _ in range(PURER_MOVES + 1):
        near, solid = sample.near(rgb)
        if near < min_pixels:
            return None
        if solid >= SOLID_MIN_SHARE:
            return rgb
        if _is_mixture(rgb, ends):
            return None
        purer = _purer(sample, dominant, rgb)
        if purer is None:
            return rgb
        count, rgb = sample.mean_near(purer)
        if count < max(min_pixels, PURER_MIN_RATIO * near):
            return None
    return None


def _is_mixture(x: RGB, ends: list[RGB]) -> bool:
    """Whether x lies on the segment between two of `ends`, away from both of them."""
    return any(
        _mixing_fraction(x, p, q) is not None for i, p in enumerate(ends) for q in ends[i + 1 :]
    )


def _mixing_fraction(x: RGB, p: RGB, q: RGB) -> float | None:
    """t if x is (1 - t) * p + t * q in sRGB (within BLEND_MAX_OFFSET), away from both ends."""
    v = (q[0] - p[0], q[1] - p[1], q[2] - p[2])
    u = (x[0] - p[0], x[1] - p[1], x[2] - p[2])
    length2 = v[0] * v[0] + v[1] * v[1] + v[2] * v[2]
    if not length2:
        return None
    t = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / length2
    if not BLEND_END_GAP <= t <= 1 - BLEND_END_GAP:
        return None
    offset2 = (u[0] - t * v[0]) ** 2 + (u[1] - t * v[1]) ** 2 + (u[2] - t * v[2]) ** 2
    return t if offset2 <= BLEND_MAX_OFFSET * BLEND_MAX_OFFSET * length2 else None


def _unmix(dominant: _Cluster, clusters: list[_Cluster], total: int, sample: _Sample) -> _Cluster:
    """The dominant cluster, or its main component if it is the blend of finer detail.

    Detail finer than a pixel (specks, halftone) leaves every pixel a mixture of its colours
    in random proportions: such a cluster is spatially incoherent (a pixel's neighbour is in it
    about as often as chance, its share, predicts) and lies between two distinct colours that
    the image also has. Then its pixels are split between those two by the mixing fraction, and
    the component that gets more is the dominant. A real colour region, even one between two
    others like a gradient's middle, is coherent and stays (docs/imaging.md has the measures).
    """
    if dominant.weight > UNMIX_MAX_SHARE * len(sample.cell_ids):
        return dominant  # too little else to tell chance from coherence
    mask = int.from_bytes(sample.cell_ids.translate(_table(list(dominant.cells))), "little")
    if sample.coherence(mask) >= UNMIX_MAX_COHERENCE:
        return dominant
    others = [c for c in clusters if c is not dominant and c.weight >= ACCENT_MIN_SHARE * total]
    best: tuple[float, float, _Cluster, _Cluster] | None = None
    for i, p in enumerate(others):
        for q in others[i + 1 :]:
            spread2 = _dist2(p.lab, q.lab)
            if spread2 < UNMIX_MIN_SPREAD * UNMIX_MIN_SPREAD:
                continue  # shades of one colour (grain, texture), not two colours
            t = _mixing_fraction(dominant.rgb, p.rgb, q.rgb)
            if t is not None and (best is None or spread2 > best[0]):
                best = (spread2, t, p, q)  # the farthest pair: the purest components
    if best is None:
        return dominant
    _, t, p, q = best
    if p.weight + (1 - t) * dominant.weight >= q.weight + t * dominant.weight:
        return p
    return q


def _purer(sample: _Sample, dominant: RGB, x: RGB) -> RGB | None:
    """A point further out on the line from the dominant through x (in sRGB) with pixels near it.

    Then x is most likely the dominant mixed with them (the edge of a shape of their colour).
    """
    needed = max(2, BLEND_END_MIN_SHARE * sample.total)
    for scale in BLEND_PROBES:
        y = (
            dominant[0] + scale * (x[0] - dominant[0]),
            dominant[1] + scale * (x[1] - dominant[1]),
            dominant[2] + scale * (x[2] - dominant[2]),
        )
        if min(y) < 0 or max(y) > 255:
            return None  # out of gamut: nothing purer this way
        if sample.count_near(y) >= needed:
            return y
    return None


def _mean(weight: int, sums: tuple[int, int, int]) -> RGB:
    return (sums[0] / weight, sums[1] / weight, sums[2] / weight)


def _hex(rgb: RGB) -> str:
    r, g, b = (int(v + 0.5) for v in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _chroma(lab: Lab) -> float:
    return math.hypot(lab[1], lab[2])


def _dist2(p: Lab, q: Lab) -> float:
    return (p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2


def _srgb_linear(v: float) -> float:
    """sRGB channel value 0..255 (possibly fractional, a mean) -> linear light 0..1."""
    if v == int(v):
        return _LINEAR[int(v)]
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _oklab_rgb(rgb: RGB) -> Lab:
    """sRGB 0..255 per channel (possibly fractional) -> OKLab."""
    return _oklab_linear(*(_srgb_linear(v) for v in rgb))


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
