"""Bad input: every route answers 400 `BadRequestError` naming the field, and nothing is lost or half-written.

The table cases share one stack (module scope): a rejected request must change nothing, and each case
checks exactly that after its answer, so sharing the stack makes the check stronger, not weaker (a case
that wrote anything would also show up in the cases after it). It also keeps ~200 cases fast.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.domain.clock import now
from chalicelib.domain.tasks import new_task
from tests.conftest import PEOPLES_SQUARE, ROOT, Answer, Api, User, listing_body
from tests.integration import task_seeds
from tests.integration.conftest import SharedApp

LAT, LON = PEOPLES_SQUARE
NEAR = (31.2330, 121.4760), (31.2280, 121.4700), (31.2350, 121.4800)
BEIJING = (39.9042, 116.4074)
HANGZHOU = (30.2741, 120.1551)
SEARCH = f"/search?lat={LAT}&lon={LON}"
NEARBY = f"/tasks/nearby?lat={LAT}&lon={LON}"


# ---- the shared world ----
@dataclass
class World:
    client: Api
    owner: User  # has three listings near People's Square
    other: User  # has one listing of their own
    creator: User  # every create in the table is theirs, and every one is refused
    listing: dict[str, Any]  # one of the owner's listings
    other_listing: dict[str, Any]
    search_cursor: str  # owner's, for SEARCH + "&limit=1"
    listings_cursor: str  # owner's, for /users/{owner}/listings?limit=1
    operator: User  # for the operator routes
    nearby_cursor: str  # owner's, for NEARBY + "&limit=1" (two of other's tasks are near)

    def caller(self, name: str) -> User:
        return getattr(self, name)

    def fill(self, path: str) -> str:
        return path.format(
            listing=self.listing["listing_id"],
            other_listing=self.other_listing["listing_id"],
            owner=self.owner.user_id,
            other=self.other.user_id,
            creator=self.creator.user_id,
            search_cursor=self.search_cursor,
            listings_cursor=self.listings_cursor,
            tampered_search_cursor=tamper(self.search_cursor),
            tampered_listings_cursor=tamper(self.listings_cursor),
            nearby_cursor=self.nearby_cursor,
            tampered_nearby_cursor=tamper(self.nearby_cursor),
        )


def tamper(cursor: str) -> str:
    """The cursor with one bit of its position changed (the MAC left as it was)."""
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[2] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def checked(answer: Answer) -> Answer:
    """Nothing a client sends may ever get a 5xx."""
    assert answer.status < 500, answer
    return answer


@pytest.fixture(scope="module")
def world(shared_app: SharedApp) -> World:
    client, user = shared_app.client, shared_app.user
    owner, other, creator = user("owner@example.com"), user("other@example.com"), user("creator@example.com")
    listings = []
    for index, (lat, lon) in enumerate(NEAR):
        created = client.post("/listings", owner, listing_body(title=f"Repair {index}", lat=lat, lon=lon))
        assert created.status == 201, created
        listings.append(created.body)
    other_listing = client.post("/listings", other, listing_body(title="Tutoring", category="education"))
    assert other_listing.status == 201, other_listing
    page = client.get(SEARCH + "&limit=1", owner)
    assert page.status == 200 and page.body["next_cursor"], page
    own = client.get(f"/users/{owner.user_id}/listings?limit=1", owner)
    assert own.status == 200 and own.body["next_cursor"], own
    assert client.get("/me", creator).status == 200
    task_seeds.save(new_task(other.user_id, f"Need {n}", "", "repair", 500, "CNY", lat, lon, 86400, now())
                    for n, (lat, lon) in enumerate(NEAR[:2]))
    nearby = client.get(NEARBY + "&limit=1", owner)
    assert nearby.status == 200 and nearby.body["next_cursor"], nearby
    return World(
        client, owner, other, creator, listings[0], other_listing.body,
        page.body["next_cursor"], own.body["next_cursor"], user("olga@example.com", operator=True),
        nearby.body["next_cursor"],
    )


def state(world: World) -> list[Any]:
    """What a refused request could have touched: the owner's listing, the creator's profile and listings."""
    client = world.client
    return [
        client.get(f"/listings/{world.listing['listing_id']}", world.owner).body,
        client.get("/me", world.creator).body,
        client.get(f"/users/{world.creator.user_id}/listings", world.creator).body,
        client.get("/me/alerts", world.creator).status,
        client.get("/tasks?role=requester", world.creator).body,
    ]


@pytest.fixture
def snapshot(world: World) -> Iterator[None]:
    """After the case: nothing was lost or half-written."""
    before = state(world)
    # Nothing a refused create sent was ever stored: the creator has published nothing.
    assert before[2] == {"items": [], "next_cursor": None}
    assert before[3] == 404  # nor set an alert area
    assert before[4] == {"items": [], "next_cursor": None}  # nor posted a task
    yield
    assert state(world) == before


# ---- the table ----
@dataclass(frozen=True)
class Case:
    id: str
    method: str
    path: str
    names: str  # what the Message must mention (the field, or "request body" / "query" for the whole)
    body: Any = None
    raw: bytes | None = None
    caller: str = "owner"
    content_type: str | None = None  # other than application/json

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


def _big(field: str) -> bytes:
    return json.dumps(listing_body(**{field: "a" * 70_000})).encode()


_RAW_BODIES = {  # for every route that takes a body
    "malformed-json": (b'{"title": "Bike repair",', "request body"),
    "truncated-string": (b'{"title": "Bike', "request body"),
    "not-json": (b"title=Bike+repair", "request body"),
    "empty-body": (b"", "request body"),
    "blank-body": (b"  \n ", "request body"),
    "json-null": (b"null", "request body"),
    "json-array": (b'[{"title": "Bike repair"}]', "request body"),
    "empty-array": (b"[]", "request body"),
    "json-string": (b'"Bike repair"', "request body"),
    "json-number": (b"5000", "request body"),
    "over-64-KiB": (_big("description"), "64 KiB"),
    "deeply-nested": (b'{"title": ' + b"[" * 5000 + b"]" * 5000 + b"}", "request body"),
    "trailing-garbage": (b'{"bio": "x"} {"bio": "y"}', "request body"),
}

_BODY_ROUTES = [
    ("create", "POST", "/listings", "creator"),
    ("patch-listing", "PATCH", "/listings/{listing}", "owner"),
    ("patch-me", "PATCH", "/me", "creator"),
    ("put-alerts", "PUT", "/me/alerts", "creator"),
]

RAW_CASES = [
    Case(f"{route}:{name}", method, path, names, raw=raw, caller=caller)
    for route, method, path, caller in _BODY_ROUTES
    for name, (raw, names) in _RAW_BODIES.items()
]

ALERT_AREA = {"lat": LAT, "lon": LON, "radius_m": 2000, "categories": ["repair"]}
_VALID_BODIES = {"create": listing_body(), "patch-listing": {"title": "Bike repair"}, "patch-me": {"bio": "Hi"},
                 "put-alerts": ALERT_AREA}
# A JSON body that does not say it is JSON: curl -d sends form-encoded unless told otherwise.
CONTENT_TYPE_CASES = [
    Case(f"{route}:{name}", method, path, "Content-Type", body=_VALID_BODIES[route], caller=caller,
         content_type=content_type)
    for route, method, path, caller in _BODY_ROUTES
    for name, content_type in (("form-encoded", "application/x-www-form-urlencoded"), ("text-plain", "text/plain"))
]


def _create(name: str, names: str, body: Any = None, raw: bytes | None = None, **overrides: Any) -> Case:
    return Case(f"create:{name}", "POST", "/listings", names,
                body=body if body is not None or raw is not None else listing_body(**overrides),
                raw=raw, caller="creator")


def _without(field: str) -> dict[str, Any]:
    body = listing_body()
    del body[field]
    return body


CREATE_CASES = [
    # unknown and server-owned fields: no mass assignment
    _create("unknown-field", "colour", colour="red"),
    _create("status", "status", status="active"),
    _create("status-deleted", "status", status="deleted"),
    _create("provider_id", "provider_id", provider_id="someone-else"),
    _create("privileged", "privileged", privileged=True),
    _create("geohash", "geohash", geohash="wtw3sjq"),
    _create("created_at", "created_at", created_at="2020-01-01T00:00:00Z"),
    _create("updated_at", "updated_at", updated_at="2020-01-01T00:00:00Z"),
    _create("listing_id", "listing_id", listing_id="my-own-id"),
    _create("version", "version", version=7),
    _create("distance_m", "distance_m", distance_m=0),
    _create("service_location", "service_location", service_location={"lat": 31.23, "lon": 121.47}),
    _create("precise_lat", "precise_lat", precise_lat=31.23),
    # required fields
    _create("missing-title", "title", body=_without("title")),
    _create("missing-category", "category", body=_without("category")),
    _create("missing-price_cents", "price_cents", body=_without("price_cents")),
    _create("missing-lat", "lat", body=_without("lat")),
    _create("missing-lon", "lon", body=_without("lon")),
    _create("empty-object", "title", body={}),
    # wrong types (bodies are strict: no "5" for 5, no true for 1)
    _create("price_cents-string", "price_cents", price_cents="5000"),
    _create("price_cents-true", "price_cents", price_cents=True),
    _create("price_cents-fraction", "price_cents", price_cents=5000.5),
    _create("price_cents-float", "price_cents", price_cents=5000.0),
    _create("price_cents-null", "price_cents", price_cents=None),
    _create("price_cents-object", "price_cents", price_cents={"amount": 5000}),
    _create("price_cents-huge-number", "price_cents",
            raw=json.dumps(listing_body()).replace('"price_cents": 5000', '"price_cents": 1e400').encode()),
    _create("title-number", "title", title=42),
    _create("title-list", "title", title=["Bike repair"]),
    _create("title-null", "title", title=None),
    _create("description-null", "description", description=None),
    _create("description-number", "description", description=1),
    _create("category-number", "category", category=1),
    _create("lat-string", "lat", lat="31.23"),
    _create("lat-true", "lat", lat=True),
    _create("lat-null", "lat", lat=None),
    _create("lon-string", "lon", lon="121.47"),
    _create("lat-NaN", "lat", raw=json.dumps(listing_body(lat=float("nan"))).encode()),
    _create("lon-Infinity", "lon", raw=json.dumps(listing_body(lon=float("inf"))).encode()),
    _create("currency-number", "currency", currency=156),
    # out of range
    _create("price_cents-0", "price_cents", price_cents=0),
    _create("price_cents-negative", "price_cents", price_cents=-1),
    _create("price_cents-100000000", "price_cents", price_cents=100_000_000),
    _create("price_cents-2^63", "price_cents", price_cents=2**63),
    _create("lat-91", "lat", lat=91),
    _create("lat--91", "lat", lat=-91),
    _create("lon-181", "lon", lon=181),
    _create("lon--181", "lon", lon=-181),
    _create("title-empty", "title", title=""),
    _create("title-whitespace", "title", title=" \t "),
    _create("title-121-chars", "title", title="a" * 121),
    _create("description-2001-chars", "description", description="a" * 2001),
    _create("currency-lowercase", "currency", currency="cny"),
    _create("currency-not-the-regions", "currency", currency="USD"),
    _create("category-unknown", "category", category="plumbing"),
    _create("category-wrong-case", "category", category="Repair"),
    _create("category-empty", "category", category=""),
    _create("location_precision-unknown", "location_precision", location_precision="fuzzy"),
    _create("location_precision-uppercase", "location_precision", location_precision="APPROXIMATE"),
    _create("location_precision-empty", "location_precision", location_precision=""),
    _create("location_precision-null", "location_precision", location_precision=None),
    _create("location_precision-true", "location_precision", location_precision=True),
    # text a map pin must not carry
    _create("title-NUL", "title", title="Bike\x00repair"),
    _create("title-newline", "title", title="Bike\nrepair"),
    _create("title-escape-sequence", "title", title="Bike \x1b[31mrepair"),
    _create("title-bidi-override", "title", title="Bike \u202erepair"),
    _create("title-zero-width", "title", title="Bike\u200brepair"),
    _create("description-NUL", "description", description="Flat\x00tyres"),
    _create("description-bell", "description", description="Flat tyres\x07"),
    # text that shows nothing (issue 14): fillers, blanks and spaces
    _create("title-hangul-filler", "title", title="\u3164"),
    _create("title-braille-blank", "title", title="\u2800\u2800"),
    _create("title-choseong-jungseong-fillers", "title", title="\u115f\u1160"),
    _create("title-halfwidth-filler-and-spaces", "title", title=" \uffa0 \u3000 "),
    _create("description-only-fillers", "description", description="\u3164\n\u2800\t "),
    _create("description-only-spaces", "description", description="   "),
]


def _patch(name: str, names: str, body: Any) -> Case:
    return Case(f"patch-listing:{name}", "PATCH", "/listings/{listing}", names, body=body)


PATCH_LISTING_CASES = [
    _patch("empty-object", "request body", {}),
    _patch("unknown-field", "colour", {"colour": "red"}),
    _patch("provider_id", "provider_id", {"provider_id": "someone-else"}),
    _patch("privileged", "privileged", {"privileged": True}),
    _patch("geohash", "geohash", {"geohash": "wtw3sjq"}),
    _patch("created_at", "created_at", {"created_at": "2020-01-01T00:00:00Z"}),
    _patch("updated_at", "updated_at", {"updated_at": "2020-01-01T00:00:00Z"}),
    _patch("listing_id", "listing_id", {"listing_id": "another-id"}),
    _patch("currency", "currency", {"currency": "USD"}),
    _patch("version", "version", {"version": 0}),
    _patch("status-deleted", "status", {"status": "deleted"}),
    _patch("status-uppercase", "status", {"status": "ACTIVE"}),
    _patch("status-x", "status", {"status": "x"}),
    _patch("title-null", "title", {"title": None}),
    _patch("description-null", "description", {"description": None}),
    _patch("price_cents-null", "price_cents", {"price_cents": None}),
    _patch("status-null", "status", {"status": None}),
    _patch("location_precision-null", "location_precision", {"location_precision": None}),
    _patch("location_precision-unknown", "location_precision", {"location_precision": "hidden"}),
    _patch("location_precision-number", "location_precision", {"location_precision": 7}),
    _patch("service_location", "service_location", {"service_location": {"lat": 31.23, "lon": 121.47}}),
    _patch("lat-null", "lat", {"lat": None}),
    _patch("null-beside-a-valid-field", "category", {"title": "Fine title", "category": None}),
    _patch("price_cents-string", "price_cents", {"price_cents": "5000"}),
    _patch("price_cents-true", "price_cents", {"price_cents": True}),
    _patch("price_cents-fraction", "price_cents", {"price_cents": 5000.5}),
    _patch("price_cents-0", "price_cents", {"price_cents": 0}),
    _patch("price_cents-negative", "price_cents", {"price_cents": -1}),
    _patch("price_cents-100000000", "price_cents", {"price_cents": 100_000_000}),
    _patch("title-number", "title", {"title": 42}),
    _patch("title-empty", "title", {"title": ""}),
    _patch("title-whitespace", "title", {"title": "   "}),
    _patch("title-121-chars", "title", {"title": "a" * 121}),
    _patch("title-control", "title", {"title": "Bike\x00repair"}),
    _patch("title-hangul-filler", "title", {"title": "\u3164\u3164"}),
    _patch("description-braille-blank", "description", {"description": "\u2800"}),
    _patch("description-2001-chars", "description", {"description": "a" * 2001}),
    _patch("category-unknown", "category", {"category": "plumbing"}),
    _patch("lat-string", "lat", {"lat": "31.23"}),
    _patch("lat-91", "lat", {"lat": 91}),
    _patch("lat--91", "lat", {"lat": -91}),
    _patch("lon-181", "lon", {"lon": 181}),
    _patch("valid-and-unknown-field", "colour", {"price_cents": 1, "colour": "red"}),
]


def _me(name: str, names: str, body: Any) -> Case:
    return Case(f"patch-me:{name}", "PATCH", "/me", names, body=body, caller="creator")


PATCH_ME_CASES = [
    _me("empty-object", "request body", {}),
    _me("unknown-field", "colour", {"colour": "red"}),
    _me("user_id", "user_id", {"user_id": "someone-else"}),
    _me("privileged", "privileged", {"privileged": True}),
    _me("provider_since", "provider_since", {"provider_since": "2020-01-01T00:00:00Z"}),
    _me("rating_count", "rating_count", {"rating_count": 100}),
    _me("rating_avg", "rating_avg", {"rating_avg": 5}),
    _me("rating_score", "rating_score", {"rating_score": 5}),
    _me("created_at", "created_at", {"created_at": "2020-01-01T00:00:00Z"}),
    _me("display_name-null", "display_name", {"display_name": None}),
    _me("bio-null", "bio", {"bio": None}),
    _me("display_name-number", "display_name", {"display_name": 5}),
    _me("display_name-empty", "display_name", {"display_name": ""}),
    _me("display_name-whitespace", "display_name", {"display_name": "   "}),
    _me("display_name-61-chars", "display_name", {"display_name": "a" * 61}),
    _me("display_name-control", "display_name", {"display_name": "Al\x00ice"}),
    _me("display_name-newline", "display_name", {"display_name": "Al\nice"}),
    _me("bio-501-chars", "bio", {"bio": "a" * 501}),
    _me("bio-control", "bio", {"bio": "Hello\x1b[2J"}),
    _me("bio-list", "bio", {"bio": ["Hello"]}),
    _me("display_name-hangul-filler", "display_name", {"display_name": "\u3164"}),
    _me("display_name-braille-blank", "display_name", {"display_name": "\u2800 \u2800"}),
    _me("display_name-halfwidth-filler", "display_name", {"display_name": "\uffa0"}),
    _me("bio-only-fillers", "bio", {"bio": "\u115f\u1160\n"}),
]

NO_BODY_CASES = [  # routes that take no body refuse one, so no field slips in unnoticed
    Case("delete-listing:body", "DELETE", "/listings/{listing}", "status", body={"status": "x"}),
    Case("delete-listing:array-body", "DELETE", "/listings/{listing}", "request body", raw=b"[]"),
    Case("delete-listing:malformed-body", "DELETE", "/listings/{listing}", "request body", raw=b"{"),
    Case("get-listing:body", "GET", "/listings/{listing}", "title", body={"title": "x"}),
    Case("get-me:body", "GET", "/me", "privileged", body={"privileged": True}),
    Case("get-user:body", "GET", "/users/{other}", "x", body={"x": 1}),
    Case("user-listings:body", "GET", "/users/{owner}/listings", "limit", body={"limit": 1}),
    Case("search:body", "GET", SEARCH, "radius_m", body={"radius_m": 5}),
]

QUERY_CASES = [
    # unknown or repeated query parameters, on every route
    Case("get-me:unknown-param", "GET", "/me?debug=1", "debug"),
    Case("patch-me:unknown-param", "PATCH", "/me?debug=1", "debug", body={"bio": "x"}, caller="creator"),
    Case("get-user:unknown-param", "GET", "/users/{other}?fields=all", "fields"),
    Case("create:unknown-param", "POST", "/listings?status=paused", "status", body=listing_body(), caller="creator"),
    Case("get-listing:unknown-param", "GET", "/listings/{listing}?x=1", "x"),
    Case("patch-listing:unknown-param", "PATCH", "/listings/{listing}?force=1", "force", body={"price_cents": 1}),
    Case("delete-listing:unknown-param", "DELETE", "/listings/{listing}?hard=1", "hard"),
    Case("user-listings:unknown-param", "GET", "/users/{owner}/listings?status=paused", "status"),
    Case("user-listings:limit-0", "GET", "/users/{owner}/listings?limit=0", "limit"),
    Case("user-listings:limit-101", "GET", "/users/{owner}/listings?limit=101", "limit"),
    Case("user-listings:limit-text", "GET", "/users/{owner}/listings?limit=ten", "limit"),
    Case("user-listings:limit-fraction", "GET", "/users/{owner}/listings?limit=1.5", "limit"),
    Case("user-listings:limit-empty", "GET", "/users/{owner}/listings?limit=", "limit"),
    Case("user-listings:repeated-limit", "GET", "/users/{owner}/listings?limit=1&limit=2", "limit"),
    Case("user-listings:cursor-empty", "GET", "/users/{owner}/listings?cursor=", "cursor"),
    Case("user-listings:cursor-garbage", "GET", "/users/{owner}/listings?cursor=not-a-cursor", "cursor"),
    Case("user-listings:cursor-not-base64", "GET", "/users/{owner}/listings?cursor=%25%25%25", "cursor"),
    Case("user-listings:cursor-non-ascii", "GET", "/users/{owner}/listings?cursor=%C3%A9t%C3%A9", "cursor"),
    Case("user-listings:cursor-too-long", "GET", "/users/{owner}/listings?cursor=" + "A" * 3000, "cursor"),
    Case("user-listings:cursor-tampered", "GET",
         "/users/{owner}/listings?limit=1&cursor={tampered_listings_cursor}", "cursor"),
    Case("user-listings:cursor-of-another-caller", "GET",
         "/users/{owner}/listings?limit=1&cursor={listings_cursor}", "cursor", caller="other"),
    Case("user-listings:cursor-of-another-provider", "GET",
         "/users/{other}/listings?limit=1&cursor={listings_cursor}", "cursor"),
    Case("user-listings:cursor-of-a-search", "GET",
         "/users/{owner}/listings?limit=1&cursor={search_cursor}", "cursor"),
    # search
    Case("search:no-params", "GET", "/search", "lat"),
    Case("search:missing-lat", "GET", f"/search?lon={LON}", "lat"),
    Case("search:missing-lon", "GET", f"/search?lat={LAT}", "lon"),
    Case("search:lat-text", "GET", f"/search?lat=north&lon={LON}", "lat"),
    Case("search:lat-empty", "GET", f"/search?lat=&lon={LON}", "lat"),
    Case("search:lat-nan", "GET", f"/search?lat=nan&lon={LON}", "lat"),
    Case("search:lon-inf", "GET", f"/search?lat={LAT}&lon=inf", "lon"),
    Case("search:lat-91", "GET", f"/search?lat=91&lon={LON}", "lat"),
    Case("search:lat--91", "GET", f"/search?lat=-91&lon={LON}", "lat"),
    Case("search:lon-181", "GET", f"/search?lat={LAT}&lon=181", "lon"),
    Case("search:lon--181", "GET", f"/search?lat={LAT}&lon=-181", "lon"),
    Case("search:radius_m-0", "GET", SEARCH + "&radius_m=0", "radius_m"),
    Case("search:radius_m-20001", "GET", SEARCH + "&radius_m=20001", "radius_m"),
    Case("search:radius_m-negative", "GET", SEARCH + "&radius_m=-5", "radius_m"),
    Case("search:radius_m-fraction", "GET", SEARCH + "&radius_m=1.5", "radius_m"),
    Case("search:radius_m-text", "GET", SEARCH + "&radius_m=far", "radius_m"),
    Case("search:limit-0", "GET", SEARCH + "&limit=0", "limit"),
    Case("search:limit-101", "GET", SEARCH + "&limit=101", "limit"),
    Case("search:limit-text", "GET", SEARCH + "&limit=all", "limit"),
    Case("search:category-unknown", "GET", SEARCH + "&category=plumbing", "category"),
    Case("search:category-empty", "GET", SEARCH + "&category=", "category"),
    Case("search:q-empty", "GET", SEARCH + "&q=", "q"),
    Case("search:q-blank", "GET", SEARCH + "&q=%20%20", "q"),
    Case("search:q-101-chars", "GET", SEARCH + "&q=" + "a" * 101, "q"),
    Case("search:q-hangul-filler", "GET", SEARCH + "&q=%E3%85%A4", "q"),
    Case("search:q-braille-blank", "GET", SEARCH + "&q=%E2%A0%80", "q"),
    Case("search:unknown-param", "GET", SEARCH + "&sort=price", "sort"),
    Case("search:unknown-param-status", "GET", SEARCH + "&status=paused", "status"),
    Case("search:repeated-limit", "GET", SEARCH + "&limit=1&limit=2", "limit"),
    Case("search:repeated-lat", "GET", SEARCH + "&lat=31.24", "lat"),
    Case("search:cursor-empty", "GET", SEARCH + "&cursor=", "cursor"),
    Case("search:cursor-garbage", "GET", SEARCH + "&cursor=not-a-cursor", "cursor"),
    Case("search:cursor-one-char", "GET", SEARCH + "&cursor=A", "cursor"),
    Case("search:cursor-too-long", "GET", SEARCH + "&cursor=" + "A" * 3000, "cursor"),
    Case("search:cursor-tampered", "GET", SEARCH + "&limit=1&cursor={tampered_search_cursor}", "cursor"),
    Case("search:cursor-of-another-caller", "GET", SEARCH + "&limit=1&cursor={search_cursor}", "cursor",
         caller="other"),
    Case("search:cursor-with-another-radius", "GET", SEARCH + "&limit=1&radius_m=3000&cursor={search_cursor}",
         "cursor"),
    Case("search:cursor-with-another-centre", "GET",
         f"/search?lat={NEAR[0][0]}&lon={NEAR[0][1]}&limit=1&cursor={{search_cursor}}", "cursor"),
    Case("search:cursor-with-a-category", "GET", SEARCH + "&limit=1&category=repair&cursor={search_cursor}",
         "cursor"),
    Case("search:cursor-with-a-keyword", "GET", SEARCH + "&limit=1&q=repair&cursor={search_cursor}", "cursor"),
    Case("search:cursor-of-a-listings-page", "GET", SEARCH + "&limit=1&cursor={listings_cursor}", "cursor"),
]

NEARBY_CASES = [
    Case("nearby:no-params", "GET", "/tasks/nearby", "lat"),
    Case("nearby:missing-lat", "GET", f"/tasks/nearby?lon={LON}", "lat"),
    Case("nearby:missing-lon", "GET", f"/tasks/nearby?lat={LAT}", "lon"),
    Case("nearby:lat-text", "GET", f"/tasks/nearby?lat=north&lon={LON}", "lat"),
    Case("nearby:lat-nan", "GET", f"/tasks/nearby?lat=nan&lon={LON}", "lat"),
    Case("nearby:lat-91", "GET", f"/tasks/nearby?lat=91&lon={LON}", "lat"),
    Case("nearby:lon-181", "GET", f"/tasks/nearby?lat={LAT}&lon=181", "lon"),
    Case("nearby:lon-inf", "GET", f"/tasks/nearby?lat={LAT}&lon=inf", "lon"),
    Case("nearby:radius_m-0", "GET", NEARBY + "&radius_m=0", "radius_m"),
    Case("nearby:radius_m-20001", "GET", NEARBY + "&radius_m=20001", "radius_m"),
    Case("nearby:radius_m-fraction", "GET", NEARBY + "&radius_m=1.5", "radius_m"),
    Case("nearby:limit-0", "GET", NEARBY + "&limit=0", "limit"),
    Case("nearby:limit-101", "GET", NEARBY + "&limit=101", "limit"),
    Case("nearby:category-unknown", "GET", NEARBY + "&category=plumbing", "category"),
    Case("nearby:category-empty", "GET", NEARBY + "&category=", "category"),
    Case("nearby:keyword", "GET", NEARBY + "&q=sofa", "q"),
    Case("nearby:unknown-param", "GET", NEARBY + "&status=open", "status"),
    Case("nearby:repeated-lat", "GET", NEARBY + "&lat=31.24", "lat"),
    Case("nearby:body", "GET", NEARBY, "radius_m", body={"radius_m": 5}),
    Case("nearby:cursor-empty", "GET", NEARBY + "&cursor=", "cursor"),
    Case("nearby:cursor-garbage", "GET", NEARBY + "&cursor=not-a-cursor", "cursor"),
    Case("nearby:cursor-too-long", "GET", NEARBY + "&cursor=" + "A" * 3000, "cursor"),
    Case("nearby:cursor-tampered", "GET", NEARBY + "&limit=1&cursor={tampered_nearby_cursor}", "cursor"),
    Case("nearby:cursor-of-another-caller", "GET", NEARBY + "&limit=1&cursor={nearby_cursor}", "cursor",
         caller="other"),
    Case("nearby:cursor-with-another-radius", "GET", NEARBY + "&limit=1&radius_m=3000&cursor={nearby_cursor}",
         "cursor"),
    Case("nearby:cursor-with-a-category", "GET", NEARBY + "&limit=1&category=repair&cursor={nearby_cursor}",
         "cursor"),
    Case("nearby:cursor-of-a-search", "GET", NEARBY + "&limit=1&cursor={search_cursor}", "cursor"),
    Case("search:cursor-of-a-nearby-walk", "GET", SEARCH + "&limit=1&cursor={nearby_cursor}", "cursor"),
]

REPORT = {"subject": "listing", "subject_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ", "reason": "a scam"}
SAFETY_CASES = [
    Case("report:subject-unknown", "POST", "/reports", "subject", body={**REPORT, "subject": "order"}),
    Case("report:subject-missing", "POST", "/reports", "subject", body={"subject_id": "x", "reason": "r"}),
    Case("report:subject_id-missing", "POST", "/reports", "subject_id", body={"subject": "user", "reason": "r"}),
    Case("report:subject_id-not-an-id", "POST", "/reports", "subject_id", body={**REPORT, "subject_id": "a b"}),
    Case("report:reason-missing", "POST", "/reports", "reason", body={"subject": "user", "subject_id": "x"}),
    Case("report:reason-empty", "POST", "/reports", "reason", body={**REPORT, "reason": ""}),
    Case("report:reason-blank", "POST", "/reports", "reason", body={**REPORT, "reason": "   "}),
    Case("report:reason-1001-chars", "POST", "/reports", "reason", body={**REPORT, "reason": "a" * 1001}),
    Case("report:reason-control-char", "POST", "/reports", "reason", body={**REPORT, "reason": "bad\x00"}),
    Case("report:reason-number", "POST", "/reports", "reason", body={**REPORT, "reason": 5}),
    Case("report:status-given", "POST", "/reports", "status", body={**REPORT, "status": "closed"}),
    Case("report:subject_owner-given", "POST", "/reports", "subject_owner", body={**REPORT, "subject_owner": "x"}),
    Case("close-report:action-missing", "POST", "/admin/reports/x/close", "action", body={"note": "n"}),
    Case("close-report:action-unknown", "POST", "/admin/reports/x/close", "action", body={"action": "ban"}),
    Case("close-report:note-too-long", "POST", "/admin/reports/x/close", "note",
         body={"action": "none", "note": "a" * 1001}),
    Case("close-report:unknown-field", "POST", "/admin/reports/x/close", "closed_by",
         body={"action": "none", "closed_by": "x"}),
    Case("reinstate:body", "POST", "/admin/users/{other}/reinstate", "until", body={"until": "never"}),
    Case("reports:status-closed", "GET", "/admin/reports?status=closed", "status"),
    Case("reports:limit-0", "GET", "/admin/reports?limit=0", "limit"),
    Case("reports:unknown-param", "GET", "/admin/reports?subject=listing", "subject"),
]

EVENTS_CASES = [
    Case("events:after-negative", "GET", "/events?after=-1", "after"),
    Case("events:after-text", "GET", "/events?after=latest", "after"),
    Case("events:after-fraction", "GET", "/events?after=1.5", "after"),
    Case("events:after-beyond-2^53", "GET", f"/events?after={2**53 + 1}", "after"),
    Case("events:after-empty", "GET", "/events?after=", "after"),
    Case("events:repeated-after", "GET", "/events?after=1&after=2", "after"),
    Case("events:limit-0", "GET", "/events?limit=0", "limit"),
    Case("events:limit-101", "GET", "/events?limit=101", "limit"),
    Case("events:cursor-instead-of-after", "GET", "/events?cursor=5", "cursor"),
    Case("events:unknown-param", "GET", "/events?kind=order.updated", "kind"),
]

def _alerts(name: str, names: str, **changes: Any) -> Case:
    return Case(f"put-alerts:{name}", "PUT", "/me/alerts", names, body={**ALERT_AREA, **changes}, caller="creator")


ALERT_CASES = [
    _alerts("categories-empty", "categories", categories=[]),
    _alerts("categories-unknown", "categories", categories=["repair", "plumbing"]),
    _alerts("categories-wrong-case", "categories", categories=["Repair"]),
    _alerts("categories-string", "categories", categories="repair"),
    _alerts("categories-null", "categories", categories=None),
    _alerts("categories-number", "categories", categories=[1]),
    _alerts("categories-too-many", "categories", categories=["repair"] * 11),
    _alerts("radius_m-0", "radius_m", radius_m=0),
    _alerts("radius_m-20001", "radius_m", radius_m=20_001),
    _alerts("radius_m-fraction", "radius_m", radius_m=1.5),
    _alerts("radius_m-string", "radius_m", radius_m="2000"),
    _alerts("lat-91", "lat", lat=91),
    _alerts("lon-string", "lon", lon="121.47"),
    _alerts("user_id", "user_id", user_id="someone-else"),
    _alerts("updated_at", "updated_at", updated_at="2020-01-01T00:00:00Z"),
    Case("put-alerts:missing-radius_m", "PUT", "/me/alerts", "radius_m",
         body={key: value for key, value in ALERT_AREA.items() if key != "radius_m"}, caller="creator"),
    Case("put-alerts:unknown-param", "PUT", "/me/alerts?force=1", "force", body=ALERT_AREA, caller="creator"),
    Case("get-alerts:body", "GET", "/me/alerts", "radius_m", body={"radius_m": 5}, caller="creator"),
    Case("get-alerts:unknown-param", "GET", "/me/alerts?user_id=x", "user_id", caller="creator"),
    Case("delete-alerts:body", "DELETE", "/me/alerts", "categories", body={"categories": []}, caller="creator"),
]

TASK = {"title": "Carry a sofa", "category": "errands", "budget_cents": 8000, "lat": 31.2304, "lon": 121.4737}
SOME_TASK = "/tasks/01J0000000000000000000000T"  # bodies and queries are read before the task


def _task(name: str, names: str, **changes: Any) -> Case:
    return Case(f"post-task:{name}", "POST", "/tasks", names, body={**TASK, **changes}, caller="creator")


def _offer(name: str, names: str, body: Any) -> Case:
    return Case(f"offer:{name}", "POST", SOME_TASK + "/offers", names, body=body, caller="creator")


TASK_CASES = [
    _task("title-empty", "title", title=""),
    _task("title-blank", "title", title="   "),
    _task("title-121", "title", title="a" * 121),
    _task("description-2001", "description", description="a" * 2001),
    _task("category-unknown", "category", category="plumbing"),
    _task("budget-0", "budget_cents", budget_cents=0),
    _task("budget-100000000", "budget_cents", budget_cents=100_000_000),
    _task("budget-fraction", "budget_cents", budget_cents=10.5),
    _task("budget-string", "budget_cents", budget_cents="8000"),
    _task("lat-91", "lat", lat=91),
    _task("lon-nan", "lon", lon="NaN"),
    _task("expires-59", "expires_in_s", expires_in_s=59),
    _task("expires-8-days", "expires_in_s", expires_in_s=8 * 86400),
    _task("precision-unknown", "location_precision", location_precision="fuzzy"),
    _task("precise_lat", "precise_lat", precise_lat=31.0),
    _task("status", "status", status="assigned"),
    _task("requester_id", "requester_id", requester_id="someone-else"),
    _task("order_id", "order_id", order_id="01J0000000000000000000000A"),
    Case("post-task:missing-budget", "POST", "/tasks", "budget_cents",
         body={key: value for key, value in TASK.items() if key != "budget_cents"}, caller="creator"),
    Case("post-task:array", "POST", "/tasks", "request body", raw=b"[]", caller="creator"),
    Case("post-task:malformed", "POST", "/tasks", "request body", raw=b'{"title": ', caller="creator"),
    Case("my-tasks:role-buyer", "GET", "/tasks?role=buyer", "role", caller="creator"),
    Case("my-tasks:limit-0", "GET", "/tasks?limit=0", "limit", caller="creator"),
    Case("my-tasks:unknown-param", "GET", "/tasks?status=open", "status", caller="creator"),
    Case("get-task:body", "GET", SOME_TASK, "title", body={"title": "x"}, caller="creator"),
    _offer("price-0", "price_cents", {"price_cents": 0}),
    _offer("price-missing", "price_cents", {"message": "hi"}),
    _offer("price-string", "price_cents", {"price_cents": "7000"}),
    _offer("message-1001", "message", {"price_cents": 7000, "message": "a" * 1001}),
    _offer("message-blank", "message", {"price_cents": 7000, "message": "\u3164\u3164"}),
    _offer("status", "status", {"price_cents": 7000, "status": "accepted"}),
    _offer("provider_id", "provider_id", {"price_cents": 7000, "provider_id": "someone-else"}),
    Case("offers:body", "GET", SOME_TASK + "/offers", "x", body={"x": 1}, caller="creator"),
    Case("cancel-task:body", "POST", SOME_TASK + "/cancel", "reason", body={"reason": "x"}, caller="creator"),
    Case("accept-offer:body", "POST", SOME_TASK + "/offers/01J0000000000000000000000F/accept", "price_cents",
         body={"price_cents": 1}, caller="creator"),
    Case("withdraw-offer:body", "POST", SOME_TASK + "/offers/01J0000000000000000000000F/withdraw", "x",
         body={"x": 1}, caller="creator"),
]

SOME_ORDER = "/orders/01J0000000000000000000000A/review"  # the body is read before the order


def _review(name: str, names: str, body: Any) -> Case:
    return Case(f"review:{name}", "POST", SOME_ORDER, names, body=body, caller="creator")


REVIEW_CASES = [
    _review("rating-missing", "rating", {"text": "Great"}),
    _review("rating-0", "rating", {"rating": 0}),
    _review("rating-6", "rating", {"rating": 6}),
    _review("rating-fraction", "rating", {"rating": 4.5}),
    _review("rating-string", "rating", {"rating": "5"}),
    _review("rating-bool", "rating", {"rating": True}),
    _review("text-1001", "text", {"rating": 5, "text": "a" * 1001}),
    _review("text-blank", "text", {"rating": 5, "text": "   "}),
    _review("text-invisible", "text", {"rating": 5, "text": "\u3164\u200b"}),
    _review("text-null", "text", {"rating": 5, "text": None}),
    _review("published_at", "published_at", {"rating": 5, "published_at": "2026-01-01T00:00:00Z"}),
    _review("author_id", "author_id", {"rating": 5, "author_id": "someone-else"}),
    Case("review:array", "POST", SOME_ORDER, "request body", raw=b"[]", caller="creator"),
    Case("review:malformed", "POST", SOME_ORDER, "request body", raw=b'{"rating": ', caller="creator"),
    Case("reviews:limit-0", "GET", "/users/{owner}/reviews?limit=0", "limit", caller="creator"),
    Case("reviews:limit-101", "GET", "/users/{owner}/reviews?limit=101", "limit", caller="creator"),
    Case("reviews:unknown-param", "GET", "/users/{owner}/reviews?role=buyer", "role", caller="creator"),
    Case("reviews:cursor-garbage", "GET", "/users/{owner}/reviews?cursor=not-a-cursor", "cursor", caller="creator"),
    Case("reviews:cursor-of-search", "GET", "/users/{owner}/reviews?cursor={search_cursor}", "cursor"),
]

ADMIN = "/admin/orders"
RESOLVE = "/admin/orders/01J0000000000000000000000A/resolve"  # the body is read before the order
ADMIN_CASES = [
    Case("admin-orders:no-status", "GET", ADMIN, "status", caller="operator"),
    Case("admin-orders:status-funded", "GET", ADMIN + "?status=funded", "status", caller="operator"),
    Case("admin-orders:status-unknown", "GET", ADMIN + "?status=stuck", "status", caller="operator"),
    Case("admin-orders:status-empty", "GET", ADMIN + "?status=", "status", caller="operator"),
    Case("admin-orders:repeated-status", "GET", ADMIN + "?status=disputed&status=disputed", "status",
         caller="operator"),
    Case("admin-orders:limit-0", "GET", ADMIN + "?status=disputed&limit=0", "limit", caller="operator"),
    Case("admin-orders:limit-101", "GET", ADMIN + "?status=disputed&limit=101", "limit", caller="operator"),
    Case("admin-orders:cursor-garbage", "GET", ADMIN + "?status=disputed&cursor=not-a-cursor", "cursor",
         caller="operator"),
    Case("admin-orders:cursor-of-a-search", "GET", ADMIN + "?status=disputed&limit=1&cursor={search_cursor}",
         "cursor", caller="operator"),
    Case("admin-orders:unknown-param", "GET", ADMIN + "?status=disputed&role=buyer", "role", caller="operator"),
    Case("admin-orders:body", "GET", ADMIN + "?status=disputed", "x", body={"x": 1}, caller="operator"),
    Case("resolve:missing-release", "POST", RESOLVE, "release_cents", body={"note": "x"}, caller="operator"),
    Case("resolve:release-negative", "POST", RESOLVE, "release_cents", body={"release_cents": -1},
         caller="operator"),
    Case("resolve:release-text", "POST", RESOLVE, "release_cents", body={"release_cents": "100"}, caller="operator"),
    Case("resolve:release-fraction", "POST", RESOLVE, "release_cents", body={"release_cents": 1.5},
         caller="operator"),
    Case("resolve:release-huge", "POST", RESOLVE, "release_cents", body={"release_cents": 10**12}, caller="operator"),
    Case("resolve:note-501-chars", "POST", RESOLVE, "note", body={"release_cents": 0, "note": "a" * 501},
         caller="operator"),
    Case("resolve:note-control-character", "POST", RESOLVE, "note", body={"release_cents": 0, "note": "a\u0000b"},
         caller="operator"),
    Case("resolve:note-number", "POST", RESOLVE, "note", body={"release_cents": 0, "note": 5}, caller="operator"),
    Case("resolve:note-null", "POST", RESOLVE, "note", body={"release_cents": 0, "note": None}, caller="operator"),
    Case("resolve:unknown-field", "POST", RESOLVE, "resolved_by", body={"release_cents": 0, "resolved_by": "me"},
         caller="operator"),
    Case("resolve:malformed-json", "POST", RESOLVE, "request body", raw=b'{"release_cents": ', caller="operator"),
]

CASES = (
    RAW_CASES + CONTENT_TYPE_CASES + CREATE_CASES + PATCH_LISTING_CASES + PATCH_ME_CASES + NO_BODY_CASES + QUERY_CASES
    + SAFETY_CASES + ADMIN_CASES + EVENTS_CASES + ALERT_CASES + NEARBY_CASES + TASK_CASES + REVIEW_CASES
)


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", [case.param() for case in CASES])
def test_bad_input_is_refused_with_400_naming_the_field(world, snapshot, case):
    answer = checked(world.client.call(
        case.method, world.fill(case.path), world.caller(case.caller), case.body, raw=case.raw,
        headers={"Content-Type": case.content_type} if case.content_type else None,
    ))
    assert answer.status == 400, answer
    assert set(answer.body) == {"Code", "Message"}, answer.body
    assert answer.body["Code"] == "BadRequestError", answer.body
    message = answer.body["Message"]
    assert isinstance(message, str) and message.strip(), answer.body
    assert case.names in message, f"{message!r} does not name {case.names!r}"


# ---- the cursors used above are real: the same cursor, replayed as made, is accepted ----
def test_the_search_cursor_is_accepted_by_its_own_caller_and_query(world):
    page = checked(world.client.get(SEARCH + f"&limit=1&cursor={world.search_cursor}", world.owner))
    assert page.status == 200, page
    assert len(page.body["items"]) == 1


def test_the_nearby_cursor_is_accepted_by_its_own_caller_and_query(world):
    page = checked(world.client.get(NEARBY + f"&limit=1&cursor={world.nearby_cursor}", world.owner))
    assert page.status == 200, page
    assert len(page.body["items"]) == 1


def test_the_listings_cursor_is_accepted_by_its_own_caller_and_query(world):
    page = checked(world.client.get(
        f"/users/{world.owner.user_id}/listings?limit=1&cursor={world.listings_cursor}", world.owner,
    ))
    assert page.status == 200, page
    assert len(page.body["items"]) == 1


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_paging_never_fails_in_a_deployed_stage(world, stage):
    """.chalice/config.json sets CURSOR_SECRET for `local` only: elsewhere every cursor made or read is a 500."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name=stage, project_dir=str(ROOT)) as chalice_client:
        client = Api(chalice_client.http)
        assert checked(client.get(SEARCH + "&limit=1&cursor=not-a-cursor", world.owner)).status == 400
        page = checked(client.get(SEARCH + "&limit=1", world.owner))
        assert page.status == 200 and page.body["next_cursor"], page


