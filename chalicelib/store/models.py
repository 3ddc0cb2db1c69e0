"""PynamoDB models of every table; the key formats of the ledger and orders are in store/key_layouts.py.

Listings table — one item per listing, keyed by `id` (the listing id). While a listing is active it also
carries the partition attributes of the search indexes of its tier (paused and deleted listings drop them,
so they can never be found): privileged providers' listings in the `v…` indexes, the others in the `o…`:

| index      | partition key                   | sort key                  | projects     | used by                    |
|------------|---------------------------------|---------------------------|--------------|----------------------------|
| vip3r      | `v3`  = geohash[:3]             | `gh` = geohash (12 chars) | pin          | search, privileged tier    |
| vip3r_cat  | `v3c` = category#geohash[:3]    | `gh`                      | pin          | ... with a category        |
| vtext3r    | `v3`                            | `gh`                      | pin + `kw`   | ... with a keyword         |
| pins4r     | `o4`  = geohash[:4]             | `gh`                      | pin          | search, ordinary tier      |
| pins4r_cat | `o4c` = category#geohash[:4]    | `gh`                      | pin          | ... with a category        |
| text4r     | `o4`                            | `gh`                      | pin + `kw`   | ... with a keyword         |
| by_provider| `provider_active`=provider_id   | `provider_sk`=created#id  | all          | a user's active listings   |

Why: a Query reads one partition key, and what it reads it pays for, filtered or not. The ranking puts
privileged providers first at any distance, so they are a tier of their own, read first (domain/nearest.py):
a sparse index (at most PRIVILEGED_QUOTA providers) in coarse geohash-3 partitions. The others are in
geohash-4 partitions (~39 x 20 km at Shanghai): a search reads few partition keys, and the full 12-character
geohash as sort key (a GSI's keys need not be unique) makes any geohash cell one contiguous `BETWEEN`
range, so the scan reads the nearest cells first and stops when the page is certain. Putting the category
in the key means a category search reads only that category.

The entries project what a map pin needs (`PIN_PROJECTION`), so a page is read from the index alone, with
no BatchGetItem of full listings; a pin entry is ~200 bytes, the provider's rating score and count (`rs`,
`rc`) among them (hence the `r` in the index names: a projection cannot change in place). The keyword
indexes add `kw`, the casefolded title and description, which a Query's filter matches (`contains`): a
keyword search pays for what it reads within its budget, and parses only the matches. bench/ measures what that buys.

How many entries each geohash-6 cell holds, per index partition, is kept in the system table
(store/search_index.py): the scan sizes its reads with it.
"""
from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    Index,
    KeysOnlyProjection,
    LocalSecondaryIndex,
    Projection,
)
from pynamodb.models import Model

PIN_PROJECTION = ["la", "lo", "provider_id", "title", "category", "price_cents", "currency", "rs", "rc"]  # stored names
KEYWORD_PROJECTION = [*PIN_PROJECTION, "kw"]
TASK_PIN_PROJECTION = ["la", "lo", "requester_id", "title", "category", "budget_cents", "currency", "expires_at"]

IndexT = TypeVar("IndexT", bound=Index[Any])


def _index(
    kind: type[IndexT], index_name: str, projection: Projection, hash_key: str, range_key: str,
    range_stored_as: str | None = None,
) -> IndexT:
    """An index of `kind` on two string attributes.

    PynamoDB declares an index as a class holding a Meta and its key attributes; this builds that class from
    the names, so each index of the tables below is one declaration.
    """
    attributes = {
        "Meta": type("Meta", (), {"index_name": index_name, "projection": projection}),
        hash_key: UnicodeAttribute(hash_key=True),
        range_key: UnicodeAttribute(range_key=True, attr_name=range_stored_as),
    }
    index: IndexT = type(f"{kind.__name__}_{index_name}", (kind,), attributes)()
    return index


def _geo_index(index_name: str, partition_attribute: str, projected: list[str]) -> GlobalSecondaryIndex[Any]:
    """A search index: `partition_attribute` (a geohash prefix, maybe behind the category) + `geohash`."""
    return _index(GlobalSecondaryIndex, index_name, IncludeProjection(projected), partition_attribute, "geohash", "gh")


