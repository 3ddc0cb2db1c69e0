"""Regions: boundary checks against real places, opening by configuration, config loading."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain import regions
from chalicelib.domain.regions import Region, load_regions, open_region_at

ALL_IDS = frozenset({"shanghai", "beijing", "hangzhou", "shenzhen", "guangzhou"})

IN_SHANGHAI = {
    "people's square": (31.2304, 121.4737),
    "lujiazui": (31.2397, 121.4998),
    "hongqiao airport": (31.1979, 121.3363),
    "pudong airport": (31.1443, 121.8083),
    "songjiang": (31.0322, 121.2277),
    "jinshan": (30.7417, 121.3416),
    "qingpu": (31.1508, 121.1240),
    "zhujiajiao": (31.1070, 121.0520),
    "jiading": (31.3747, 121.2655),
    "baoshan": (31.4046, 121.4891),
    "lingang": (30.8983, 121.9290),
    "chongming": (31.6228, 121.3970),
    "changxing island": (31.3833, 121.6833),
    "hengsha island": (31.3380, 121.8440),
}

OUTSIDE_SHANGHAI = {
    "kunshan": (31.385, 120.981),
    "suzhou": (31.299, 120.585),
    "taicang": (31.457, 121.130),
    "jiaxing": (30.746, 120.755),
    "pinghu": (30.676, 121.015),
    "sea east of pudong": (31.2, 122.2),
    "nantong": (32.0, 120.89),
}

TIANANMEN = (39.9087, 116.3975)
WEST_LAKE = (30.2431, 120.1509)


def _by_id(loaded: tuple[Region, ...]) -> dict[str, Region]:
    return {region.id: region for region in loaded}


def _config() -> list[dict]:
    return json.loads(regions.REGIONS_FILE.read_text(encoding="utf-8"))


def _rings(entry: dict) -> list[list[list[float]]]:
    return [entry["polygon"]] if "polygon" in entry else entry["polygons"]


def _square(open_: bool = True) -> Region:
    ring = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    return Region("square", "Square", "CNY", open_, (0.0, 0.0, 1.0, 1.0), (ring,))


@pytest.fixture
def fresh_file_cache():
    regions._read_regions_file.cache_clear()
    yield
    regions._read_regions_file.cache_clear()


@pytest.mark.parametrize("lat, lon", IN_SHANGHAI.values(), ids=IN_SHANGHAI.keys())
def test_places_in_shanghai_are_in_the_open_shanghai_region(lat: float, lon: float) -> None:
    region = open_region_at(load_regions(), lat, lon)
    assert region is not None and region.id == "shanghai"
    assert region.currency == "CNY"


@pytest.mark.parametrize("lat, lon", OUTSIDE_SHANGHAI.values(), ids=OUTSIDE_SHANGHAI.keys())
def test_neighbouring_places_and_the_sea_are_outside_shanghai(lat: float, lon: float) -> None:
    assert not _by_id(load_regions())["shanghai"].contains(lat, lon)
    assert open_region_at(load_regions(ALL_IDS), lat, lon) is None


def test_only_shanghai_is_open_by_default() -> None:
    assert {region.id for region in load_regions() if region.open} == {"shanghai"}


def test_tiananmen_is_in_beijing_but_beijing_is_closed_by_default() -> None:
    assert _by_id(load_regions())["beijing"].contains(*TIANANMEN)
    assert open_region_at(load_regions(), *TIANANMEN) is None


def test_opening_beijing_by_configuration_serves_tiananmen() -> None:
    region = open_region_at(load_regions(frozenset({"shanghai", "beijing"})), *TIANANMEN)
    assert region is not None and region.id == "beijing"


def test_west_lake_is_in_hangzhou() -> None:
    assert _by_id(load_regions())["hangzhou"].contains(*WEST_LAKE)
    region = open_region_at(load_regions(frozenset({"hangzhou"})), *WEST_LAKE)
    assert region is not None and region.id == "hangzhou"


def test_shenzhen_and_guangzhou_landmarks_are_in_their_cities_and_hong_kong_is_not() -> None:
    loaded = load_regions(ALL_IDS)
    assert open_region_at(loaded, 22.5431, 114.0579).id == "shenzhen"
    assert open_region_at(loaded, 23.1066, 113.3245).id == "guangzhou"
    assert open_region_at(loaded, 22.2819, 114.1582) is None


def test_open_ids_open_exactly_the_listed_regions() -> None:
    opened = {region.id for region in load_regions(frozenset({"beijing"})) if region.open}
    assert opened == {"beijing"}
    assert open_region_at(load_regions(frozenset({"beijing"})), *IN_SHANGHAI["people's square"]) is None


def test_empty_open_ids_close_every_region() -> None:
    loaded = load_regions(frozenset())
    assert not any(region.open for region in loaded)
    assert open_region_at(loaded, *IN_SHANGHAI["people's square"]) is None


def test_unknown_open_id_raises_naming_it() -> None:
    with pytest.raises(ValueError, match="atlantis"):
        load_regions(frozenset({"shanghai", "atlantis"}))


def test_bbox_is_the_extent_of_the_configured_polygons() -> None:
    loaded = _by_id(load_regions())
    for entry in _config():
        points = [point for ring in _rings(entry) for point in ring]
        expected = (
            min(lon for lon, _ in points),
            min(lat for _, lat in points),
            max(lon for lon, _ in points),
            max(lat for _, lat in points),
        )
        assert loaded[entry["id"]].bbox == expected


def test_shanghai_is_its_mainland_plus_three_islands_in_cny() -> None:
    entry = next(entry for entry in _config() if entry["id"] == "shanghai")
    assert entry["open_by_default"] is True
    assert len(entry["polygons"]) == 4
    assert 25 <= len(entry["polygons"][0]) <= 60
    assert all(entry["currency"] == "CNY" and entry["datum"] == "WGS-84" for entry in _config())


def test_configured_vertices_and_edge_midpoints_are_inside() -> None:
    loaded = _by_id(load_regions())
    for entry in _config():
        region = loaded[entry["id"]]
        for ring in _rings(entry):
            for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:] + ring[:1], strict=True):
                assert region.contains(lat1, lon1)
                assert region.contains((lat1 + lat2) / 2, (lon1 + lon2) / 2)


def test_points_on_the_boundary_count_as_inside_and_just_beyond_do_not() -> None:
    square = _square()
    assert square.contains(0.0, 0.0)
    assert square.contains(1.0, 1.0)
    assert square.contains(0.0, 0.5)
    assert square.contains(0.5, 1.0)
    assert square.contains(0.5, 0.5)
    assert not square.contains(0.5, 1.000001)
    assert not square.contains(-0.000001, 0.5)
    assert not square.contains(2.0, 0.5)


def test_a_region_with_several_polygons_contains_points_of_each_and_not_between() -> None:
    left = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
    right = ((2.0, 0.0), (3.0, 0.0), (3.0, 1.0), (2.0, 1.0))
    region = Region("two", "Two", "CNY", True, (0.0, 0.0, 3.0, 1.0), (left, right))
    assert region.contains(0.5, 0.5)
    assert region.contains(0.5, 2.5)
    assert not region.contains(0.5, 1.5)


def test_closed_regions_are_never_returned() -> None:
    assert open_region_at((_square(open_=False),), 0.5, 0.5) is None
    assert open_region_at((_square(open_=True),), 0.5, 0.5) is not None


def test_repeated_loads_do_not_reread_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_regions()
    monkeypatch.setattr(regions, "REGIONS_FILE", Path("/nonexistent/regions.json"))
    assert load_regions() == first


def test_polygons_stay_out_of_repr() -> None:
    assert "121." not in repr(_by_id(load_regions())["shanghai"])


def test_a_closing_vertex_repeated_in_the_file_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_file_cache: None
) -> None:
    config = [
        {
            "id": "box",
            "name": "Box",
            "currency": "CNY",
            "open_by_default": True,
            "polygon": [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]],
        }
    ]
    path = tmp_path / "regions.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    monkeypatch.setattr(regions, "REGIONS_FILE", path)
    (box,) = load_regions()
    assert box.bbox == (0.0, 0.0, 2.0, 2.0)
    assert open_region_at((box,), 1.0, 1.0) is box


@pytest.mark.parametrize(
    "change",
    [
        {"polygons": [[[0, 0], [1, 0], [1, 1]]]},
        {"polygon": [[0, 0], [1, 0]]},
        {"polygon": [[0, 0], [1, 0], [1, 95]]},
        {"open_by_default": "yes"},
    ],
    ids=["both polygon keys", "too few vertices", "latitude out of range", "non-boolean flag"],
)
def test_malformed_config_is_rejected(
    change: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_file_cache: None
) -> None:
    entry = {
        "id": "bad",
        "name": "Bad",
        "currency": "CNY",
        "open_by_default": False,
        "polygon": [[0, 0], [1, 0], [1, 1]],
    }
    entry.update(change)
    path = tmp_path / "regions.json"
    path.write_text(json.dumps([entry]), encoding="utf-8")
    monkeypatch.setattr(regions, "REGIONS_FILE", path)
    with pytest.raises(ValueError, match="bad"):
        load_regions()