# ---- points outside every open region: 422 RegionNotOpen ----
def assert_region_not_open(answer: Answer) -> None:
    assert answer.status == 422, answer
    assert answer.body["Code"] == "RegionNotOpen", answer.body
    assert isinstance(answer.body["Message"], str) and answer.body["Message"], answer.body


OUTSIDE = {
    "beijing-closed": BEIJING,
    "hangzhou-closed": HANGZHOU,
    "null-island": (0.0, 0.0),
    "south-pole": (-90.0, 180.0),
    "just-east-of-shanghai-at-sea": (31.2304, 123.0),
}


@pytest.mark.parametrize("point", list(OUTSIDE.values()), ids=list(OUTSIDE))
def test_a_listing_outside_every_open_region_is_not_created(world, snapshot, point):
    lat, lon = point
    assert_region_not_open(checked(world.client.post("/listings", world.creator, listing_body(lat=lat, lon=lon))))


@pytest.mark.parametrize("point", list(OUTSIDE.values()), ids=list(OUTSIDE))
def test_an_alert_area_outside_every_open_region_is_not_set(world, snapshot, point):
    lat, lon = point
    area = {**ALERT_AREA, "lat": lat, "lon": lon}
    assert_region_not_open(checked(world.client.call("PUT", "/me/alerts", world.creator, area)))


