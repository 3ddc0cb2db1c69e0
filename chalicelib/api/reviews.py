"""Review routes: review my settled order's other party, and read the published reviews about a user."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import PageQuery, ReviewCreate, ReviewOut, ReviewPage, shown_as
from chalicelib.domain.identity import Caller
from chalicelib.services import reviews as review_service

reviews_bp = Blueprint(__name__)


@operation(
    reviews_bp, "POST", "/orders/{order_id}/review", summary="Review the other party of my released or resolved order",
    tag="reviews", body=ReviewCreate, response=ReviewOut, status=201, errors=(400, 404, 409), limit="review",
)
def review_order(caller: Caller, order_id: str, body: ReviewCreate) -> ReviewOut:
    return shown_as(ReviewOut, review_service.submit(caller, order_id, body.rating, body.text))


@operation(
    reviews_bp, "GET", "/users/{user_id}/reviews", summary="The published reviews about a user, newest first",
    tag="reviews", query=PageQuery, response=ReviewPage, errors=(400,),
)
def reviews_about(caller: Caller, user_id: str, query: PageQuery) -> ReviewPage:
    page = review_service.about(caller, user_id, query.limit, query.cursor)
    return ReviewPage.of(page, lambda review: shown_as(ReviewOut, review))
