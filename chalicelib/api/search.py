"""The map search route."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.listings import listing_out
from chalicelib.api.routing import operation
from chalicelib.api.schemas import SearchItemOut, SearchPage, SearchQuery
from chalicelib.domain.identity import Caller
from chalicelib.services import search as search_service

search_bp = Blueprint(__name__)


@operation(
    search_bp, "GET", "/search", summary="Active listings within a radius: privileged first, then nearest",
    tag="search", query=SearchQuery, response=SearchPage, errors=(400, 422),
)
def search(caller: Caller, query: SearchQuery) -> SearchPage:
    page, _cost = search_service.search(caller, search_service.SearchQuery(**query.model_dump()))
    return SearchPage(
        items=[
            SearchItemOut(**listing_out(found.listing).model_dump(), distance_m=found.distance_m)
            for found in page.items
        ],
        next_cursor=page.next_cursor,
    )