@pytest.mark.parametrize(
    "move",
    [{"lat": BEIJING[0], "lon": BEIJING[1]}, {"lat": 35.0}, {"lon": 118.0}, {"lat": 0.0, "lon": 0.0, "title": "x"}],
    ids=["to-beijing", "lat-only", "lon-only", "with-other-changes"],
)
def test_a_listing_is_not_moved_outside_every_open_region(world, snapshot, move):
    path = f"/listings/{world.listing['listing_id']}"
    assert_region_not_open(checked(world.client.patch(path, world.owner, move)))


@pytest.mark.parametrize("point", list(OUTSIDE.values()), ids=list(OUTSIDE))
def test_a_search_centred_outside_every_open_region_is_refused(world, point):
    lat, lon = point
    assert_region_not_open(checked(world.client.get(f"/search?lat={lat}&lon={lon}", world.owner)))


@pytest.mark.parametrize("point", list(OUTSIDE.values()), ids=list(OUTSIDE))
def test_nearby_tasks_centred_outside_every_open_region_are_refused(world, point):
    lat, lon = point
    assert_region_not_open(checked(world.client.get(f"/tasks/nearby?lat={lat}&lon={lon}", world.owner)))


# ---- ids that cannot exist: 404, never 5xx ----
IMPOSSIBLE_IDS = {
    "dot-dot": "..",
    "dot": ".",
    "encoded-dot-dot": "%2E%2E",
    "encoded-slash": "a%2Fb",
    "200-chars": "a" * 200,
    "non-ascii": "日本語",
    "encoded-non-ascii": "%E6%97%A5%E6%9C%AC",
    "emoji": "\U0001f6b2",
    "encoded-NUL": "a%00b",
    "space": "a%20b",
    "quote": "a'\"b",
    "json": "%7B%7D",
    "unknown-uuid": "00000000-0000-4000-8000-000000000000",
    "128-chars": "a" * 128,
}