class ListingModel(Model):
    class Meta:
        table_name = "listings"  # bound to the stage's table by chalicelib.store.tables.bind

    listing_id = UnicodeAttribute(hash_key=True, attr_name="id")
    provider_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    lat = NumberAttribute(attr_name="la")  # where the listing is shown and searched (domain/listings.py)
    lon = NumberAttribute(attr_name="lo")
    geohash = UnicodeAttribute(attr_name="gh")
    location_precision = UnicodeAttribute(null=True)  # absent: exact (listings from before the field)
    # An approximate listing's precise point: projected by no search index (only by_provider, which projects all,
    # read for a provider's page of listings, whose answers show it to the provider alone).
    precise_lat = NumberAttribute(null=True)
    precise_lon = NumberAttribute(null=True)
    status = UnicodeAttribute()
    privileged = BooleanAttribute(default=False, attr_name="pv")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()
    # The provider's rating_score and rating_count (domain/reputation.py), absent with no reviews: refreshed by
    # services/reputation.py with an UpdateItem of these two alone (no version bump: nothing decides on them).
    rating_score = NumberAttribute(null=True, attr_name="rs")
    rating_count = NumberAttribute(null=True, attr_name="rc")

    v3 = UnicodeAttribute(null=True)
    v3c = UnicodeAttribute(null=True)
    o4 = UnicodeAttribute(null=True)
    o4c = UnicodeAttribute(null=True)
    kw = UnicodeAttribute(null=True)
    provider_active = UnicodeAttribute(null=True)
    provider_sk = UnicodeAttribute(null=True)
    hidden = UnicodeAttribute(null=True)  # "takedown" or "suspended": out of every view but its owner's

    vip3r = _geo_index("vip3r", "v3", PIN_PROJECTION)
    vip3r_cat = _geo_index("vip3r_cat", "v3c", PIN_PROJECTION)
    vtext3r = _geo_index("vtext3r", "v3", KEYWORD_PROJECTION)
    pins4r = _geo_index("pins4r", "o4", PIN_PROJECTION)
    pins4r_cat = _geo_index("pins4r_cat", "o4c", PIN_PROJECTION)
    text4r = _geo_index("text4r", "o4", KEYWORD_PROJECTION)
    by_provider: GlobalSecondaryIndex[ListingModel] = _index(
        GlobalSecondaryIndex, "by_provider", AllProjection(), "provider_active", "provider_sk"
    )


class ProfileModel(Model):
    class Meta:
        table_name = "profiles"

    user_id = UnicodeAttribute(hash_key=True)
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(default="")
    privileged = BooleanAttribute(default=False)
    provider_since = UnicodeAttribute(null=True)
    rating_sum = NumberAttribute(default=0)
    rating_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # How many active listings the user has: changed in the same transaction as each listing write that starts or
    # ends one, on condition it stays within MAX_ACTIVE_LISTINGS (store/listings.py). Absent: none yet.
    active_listings = NumberAttribute(null=True)
    open_tasks = NumberAttribute(null=True)  # the user's open tasks (MAX_OPEN_TASKS), moved with each task's status


class _SystemItem(Model):
    """An item of the system table: named things the platform keeps for itself."""

    class Meta:
        table_name = "system"

    name = UnicodeAttribute(hash_key=True)


class CounterModel(_SystemItem):
    """A named counter in the system table (e.g. how many privileged providers exist), updated atomically."""

    value = NumberAttribute(default=0)


class KeyModel(_SystemItem):
    """A named key generated once per stage and kept in the system table (e.g. the cursor HMAC key)."""

    secret = UnicodeAttribute()


class RateCounterModel(_SystemItem):
    """Hits of one user on one rate-limited action in one time window (system table; expires by TTL)."""

    hits = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class SuspensionModel(_SystemItem):
    """A suspended user (system table, `suspended#<user_id>`): read on every write they try, consistently."""

    user_id = UnicodeAttribute()
    since = UnicodeAttribute()
    by = UnicodeAttribute()  # the operator
    report_id = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    hidden_listings = ListAttribute(of=UnicodeAttribute, default=list)  # what the suspension hid: shown again on lift
    hidden_tasks = ListAttribute(of=UnicodeAttribute, default=list)


