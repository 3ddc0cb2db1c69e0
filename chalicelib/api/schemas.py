"""The API's request and response shapes (pydantic v2). They validate input and generate the OpenAPI schemas.

Request bodies are strict (no "5" for 5, no true for 1) and forbid unknown fields, so server-owned fields
(`status` on create, `provider_id`, `privileged`, `geohash`, `created_at`...) can never be written.
Query strings are parsed leniently (they are text by nature) but still forbid unknown parameters.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, Self, TypeVar, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model, model_validator

from chalicelib.domain import pages
from chalicelib.domain.alerts import MAX_RADIUS_M, MIN_RADIUS_M, AlertArea
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.conversations import TEXT_MAX, Conversation
from chalicelib.domain.listings import LOCATION_PRECISIONS, Listing, Pin
from chalicelib.domain.moderation import ACTIONS, REASON_MAX, SUBJECTS, Report
from chalicelib.domain.moderation import NOTE_MAX as DECISION_NOTE_MAX
from chalicelib.domain.orders import NOTE_MAX, ROLES, STATUSES, Order
from chalicelib.domain.profiles import DISPLAY_NAME_MAX
from chalicelib.domain.reviews import MAX_RATING, MIN_RATING, Review
from chalicelib.domain.reviews import TEXT_MAX as REVIEW_TEXT_MAX
from chalicelib.domain.tasks import (
    DEFAULT_EXPIRES_IN_S,
    MAX_EXPIRES_IN_S,
    MIN_EXPIRES_IN_S,
    OFFER_STATUSES,
    Offer,
    Task,
    TaskPin,
)
from chalicelib.domain.tasks import STATUSES as TASK_STATUSES
from chalicelib.domain.text import has_control_characters, has_visible_character


def _single_line(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


def _multi_line(value: str) -> str:
    if has_control_characters(value, allow_newlines=True):
        raise ValueError("must not contain control characters other than newlines and tabs")
    return value


def _visible(value: str) -> str:
    if not has_visible_character(value):
        raise ValueError("must contain a visible character, not only spaces or invisible characters")
    return value


def _visible_or_empty(value: str) -> str:
    return _visible(value) if value else value


_SHOWS_SOMETHING = "At least one visible character: not only spaces, fillers (U+3164...) or zero-width characters."
# Free text that must show something: newlines and tabs are its only control characters. Add the length, e.g.
# `Annotated[VisibleText, StringConstraints(min_length=1, max_length=1000)]`.
VisibleText = Annotated[
    str, AfterValidator(_multi_line), AfterValidator(_visible), Field(description=_SHOWS_SOMETHING)
]
# The same, one line (names, titles, keywords).
VisibleLine = Annotated[
    str, AfterValidator(_single_line), AfterValidator(_visible), Field(description=_SHOWS_SOMETHING)
]
# Free text that may be empty, but if not must show something.
VisibleOrEmptyText = Annotated[
    str, AfterValidator(_multi_line), AfterValidator(_visible_or_empty),
    Field(description="Empty, or at least one visible character (not only spaces or invisible characters)."),
]

Title = Annotated[VisibleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Description = Annotated[VisibleOrEmptyText, StringConstraints(max_length=2000)]
DisplayName = Annotated[
    VisibleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=DISPLAY_NAME_MAX)
]
Bio = Annotated[VisibleOrEmptyText, StringConstraints(max_length=500)]
CategoryId = Annotated[
    str, StringConstraints(min_length=1, max_length=40),
    Field(description="A category id (GET /categories).", json_schema_extra={"enum": list(CATEGORIES)}),
]
PriceCents = Annotated[int, Field(ge=1, le=99_999_999, description="Integer minor units (fen for CNY).")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code.")]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Limit = Annotated[int, Field(ge=1, le=100)]
ResourceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$"), Field(description="An opaque id.")]
MessageText = Annotated[
    VisibleText, StringConstraints(min_length=1, max_length=TEXT_MAX),
    Field(description="1..2000 characters, at least one visible; newlines and tabs are the only control characters"
          " allowed."),
]
Note = Annotated[VisibleOrEmptyText, StringConstraints(max_length=NOTE_MAX)]
LocationPrecision = Annotated[
    Literal[LOCATION_PRECISIONS],  # type: ignore[valid-type]  # the domain's tuple of names, unpacked at runtime
    Field(description=(
        "exact: shown where it is (a shop, a public place). approximate (someone's home): shown and searched at the"
        " centre of its ~150 m cell (geohash-7); the precise point is seen only by you and, once an order is"
        " funded, by that order's buyer."
    )),
]
OrderStatus = Literal[STATUSES]  # type: ignore[valid-type]  # the domain's tuple of names, unpacked at runtime
Role = Literal[ROLES]  # type: ignore[valid-type]  # the domain's tuple of names, unpacked at runtime


Item = TypeVar("Item", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


def shown_as(model: type[Out], source: object) -> Out:
    """A domain object as a response model: its fields read by name (only those the model lists)."""
    return model.model_validate(source, from_attributes=True)


class Page(BaseModel, Generic[Item]):
    """A page of results; `next_cursor` continues it (null: this was the last page)."""

    items: list[Item]
    next_cursor: str | None

    @classmethod
    def of(cls, page: pages.Page[Any], convert: Callable[[Any], Item]) -> Self:
        return cls(items=[convert(item) for item in page.items], next_cursor=page.next_cursor)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _patch_json_schema(schema: dict[str, Any]) -> None:
    """Document what the validator enforces: at least one field, none null (`X | None = None` only types "absent")."""
    schema["minProperties"] = 1
    for prop in schema.get("properties", {}).values():
        branches = [branch for branch in prop.pop("anyOf", []) if branch != {"type": "null"}]
        if len(branches) == 1:
            prop.update(branches[0])
        elif branches:
            prop["anyOf"] = branches
        if prop.get("default", ...) is None:
            del prop["default"]


class PatchBody(Body):
    """A partial update: at least one field, and no field set to null."""

    model_config = ConfigDict(json_schema_extra=_patch_json_schema)

    @model_validator(mode="after")
    def _at_least_one_non_null(self) -> PatchBody:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: may not be null")
        return self

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude_unset=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- requests ----
class ProfilePatch(PatchBody):
    display_name: DisplayName | None = None
    bio: Bio | None = None


class ListingCreate(Body):
    title: Title
    description: Description = ""
    category: CategoryId
    price_cents: PriceCents
    currency: Currency | None = None
    lat: Latitude
    lon: Longitude
    location_precision: LocationPrecision = "exact"


class ListingPatch(PatchBody):
    title: Title | None = None
    description: Description | None = None
    category: CategoryId | None = None
    price_cents: PriceCents | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    location_precision: LocationPrecision | None = None
    status: Literal["active", "paused"] | None = None


class PageQuery(Query):
    limit: Limit = 20
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2048)] | None = None


class SearchQuery(PageQuery):
    lat: Latitude
    lon: Longitude
    radius_m: Annotated[int, Field(ge=1, le=20_000)] = 2000
    category: CategoryId | None = None
    q: Annotated[VisibleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None


class NearbyQuery(PageQuery):
    lat: Latitude
    lon: Longitude
    radius_m: Annotated[int, Field(ge=1, le=20_000)] = 2000
    category: CategoryId | None = None


class EventsQuery(Query):
    after: Annotated[int, Field(ge=0, le=2**53, description="Only events after this event_id (0: all kept).")] = 0
    limit: Limit = 20


class ConversationCreate(Body):
    listing_id: ResourceId


class MessageCreate(Body):
    text: MessageText
    offer_cents: PriceCents | None = Field(
        default=None,
        description=(
            "A price offer, shown in the chat (the conversation keeps the provider's latest). It never sets an"
            " order's price: the buyer accepts it by naming it as `price_cents` in POST /orders."
        ),
    )


class MessagesQuery(PageQuery):
    after: ResourceId | None = Field(default=None, description="Only messages after this message_id.")


class OrderCreate(Body):
    listing_id: ResourceId
    price_cents: PriceCents | None = Field(
        default=None,
        description=(
            "The price you offer; absent: the listing's price. A chat offer never changes it: to accept one,"
            " name its price here."
        ),
    )
    note: Note = ""


class TaskCreate(Body):
    title: Title
    description: Description = ""
    category: CategoryId
    budget_cents: PriceCents
    lat: Latitude
    lon: Longitude
    expires_in_s: Annotated[int, Field(ge=MIN_EXPIRES_IN_S, le=MAX_EXPIRES_IN_S, description=(
        "How long the task stays open for offers (60 s .. 7 days)."))] = DEFAULT_EXPIRES_IN_S
    location_precision: LocationPrecision = "exact"


class TasksQuery(PageQuery):
    role: Literal["requester", "provider"] = Field(
        default="requester", description="requester: the tasks you posted; provider: the tasks assigned to you.")


class OfferCreate(Body):
    price_cents: PriceCents
    message: Annotated[VisibleOrEmptyText, StringConstraints(max_length=1000)] = ""


class ReviewCreate(Body):
    rating: Annotated[int, Field(ge=MIN_RATING, le=MAX_RATING, description="1 (worst) .. 5 (best).")]
    text: Annotated[VisibleOrEmptyText, StringConstraints(max_length=REVIEW_TEXT_MAX)] = ""


class OrdersQuery(PageQuery):
    role: Role | None = Field(default=None, description="buyer or provider; both when absent.")
    status: OrderStatus | None = None


class AdminOrdersQuery(PageQuery):
    status: Literal["disputed"] = Field(description="The operators' queue: disputed orders, oldest dispute first.")


class ResolveBody(Body):
    release_cents: Annotated[
        int, Field(ge=0, le=99_999_999, description="To the provider (0..price); the rest goes back to the buyer.")
    ]
    note: Note = Field("", description="Why: kept on the order as `resolution_note` (the rules of an order's note).")


class ReportCreate(Body):
    subject: Literal[SUBJECTS]  # type: ignore[valid-type]  # the domain's tuple of names, unpacked at runtime
    subject_id: ResourceId
    reason: Annotated[VisibleText, StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX)]


class ReportClose(Body):
    action: Literal[ACTIONS] = Field(  # type: ignore[valid-type]  # the domain's tuple of names, unpacked at runtime
        description="none: nothing to do; takedown: the listing or task leaves every view but its owner's; "
        "suspend: the user the report is about can no longer write, and their listings are hidden, until reinstated."
    )
    note: Annotated[VisibleOrEmptyText, StringConstraints(max_length=DECISION_NOTE_MAX)] = ""


class ReportsQuery(PageQuery):
    status: Literal["open"] = Field(default="open", description="The queue holds the open reports, oldest first.")


class AmountBody(Body):
    amount_cents: PriceCents


# ---- responses ----
class ErrorOut(BaseModel):
    Code: str
    Message: str


class GatewayErrorOut(BaseModel):
    """API Gateway's own 401 to a request with no Authorization header at all: the authorizer and the API never
    see it, so it is not in the `{"Code", "Message"}` shape."""

    message: str


class HealthOut(BaseModel):
    status: Literal["ok"]


class CategoryOut(BaseModel):
    id: str
    name: str


class CategoryList(BaseModel):
    items: list[CategoryOut]


class RegionOut(BaseModel):
    id: str
    name: str
    open: bool
    bbox: tuple[float, float, float, float] = Field(description="[min_lon, min_lat, max_lon, max_lat]")
    polygons: list[list[tuple[float, float]]] = Field(
        description="The boundary: one or more rings of [lon, lat] (WGS-84, within ~1-2 km), for a map to draw")


class RegionList(BaseModel):
    items: list[RegionOut]


class PublicProfileOut(BaseModel):
    user_id: str
    display_name: str
    bio: str
    privileged: bool
    provider_since: str | None
    rating_avg: float | None
    rating_score: float | None = Field(description="A Bayesian average of the published ratings (prior 4.0, weight 5):"
                                       " a handful of reviews cannot push it to the top; null with no reviews.")
    rating_count: int


class ProfileOut(PublicProfileOut):
    created_at: str
    updated_at: str


def view_of(source: type, names: str, **overrides: Any) -> type[BaseModel]:
    """A response model of the domain type's fields named in `names`, typed as the domain types them unless
    overridden. The names are an allow-list: a field added to the domain is never shown by accident."""
    hints = get_type_hints(source)
    fields: dict[str, Any] = {name: (overrides.get(name, hints[name]), ...) for name in names.split()}
    return create_model(f"{source.__name__}View", **fields)


class PointOut(BaseModel):
    lat: float
    lon: float


# (A model made by view_of is a base mypy cannot see into: each view carries one justified ignore[misc].)
class ListingOut(view_of(  # type: ignore[misc]
    Listing, "listing_id provider_id title description category price_cents currency lat lon status privileged"
    " created_at updated_at location_precision hidden",
    location_precision=LocationPrecision,
    hidden=Annotated[str | None, Field(description="Why an operator hid it (takedown, suspended): only its owner "
                                                   "still sees it.")],
)):
    """A listing as anyone signed in sees it, its owner too: `lat`/`lon` are where it is shown (an approximate
    listing's cell centre)."""

    service_location: PointOut | None = Field(
        default=None, description="Where the service really is: shown to the listing's provider only (else null).",
    )


class ListingPage(Page[ListingOut]):
    pass


class SearchItemOut(view_of(  # type: ignore[misc]
    Pin, "listing_id provider_id title category price_cents currency lat lon privileged rating_score rating_count"
)):
    """A pin on the map: what the search index holds; GET /listings/{id} gives the rest. `rating_score` and
    `rating_count` are the provider's (null and 0 before any review), as of their latest published review."""

    distance_m: int


class SearchPage(Page[SearchItemOut]):
    pass


class NearbyTaskOut(view_of(  # type: ignore[misc]
    TaskPin, "task_id requester_id title category budget_cents currency lat lon expires_at"
)):
    """An open task near the caller: what the nearby index holds; GET /tasks/{id} gives the rest."""

    distance_m: int


class NearbyPage(Page[NearbyTaskOut]):
    pass


class ConversationOut(view_of(  # type: ignore[misc]
    Conversation, "conversation_id listing_id buyer_id provider_id created_at last_message_at offer_cents"
)):
    """A conversation as its two participants see it."""


class ConversationPage(Page[ConversationOut]):
    pass


class MessageOut(BaseModel):
    message_id: str
    conversation_id: str
    sender_id: str
    text: str
    sent_at: str
    offer_cents: int | None


class MessagePage(Page[MessageOut]):
    pass


class EventOut(BaseModel):
    event_id: int = Field(description="Increasing per user: 1, 2, 3...")
    kind: str = Field(description="message.created, order.updated (more kinds may come: ignore unknown ones)")
    at: str
    data: dict[str, Any] = Field(description="Ids and statuses of what changed; a message event carries the message.")


class EventPage(Page[EventOut]):
    """`next_cursor`: the last event_id of a full page, to pass as `after` (null: you are up to date)."""


class TimelineEntryOut(BaseModel):
    status: str
    at: str


class OrderOut(view_of(  # type: ignore[misc]
    Order, "order_id listing_id task_id buyer_id provider_id price_cents currency fee_cents status note failure_reason"
    " created_at updated_at expires_at timeline disputed_by disputed_from escalated_at resolved_by resolution_note",
    expires_at=Annotated[str, Field(description="When the request lapses unless the provider answers it.")],
    listing_id=Annotated[str | None, Field(description="The listing ordered; null for an order born from a task.")],
    task_id=Annotated[str | None, Field(description="The task whose offer the buyer accepted; null otherwise.")],
    disputed_by=Annotated[str | None, Field(description="The user id of the side that opened the dispute.")],
    disputed_from=Annotated[str | None, Field(description="The status the dispute was opened from.")],
    escalated_at=Annotated[str | None, Field(
        description="When the dispute outlived DISPUTE_TIMEOUT_S unresolved: the money stays held for an operator.")],
    resolved_by=Annotated[str | None, Field(description="The operator who settled the dispute.")],
    resolution_note=Annotated[str | None, Field(description="Their note on the decision.")],
    timeline=list[TimelineEntryOut],
)):
    """An order as its buyer, its provider and operators see it."""

    service_location: PointOut | None = Field(
        default=None,
        description=(
            "Where the service is (the listing's precise point): shown to the buyer once the order is funded (funded"
            " or any later status); null before that and for everyone else."
        ),
    )


class OrderPage(Page[OrderOut]):
    pass


class ReviewOut(view_of(  # type: ignore[misc]
    Review, "review_id order_id author_id role rating text published_at",
    role=Annotated[Role, Field(description="The author's role in the order.")],
    published_at=Annotated[str | None, Field(description="null while sealed: only its author sees it then.")],
)):
    """A review of an order's party by the other party."""


class ReviewPage(Page[ReviewOut]):
    pass


class WalletOut(BaseModel):
    available_cents: int
    held_cents: int = Field(description="Your money in open escrows, as a buyer.")
    currency: str


class LedgerEntryOut(BaseModel):
    entry_id: str
    kind: str
    amount_cents: int = Field(description="Signed: + into your wallet, - out of it.")
    order_id: str | None
    at: str


class LedgerPage(Page[LedgerEntryOut]):
    pass


class ReceiptOut(LedgerEntryOut):
    wallet: WalletOut = Field(description="The wallet right after this movement.")


class TaskOut(view_of(  # type: ignore[misc]
    Task, "task_id requester_id title description category budget_cents currency lat lon status expires_at"
    " order_id created_at hidden location_precision",
    location_precision=LocationPrecision,
    status=Literal[TASK_STATUSES],
    order_id=Annotated[str | None, Field(description="The order the accepted offer made (once assigned).")],
    hidden=Annotated[str | None, Field(description="Why an operator hid it (takedown, suspended): only its "
                                                   "requester still sees it.")],
)):
    """A task as its requester, anyone while it is open, and its assigned provider see it: `lat`/`lon` are where it
    is shown (an approximate task's cell centre)."""

    provider_id: str | None = Field(default=None, description="Whose offer was accepted (once assigned).")
    service_location: PointOut | None = Field(
        default=None, description="Where the job really is: shown to the task's requester only (its provider finds "
                                  "it on the order once funded).",
    )


class TaskPage(Page[TaskOut]):
    pass


class OfferProviderOut(BaseModel):
    """The public part of an offering provider's profile: whom the requester chooses between."""

    user_id: str
    display_name: str
    privileged: bool
    provider_since: str | None
    rating_avg: float | None
    rating_score: float | None = Field(description="A Bayesian average of the published ratings (prior 4.0, weight 5):"
                                       " a handful of reviews cannot push it to the top; null with no reviews.")
    rating_count: int


class OfferOut(view_of(  # type: ignore[misc]
    Offer, "offer_id task_id provider_id price_cents currency message status created_at",
    status=Literal[OFFER_STATUSES],
)):
    """An offer on a task; listed with its provider's public profile."""

    provider: OfferProviderOut | None = Field(default=None, description="Its provider's public profile.")


class OfferPage(Page[OfferOut]):
    """Every offer the caller may see (at most MAX_OFFERS_PER_TASK): `next_cursor` is always null."""


class ReportOut(view_of(  # type: ignore[misc]
    Report, "report_id reporter_id subject subject_id subject_owner reason status created_at closed_at closed_by"
    " action note",
)):
    """A report as its operator sees it."""


class ReportPage(Page[ReportOut]):
    pass


class ReinstatedOut(BaseModel):
    user_id: str
    suspended: Literal[False]
    listings_shown: int = Field(description="The listings the suspension had hidden, shown again.")


# ---- alert areas ----
class AlertIn(Body):
    lat: Latitude
    lon: Longitude
    radius_m: Annotated[int, Field(ge=MIN_RADIUS_M, le=MAX_RADIUS_M)]
    categories: Annotated[
        list[CategoryId], Field(min_length=1, max_length=len(CATEGORIES),
                                description="The categories of the tasks to hear of; each at most once counts.")
    ]


class AlertOut(view_of(  # type: ignore[misc]
    AlertArea, "lat lon radius_m categories updated_at", categories=list[str],
)):
    """A provider's alert area: new tasks within radius_m of the centre, in one of the categories."""
