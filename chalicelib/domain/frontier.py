"""The unread part of a circle, written compactly enough to ride in a page cursor.

A nearest-first scan (domain/nearest.py) ends a page with some cells of its tier unread: the far ones still
whole, the near ones split, and maybe a cell half read (resume after a given entry). All of them are
geohash cells inside the tier's partition cells, which the centre and radius determine. So the unread set
is a binary tree under each partition cell, written in preorder with two bits per leaf and one per split:

    "1" split into the two half cells   "00" nothing unread here   "01" this whole cell is unread

plus, in the same order, the (geohash, listing id) to resume after for each unread leaf read halfway.
Leaves must be disjoint. `coarsen` trades precision for length: it turns the deepest splits into unread
leaves (reading again what was read is always safe; the scan drops what ranks before its position).
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

from chalicelib.domain import geo

Resume = tuple[str, str]  # (geohash, listing_id) of the last entry read


@dataclass(frozen=True)
class Leaf:
    prefix: int
    depth: int
    start_after: Resume | None = None


def _inside(leaf: Leaf, prefix: int, depth: int) -> bool:
    return leaf.depth >= depth and (leaf.prefix >> (leaf.depth - depth)) == prefix


def encode(partitions: list[tuple[int, int]], unread: list[Leaf]) -> tuple[str, list[Resume]]:
    """The preorder bits (base64) and the resume points of the unread leaves under the partition cells."""
    bits: list[str] = []
    resumes: list[Resume] = []

    def walk(prefix: int, depth: int, leaves: list[Leaf]) -> None:
        if not leaves:
            bits.append("00")
            return
        if len(leaves) == 1 and leaves[0].prefix == prefix and leaves[0].depth == depth:
            bits.append("01")
            if leaves[0].start_after is not None:
                resumes.append(leaves[0].start_after)
            return
        bits.append("1")
        for child in (prefix << 1, (prefix << 1) | 1):
            walk(child, depth + 1, [leaf for leaf in leaves if _inside(leaf, child, depth + 1)])

    for prefix, depth in partitions:
        walk(prefix, depth, [leaf for leaf in unread if _inside(leaf, prefix, depth)])
    text = "".join(bits)
    raw = int("1" + text, 2).to_bytes((len(text) + 8) // 8, "big")  # a leading 1 keeps leading zeros
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), resumes


def decode(partitions: list[tuple[int, int]], packed: str, resumes: list[Resume]) -> list[Leaf]:
    """The unread leaves `encode` wrote; ValueError if the text does not describe a tree of these partitions."""
    tree = _TreeReader(_bits(packed), list(resumes))
    for prefix, depth in partitions:
        tree.walk(prefix, depth)
    if not tree.finished:
        raise ValueError("frontier has bits or resume points left over")
    return tree.leaves


def _bits(packed: str) -> str:
    """The preorder bits `encode` packed, without the leading 1 it added."""
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not a frontier") from exc
    return bin(int.from_bytes(raw, "big"))[3:] if raw else ""


class _TreeReader:
    """Reads preorder bits back into unread leaves, giving each the next resume point that lies inside it."""

    def __init__(self, bits: str, resumes: list[Resume]) -> None:
        self.bits = bits
        self.position = 0
        self.pending = resumes
        self.leaves: list[Leaf] = []

    @property
    def finished(self) -> bool:
        """Every bit and every resume point was used."""
        return self.position == len(self.bits) and not self.pending

    def walk(self, prefix: int, depth: int) -> None:
        if self._next_bit() == "1":
            if depth >= 60:
                raise ValueError("frontier splits a whole geohash")
            self.walk(prefix << 1, depth + 1)
            self.walk((prefix << 1) | 1, depth + 1)
        elif self._next_bit() == "1":
            self.leaves.append(Leaf(prefix, depth, self._resume_inside(prefix, depth)))

    def _next_bit(self) -> str:
        if self.position >= len(self.bits):
            raise ValueError("frontier ends early")
        self.position += 1
        return self.bits[self.position - 1]

    def _resume_inside(self, prefix: int, depth: int) -> Resume | None:
        if self.pending and _resume_in(self.pending[0], prefix, depth):
            return self.pending.pop(0)
        return None


def _resume_in(resume: Resume, prefix: int, depth: int) -> bool:
    try:
        return (geo.key_value(resume[0]) >> (geo.TOTAL_BITS - depth)) == prefix
    except KeyError:
        return False


def coarsen(partitions: list[tuple[int, int]], unread: list[Leaf]) -> list[Leaf]:
    """One step coarser: the deepest cell holding unread leaves becomes one unread leaf (read again)."""
    deepest = max(unread, key=lambda leaf: leaf.depth, default=None)
    if deepest is None or any(deepest.prefix == p and deepest.depth == d for p, d in partitions):
        return unread
    parent = (deepest.prefix >> 1, deepest.depth - 1)
    kept = [leaf for leaf in unread if not _inside(leaf, *parent)]
    return [*kept, Leaf(*parent)]
