"""Public routes: no token needed."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api import openapi
from chalicelib.api.routing import operation
from chalicelib.api.schemas import CategoryList, CategoryOut, HealthOut, RegionList, RegionOut
from chalicelib.domain import regions
from chalicelib.domain.categories import CATEGORIES
from chalicelib.settings import get_settings

public_bp = Blueprint(__name__)


@operation(public_bp, "GET", "/health", summary="Liveness check", tag="public", response=HealthOut, public=True)
def health() -> HealthOut:
    return HealthOut(status="ok")


@operation(
    public_bp, "GET", "/categories", summary="Service categories", tag="public", response=CategoryList, public=True
)
def categories() -> CategoryList:
    return CategoryList(items=[CategoryOut(id=key, name=name) for key, name in CATEGORIES.items()])


@operation(
    public_bp, "GET", "/regions", summary="Cities, and which are open", tag="public", response=RegionList,
    public=True,
)
def list_regions() -> RegionList:
    return RegionList(
        items=[
            RegionOut(id=region.id, name=region.name, open=region.open, bbox=region.bbox,
                      polygons=[list(ring) for ring in region.polygons])
            for region in regions.load_regions(get_settings().open_regions)
        ]
    )


@operation(public_bp, "GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", tag="public", public=True)
def openapi_document() -> openapi.Document:
    return openapi.Document(openapi.build())
