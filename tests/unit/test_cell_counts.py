"""CellCounts (domain/cell_counts.py) against brute force: coarse cells sum their geohash-6 cells, fine cells
take an even key-space share of theirs, and negative or zero counts (drifted ADDs) count as nothing."""
from __future__ import annotations

import random

import geohash2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import geo
from chalicelib.domain.cell_counts import COUNT_BITS, COUNT_CHARS, CellCounts

FAST = settings(max_examples=200, deadline=None, database=None)
_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"


@st.composite
def counts(draw: st.DrawFn) -> dict[str, int]:
    """Geohash-6 cells around a few places (so cells share prefixes at every depth), some zero or negative."""
    rnd = draw(st.randoms(use_true_random=False))
    places = [geohash2.encode(rnd.uniform(30.6, 32.0), rnd.uniform(120.7, 122.3), COUNT_CHARS) for _ in range(3)]
    out: dict[str, int] = {}
    for _ in range(draw(st.integers(0, 60))):
        base = rnd.choice(places)
        keep = rnd.randint(2, COUNT_CHARS)
        cell = base[:keep] + "".join(rnd.choice(_ALPHABET) for _ in range(COUNT_CHARS - keep))
        out[cell] = rnd.choice((0, -1, *range(1, 40), 1000))
    return out


def brute(counts: dict[str, int], prefix: int, depth: int) -> float:
    total = 0.0
    for cell, count in counts.items():
        if count <= 0:
            continue
        value = geo.key_value(cell)  # the cell's first 12-character key
        if depth <= COUNT_BITS:
            if value >> (geo.TOTAL_BITS - depth) == prefix:
                total += count
        elif value >> (geo.TOTAL_BITS - COUNT_BITS) == prefix >> (depth - COUNT_BITS):
            total += count / 2 ** (depth - COUNT_BITS)
    return total


@st.composite
def cells_near(draw: st.DrawFn, cell_counts: dict[str, int]) -> tuple[int, int]:
    """A cell (prefix, depth) at any depth 1..60, usually over one of the counted cells."""
    depth = draw(st.integers(1, geo.TOTAL_BITS))
    if cell_counts and draw(st.booleans()):
        cell = draw(st.sampled_from(sorted(cell_counts)))
        key = geo.key_value(cell + draw(st.text(_ALPHABET, min_size=6, max_size=6)))
    else:
        key = draw(st.integers(0, 2**geo.TOTAL_BITS - 1))
    return key >> (geo.TOTAL_BITS - depth), depth


@FAST
@given(st.data())
def test_estimate_is_the_sum_for_coarse_cells_and_a_share_for_fine_ones(data: st.DataObject) -> None:
    raw = data.draw(counts())
    estimates = CellCounts(raw)
    assert len(estimates) == sum(1 for count in raw.values() if count > 0)
    for _ in range(20):
        prefix, depth = data.draw(cells_near(raw))
        assert estimates.estimate(prefix, depth) == pytest.approx(brute(raw, prefix, depth), rel=1e-12, abs=1e-12)


@FAST
@given(st.data())
def test_a_cell_holds_what_its_two_halves_hold(data: st.DataObject) -> None:
    raw = data.draw(counts())
    estimates = CellCounts(raw)
    for _ in range(20):
        prefix, depth = data.draw(cells_near(raw))
        if depth == geo.TOTAL_BITS:
            continue
        halves = estimates.estimate(prefix << 1, depth + 1) + estimates.estimate((prefix << 1) | 1, depth + 1)
        assert estimates.estimate(prefix, depth) == pytest.approx(halves, rel=1e-12, abs=1e-12)


def test_worked_example() -> None:
    estimates = CellCounts({"wtw3sm": 8, "wtw3sq": 4, "wtw3t0": 2, "wtw3e0": 0, "wtw3e1": -3})
    sm = geo.key_value("wtw3sm") >> (geo.TOTAL_BITS - COUNT_BITS)
    assert estimates.estimate(geo.key_value("wtw3s") >> (geo.TOTAL_BITS - 25), 25) == 12.0
    assert estimates.estimate(geo.key_value("wtw3") >> (geo.TOTAL_BITS - 20), 20) == 14.0
    assert estimates.estimate(sm, COUNT_BITS) == 8.0
    assert estimates.estimate(sm << 3, COUNT_BITS + 3) == 1.0  # an eighth of the cell, by key space
    assert estimates.estimate(geo.key_value("wtw3e0") >> (geo.TOTAL_BITS - COUNT_BITS), COUNT_BITS) == 0.0
    assert estimates.estimate(geo.key_value("wtw3e") >> (geo.TOTAL_BITS - 25), 25) == 0.0  # -3 is no count
    assert estimates.estimate(0, 1) == 0.0  # the western hemisphere
    assert len(estimates) == 3


def test_no_counts_estimate_nothing_anywhere() -> None:
    estimates = CellCounts({})
    rnd = random.Random(3)
    for _ in range(100):
        depth = rnd.randint(1, geo.TOTAL_BITS)
        assert estimates.estimate(rnd.getrandbits(depth), depth) == 0.0