class ReportModel(Model):
    """One report of something a user saw (reports table). While open it carries `queue`, so the sparse index
    `open_reports` holds exactly the open reports, oldest first (report ids are ULIDs)."""

    class Meta:
        table_name = "reports"

    report_id = UnicodeAttribute(hash_key=True)
    reporter_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    subject_id = UnicodeAttribute()
    subject_owner = UnicodeAttribute()  # whom the subject is about: a suspension acts on them
    reason = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    closed_by = UnicodeAttribute(null=True)
    action = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    open_reports: GlobalSecondaryIndex[ReportModel] = _index(
        GlobalSecondaryIndex, "open_reports", AllProjection(), "queue", "report_id"
    )


class _PkSkItem(Model):
    """An item of a table holding several kinds of item under generic keys (their formats: below)."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


# ---- chat: one table, three kinds of item ----
# | item            | pk                          | sk           | what                                   |
# |-----------------|-----------------------------|--------------|----------------------------------------|
# | membership      | u#<user_id>                 | c#<conv_id>  | the conversation as one participant has it |
# | message         | c#<conv_id>                 | m#<msg_id>   | one message (ULID ids: oldest first)   |
# | pair            | pair#<listing_id>#<buyer_id>| pair         | makes (listing, buyer) unique          |
# A participant reads a conversation by (their id, its id): a key nobody else can form, so the access check
# is the read itself. The local index `inbox` sorts a user's memberships by last activity.


class _ChatItem(_PkSkItem):
    class Meta:
        table_name = "chat"


class ConversationMemberModel(_ChatItem):
    conversation_id = UnicodeAttribute()
    listing_id = UnicodeAttribute()
    buyer_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    last_message_at = UnicodeAttribute(null=True)
    last_message_id = UnicodeAttribute(null=True)  # messages are stored in id order: a new one must sort after it
    offer_cents = NumberAttribute(null=True)
    offer_by = UnicodeAttribute(null=True)
    activity = UnicodeAttribute()  # last activity#conversation_id: the inbox's sort key
    inbox: LocalSecondaryIndex[ConversationMemberModel] = _index(
        LocalSecondaryIndex, "inbox", AllProjection(), "pk", "activity"
    )


class MessageModel(_ChatItem):
    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute()
    recipient_id = UnicodeAttribute(null=True)  # the other participant: whom the message.created event goes to
    text = UnicodeAttribute()
    sent_at = UnicodeAttribute()
    offer_cents = NumberAttribute(null=True)


class ConversationPairModel(_ChatItem):
    conversation_id = UnicodeAttribute()


class _Fields(MapAttribute[str, Any]):
    """A map attribute with declared fields, built with keyword arguments like a model."""

    def __init__(self, **attributes: Any) -> None:
        super().__init__(**attributes)  # type: ignore[no-untyped-call]  # pynamodb 6 leaves this one untyped


# ---- orders ----
class TimelineEntryAttribute(_Fields):
    status = UnicodeAttribute()
    at = UnicodeAttribute()


def _order_index(index_name: str, partition_attribute: str) -> GlobalSecondaryIndex[OrderModel]:
    """A user's orders in one role (maybe in one status), newest first: order ids are ULIDs."""
    return _index(GlobalSecondaryIndex, index_name, AllProjection(), partition_attribute, "order_id")


