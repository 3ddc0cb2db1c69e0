"""The fan-out of a provider's reputation to their listings' search index entries.

Pins carry the provider's `rating_score` and `rating_count` (`rs`, `rc`) so a search shows them without reading
a profile. After a review is published (which adds to the profile's counters), `reputation_changed` copies the
profile's current score onto each of the provider's active listings.

Cost ceiling: one consistent profile read, the by_provider pages (1 RCU per 4 KB), and at most
MAX_ACTIVE_LISTINGS UpdateItems of `rs`/`rc` alone, each conditional on the listing existing. Paused listings
are left alone: they are not searched, and a resume (an edit) writes the then-current score. Best effort per
listing: one that fails is logged and the rest still go; the next review's fan-out or `reindex` catches it up.
"""
from __future__ import annotations

from typing import Any

from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import listings as listing_store
from chalicelib.store import profiles as profile_store

PAGE = 25


def reputation_changed(user_id: str) -> None:
    """Refresh the reputation on every active listing of `user_id` from their profile as it is now."""
    profile = profile_store.get(user_id)
    if profile is None:
        return
    score, count = profile.rating_score, profile.rating_count
    budget = get_settings().max_active_listings
    start: dict[str, Any] | None = None
    written = 0
    while budget > 0:
        page, start = listing_store.page_by_provider(user_id, min(PAGE, budget), start)
        for listing in page:
            if listing.rating_score == score and listing.rating_count == count:
                continue
            try:
                written += listing_store.set_reputation(listing.listing_id, score, count)
            except Exception:  # noqa: BLE001 - best effort per listing: the others still get the new score
                logger.exception("reputation not refreshed", extra={"listing_id": listing.listing_id})
        budget -= len(page)
        if start is None or not page:
            break
    logger.info("reputation refreshed", extra={"user_id": user_id, "listings": written})
