"""Alert areas: the geohash cover holds every point of the circle, writes a bounded number of cells, and the
match is the exact circle and the categories."""
from __future__ import annotations

import math

import geohash2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.alerts import (
    MAX_CELLS,
    MAX_RADIUS_M,
    PRECISIONS,
    AlertArea,
    cover,
    lookup_cells,
    matches,
    new_area,
)
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.errors import InvalidInput

EARTH_RADIUS_M = 6_371_008.8
CHECKS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
radii = st.floats(0.0, math.log10(MAX_RADIUS_M)).map(lambda e: max(1, min(MAX_RADIUS_M, round(10.0**e))))


def destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point reached from (lat, lon) along a great circle: an independent spherical formula."""
    p1, l1, d, b = math.radians(lat), math.radians(lon), distance_m / EARTH_RADIUS_M, math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


def area(lat: float, lon: float, radius_m: int, categories: tuple[str, ...] = ("repair",)) -> AlertArea:
    return new_area("provider", lat, lon, radius_m, list(categories), "2026-01-01T00:00:00Z")


@CHECKS
@given(lat=st.floats(30.6, 32.0), lon=st.floats(120.7, 122.3), radius_m=radii, bearing=st.floats(0, 360),
       fraction=st.floats(0, 1))
def test_every_point_of_the_circle_lies_in_a_cell_of_its_cover(lat, lon, radius_m, bearing, fraction):
    alert = area(lat, lon, radius_m)
    point = destination(alert.lat, alert.lon, bearing, radius_m * fraction)
    cells = cover(alert)
    assert geohash2.encode(*point, len(cells[0])) in cells


@CHECKS
@given(lat=st.floats(-70.0, 70.0), lon=st.floats(-179.0, 179.0), radius_m=radii)
def test_a_cover_has_at_most_32_cells_of_one_precision_anywhere_below_70_degrees(lat, lon, radius_m):
    cells = cover(area(lat, lon, radius_m))
    assert 1 <= len(cells) <= MAX_CELLS
    assert len({len(cell) for cell in cells}) == 1
    assert len(cells[0]) in PRECISIONS


@pytest.mark.parametrize(("radius_m", "chars"), [(50, 7), (1000, 6), (5000, 5), (20_000, 4)])
def test_a_small_circle_uses_fine_cells_and_a_large_one_coarse_cells(radius_m, chars):
    assert len(cover(area(31.2304, 121.4737, radius_m))[0]) == chars


def test_a_point_is_looked_up_under_its_prefix_at_each_precision():
    geohash = geohash2.encode(31.2304, 121.4737, 12)
    assert lookup_cells(31.2304, 121.4737) == tuple(geohash[:chars] for chars in PRECISIONS)


def test_a_point_matches_within_the_radius_and_a_category_of_the_area():
    alert = area(31.2304, 121.4737, 1000, ("repair", "tech"))
    inside = destination(alert.lat, alert.lon, 45, 999.9)
    outside = destination(alert.lat, alert.lon, 45, 1000.1)
    assert matches(alert, *inside, "tech")
    assert not matches(alert, *outside, "tech")
    assert not matches(alert, *inside, "beauty")


def test_categories_are_kept_once_each_in_the_order_given():
    assert area(31.2, 121.4, 500, ("tech", "repair", "tech")).categories == ("tech", "repair")


@pytest.mark.parametrize(("radius_m", "categories", "field"), [
    (0, ["repair"], "radius_m"),
    (MAX_RADIUS_M + 1, ["repair"], "radius_m"),
    (500, [], "categories"),
    (500, ["repair", "plumbing"], "categories"),
])
def test_a_bad_area_is_refused_naming_the_field(radius_m, categories, field):
    with pytest.raises(InvalidInput, match=f"^{field}:"):
        new_area("provider", 31.2, 121.4, radius_m, categories, "2026-01-01T00:00:00Z")


def test_every_category_may_be_asked_for():
    assert area(31.2, 121.4, 500, tuple(CATEGORIES)).categories == tuple(CATEGORIES)
