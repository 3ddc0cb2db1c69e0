"""Geohash circle cover: exactness against brute force, Query budget, tightness."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import geohash2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.cover import PARTITION_CHOICES, Cover, KeyRange, plan_cover
from chalicelib.domain.geo import EARTH_RADIUS_M, GEOHASH_CHARS, circle_area_m2, encode, haversine_m

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

shanghai_lat = st.floats(30.6, 32.0)
shanghai_lon = st.floats(120.7, 122.3)
radius_1m_to_20km = st.floats(0.0, math.log10(20_000.0)).map(lambda e: 10.0**e)


@st.composite
def centres(draw: st.DrawFn) -> tuple[float, float]:
    """Mostly Shanghai, sometimes 0..60 N elsewhere; sometimes snapped to a cell edge."""
    if draw(st.booleans()):
        lat, lon = draw(shanghai_lat), draw(shanghai_lon)
    else:
        lat, lon = draw(st.floats(0.0, 60.0)), draw(st.floats(-170.0, 170.0))
    if draw(st.integers(0, 3)) == 0:
        cell_lat, cell_lon, half_lat, half_lon = geohash2.decode_exactly(
            geohash2.encode(lat, lon, draw(st.integers(3, 12)))  # precision 2 cells reach the antimeridian
        )
        lat = cell_lat + draw(st.sampled_from((-1, 0, 1))) * half_lat
        lon = cell_lon + draw(st.sampled_from((-1, 0, 1))) * half_lon
    return lat, lon


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """Point reached from (lat, lon) along a great circle (bearing in radians)."""
    p1, l1, d = math.radians(lat), math.radians(lon), distance_m / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


def cell_box(lat: float, lon: float, chars: int) -> tuple[float, float, float, float]:
    """(lat_lo, lat_hi, lon_lo, lon_hi) of the geohash2 cell of a point."""
    c_lat, c_lon, h_lat, h_lon = geohash2.decode_exactly(geohash2.encode(lat, lon, chars))
    return c_lat - h_lat, c_lat + h_lat, c_lon - h_lon, c_lon + h_lon


def assert_covers_points_within_radius(
    cover: Cover, lat: float, lon: float, radius_m: float, points: list[tuple[float, float]]
) -> int:
    checked = 0
    for p_lat, p_lon in points:
        if haversine_m(lat, lon, p_lat, p_lon) <= radius_m:
            checked += 1
            geohash = encode(p_lat, p_lon)
            assert cover.contains(geohash), (lat, lon, radius_m, p_lat, p_lon, geohash)
    return checked


def circle_crossings_of_cell_edges(
    lat: float, lon: float, radius_m: float, box: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    """Points on the circle lying on the lines through the edges of a cell box."""
    points = []
    r = radius_m / EARTH_RADIUS_M
    p0 = math.radians(lat)
    lat_lo, lat_hi, lon_lo, lon_hi = box
    for edge_lat in (lat_lo, lat_hi):
        p = math.radians(edge_lat)
        cos_dlon = (math.cos(r) - math.sin(p) * math.sin(p0)) / (math.cos(p) * math.cos(p0))
        if -1.0 <= cos_dlon <= 1.0:
            dlon = math.degrees(math.acos(cos_dlon))
            points += [(edge_lat, lon - dlon), (edge_lat, lon + dlon)]
    for edge_lon in (lon_lo, lon_hi):
        a = math.sin(p0)
        b = math.cos(p0) * math.cos(math.radians(edge_lon - lon))
        ratio = math.cos(r) / math.hypot(a, b)
        if -1.0 <= ratio <= 1.0:
            base, spread = math.atan2(a, b), math.acos(ratio)
            for crossing in (base - spread, base + spread):
                points.append((math.degrees(crossing), edge_lon))
    return points


def nudged(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each point plus its neighbours one float step away in every direction."""
    out = []
    for p_lat, p_lon in points:
        for n_lat in (math.nextafter(p_lat, -90.0), p_lat, math.nextafter(p_lat, 90.0)):
            for n_lon in (math.nextafter(p_lon, -180.0), p_lon, math.nextafter(p_lon, 180.0)):
                out.append((n_lat, n_lon))
    return out


@FAST
@given(centres(), radius_1m_to_20km, st.randoms(use_true_random=False))
def test_every_point_within_the_radius_is_covered(
    centre: tuple[float, float], radius_m: float, rnd: random.Random
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m)
    points = []
    for _ in range(150):
        fraction = rnd.choice(
            (math.sqrt(rnd.random()), 1.0, 1 - 1e-12, 1 - 1e-9, 1 - 1e-6, 1 + 1e-9, 1 + 1e-6)
        )
        points.append(destination(lat, lon, rnd.uniform(0, 2 * math.pi), radius_m * fraction))
    points.append((lat, lon))
    assert assert_covers_points_within_radius(cover, lat, lon, radius_m, points) > 0


