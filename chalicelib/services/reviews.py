"""Use cases for reviews: submit one, publish what is due (both sides reviewed, or the window closed), list them.

Who publishes: both submitters try after their own put (each sees the other's review, or the later one does), and
the scheduled sweep publishes lone reviews once their window has closed. The store's conditions make every publish
count once (store/reviews.py), so any of them may race the others.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from chalicelib.domain import orders, reviews
from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import Busy, Conflict, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.pages import Page
from chalicelib.domain.profiles import Profile, default_display_name
from chalicelib.domain.reviews import Review
from chalicelib.observability import logger
from chalicelib.services import reputation, sweeps
from chalicelib.services.paging import page_of
from chalicelib.settings import get_settings
from chalicelib.store import orders as order_store
from chalicelib.store import profiles as profile_store
from chalicelib.store import reviews as review_store

PUBLISH_ATTEMPTS = 4  # a publish that lost a race reads the reviews again: each loss means another one published


def submit(caller: Caller, order_id: str, rating: int, text: str) -> Review:
    """The caller's sealed review of their settled order; published at once if the other side has reviewed.
    Cost: 1 order read, 2 Queries of the order's reviews (2 items each), 1 put, at most 2 profile reads (and puts),
    a publish transaction (store/reviews.py) and each reviewed user's pins refresh (services/reputation.py: at most
    MAX_ACTIVE_LISTINGS writes)."""
    order = order_store.get(order_id)
    role = orders.role_of(order, caller) if order is not None else None
    if order is None or role is None:
        raise NotFound("order not found")
    moment = now()
    new = reviews.new_review(order, role, rating, text, moment, get_settings().review_window_s)
    if any(other.role != role for other in review_store.of_order(order_id)):
        # The second side: the pair is due at once. Its `closes_at` (the sweep's sort key) says now, so the sweep
        # publishes the pair within a minute should this call fail before it does.
        new = replace(new, closes_at=iso(moment))
    try:
        review = review_store.insert(new)
    except Conflict:
        publish_due(order_id, moment)  # a retry after a publish that failed: publish the pair now, then say 409
        raise
    published = publish_due(order_id, moment)
    return next((mine for mine in published if mine.role == role), review)


def publish_due(order_id: str, moment: datetime) -> list[Review]:
    """Publish the order's sealed reviews if they are due; returns the ones published (by this call or another)."""
    for _ in range(PUBLISH_ATTEMPTS):
        found = review_store.of_order(order_id)
        due = reviews.publishable(found, moment)
        if not due:
            return [review for review in found if review.is_published]
        if _publish(due, moment):
            return review_store.published_of_order(order_id)
    raise Busy("the order's reviews are being published: try again")


def _ensure_profiles(user_ids: Iterable[str]) -> None:
    """A reviewed user has a profile to count on (a buyer who never opened theirs may not)."""
    for user_id in dict.fromkeys(user_ids):
        if profile_store.get(user_id) is None:
            moment = iso(now())
            profile_store.create_if_absent(Profile(
                user_id=user_id, display_name=default_display_name(user_id, None), bio="", privileged=False,
                provider_since=None, rating_sum=0, rating_count=0, created_at=moment, updated_at=moment,
            ))


def publish_closed_windows(moment: datetime | None = None) -> int:
    """Publish every sealed review whose window has closed (run on a schedule); returns for how many orders."""
    at = moment or now()
    return sweeps.sweep(review_store.SEALED_SHARDS,
                        lambda shard, limit: review_store.due_to_publish(shard, iso(at), limit),
                        lambda order_id: _publish_closed(order_id, at))


def _publish_closed(order_id: str, moment: datetime) -> bool:
    due = reviews.publishable(review_store.of_order(order_id), moment)
    if not due:
        return False
    return _publish(due, moment)  # False: a submitter published them first


def _publish(due: list[Review], moment: datetime) -> bool:
    """One publish transaction of `due`, then each reviewed user's reputation moves on; False if it lost a race."""
    _ensure_profiles(review.subject_id for review in due)
    if not review_store.publish(due, iso(moment)):
        return False
    for subject_id in dict.fromkeys(review.subject_id for review in due):
        try:
            reputation.reputation_changed(subject_id)
        except Exception:  # noqa: BLE001 - the publish stands: its pins catch up at the next refresh or a reindex
            logger.exception("a published review's pins were not refreshed", user_id=subject_id)
    return True


def about(caller: Caller, user_id: str, limit: int, cursor: str | None) -> Page[Review]:
    """The published reviews about a user, newest first (one Query of `limit` + 1 entries)."""
    return page_of(("reviews", caller.user_id, user_id), cursor,
                   lambda start: review_store.page_about(user_id, limit, start))