class OrderModel(Model):
    """One item per order. Index partitions: `buyer_id`, `provider_id`, `<user>#<status>` per role,
    `expiry_shard` (one of EXPIRY_SHARDS) while the order awaits an answer, and `watch` while the escrow holds or
    takes its money."""

    class Meta:
        table_name = "orders"

    order_id = UnicodeAttribute(hash_key=True)
    listing_id = UnicodeAttribute(null=True)  # the listing ordered, or none for an order born from a task
    task_id = UnicodeAttribute(null=True)  # the task whose offer its buyer accepted
    buyer_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    fee_cents = NumberAttribute()
    status = UnicodeAttribute()
    note = UnicodeAttribute(default="")
    failure_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    timeline = ListAttribute(of=TimelineEntryAttribute)
    buyer_status = UnicodeAttribute()
    provider_status = UnicodeAttribute()
    expiry_shard = UnicodeAttribute(null=True)
    pay_attempt = NumberAttribute(default=0)
    task_token = UnicodeAttribute(null=True)  # written by the escrow_tokens function while the workflow waits
    token_status = UnicodeAttribute(null=True)
    decided_token = UnicodeAttribute(null=True)  # the token a decision was sent with: it is never used twice
    decided_action = UnicodeAttribute(null=True)  # that decision, once Step Functions took it (until the next wait)
    redrive = NumberAttribute(default=0)  # how many times an operator re-drove the escrow (the execution's name)
    disputed_by = UnicodeAttribute(null=True)  # these five are written by the escrow workflow
    disputed_from = UnicodeAttribute(null=True)
    escalated_at = UnicodeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolution_note = UnicodeAttribute(null=True)
    watch = UnicodeAttribute(null=True)  # key_layouts.watch_key(status) while the status is one domain WATCHED
    watch_since = UnicodeAttribute(null=True)  # when the order entered that status
    # the authors' roles whose reviews are published: added to in each publish's transaction, so the orders stream
    # says exactly which reviews a change published (review.published)
    reviews_published = UnicodeSetAttribute(null=True)

    by_buyer = _order_index("by_buyer", "buyer_id")
    by_provider = _order_index("by_provider", "provider_id")
    by_buyer_status = _order_index("by_buyer_status", "buyer_status")
    by_provider_status = _order_index("by_provider_status", "provider_status")
    # Requests not yet answered, by expiry time; sparse (only requested orders carry `expiry_shard`).
    expiring: GlobalSecondaryIndex[OrderModel] = _index(
        GlobalSecondaryIndex, "expiring", KeysOnlyProjection(), "expiry_shard", "expires_at"
    )
    # Orders the escrow should be running for, by status, oldest first; sparse (key_layouts.py `watch_key`).
    # All projected: the dispute queue is a page of whole orders read from the index alone.
    escrow_watch: GlobalSecondaryIndex[OrderModel] = _index(
        GlobalSecondaryIndex, "escrow_watch", AllProjection(), "watch", "watch_since"
    )


class IdempotencyModel(Model):
    """What the first request with an idempotency key did: its body's fingerprint and, once done, its answer."""

    class Meta:
        table_name = "idempotency"

    key = UnicodeAttribute(hash_key=True)  # <user_id>#<Idempotency-Key>
    fingerprint = UnicodeAttribute()
    operation_id = UnicodeAttribute()  # the id of what the request creates: the same on every retry
    state = UnicodeAttribute()  # "running" | "done"
    locked_until = NumberAttribute()  # a running request older than this crashed; another may take over
    status_code = NumberAttribute(null=True)
    response = UnicodeAttribute(null=True)  # the JSON answer
    expires_at = TTLAttribute()


# ---- ledger: accounts, their journal lines, and journal entries (see chalicelib/domain/ledger.py) ----
# Keys: store/key_layouts.py; what one entry writes: store/entry_shape.py (the escrow workflow writes the same).
# | item     | pk                 | sk                         | what                                         |
# |----------|--------------------|----------------------------|----------------------------------------------|
# | balance  | acct#<account>     | balance                    | the account's balance (+ `held` on wallets)  |
# | line     | acct#<account>     | line#<at>#<entry_id>       | one posting of an entry to this account      |
# | entry    | tx#<entry_id>      | entry                      | the entry: its kind and balanced postings    |
# An entry, its lines and the balance changes are one TransactWriteItems; the entry is put only if absent,
# so an entry id can be posted once, however often a write is retried.


class _LedgerItem(_PkSkItem):
    class Meta:
        table_name = "ledger"


class BalanceModel(_LedgerItem):
    balance = NumberAttribute(default=0)
    held = NumberAttribute(null=True)


class _OfEntry(_LedgerItem):
    """What an entry and each of its lines both say of the entry."""

    entry_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute()


class LineModel(_OfEntry):
    amount_cents = NumberAttribute()


class PostingAttribute(_Fields):
    account = UnicodeAttribute()
    amount_cents = NumberAttribute()


