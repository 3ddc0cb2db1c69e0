"""Reviews in DynamoDB (layout: store/models.py, "reviews").

- **submit**: put the review, sealed, on condition that its side has not reviewed the order yet (409 otherwise).
- **publish**: ONE transaction: each review published (on condition it is still sealed), each reviewed user's profile
  counters `rating_sum` ADD rating and `rating_count` ADD 1 (on condition the profile exists), and the order's
  `reviews_published` ADD the authors' roles, so the orders stream sees which reviews it published and tells both
  parties. Counters move only with the publish that wins the reviews' conditions: two publishers of the same reviews
  (both submitters, the sweep) count them once; a loser reads again. ADD is exact under any number of concurrent
  publishes for one user (DynamoDB serialises the updates of an item; a transaction conflict is retried,
  store/contention.py).

Cost of a publish: 1 transaction of at most 2 reviews + 2 profiles + 1 order = 5 items (10 WCU, transactional).
"""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict
from chalicelib.domain.reviews import Review
from chalicelib.store import items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.key_layouts import shard_key, shard_of
from chalicelib.store.models import OrderModel, ProfileModel, ReviewModel
from chalicelib.store.pages import Key, one_page

SEALED = "sealed"  # the sealed_closing index's partitions: sealed#<shard>
# Sealed reviews are spread over this many partitions of the sweep's index, so it never meets a hot key.
SEALED_SHARDS = 16


def sealed_shard(order_id: str) -> str:
    return shard_key(SEALED, shard_of(order_id, SEALED_SHARDS))


def _to_model(review: Review) -> ReviewModel:
    model = items.to_item(review, ReviewModel)
    if review.published_at is None:
        model.sealed_shard = sealed_shard(review.order_id)
    else:
        model.subject, model.published_sk = review.subject_id, _published_sk(review.published_at, review.review_id)
    return model


def _published_sk(published_at: str, review_id: str) -> str:
    return f"{published_at}#{review_id}"


def _from_model(model: ReviewModel) -> Review:
    return items.to_domain(model, Review, rating=int(model.rating), text=model.text or "")


def insert(review: Review) -> Review:
    """Store a new sealed review, unless its side reviewed the order already (Conflict)."""
    tables.bind()
    try:
        _to_model(review).save(condition=ReviewModel.role.does_not_exist())
    except PutError as exc:
        if refusals.condition_failed(exc):
            raise Conflict("you have reviewed this order already") from exc
        raise
    return review


def of_order(order_id: str) -> list[Review]:
    """The order's reviews (at most two: one per side), consistently read."""
    tables.bind()
    return [_from_model(model) for model in ReviewModel.query(order_id, consistent_read=True, limit=2)]


@retried()
def publish(reviews: Iterable[Review], published_at: str) -> bool:
    """Publish these sealed reviews of one order in one transaction (module docstring); False if one of them was
    published meanwhile (or a profile is missing): nothing was written, read them again."""
    chosen = list(reviews)
    if not chosen:
        return True
    by_subject: dict[str, list[int]] = {}
    for review in chosen:
        by_subject.setdefault(review.subject_id, []).append(review.rating)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            for review in chosen:
                tx.update(
                    ReviewModel(review.order_id, review.role),
                    actions=[
                        ReviewModel.published_at.set(published_at),
                        ReviewModel.subject.set(review.subject_id),
                        ReviewModel.published_sk.set(_published_sk(published_at, review.review_id)),
                        ReviewModel.sealed_shard.remove(),
                    ],
                    condition=ReviewModel.review_id.exists() & ReviewModel.published_at.does_not_exist(),
                )
            for subject_id, ratings in by_subject.items():
                tx.update(
                    ProfileModel(subject_id),
                    actions=[ProfileModel.rating_sum.add(sum(ratings)), ProfileModel.rating_count.add(len(ratings))],
                    condition=ProfileModel.user_id.exists(),
                )
            tx.update(OrderModel(chosen[0].order_id),
                      actions=[OrderModel.reviews_published.add({review.role for review in chosen})],
                      condition=OrderModel.order_id.exists())
    except TransactWriteError as exc:  # [reviews..., profiles..., order]
        if refusals.any_condition_failed(exc):
            return False
        raise
    return True


def published_of_order(order_id: str) -> list[Review]:
    """The order's published reviews, in the order they were published."""
    found = [review for review in of_order(order_id) if review.published_at is not None]
    return sorted(found, key=lambda review: (review.published_at or "", review.review_id))


def page_about(user_id: str, limit: int, start_key: Key | None) -> tuple[list[Review], Key | None]:
    """A page of the published reviews about the user, newest first."""
    tables.bind()
    models, next_key = one_page(
        lambda count, start: ReviewModel.published_about.query(
            user_id, scan_index_forward=False, limit=count, page_size=count, last_evaluated_key=start
        ),
        limit,
        start_key,
        lambda last: {"id": {"S": last.order_id}, "sk": {"S": last.role}, "subject": {"S": last.subject},
                      "published_sk": {"S": last.published_sk}},
    )
    return [_from_model(model) for model in models], next_key


def due_to_publish(shard: int, moment: str, limit: int) -> list[str]:
    """Ids of orders in one shard with a sealed review whose window has closed (at most `limit`)."""
    tables.bind()
    found = ReviewModel.sealed_closing.query(
        shard_key(SEALED, shard), ReviewModel.closes_at <= moment, limit=limit, page_size=min(limit, 1000)
    )
    return list(dict.fromkeys(model.order_id for model in found))
