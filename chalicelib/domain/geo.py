"""Geohash cells and distances on the sphere, exact enough to never miss a point.

Geohashes are handled as 60-bit integers (first bit = longitude), so every bit-prefix cell is one contiguous
range of 12-character keys and a closed lat/lon box; geohash2 puts every point, edge points included, in the
closed box of its cell. A circle's relation to a box (outside, on its edge, inside) and a point's least and
greatest distance to a box are exact on the sphere, widened by a 1 cm margin, so a cell is never thought
farther (or nearer) than it is. The nearest-first scan (domain/nearest.py) and the exact cover
(domain/cover.py) are built on these. Precondition: the circle's bounding box avoids the poles and the
antimeridian.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import geohash2

EARTH_RADIUS_M: float = 6_371_008.8
GEOHASH_CHARS: int = 12

_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
_CHAR_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_TOTAL_BITS = GEOHASH_CHARS * 5
_MARGIN_M = 0.01
_DEG = math.pi / 180.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1 = lat1 * _DEG
    p2 = lat2 * _DEG
    s_lat = math.sin((p2 - p1) * 0.5)
    s_lon = math.sin((lon2 - lon1) * _DEG * 0.5)
    h = s_lat * s_lat + math.cos(p1) * math.cos(p2) * s_lon * s_lon
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def encode(lat: float, lon: float) -> str:
    """The 12-character geohash of a point, exactly as geohash2 computes it."""
    geohash: str = geohash2.encode(lat, lon, GEOHASH_CHARS)  # geohash2 is untyped
    return geohash


def circle_area_m2(radius_m: float) -> float:
    """Area of the spherical cap of the given great-circle radius."""
    return 2.0 * math.pi * EARTH_RADIUS_M**2 * (1.0 - math.cos(radius_m / EARTH_RADIUS_M))


def _to_int(geohash: str) -> int:
    value = 0
    for char in geohash:
        value = (value << 5) | _CHAR_VALUE[char]
    return value


def _to_str(value: int, chars: int) -> str:
    out = []
    for shift in range(5 * (chars - 1), -1, -5):
        out.append(_ALPHABET[(value >> shift) & 31])
    return "".join(out)


def _cell_bounds(prefix: int, depth: int) -> tuple[float, float, float, float]:
    """(lat_lo, lat_hi, lon_lo, lon_hi) of the cell with `depth` leading bits."""
    lon_bits = (depth + 1) // 2
    lat_bits = depth // 2
    lon_idx = 0
    lat_idx = 0
    for k in range(depth):
        bit = (prefix >> (depth - 1 - k)) & 1
        if k % 2 == 0:
            lon_idx = (lon_idx << 1) | bit
        else:
            lat_idx = (lat_idx << 1) | bit
    lon_w = 360.0 / (1 << lon_bits)
    lat_h = 180.0 / (1 << lat_bits)
    return (
        -90.0 + lat_idx * lat_h,
        -90.0 + (lat_idx + 1) * lat_h,
        -180.0 + lon_idx * lon_w,
        -180.0 + (lon_idx + 1) * lon_w,
    )


def _interleave(lon_idx: int, lat_idx: int, depth: int) -> int:
    lon_bits = (depth + 1) // 2
    lat_bits = depth // 2
    value = 0
    for k in range(depth):
        if k % 2 == 0:
            lon_bits -= 1
            bit = (lon_idx >> lon_bits) & 1
        else:
            lat_bits -= 1
            bit = (lat_idx >> lat_bits) & 1
        value = (value << 1) | bit
    return value


def _cell_area_m2(prefix: int, depth: int) -> float:
    lat_lo, lat_hi, lon_lo, lon_hi = _cell_bounds(prefix, depth)
    return (
        EARTH_RADIUS_M**2
        * (math.sin(lat_hi * _DEG) - math.sin(lat_lo * _DEG))
        * (lon_hi - lon_lo)
        * _DEG
    )


def _aligned_blocks(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Split the integer range [lo, hi] into maximal aligned cells (prefix, depth)."""
    while lo <= hi:
        size_bits = (lo & -lo).bit_length() - 1 if lo else _TOTAL_BITS
        while size_bits > 0 and lo + (1 << size_bits) - 1 > hi:
            size_bits -= 1
        yield lo >> size_bits, _TOTAL_BITS - size_bits
        lo += 1 << size_bits


