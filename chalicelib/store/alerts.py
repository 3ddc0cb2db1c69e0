"""Providers' alert areas in DynamoDB: the area item and its cell entries (layout: store/models.py).

A PUT reads the area item (1 strongly consistent read), then writes, in one transaction, the new area item
(conditioned on the version it read), an entry for each cell of the new cover, and a delete of each cell the old
cover had that the new one lacks: at most 1 + 32 + 32 = 65 items, each under 1 KB, so at most 130 WCU
(transactional writes cost double). All or nothing: a crash midway leaves the old area and its entries, or the
new ones, never a mix, so no stale entry can match and the new area is not lost once the call returns. Two
writes of one user's area at once: the second's condition fails, it reads again and redoes its work.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain import alerts
from chalicelib.domain.alerts import AlertArea
from chalicelib.domain.errors import Conflict
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.models import AlertAreaModel, AlertCellModel

AREA_SK = "area"
# Entries one lookup reads per precision, at most (4 precisions). An entry is ~150 bytes, so 10,000 of them
# are ~1.5 MB, two Query pages, ~190 RCU eventually consistent; bench/task_alerts.py measures what a task in
# the densest cell reads. Past the cap the areas read are the first by user id, and the rest are not told.
MAX_ENTRIES_PER_CELL = 10_000
_ATTEMPTS = 3


def _area_pk(user_id: str) -> str:
    return f"area#{user_id}"


def _cell_pk(geohash: str) -> str:
    return f"cell#{geohash}"


def _strings(values: object) -> tuple[str, ...]:
    """A list attribute of strings as PynamoDB returns it (typed as a list of attributes)."""
    return tuple(str(value) for value in values) if isinstance(values, list) else ()


def _area_of(model: AlertAreaModel | AlertCellModel, user_id: str) -> AlertArea:
    return AlertArea(user_id=user_id, lat=float(model.lat), lon=float(model.lon), radius_m=int(model.radius_m),
                     categories=_strings(model.categories), updated_at=model.updated_at)


def _read(user_id: str) -> AlertAreaModel | None:
    return items.read(AlertAreaModel, _area_pk(user_id), AREA_SK)


def get(user_id: str) -> AlertArea | None:
    model = _read(user_id)
    return _area_of(model, user_id) if model is not None else None


def _unchanged_since(model: AlertAreaModel | None) -> Condition:
    if model is None:
        return AlertAreaModel.pk.does_not_exist()
    return AlertAreaModel.version == model.version


def _cell_entry(area: AlertArea, cell: str) -> AlertCellModel:
    return AlertCellModel(pk=_cell_pk(cell), sk=area.user_id, lat=area.lat, lon=area.lon, radius_m=area.radius_m,
                          categories=list(area.categories), updated_at=area.updated_at)


def _area_item(area: AlertArea, cells: tuple[str, ...], version: int) -> AlertAreaModel:
    return AlertAreaModel(
        pk=_area_pk(area.user_id), sk=AREA_SK, user_id=area.user_id, lat=area.lat, lon=area.lon,
        radius_m=area.radius_m, categories=list(area.categories), cells=list(cells), updated_at=area.updated_at,
        version=version,
    )


def _write(area: AlertArea, before: AlertAreaModel | None) -> bool:
    """The transaction of one PUT; False if the area changed since `before` was read."""
    cells = alerts.cover(area)
    gone = sorted(set(_strings(before.cells) if before is not None else ()) - set(cells))
    model = _area_item(area, cells, (int(before.version) if before is not None else 0) + 1)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(model, condition=_unchanged_since(before))
            for cell in cells:
                tx.save(_cell_entry(area, cell))
            for cell in gone:
                tx.delete(AlertCellModel(pk=_cell_pk(cell), sk=area.user_id))
    except TransactWriteError as exc:
        if refusals.any_condition_failed(exc):
            return False
        raise
    return True


def _erase(before: AlertAreaModel) -> bool:
    """The transaction of one DELETE; False if the area changed since `before` was read."""
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.delete(before, condition=_unchanged_since(before))
            for cell in _strings(before.cells):
                tx.delete(AlertCellModel(pk=_cell_pk(cell), sk=before.user_id))
    except TransactWriteError as exc:
        if refusals.any_condition_failed(exc):
            return False
        raise
    return True


@retried()
def put(area: AlertArea) -> AlertArea:
    """Store the user's area in place of the one they had (module docstring: the cost, the guarantees)."""
    for _ in range(_ATTEMPTS):
        if _write(area, _read(area.user_id)):
            return area
    raise Conflict("your alert area is being changed by another request; try again")


