"""The cover holds a circle that only just crosses a cell boundary line: the cell beyond the line is in the cover.

The centre is put a little short of a boundary line (a parallel or a meridian at the cover's precision) and the
point just inside the circle straight across that line (a random point of the circle almost never lands there)."""
from __future__ import annotations

import math

import geohash2
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.alerts import cover, matches, new_area
from tests.unit.test_alert_areas import EARTH_RADIUS_M, destination, radii

M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


@settings(max_examples=300, deadline=None, database=None)
@given(lat=st.floats(30.6, 32.0), lon=st.floats(120.7, 122.3), radius_m=radii, across=st.sampled_from("NSEW"),
       short_m=st.floats(0.02, 3.0))
def test_a_circle_just_crossing_a_cell_line_covers_the_cell_beyond(lat, lon, radius_m, across, short_m):
    chars = len(cover(new_area("p", lat, lon, radius_m, ["repair"], "t"))[0])
    bits = 5 * chars
    lat_step, lon_step = 180 / (1 << (bits // 2)), 360 / (1 << ((bits + 1) // 2))
    reach = max(0.0, radius_m - short_m)  # the centre's distance to the line: the circle crosses it by short_m
    if across in "NS":
        line = -90 + round((lat + 90) / lat_step) * lat_step
        lat = line - reach / M_PER_DEG if across == "N" else line + reach / M_PER_DEG
    else:
        line = -180 + round((lon + 180) / lon_step) * lon_step
        dlon = reach / (M_PER_DEG * math.cos(math.radians(lat)))
        lon = line - dlon if across == "E" else line + dlon
    area = new_area("p", lat, lon, radius_m, ["repair"], "t")
    cells = cover(area)
    bearing = {"N": 0, "E": 90, "S": 180, "W": 270}[across]
    plat, plon = destination(area.lat, area.lon, bearing, max(0.0, radius_m - 0.01))
    plat, plon = round(plat, 7), round(plon, 7)
    if matches(area, plat, plon, "repair") and len(cells[0]) == chars:
        assert geohash2.encode(plat, plon, chars) in cells
