"""The map search route."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import SearchItemOut, SearchPage, SearchQuery
from chalicelib.domain.identity import Caller
from chalicelib.domain.nearest import Found
from chalicelib.services import search as search_service

search_bp = Blueprint(__name__)


@operation(
    search_bp, "GET", "/search", summary="Active listings within a radius, as pins: privileged first, then nearest",
    tag="search", query=SearchQuery, response=SearchPage, errors=(400, 422, 429), limit="search",
)
def search(caller: Caller, query: SearchQuery) -> SearchPage:
    page = search_service.search(caller, search_service.SearchQuery(**query.model_dump()))
    return SearchPage.of(page, pin_out)


def pin_out(found: Found) -> SearchItemOut:
    pin = found.pin
    return SearchItemOut(
        listing_id=pin.listing_id, provider_id=pin.provider_id, title=pin.title, category=pin.category,
        price_cents=pin.price_cents, currency=pin.currency, lat=pin.lat, lon=pin.lon, privileged=pin.privileged,
        rating_score=pin.rating_score, rating_count=pin.rating_count, distance_m=found.distance_m,
    )
