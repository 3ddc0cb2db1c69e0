"""The unread cells of a scan, as written into a cursor and read back."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import frontier, geo
from chalicelib.domain.frontier import Leaf

PARTITIONS = geo.partition_cells(31.2304, 121.4737, 20_000, 4)


@st.composite
def disjoint_leaves(draw: st.DrawFn) -> list[Leaf]:
    """Leaves found by splitting the partition cells at random, each kept unread or not."""
    leaves: list[Leaf] = []

    def split(prefix: int, depth: int, budget: int) -> None:
        if budget > 0 and depth < 60 and draw(st.booleans()):
            split(prefix << 1, depth + 1, budget - 1)
            split((prefix << 1) | 1, depth + 1, budget - 1)
        elif draw(st.booleans()):
            resume = None
            if draw(st.booleans()):
                key = (prefix << (60 - depth)) + draw(st.integers(0, (1 << (60 - depth)) - 1))
                listing_id = draw(st.text("0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=26, max_size=26))
                resume = (geo.cell_keys(key, 60)[0], listing_id)
            leaves.append(Leaf(prefix, depth, resume))

    for prefix, depth in PARTITIONS:
        split(prefix, depth, draw(st.integers(0, 12)))
    return leaves


@settings(max_examples=200, deadline=None, database=None)
@given(disjoint_leaves())
def test_what_is_written_reads_back_the_same(leaves):
    packed, resumes = frontier.encode(PARTITIONS, leaves)
    assert sorted(frontier.decode(PARTITIONS, packed, resumes), key=repr) == sorted(leaves, key=repr)


def test_a_few_cells_take_a_few_bytes():
    leaves = [Leaf(prefix << 6, depth + 6) for prefix, depth in PARTITIONS]
    packed, resumes = frontier.encode(PARTITIONS, leaves)
    assert resumes == [] and len(packed) <= 8 * len(PARTITIONS)


@pytest.mark.parametrize("packed", ["", "_", "AAAA", "////////"])
def test_text_that_is_not_a_tree_of_these_partitions_is_refused(packed):
    with pytest.raises(ValueError):
        frontier.decode(PARTITIONS, packed, [])


def test_coarsening_turns_the_deepest_split_into_one_unread_cell():
    prefix, depth = PARTITIONS[0]
    deep = [Leaf(prefix << 3, depth + 3), Leaf((prefix << 3) | 1, depth + 3), Leaf(prefix << 1 | 1, depth + 1)]
    coarser = frontier.coarsen(PARTITIONS, deep)
    assert Leaf(prefix << 2, depth + 2) in coarser and len(coarser) == 2
