"""Regions: the cities the marketplace serves, and the point-in-region check.

Everywhere opens city by city. The cities themselves are configuration, in
`chalicelib/regions.json`: each region has an id, a display name, its currency,
whether it is open by default, and its administrative boundary as one polygon
or several (Shanghai is its mainland plus the Chongming, Changxing and Hengsha
islands). Coordinates are [lon, lat] pairs in WGS-84 (the datum GPS and browser
geolocation report); they were converted from GCJ-02 source data and simplified
to a few dozen vertices, so boundaries are right to within about 1-2 km (the
per-region `note` gives the bound).

Operators open a city by configuration, not code: the `OPEN_REGIONS` environment
variable (a comma-separated list of region ids, read by the settings module) is
passed here as `open_ids`. Left unset, each region's `open_by_default` applies;
set, exactly the listed regions are open.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.domain.errors import RegionNotOpen

REGIONS_FILE: Path = Path(__file__).resolve().parent.parent / "regions.json"

_Ring = tuple[tuple[float, float], ...]
_BBox = tuple[float, float, float, float]
_EPS = 1e-9  # degrees (~0.1 mm): how close to an edge counts as on the boundary


@dataclass(frozen=True)
class Region:
    """A city the marketplace can serve; `bbox` is (min_lon, min_lat, max_lon, max_lat)."""

    id: str
    name: str
    currency: str
    open: bool
    bbox: _BBox
    _polygons: tuple[_Ring, ...] = field(repr=False, compare=False)

    @property
    def polygons(self) -> tuple[_Ring, ...]:
        """The boundary's rings of (lon, lat), as regions.json gives them."""
        return self._polygons

    def contains(self, lat: float, lon: float) -> bool:
        """True if the point is inside one of the region's polygons or on its boundary."""
        min_lon, min_lat, max_lon, max_lat = self.bbox
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return any(_ring_contains(ring, lon, lat) for ring in self._polygons)


@dataclass(frozen=True)
class _Spec:
    id: str
    name: str
    currency: str
    open_by_default: bool
    polygons: tuple[_Ring, ...]
    bbox: _BBox


def _on_segment(x: float, y: float, x1: float, y1: float, x2: float, y2: float) -> bool:
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > _EPS * math.hypot(x2 - x1, y2 - y1):
        return False
    return (
        min(x1, x2) - _EPS <= x <= max(x1, x2) + _EPS
        and min(y1, y2) - _EPS <= y <= max(y1, y2) + _EPS
    )


def _ring_contains(ring: _Ring, x: float, y: float) -> bool:
    """Even-odd ray casting (ray towards +x); points on an edge or vertex count as inside."""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if _on_segment(x, y, x1, y1, x2, y2):
            return True
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def _parse_ring(raw: object, region_id: str) -> _Ring:
    if not isinstance(raw, list):
        raise ValueError(f"region {region_id!r}: a polygon must be a list of [lon, lat] pairs")
    ring: list[tuple[float, float]] = []
    for point in raw:
        if not (isinstance(point, list) and len(point) == 2):
            raise ValueError(f"region {region_id!r}: bad vertex {point!r}, expected [lon, lat]")
        lon, lat = float(point[0]), float(point[1])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"region {region_id!r}: vertex {point!r} is not a valid [lon, lat]")
        ring.append((lon, lat))
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    if len(ring) < 3:
        raise ValueError(f"region {region_id!r}: a polygon needs at least 3 distinct vertices")
    return tuple(ring)


def _parse_region(raw: dict[str, Any]) -> _Spec:
    region_id = raw["id"]
    if not isinstance(raw["open_by_default"], bool):
        raise ValueError(f"region {region_id!r}: open_by_default must be true or false")
    if ("polygon" in raw) == ("polygons" in raw):
        raise ValueError(f"region {region_id!r}: give exactly one of 'polygon' or 'polygons'")
    raw_rings = [raw["polygon"]] if "polygon" in raw else raw["polygons"]
    polygons = tuple(_parse_ring(ring, region_id) for ring in raw_rings)
    if not polygons:
        raise ValueError(f"region {region_id!r}: no polygons")
    lons = [lon for ring in polygons for lon, _ in ring]
    lats = [lat for ring in polygons for _, lat in ring]
    return _Spec(
        id=region_id,
        name=raw["name"],
        currency=raw["currency"],
        open_by_default=raw["open_by_default"],
        polygons=polygons,
        bbox=(min(lons), min(lats), max(lons), max(lats)),
    )


@lru_cache(maxsize=1)
def _read_regions_file() -> tuple[_Spec, ...]:
    """The parsed regions.json, read once per process."""
    raw = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    try:
        specs = tuple(_parse_region(entry) for entry in raw)
    except KeyError as exc:
        raise ValueError(f"{REGIONS_FILE.name}: a region lacks the key {exc.args[0]!r}") from exc
    ids = [spec.id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{REGIONS_FILE.name}: duplicate region ids in {ids}")
    return specs


def load_regions(open_ids: frozenset[str] | None = None) -> tuple[Region, ...]:
    """Every configured region; open per `open_ids`, or per `open_by_default` when it is None."""
    specs = _read_regions_file()
    if open_ids is not None:
        known = {spec.id for spec in specs}
        unknown = open_ids - known
        if unknown:
            raise ValueError(
                f"unknown region ids: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
            )
    return tuple(
        Region(
            id=spec.id,
            name=spec.name,
            currency=spec.currency,
            open=spec.open_by_default if open_ids is None else spec.id in open_ids,
            bbox=spec.bbox,
            _polygons=spec.polygons,
        )
        for spec in specs
    )


def open_region_at(regions: tuple[Region, ...], lat: float, lon: float) -> Region | None:
    """The first open region containing the point, or None."""
    for region in regions:
        if region.open and region.contains(lat, lon):
            return region
    return None


def open_region_for(lat: float, lon: float, open_ids: frozenset[str] | None) -> Region:
    """The open region containing the point (regions open per `open_ids`, as in load_regions), or RegionNotOpen."""
    region = open_region_at(load_regions(open_ids), lat, lon)
    if region is None:
        raise RegionNotOpen(f"({lat}, {lon}) is outside every open region")
    return region


def wallet_currency(regions: tuple[Region, ...]) -> str:
    """The currency wallets are kept in: the open regions' one. A user has one wallet, so the open regions must
    share a currency (opening a city in another currency needs a wallet per currency first)."""
    currencies = sorted({region.currency for region in regions if region.open})
    if len(currencies) != 1:
        have = ", ".join(currencies) or "none"
        raise ValueError(f"the open regions must share one currency (a wallet holds one); they have {have}")
    return currencies[0]