@retried()
def delete(user_id: str) -> None:
    """Remove the user's area and its entries, if they have one: 1 read, then at most 33 deletes (66 WCU)."""
    for _ in range(_ATTEMPTS):
        before = _read(user_id)
        if before is None or _erase(before):
            return
    raise Conflict("your alert area is being changed by another request; try again")


def insert_many(areas: Iterable[AlertArea]) -> None:
    """Bulk-load the areas of users who have none (benchmarks, test cities): BatchWriteItem, no conditions."""
    tables.bind()
    with AlertAreaModel.batch_write() as batch:
        for area in areas:
            cells = alerts.cover(area)
            batch.save(_area_item(area, cells, 1))
            for cell in cells:
                batch.save(_cell_entry(area, cell))


def areas_over(lat: float, lon: float, max_entries: int = MAX_ENTRIES_PER_CELL) -> list[AlertArea]:
    """The areas whose cover holds the point: one Query per precision (domain/alerts.lookup_cells), at most
    `max_entries` entries each, eventually consistent. Their circles still need the exact test (matches).

    With ALERT_CELLS_CACHE_S > 0 an instance keeps each cell's entries that long: the centre's few cells are read
    by every new task there, and a key serves ~3,000 RCU a second, so a busy city reads each once per period
    instead (an area set or moved meanwhile is heard of that much later)."""
    tables.bind()
    ttl_s = get_settings().alert_cells_cache_s
    found: dict[str, AlertArea] = {}
    for cell in alerts.lookup_cells(lat, lon):
        key = (AlertCellModel.Meta.table_name, cell, max_entries)
        kept = _cells.get(key)
        if kept is None or time.monotonic() - kept[0] >= ttl_s:
            kept = (time.monotonic(), _read_cell(cell, max_entries))
            if ttl_s > 0:
                _keep(key, kept, ttl_s)
        found.update((area.user_id, area) for area in kept[1])
    return list(found.values())


def _read_cell(cell: str, max_entries: int) -> list[AlertArea]:
    areas = [_area_of(entry, entry.sk) for entry in AlertCellModel.query(_cell_pk(cell), limit=max_entries)]
    if len(areas) >= max_entries:
        logger.warning("an alert cell holds more entries than a lookup reads", cell=cell, read=len(areas))
    return areas


_cells: dict[tuple[str, str, int], tuple[float, list[AlertArea]]] = {}  # per instance: ALERT_CELLS_CACHE_S
MAX_CACHED_ENTRIES = 100_000  # alert entries an instance keeps at once (~20 MB)


def _keep(key: tuple[str, str, int], kept: tuple[float, list[AlertArea]], ttl_s: float) -> None:
    """Keep a cell's entries; past MAX_CACHED_ENTRIES in all, the stale cells go first, then all of them (an
    instance touches many cells over its life: memory stays bounded, ~200 B an entry)."""
    if sum(len(areas) for _, areas in _cells.values()) + len(kept[1]) > MAX_CACHED_ENTRIES:
        moment = time.monotonic()
        for stale in [k for k, (at, _) in _cells.items() if moment - at >= ttl_s]:
            del _cells[stale]
        if sum(len(areas) for _, areas in _cells.values()) + len(kept[1]) > MAX_CACHED_ENTRIES:
            _cells.clear()
    _cells[key] = kept


def forget_cached() -> None:
    """Drop this instance's alert cells (store/caches.py)."""
    _cells.clear()
