"""How search results are ordered: privileged providers first, then nearer first, then by listing id.

The order is total (listing ids are unique), so a cursor holding the last item's key resumes exactly.
"""
from __future__ import annotations

RankKey = tuple[int, int, str]


def rank_key(privileged: bool, distance_m: int, listing_id: str) -> RankKey:
    return (0 if privileged else 1, distance_m, listing_id)