@FAST
@given(centres(), radius_1m_to_20km, st.randoms(use_true_random=False))
def test_a_point_on_a_cell_edge_or_corner_inside_the_radius_is_covered(
    centre: tuple[float, float], radius_m: float, rnd: random.Random
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m)
    points = []
    for _ in range(30):
        near_lat, near_lon = destination(
            lat, lon, rnd.uniform(0, 2 * math.pi), radius_m * rnd.uniform(0.8, 1.0)
        )
        chars = rnd.randint(1, GEOHASH_CHARS)
        lat_lo, lat_hi, lon_lo, lon_hi = cell_box(near_lat, near_lon, chars)
        points += [(a, b) for a in (lat_lo, lat_hi) for b in (lon_lo, lon_hi)]
        points += [(lat_lo, near_lon), (lat_hi, near_lon), (near_lat, lon_lo), (near_lat, lon_hi)]
    assert_covers_points_within_radius(cover, lat, lon, radius_m, points)


@FAST
@given(centres(), radius_1m_to_20km, st.randoms(use_true_random=False))
def test_where_a_cell_edge_crosses_the_circle_the_crossing_point_is_covered(
    centre: tuple[float, float], radius_m: float, rnd: random.Random
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m)
    points = []
    for _ in range(10):
        near_lat, near_lon = destination(lat, lon, rnd.uniform(0, 2 * math.pi), radius_m)
        box = cell_box(near_lat, near_lon, rnd.randint(3, GEOHASH_CHARS))
        points += nudged(circle_crossings_of_cell_edges(lat, lon, radius_m, box))
    assert_covers_points_within_radius(cover, lat, lon, radius_m, points)


@FAST
@given(centres(), radius_1m_to_20km)
def test_corners_of_the_cells_at_and_beside_each_range_end_are_covered_when_inside(
    centre: tuple[float, float], radius_m: float
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m)
    points = []
    for key_range in cover.ranges:
        for geohash in (key_range.low, key_range.high):
            c_lat, c_lon, h_lat, h_lon = geohash2.decode_exactly(geohash)
            for k_lat in (-3, -1, 1, 3):
                for k_lon in (-3, -1, 1, 3):
                    points.append((c_lat + k_lat * h_lat, c_lon + k_lon * h_lon))
    assert_covers_points_within_radius(cover, lat, lon, radius_m, points)


@FAST
@given(shanghai_lat, shanghai_lon, radius_1m_to_20km)
def test_a_shanghai_search_needs_at_most_twelve_queries(
    lat: float, lon: float, radius_m: float
) -> None:
    cover = plan_cover(lat, lon, radius_m)
    assert 1 <= len(cover.ranges) <= 12


@FAST
@given(centres(), st.floats(0.0, math.log10(200.0)).map(lambda e: 10.0**e), st.integers(4, 30))
def test_a_smaller_or_larger_budget_is_respected(
    centre: tuple[float, float], radius_m: float, max_ranges: int
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m, max_ranges=max_ranges)
    assert len(cover.ranges) <= max_ranges
    points = [destination(lat, lon, math.radians(b), radius_m * 0.999) for b in range(0, 360, 5)]
    assert_covers_points_within_radius(cover, lat, lon, radius_m, points)


@FAST
@given(centres(), radius_1m_to_20km)
def test_ranges_are_sorted_disjoint_and_never_cross_a_partition(
    centre: tuple[float, float], radius_m: float
) -> None:
    lat, lon = centre
    cover = plan_cover(lat, lon, radius_m)
    assert cover.partition_chars in PARTITION_CHOICES
    p = cover.partition_chars
    for key_range in cover.ranges:
        assert len(key_range.low) == len(key_range.high) == GEOHASH_CHARS
        assert len(key_range.partition) == p
        assert key_range.low[:p] == key_range.high[:p] == key_range.partition
        assert key_range.low <= key_range.high
    for before, after in itertools.pairwise(cover.ranges):
        assert before.high < after.low


def test_cover_area_is_close_to_the_circle_area_in_shanghai() -> None:
    rnd = random.Random(20240601)
    ratios = []
    for _ in range(80):
        lat, lon = rnd.uniform(30.7, 31.9), rnd.uniform(120.8, 122.2)
        radius_m = 10 ** rnd.uniform(math.log10(500.0), math.log10(10_000.0))
        ratio = plan_cover(lat, lon, radius_m).area_m2() / circle_area_m2(radius_m)
        assert 1.0 <= ratio <= 1.5, (lat, lon, radius_m, ratio)
        ratios.append(ratio)
    assert statistics.median(ratios) <= 1.3


