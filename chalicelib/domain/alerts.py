"""A provider's alert area: the circle and categories of the new tasks they want to hear of (task.nearby).

A new task must find the areas over its point by key, never by scanning providers, so an area is indexed by
the geohash cells that cover it: every cell whose closed box meets the circle (geo.partition_cells' exact
spherical test, widened by 1 cm), so no point of the circle lies outside its cover. One area uses one
precision, the finest of PRECISIONS whose cover has at most MAX_CELLS cells (cells only multiply going finer):
a 100 m circle uses ~150 m cells (7 characters), a 20 km one ~39 x 20 km cells (4 characters), and at any
latitude up to ~80 degrees even the coarsest cover of a 20 km circle has at most 32 cells. A task's point then
reads one key per precision, its geohash prefixes at those lengths (lookup_cells), and keeps the areas whose
exact circle holds it and whose categories include its category (matches).
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import geo
from chalicelib.domain.categories import is_category
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.listings import pin

MIN_RADIUS_M = 1
MAX_RADIUS_M = 20_000
PRECISIONS: tuple[int, ...] = (4, 5, 6, 7)  # geohash lengths an area's cover may use, coarse to fine
MAX_CELLS = 32  # cells one area's cover holds at most: what a PUT writes (and deletes), at most


@dataclass(frozen=True)
class AlertArea:
    user_id: str
    lat: float
    lon: float
    radius_m: int
    categories: tuple[str, ...]
    updated_at: str


def new_area(user_id: str, lat: float, lon: float, radius_m: int, categories: list[str] | tuple[str, ...],
             now: str) -> AlertArea:
    """A checked area: a radius in 1..20000 m, known categories (at least one, each once, in the order given)."""
    if not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise InvalidInput(f"radius_m: between {MIN_RADIUS_M} and {MAX_RADIUS_M} metres")
    if not categories:
        raise InvalidInput("categories: name at least one category (GET /categories)")
    unknown = [category for category in categories if not is_category(category)]
    if unknown:
        raise InvalidInput(f"categories: unknown category {unknown[0]!r}; see GET /categories")
    return AlertArea(user_id, pin(lat), pin(lon), radius_m, tuple(dict.fromkeys(categories)), now)


def cover(area: AlertArea) -> tuple[str, ...]:
    """The geohash cells (sorted) that together hold every point within the area's radius of its centre:
    the finest precision of PRECISIONS with at most MAX_CELLS of them."""
    chosen: list[tuple[int, int]] | None = None
    for chars in PRECISIONS:
        try:
            cells = geo.partition_cells(area.lat, area.lon, area.radius_m, chars)
        except ValueError as exc:
            raise InvalidInput(f"lat: an alert area cannot be indexed there ({exc})") from None
        if len(cells) > MAX_CELLS:
            break
        chosen = cells
    if chosen is None:
        raise InvalidInput("lat: an alert area this close to a pole cannot be indexed")
    return tuple(sorted(_geohash(prefix, depth) for prefix, depth in chosen))


def lookup_cells(lat: float, lon: float) -> tuple[str, ...]:
    """The cells whose entries may hold an area over the point: its geohash prefix at each precision."""
    geohash = geo.encode(lat, lon)
    return tuple(geohash[:chars] for chars in PRECISIONS)


def distance_m(area: AlertArea, lat: float, lon: float) -> float:
    """Great-circle distance from the area's centre to the point."""
    return geo.haversine_m(area.lat, area.lon, lat, lon)


def matches(area: AlertArea, lat: float, lon: float, category: str) -> bool:
    """The point lies within the area's circle (exact great-circle distance) and the category is one of its."""
    return category in area.categories and distance_m(area, lat, lon) <= area.radius_m


def _geohash(prefix: int, depth: int) -> str:
    first_key, _ = geo.cell_keys(prefix, depth)
    return first_key[: depth // 5]
