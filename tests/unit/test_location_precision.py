"""Where a listing is shown: an exact one at its point, an approximate one at its geohash-7 cell's centre."""
from __future__ import annotations

import geohash2
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import geo
from chalicelib.domain.listings import APPROXIMATE, EXACT, new_listing, shown_point, with_changes

# Shanghai and around (the precondition of the cell maths: away from the poles and the antimeridian).
lats = st.floats(min_value=30.5, max_value=31.9, allow_nan=False)
lons = st.floats(min_value=120.8, max_value=122.0, allow_nan=False)
HALF_DIAGONAL_M = 110  # a geohash-7 cell is at most ~153 x 153 m


def listing_at(lat: float, lon: float, precision: str):
    return new_listing("bob", "Piano", "", "education", 5000, "CNY", lat, lon, privileged=False, now="t",
                       location_precision=precision)


@given(lats, lons)
def test_an_approximate_point_is_shown_at_its_cells_centre(lat, lon):
    shown = shown_point(lat, lon, APPROXIMATE)
    centre_lat, centre_lon, _, _ = geohash2.decode_exactly(geohash2.encode(round(lat, 7), round(lon, 7), 7))
    assert shown == (round(centre_lat, 7), round(centre_lon, 7))
    assert geo.encode(*shown)[:7] == geo.encode(round(lat, 7), round(lon, 7))[:7]  # still in its own cell
    assert geo.haversine_m(lat, lon, *shown) < HALF_DIAGONAL_M


@given(lats, lons, lats, lons)
def test_two_points_of_one_cell_are_shown_alike_and_points_of_two_cells_apart(lat1, lon1, lat2, lon2):
    same_cell = geo.encode(round(lat1, 7), round(lon1, 7))[:7] == geo.encode(round(lat2, 7), round(lon2, 7))[:7]
    assert (shown_point(lat1, lon1, APPROXIMATE) == shown_point(lat2, lon2, APPROXIMATE)) == same_cell


@given(lats, lons)
def test_an_exact_point_is_shown_where_it_is(lat, lon):
    assert shown_point(lat, lon, EXACT) == (round(lat, 7), round(lon, 7))


@given(lats, lons)
def test_an_approximate_listing_keeps_its_precise_point_apart_and_is_indexed_at_the_centre(lat, lon):
    listing = listing_at(lat, lon, APPROXIMATE)
    assert listing.precise_point == (round(lat, 7), round(lon, 7))
    assert (listing.lat, listing.lon) == shown_point(lat, lon, APPROXIMATE)
    assert listing.geohash == geo.encode(listing.lat, listing.lon)


@given(lats, lons, lats)
def test_a_move_of_one_coordinate_keeps_the_other_precise_one(lat, lon, new_lat):
    moved = with_changes(listing_at(lat, lon, APPROXIMATE), {"lat": new_lat}, "later")
    assert moved.precise_point == (round(new_lat, 7), round(lon, 7))
    assert (moved.lat, moved.lon) == shown_point(new_lat, lon, APPROXIMATE)


@given(lats, lons)
def test_switching_precision_back_and_forth_loses_nothing(lat, lon):
    exact = listing_at(lat, lon, EXACT)
    hidden = with_changes(exact, {"location_precision": APPROXIMATE}, "later")
    back = with_changes(hidden, {"location_precision": EXACT}, "later")
    assert (back.lat, back.lon, back.geohash, back.precise_lat) == (exact.lat, exact.lon, exact.geohash, None)