@pytest.mark.parametrize(
    ("method", "template", "body"),
    [
        ("GET", "/listings/{}", None),
        ("PATCH", "/listings/{}", {"price_cents": 1}),
        ("DELETE", "/listings/{}", None),
        ("GET", "/users/{}", None),
    ],
    ids=["get-listing", "patch-listing", "delete-listing", "get-user"],
)
@pytest.mark.parametrize("bad_id", list(IMPOSSIBLE_IDS.values()), ids=list(IMPOSSIBLE_IDS))
def test_an_id_that_cannot_exist_is_not_found(world, method, template, body, bad_id):
    answer = checked(world.client.call(method, template.format(bad_id), world.owner, body))
    assert answer.status == 404, answer
    assert answer.body["Code"] == "NotFoundError", answer.body


@pytest.mark.parametrize("bad_id", list(IMPOSSIBLE_IDS.values()), ids=list(IMPOSSIBLE_IDS))
def test_the_listings_of_a_user_that_cannot_exist_are_not_found_or_empty(world, bad_id):
    answer = checked(world.client.get(f"/users/{bad_id}/listings", world.owner))
    assert answer.status in (200, 404), answer
    if answer.status == 200:
        assert answer.body == {"items": [], "next_cursor": None}


# ---- after all those refusals, a valid request still works ----
def test_valid_requests_still_work_after_the_refusals(world):
    client, other = world.client, world.other
    created = checked(client.post("/listings", other, listing_body(title="Piano lessons", category="education")))
    assert created.status == 201, created
    path = f"/listings/{created.body['listing_id']}"
    edited = checked(client.patch(path, other, {"price_cents": 6000, "status": "paused"}))
    assert edited.status == 200 and (edited.body["price_cents"], edited.body["status"]) == (6000, "paused"), edited
    assert checked(client.delete(path, other)).status == 204
    assert checked(client.get(path, other)).status == 404