class EntryModel(_OfEntry):
    postings = ListAttribute(of=PostingAttribute)


# ---- events: one table, three kinds of item (store/events.py) ----
# | item    | owner                      | seq | what                                                       |
# |---------|----------------------------|-----|------------------------------------------------------------|
# | head    | <user_id>                  | 0   | `last`: the id of the user's latest event (never expires)  |
# | event   | <user_id>                  | n>0 | event n: kind, at, data (JSON); expires after retention    |
# | seen    | seen#<user_id>#<source>    | 0   | this change is in the user's log already (expires in 2 d)  |
class _EventsItem(Model):
    class Meta:
        table_name = "events"

    owner = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)


class EventHeadModel(_EventsItem):
    last = NumberAttribute(default=0)


class EventModel(_EventsItem):
    kind = UnicodeAttribute()
    at = UnicodeAttribute()
    data = UnicodeAttribute()  # JSON: each kind has its own fields
    expires_at = TTLAttribute()


class EventSeenModel(_EventsItem):
    event_id = NumberAttribute()
    expires_at = TTLAttribute()


# ---- WebSocket connections (store/connections.py) ----
class ConnectionModel(Model):
    """One open WebSocket connection of a user; `by_user` lists a user's, newest first."""

    class Meta:
        table_name = "connections"

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    connected_at = UnicodeAttribute()
    endpoint = UnicodeAttribute()  # where frames to it are posted (API Gateway's management API)
    expires_at = TTLAttribute()
    by_user: GlobalSecondaryIndex[ConnectionModel] = _index(
        GlobalSecondaryIndex, "by_user", AllProjection(), "user_id", "connected_at"
    )


# ---- posted needs: one table, two kinds of item (store/tasks.py) ----
# | item   | id        | sk                   | what                                                          |
# |--------|-----------|----------------------|---------------------------------------------------------------|
# | task   | <task_id> | task                 | the task; while open and visible also in the nearby indexes   |
# | offer  | <task_id> | offer#<provider_id>  | that provider's offer (one per provider; a new one replaces a  |
# |        |           |                      | withdrawn one)                                                |
# Nearby indexes, like the ordinary search tier: `n4` = geohash[:4] and `n4c` = category#geohash[:4], sorted by
# the 12-character geohash, projecting what a nearby pin shows. `by_requester` / `by_assignee` list a user's
# tasks newest first; `open_expiring` holds open tasks by expiry time (sparse, EXPIRY_SHARDS partitions).
class _TaskItem(Model):
    class Meta:
        table_name = "tasks"

    task_id = UnicodeAttribute(hash_key=True, attr_name="id")
    sk = UnicodeAttribute(range_key=True)


class TaskModel(_TaskItem):
    requester_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    budget_cents = NumberAttribute()
    currency = UnicodeAttribute()
    lat = NumberAttribute(attr_name="la")
    lon = NumberAttribute(attr_name="lo")
    geohash = UnicodeAttribute(attr_name="gh")
    status = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)  # once assigned: the order the accepted offer made
    provider_id = UnicodeAttribute(null=True)  # once assigned: whose offer was accepted
    offer_id = UnicodeAttribute(null=True)  # ... and which offer
    offer_count = NumberAttribute(default=0)  # providers who offered (one item each; at most MAX_OFFERS_PER_TASK)
    offers_version = NumberAttribute(default=0)  # moves with every offer made or withdrawn: an accept checks it
    hidden = UnicodeAttribute(null=True)  # "takedown" or "suspended": out of every view but its requester's
    location_precision = UnicodeAttribute(null=True)  # absent: exact
    precise_lat = NumberAttribute(null=True)  # an approximate task's precise point: projected by no nearby index
    precise_lon = NumberAttribute(null=True)
    n4 = UnicodeAttribute(null=True)
    n4c = UnicodeAttribute(null=True)
    created_sk = UnicodeAttribute()  # created_at#task_id: a user's tasks newest first
    assignee = UnicodeAttribute(null=True)  # = provider_id once assigned
    expiry_shard = UnicodeAttribute(null=True)  # while open

    tasks4 = _geo_index("tasks4", "n4", TASK_PIN_PROJECTION)
    tasks4_cat = _geo_index("tasks4_cat", "n4c", TASK_PIN_PROJECTION)
    by_requester: GlobalSecondaryIndex[TaskModel] = _index(
        GlobalSecondaryIndex, "by_requester", AllProjection(), "requester_id", "created_sk"
    )
    by_assignee: GlobalSecondaryIndex[TaskModel] = _index(
        GlobalSecondaryIndex, "by_assignee", AllProjection(), "assignee", "created_sk"
    )
    open_expiring: GlobalSecondaryIndex[TaskModel] = _index(
        GlobalSecondaryIndex, "open_expiring", KeysOnlyProjection(), "expiry_shard", "expires_at"
    )


