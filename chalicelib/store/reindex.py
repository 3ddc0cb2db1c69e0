"""Put every listing into the search indexes of the current layout, and rebuild the cell counts.

A deployed stage moving to a new search key layout (docs/OPERATIONS.md, "Moving a deployed stage to new
search indexes") runs this after the new indexes exist: each listing gets the index attributes the current
code writes (an UpdateItem that leaves the listing itself and its old attributes alone, so the app still
deployed keeps searching the old indexes until it is replaced), then the counts of every index partition
are written from the tally. Each listing also gets its provider's current reputation (`rs`, `rc`: the
profile read once per provider). `drop` removes attributes of an old layout once its indexes are gone.
Idempotent: run it again after the new app is deployed to catch listings the old one wrote meanwhile.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.operand import Path

from chalicelib.domain.listings import Listing
from chalicelib.store import profiles, refusals, search_counts, search_index, tables
from chalicelib.store.listings import from_model
from chalicelib.store.models import ListingModel


@dataclass(frozen=True)
class Report:
    listings: int
    searchable: int
    count_items: int
    changed_meanwhile: int


Reputation = tuple[float | None, int]  # a provider's rating_score and rating_count


def _set(model: ListingModel, listing: Listing, drop: tuple[str, ...], reputation: Reputation) -> bool:
    """Write the listing's search attributes and its provider's reputation; False if it changed since it was read
    (nothing written)."""
    wanted = search_index.index_attributes(listing)
    actions = [getattr(ListingModel, name).set(value) for name, value in wanted.items()]
    score, count = reputation
    if score is not None and count:
        actions += [ListingModel.rating_score.set(score), ListingModel.rating_count.set(count)]
    else:
        actions += [ListingModel.rating_score.remove(), ListingModel.rating_count.remove()]
    actions += [getattr(ListingModel, name).remove() for name in search_index.SEARCH_ATTRIBUTES if name not in wanted]
    actions += [Path(name).remove() for name in drop]
    try:
        model.update(actions=actions)  # only if nobody changed it since it was read (its version)
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            return False
        raise
    return True


def _set_fresh(
    model: ListingModel, drop: tuple[str, ...], reputation_of: Callable[[str], Reputation]
) -> tuple[Listing, int]:
    """`_set` the listing, reading it again as long as it changed meanwhile; the listing as set, and how many
    times it changed."""
    changed = 0
    while True:
        listing = from_model(model)
        if _set(model, listing, drop, reputation_of(listing.provider_id)):
            return listing, changed
        changed += 1
        model = ListingModel.get(model.listing_id, consistent_read=True)


def reindex_listings(drop: tuple[str, ...] = ()) -> Report:
    """Every listing through `_set` (reading again whatever changed meanwhile), then fresh cell counts."""
    tables.bind()
    changes: dict[str, dict[str, int]] = {}
    listings = searchable = changed = 0
    known: dict[str, Reputation] = {}

    def reputation_of(provider_id: str) -> Reputation:
        if provider_id not in known:
            profile = profiles.get(provider_id)
            known[provider_id] = (profile.rating_score, profile.rating_count) if profile else (None, 0)
        return known[provider_id]

    for scanned in ListingModel.scan():
        listing, changed_meanwhile = _set_fresh(scanned, drop, reputation_of)
        changed += changed_meanwhile
        listings += 1
        searchable += listing.is_listed
        search_counts.add_count_changes(changes, search_counts.count_changes(None, listing))
    search_counts.replace_counts(changes)
    return Report(listings=listings, searchable=searchable, count_items=len(changes), changed_meanwhile=changed)