def test_a_one_metre_circle_is_covered_at_full_geohash_precision() -> None:
    lat, lon = 31.2304, 121.4737
    cover = plan_cover(lat, lon, 1.0)
    assert 1 <= len(cover.ranges) <= 12
    assert cover.area_m2() < 3 * circle_area_m2(1.0)
    points = [destination(lat, lon, math.radians(b), 0.999999) for b in range(360)]
    assert assert_covers_points_within_radius(cover, lat, lon, 1.0, points) == 360


def test_small_circles_use_five_character_partitions_and_large_ones_four() -> None:
    assert plan_cover(31.2304, 121.4737, 300.0).partition_chars == 5
    assert plan_cover(31.2304, 121.4737, 3_000.0).partition_chars == 5
    # 5 km meets 9 five-character partitions here: within 12, but over half the budget.
    assert plan_cover(31.2304, 121.4737, 5_000.0).partition_chars == 4
    assert plan_cover(31.2304, 121.4737, 10_000.0).partition_chars == 4
    assert plan_cover(31.2304, 121.4737, 20_000.0).partition_chars == 4


@settings(max_examples=200, deadline=None, database=None)
@given(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9))
def test_encode_agrees_with_geohash2(lat: float, lon: float) -> None:
    assert encode(lat, lon) == geohash2.encode(lat, lon, 12)


@pytest.mark.parametrize(
    ("lat", "lon", "radius_m"),
    [
        (10.0, 179.99, 5_000.0),
        (-10.0, -179.99, 5_000.0),
        (0.0, 180.0, 1.0),
        (89.99, 0.0, 5_000.0),
        (-89.99, 0.0, 5_000.0),
        (90.0, 0.0, 1.0),
    ],
)
def test_circles_reaching_the_antimeridian_or_a_pole_are_rejected(
    lat: float, lon: float, radius_m: float
) -> None:
    with pytest.raises(ValueError):
        plan_cover(lat, lon, radius_m)


@pytest.mark.parametrize(
    ("lat", "lon", "radius_m", "max_ranges"),
    [
        (31.2, 121.5, -1.0, 12),
        (31.2, 121.5, math.nan, 12),
        (math.inf, 121.5, 10.0, 12),
        (31.2, 121.5, 10.0, 0),
        (31.2, 121.5, 500_000.0, 12),
    ],
)
def test_invalid_or_oversized_searches_are_rejected(
    lat: float, lon: float, radius_m: float, max_ranges: int
) -> None:
    with pytest.raises(ValueError):
        plan_cover(lat, lon, radius_m, max_ranges=max_ranges)


def test_a_key_range_matches_only_geohashes_between_its_ends_in_its_partition() -> None:
    key_range = KeyRange("wtw3s", "wtw3s0000000", "wtw3sgzzzzzz")
    assert key_range.contains("wtw3s0000000")
    assert key_range.contains("wtw3sgzzzzzz")
    assert key_range.contains("wtw3s5555555#listing-1")
    assert not key_range.contains("wtw3sh000000")
    assert not key_range.contains("wtw3e5555555")
    cover = Cover(5, (key_range,))
    assert cover.contains("wtw3sb000000")
    assert not cover.contains("wtw3sk000000")


def test_the_area_of_a_whole_partition_range_is_the_cell_area() -> None:
    lat_lo, lat_hi, lon_lo, lon_hi = cell_box(31.2304, 121.4737, 5)
    partition = geohash2.encode(31.2304, 121.4737, 5)
    cover = Cover(5, (KeyRange(partition, partition + "0000000", partition + "zzzzzzz"),))
    expected = (
        EARTH_RADIUS_M**2
        * (math.sin(math.radians(lat_hi)) - math.sin(math.radians(lat_lo)))
        * math.radians(lon_hi - lon_lo)
    )
    assert cover.area_m2() == pytest.approx(expected, rel=1e-9)


def test_circle_area_matches_the_planar_area_for_small_radii() -> None:
    assert circle_area_m2(1_000.0) == pytest.approx(math.pi * 1_000.0**2, rel=1e-6)


def test_haversine_measures_a_degree_of_latitude() -> None:
    assert haversine_m(31.0, 121.0, 32.0, 121.0) == pytest.approx(
        EARTH_RADIUS_M * math.pi / 180.0, rel=1e-12
    )
    assert haversine_m(31.2, 121.5, 31.2, 121.5) == 0.0