class OfferModel(_TaskItem):
    offer_id = UnicodeAttribute()
    provider_id = UnicodeAttribute()
    requester_id = UnicodeAttribute()  # the task's: whom the stream's `task.offer` event goes to
    price_cents = NumberAttribute()
    currency = UnicodeAttribute()
    message = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # pending, accepted, declined, withdrawn
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


# ---- providers' alert areas: one table, two kinds of item (store/alerts.py) ----
# | item   | pk               | sk          | what                                                         |
# |--------|------------------|-------------|--------------------------------------------------------------|
# | area   | area#<user_id>   | area        | the provider's circle, categories, the cells it wrote, version |
# | cell   | cell#<geohash>   | <user_id>   | one cell covering that circle: the circle and categories again |
# A new task reads the cell entries of its point's prefixes (one Query per cover precision), then keeps the
# circles that hold the point and match its category: a key lookup, never a scan of providers. A PUT or DELETE
# is one transaction conditioned on the area's version, so its entries never disagree with its area item.
class _AlertItem(_PkSkItem):
    class Meta:
        table_name = "alerts"


class AlertAreaModel(_AlertItem):
    user_id = UnicodeAttribute()
    lat = NumberAttribute()
    lon = NumberAttribute()
    radius_m = NumberAttribute()
    categories = ListAttribute(of=UnicodeAttribute)
    cells = ListAttribute(of=UnicodeAttribute)
    updated_at = UnicodeAttribute()
    version = NumberAttribute()


class AlertCellModel(_AlertItem):
    lat = NumberAttribute()
    lon = NumberAttribute()
    radius_m = NumberAttribute()
    categories = ListAttribute(of=UnicodeAttribute)
    updated_at = UnicodeAttribute()


# ---- reviews: one item per (order, author's role) (store/reviews.py) ----
# | id         | sk                  | what                                                            |
# |------------|---------------------|-----------------------------------------------------------------|
# | <order_id> | buyer / provider    | the review its author wrote of the other party                  |
# Sparse indexes: `published_about` holds published reviews by subject (`subject` = the reviewed user, sorted by
# `published_sk` = published_at#review_id: newest first read backwards); `sealed_closing` holds sealed reviews by
# when their window closes (`sealed_shard`, SEALED_SHARDS partitions), for the sweep that publishes lone ones.
class ReviewModel(Model):
    class Meta:
        table_name = "reviews"

    order_id = UnicodeAttribute(hash_key=True, attr_name="id")
    role = UnicodeAttribute(range_key=True, attr_name="sk")  # the author's role in the order
    review_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    subject_id = UnicodeAttribute()  # the reviewed user (the order's other party)
    rating = NumberAttribute()
    text = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    closes_at = UnicodeAttribute()  # the end of the order's review window
    published_at = UnicodeAttribute(null=True)  # None while sealed
    subject = UnicodeAttribute(null=True)  # = subject_id once published
    published_sk = UnicodeAttribute(null=True)
    sealed_shard = UnicodeAttribute(null=True)  # while sealed

    published_about: GlobalSecondaryIndex[ReviewModel] = _index(
        GlobalSecondaryIndex, "published_about", AllProjection(), "subject", "published_sk"
    )
    sealed_closing: GlobalSecondaryIndex[ReviewModel] = _index(
        GlobalSecondaryIndex, "sealed_closing", KeysOnlyProjection(), "sealed_shard", "closes_at"
    )
