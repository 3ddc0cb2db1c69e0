"""The map search route."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import SearchItemOut, SearchPage, SearchQuery
from chalicelib.domain.identity import Caller
from chalicelib.services import search as search_service

search_bp = Blueprint(__name__)


@operation(
    search_bp, "GET", "/search", summary="Active listings within a radius, as pins: privileged first, then nearest",
    tag="search", query=SearchQuery, response=SearchPage, errors=(400, 422, 429),
)
def search(caller: Caller, query: SearchQuery) -> SearchPage:
    page = search_service.search(caller, search_service.SearchQuery(**query.model_dump()))
    return SearchPage(
        items=[
            SearchItemOut(
                listing_id=found.pin.listing_id, provider_id=found.pin.provider_id, title=found.pin.title,
                category=found.pin.category, price_cents=found.pin.price_cents, currency=found.pin.currency,
                lat=found.pin.lat, lon=found.pin.lon, privileged=found.pin.privileged, distance_m=found.distance_m,
            )
            for found in page.found
        ],
        next_cursor=page.next_cursor,
    )