class _Circle:
    """A search circle with precomputed constants for exact box distance tests."""

    def __init__(self, lat: float, lon: float, radius_m: float) -> None:
        if not (math.isfinite(lat) and math.isfinite(lon) and math.isfinite(radius_m)):
            raise ValueError("latitude, longitude and radius must be finite")
        if radius_m < 0:
            raise ValueError("radius must be non-negative")
        self.lat = lat
        self.lon = lon
        self.radius_m = radius_m
        r_out = (radius_m + _MARGIN_M) / EARTH_RADIUS_M
        r_in = max(0.0, radius_m - _MARGIN_M) / EARTH_RADIUS_M
        self.dlat_out_deg = r_out / _DEG
        self.lat_min = lat - self.dlat_out_deg
        self.lat_max = lat + self.dlat_out_deg
        if self.lat_min <= -90.0 or self.lat_max >= 90.0:
            raise ValueError("search circle reaches a pole")
        cos_lat = math.cos(lat * _DEG)
        sin_ratio = math.sin(r_out) / cos_lat
        if sin_ratio >= 1.0:
            raise ValueError("search circle reaches a pole")
        self.dlon_out_deg = math.asin(sin_ratio) / _DEG
        self.lon_min = lon - self.dlon_out_deg
        self.lon_max = lon + self.dlon_out_deg
        if self.lon_min <= -180.0 or self.lon_max >= 180.0:
            raise ValueError("search circle crosses the antimeridian")
        self.cos_lat = cos_lat
        self.tan_lat = math.tan(lat * _DEG)
        self.h_out = math.sin(r_out * 0.5) ** 2
        self.h_in = math.sin(r_in * 0.5) ** 2 if radius_m > _MARGIN_M else -1.0

    def leaf_depth(self, start_depth: int, side_fraction: float) -> int:
        """Smallest bit depth whose cells have both sides <= radius * side_fraction (max 60)."""
        target = self.radius_m * side_fraction
        metres_per_deg = EARTH_RADIUS_M * _DEG
        depth = start_depth
        while depth < _TOTAL_BITS:
            lon_w = 360.0 / (1 << ((depth + 1) // 2)) * metres_per_deg * self.cos_lat
            lat_h = 180.0 / (1 << (depth // 2)) * metres_per_deg
            if max(lon_w, lat_h) <= target:
                break
            depth += 1
        return depth


_OUT, _EDGE, _IN = 0, 1, 2

# (prefix, depth_bits, lat_lo, lat_hi, lon_lo, lon_hi)
_Cell = tuple[int, int, float, float, float, float]


def _classify(c: _Circle, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float) -> int:
    """Exact (closed box, 1 cm margin) relation of a lat/lon box to the circle."""
    if lat_lo > c.lat_max or lat_hi < c.lat_min or lon_lo > c.lon_max or lon_hi < c.lon_min:
        return _OUT
    if lon_lo <= c.lon <= lon_hi:
        if _too_far_north_or_south(c, lat_lo, lat_hi):
            return _OUT
    elif _too_far_east_or_west(c, lat_lo, lat_hi, lon_lo, lon_hi):
        return _OUT
    return _IN if _far_corners_inside(c, lat_lo, lat_hi, lon_lo, lon_hi) else _EDGE


def _too_far_north_or_south(c: _Circle, lat_lo: float, lat_hi: float) -> bool:
    """For a box spanning the centre's meridian: is its nearest point (due north or south) beyond the circle?"""
    if c.lat < lat_lo:
        return lat_lo - c.lat > c.dlat_out_deg
    if c.lat > lat_hi:
        return c.lat - lat_hi > c.dlat_out_deg
    return False


def _too_far_east_or_west(c: _Circle, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float) -> bool:
    """For a box beside the centre's meridian: is its nearest point (on its near edge, where the great circle
    through the centre meets that meridian at a right angle, clamped to the box) beyond the circle?"""
    edge = lon_lo if c.lon < lon_lo else lon_hi
    dlon = (edge - c.lon) * _DEG
    foot = math.atan(c.tan_lat / math.cos(dlon)) / _DEG
    if foot < lat_lo:
        foot = lat_lo
    elif foot > lat_hi:
        foot = lat_hi
    s_lat = math.sin((foot - c.lat) * _DEG * 0.5)
    s_lon = math.sin(dlon * 0.5)
    h = s_lat * s_lat + c.cos_lat * math.cos(foot * _DEG) * s_lon * s_lon
    return h > c.h_out


def _far_corners_inside(c: _Circle, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float) -> bool:
    """Are both far corners of the box (so all of it) inside the circle, less the 1 cm margin?"""
    far = lon_hi if c.lon - lon_lo < lon_hi - c.lon else lon_lo
    s_lon = math.sin((far - c.lon) * _DEG * 0.5)
    k = c.cos_lat * s_lon * s_lon
    for corner in (lat_lo, lat_hi):
        s_lat = math.sin((corner - c.lat) * _DEG * 0.5)
        if s_lat * s_lat + math.cos(corner * _DEG) * k > c.h_in:
            return False
    return True


def _partition_cells(c: _Circle, p_chars: int, depth: int) -> list[_Cell]:
    """Sorted partition cells whose closed box meets the circle."""
    lon_bits = (depth + 1) // 2
    lat_bits = depth // 2
    lon_w = 360.0 / (1 << lon_bits)
    lat_h = 180.0 / (1 << lat_bits)
    i_lo = max(0, math.floor((c.lon_min + 180.0) / lon_w) - 1)
    i_hi = min((1 << lon_bits) - 1, math.floor((c.lon_max + 180.0) / lon_w) + 1)
    j_lo = max(0, math.floor((c.lat_min + 90.0) / lat_h) - 1)
    j_hi = min((1 << lat_bits) - 1, math.floor((c.lat_max + 90.0) / lat_h) + 1)
    cells = []
    for i in range(i_lo, i_hi + 1):
        lon_lo = -180.0 + i * lon_w
        lon_hi = -180.0 + (i + 1) * lon_w
        for j in range(j_lo, j_hi + 1):
            lat_lo = -90.0 + j * lat_h
            lat_hi = -90.0 + (j + 1) * lat_h
            if _classify(c, lat_lo, lat_hi, lon_lo, lon_hi) != _OUT:
                cells.append((_interleave(i, j, depth), depth, lat_lo, lat_hi, lon_lo, lon_hi))
    cells.sort()
    return cells


# Cells for the nearest-first scan (domain/nearest.py): a cell is a geohash bit prefix, i.e. one
# contiguous range of 12-character geohash keys, and a lat/lon box. Distances to a box are exact on the
# sphere, widened by the 1 cm margin, so a cell is never thought farther (or nearer) than it is.

TOTAL_BITS: int = _TOTAL_BITS
Box = tuple[float, float, float, float]  # lat_lo, lat_hi, lon_lo, lon_hi


def cell_box(prefix: int, depth: int) -> Box:
    """The closed lat/lon box of the cell with `depth` leading geohash bits `prefix`."""
    return _cell_bounds(prefix, depth)


def cell_keys(prefix: int, depth: int) -> tuple[str, str]:
    """The inclusive range of 12-character geohashes in the cell."""
    shift = _TOTAL_BITS - depth
    return _to_str(prefix << shift, GEOHASH_CHARS), _to_str(((prefix + 1) << shift) - 1, GEOHASH_CHARS)


def key_value(geohash: str) -> int:
    """A 12-character geohash as its 60-bit integer (its position in key order)."""
    return _to_int(geohash[:GEOHASH_CHARS].ljust(GEOHASH_CHARS, "0"))


def aligned_cells(low: int, high: int) -> list[tuple[int, int]]:
    """The fewest aligned cells (prefix, depth) that exactly tile the key range [low, high]."""
    return list(_aligned_blocks(low, high))


def cell_centre(geohash: str, chars: int) -> tuple[float, float]:
    """The centre (lat, lon) of the `chars`-character geohash cell that holds `geohash`."""
    lat_lo, lat_hi, lon_lo, lon_hi = cell_box(_to_int(geohash[:chars]), 5 * chars)
    return (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2


def min_distance_m(lat: float, lon: float, box: Box) -> float:
    """Least great-circle distance from the point to any point of the box, less 1 cm (never too far)."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    if lon_lo <= lon <= lon_hi:
        if lat < lat_lo:
            nearest = (lat_lo, lon)
        elif lat > lat_hi:
            nearest = (lat_hi, lon)
        else:
            return 0.0
    else:
        edge = lon_lo if lon < lon_lo else lon_hi
        dlon = (edge - lon) * _DEG
        cos_dlon = math.cos(dlon)
        foot = (lat_lo if lat < 0 else lat_hi) if cos_dlon <= 0.0 else math.atan(math.tan(lat * _DEG) / cos_dlon) / _DEG
        nearest = (min(max(foot, lat_lo), lat_hi), edge)
    return max(0.0, haversine_m(lat, lon, *nearest) - _MARGIN_M)


def max_distance_m(lat: float, lon: float, box: Box) -> float:
    """Greatest great-circle distance from the point to any point of the box (a corner), plus 1 cm."""
    lat_lo, lat_hi, lon_lo, lon_hi = box
    far_lon = lon_hi if lon - lon_lo < lon_hi - lon else lon_lo
    return max(haversine_m(lat, lon, lat_lo, far_lon), haversine_m(lat, lon, lat_hi, far_lon)) + _MARGIN_M


def partition_cells(lat: float, lon: float, radius_m: float, partition_chars: int) -> list[tuple[int, int]]:
    """The cells (prefix, depth) of `partition_chars`-character geohash partitions that meet the circle.

    Raises ValueError if the circle's bounding box reaches a pole or the antimeridian.
    """
    circle = _Circle(lat, lon, radius_m)
    return [(cell[0], cell[1]) for cell in _partition_cells(circle, partition_chars, 5 * partition_chars)]
