"""An order: the deal between a buyer and a provider about one listing, and the rules of its life.

This module holds the order state machine up to "accepted" (the escrow steps come with payment):

    requested ──accept (provider)──▶ accepted
        │ ──decline (provider)──▶ declined
        │ ──cancel (buyer)──────▶ cancelled   (also from accepted: nothing is paid yet)
        └ ──expire (the platform, REQUEST_EXPIRY_S after the request)──▶ expired

Every change is a conditional write on the status it was decided from (store/orders.py), so two
concurrent actions on one order cannot both win. Terminal statuses absorb.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.listings import DELETED, PAUSED, Listing

REQUESTED = "requested"
ACCEPTED = "accepted"
DECLINED = "declined"
CANCELLED = "cancelled"
EXPIRED = "expired"
# The later statuses of API.md (the escrow), listed so clients can filter by them already.
PAYING, FUNDED, DELIVERED, RELEASED = "paying", "funded", "delivered", "released"
PAYMENT_FAILED, REFUNDED, DISPUTED, RESOLVED = "payment_failed", "refunded", "disputed", "resolved"
STATUSES = (
    REQUESTED, ACCEPTED, PAYING, FUNDED, DELIVERED, RELEASED,
    DECLINED, CANCELLED, EXPIRED, PAYMENT_FAILED, REFUNDED, DISPUTED, RESOLVED,
)

# While an order is in one of these, its price sits in its escrow account.
HOLDING = (FUNDED, DELIVERED, DISPUTED)
# The statuses the escrow watch index lists (store/key_layouts.py `watch_key`): an escrow workflow should be
# running for each of these orders; the sweep looks for the ones where it is not, and operators for disputes.
WATCHED = (PAYING, *HOLDING)

BUYER = "buyer"
PROVIDER = "provider"
PARTICIPANT = "participant"  # buyer or provider
OPERATOR = "operator"
PLATFORM = "platform"
ROLES = (BUYER, PROVIDER)
TERMINAL = (DECLINED, CANCELLED, EXPIRED, RELEASED, REFUNDED, RESOLVED)

NOTE_MAX = 500
BPS_DENOMINATOR = 10_000


@dataclass(frozen=True)
class Transition:
    """An action: who may take it, from which statuses, and where it leads.

    `escrow`: the escrow workflow makes the change (it moves money); the API sends it the decision.
    """

    action: str
    actor: str
    sources: frozenset[str]
    target: str
    escrow: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", PROVIDER, frozenset({REQUESTED}), ACCEPTED),
        Transition("decline", PROVIDER, frozenset({REQUESTED}), DECLINED),
        Transition("cancel", BUYER, frozenset({REQUESTED, ACCEPTED, PAYMENT_FAILED}), CANCELLED),
        Transition("expire", PLATFORM, frozenset({REQUESTED}), EXPIRED),
        Transition("pay", BUYER, frozenset({ACCEPTED, PAYMENT_FAILED}), PAYING),
        # Decisions the escrow workflow carries out:
        # POST .../cancel once funded; from disputed only as `dispute_refund_from` allows.
        Transition("refund", BUYER, frozenset({FUNDED, DISPUTED}), REFUNDED, escrow=True),
        Transition("deliver", PROVIDER, frozenset({FUNDED}), DELIVERED, escrow=True),
        Transition("confirm", BUYER, frozenset({FUNDED, DELIVERED}), RELEASED, escrow=True),
        Transition("dispute", PARTICIPANT, frozenset({FUNDED, DELIVERED}), DISPUTED, escrow=True),
        Transition("resolve", OPERATOR, frozenset({DISPUTED}), RESOLVED, escrow=True),
    )
}


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    at: str


@dataclass(frozen=True)
class Order:
    order_id: str
    listing_id: str | None  # None for an order born from a task (task_id)
    buyer_id: str
    provider_id: str
    price_cents: int
    currency: str
    fee_cents: int
    status: str
    note: str
    failure_reason: str | None
    created_at: str
    updated_at: str
    expires_at: str  # when an unaccepted request lapses
    timeline: tuple[TimelineEntry, ...]
    pay_attempt: int = 0  # how many times payment was started (each holds the price under its own entry id)
    redrive: int = 0  # how many times an operator re-drove this attempt's escrow (`make redrive`)
    disputed_by: str | None = None  # the user id of the party who opened the dispute
    disputed_from: str | None = None  # the status the dispute was opened from (funded or delivered)
    escalated_at: str | None = None  # when the dispute outlived DISPUTE_TIMEOUT_S with nobody resolving it
    resolved_by: str | None = None  # the operator who settled the dispute
    resolution_note: str | None = None  # their note
    task_id: str | None = None  # the task this order was born from (its requester accepted an offer)


def fee_for(price_cents: int, fee_bps: int) -> int:
    """The platform's fee in basis points of the price, rounded down (the provider never pays more)."""
    return price_cents * fee_bps // BPS_DENOMINATOR


def new_order(
    order_id: str,
    listing_id: str,
    buyer_id: str,
    provider_id: str,
    price_cents: int,
    currency: str,
    note: str,
    fee_bps: int,
    expiry_s: int,
    now: datetime,
) -> Order:
    """A fresh request. A provider cannot order from themself."""
    _check_not_own(buyer_id, provider_id)
    at = iso(now)
    return Order(
        order_id=order_id, listing_id=listing_id, buyer_id=buyer_id, provider_id=provider_id,
        price_cents=price_cents, currency=currency, fee_cents=fee_for(price_cents, fee_bps), status=REQUESTED,
        note=note, failure_reason=None, created_at=at, updated_at=at,
        expires_at=iso(now + timedelta(seconds=expiry_s)), timeline=(TimelineEntry(REQUESTED, at),),
    )


def order_from_offer(
    order_id: str, task_id: str, buyer_id: str, provider_id: str, price_cents: int, currency: str, note: str,
    fee_bps: int, now: datetime,
) -> Order:
    """The order a requester makes by accepting an offer on their task: already `accepted` (the provider named the
    price, the requester took it), with no listing."""
    _check_not_own(buyer_id, provider_id)
    at = iso(now)
    return Order(
        order_id=order_id, listing_id=None, task_id=task_id, buyer_id=buyer_id, provider_id=provider_id,
        price_cents=price_cents, currency=currency, fee_cents=fee_for(price_cents, fee_bps), status=ACCEPTED,
        note=note, failure_reason=None, created_at=at, updated_at=at, expires_at=at,
        timeline=(TimelineEntry(ACCEPTED, at),),
    )


def _check_not_own(buyer_id: str, provider_id: str) -> None:
    if buyer_id == provider_id:
        raise InvalidInput("listing_id: you cannot order your own listing")


def check_orderable(listing: Listing, buyer_id: str) -> None:
    """Whether `buyer_id` may request this listing now: not hidden by an operator (404, as for others), not their
    own (400), and taking orders (409)."""
    if listing.hidden is not None and listing.provider_id != buyer_id:
        raise NotFound("listing not found")
    _check_not_own(buyer_id, listing.provider_id)
    if listing.status in (PAUSED, DELETED):
        raise Conflict(f"the listing is {listing.status}: it takes no orders")


@dataclass(frozen=True)
class Resolution:
    """How an operator's decision splits a disputed order's price (all integer cents, summing to the price)."""

    to_provider: int  # after the fee on the released part
    fee: int
    to_buyer: int


def resolution(order: Order, release_cents: int, fee_bps: int) -> Resolution:
    """`release_cents` of the price to the provider (less the fee on it), the rest back to the buyer."""
    if not 0 <= release_cents <= order.price_cents:
        raise InvalidInput(f"release_cents: between 0 and the order's price ({order.price_cents})")
    fee = fee_for(release_cents, fee_bps)
    return Resolution(to_provider=release_cents - fee, fee=fee, to_buyer=order.price_cents - release_cents)


def role_of(order: Order, caller: Caller) -> str | None:
    if caller.user_id == order.buyer_id:
        return BUYER
    if caller.user_id == order.provider_id:
        return PROVIDER
    return None


def check_visible(order: Order | None, caller: Caller) -> Order:
    """The order if the caller is a participant or an operator; otherwise NotFound, as if it did not exist."""
    if order is None or (role_of(order, caller) is None and not caller.is_operator):
        raise NotFound("order not found")
    return order


def is_overdue(order: Order, now: datetime) -> bool:
    """A request nobody answered before its expiry time."""
    return order.status == REQUESTED and parse_iso(order.expires_at) <= now


def lapsed(order: Order) -> Order:
    """An unanswered request once expired: it lapsed at its expiry time, whenever that is written down."""
    return after(order, TRANSITIONS["expire"].target, parse_iso(order.expires_at))


def as_seen(order: Order, now: datetime) -> Order:
    """The order as clients see it: an overdue request is expired even before the sweep has written it."""
    return lapsed(order) if is_overdue(order, now) else order


def check_action(order: Order, action: str, caller: Caller, now: datetime) -> Transition:
    """The transition `caller` may take now, or why not: 404 (not visible), 403 (wrong role), 409 (status)."""
    transition = TRANSITIONS[action]
    role = role_of(check_visible(order, caller), caller)
    allowed = {
        BUYER: role == BUYER,
        PROVIDER: role == PROVIDER,
        PARTICIPANT: role is not None,
        OPERATOR: caller.is_operator,
    }.get(transition.actor, False)
    if transition.actor == OPERATOR and allowed and role is not None:
        raise Forbidden(f"you are this order's {role}: another operator must {action} it")
    if not allowed:
        who = "an operator" if transition.actor == OPERATOR else f"the order's {transition.actor}"
        raise Forbidden(f"only {who} may {action} it")
    if is_overdue(order, now):
        raise Conflict(f"the request expired at {order.expires_at}; it can no longer be {past_tense(action)}")
    if order.status not in transition.sources:
        raise Conflict(f"an order that is {order.status} cannot be {past_tense(action)}")
    return transition


def after(order: Order, target: str, now: datetime) -> Order:
    """The order once moved to `target` at `now` (what the store writes, conditionally)."""
    at = iso(now)
    return replace(order, status=target, updated_at=at, timeline=(*order.timeline, TimelineEntry(target, at)))


def past_tense(action: str) -> str:
    return {
        "accept": "accepted", "decline": "declined", "cancel": "cancelled", "expire": "expired", "pay": "paid",
        "refund": "refunded", "deliver": "delivered", "confirm": "confirmed", "dispute": "disputed",
        "resolve": "resolved",
    }.get(action, action)


def cancel_action(order: Order) -> str:
    """POST /orders/{id}/cancel: before funding nothing is paid (cancel); once funded the escrow refunds
    (from disputed too, where `dispute_refund_from` allows it)."""
    return "refund" if order.status in (FUNDED, DISPUTED) else "cancel"


def dispute_opened_at(order: Order) -> str | None:
    """When the order's current dispute was opened (its last move to disputed), if it is disputed."""
    if order.status != DISPUTED:
        return None
    return next((entry.at for entry in reversed(order.timeline) if entry.status == DISPUTED), None)


def dispute_refund_from(order: Order, grace_s: int) -> datetime | None:
    """From when the buyer may cancel-and-refund this disputed order, or None if never (an operator decides).

    Only a dispute the provider opened on a funded order, i.e. before delivering: the buyer's money must not
    be frozen by the other side for longer than PROVIDER_DISPUTE_GRACE_S, the time an operator has to step in.
    A dispute the buyer opened, or one after delivery (the provider says the work is done), waits for an operator.
    """
    opened = dispute_opened_at(order)
    if opened is None or order.disputed_by != order.provider_id or order.disputed_from != FUNDED:
        return None
    return parse_iso(opened) + timedelta(seconds=grace_s)


def check_dispute_refund(order: Order, now: datetime, grace_s: int) -> None:
    """409 unless the buyer may cancel this disputed order now (see dispute_refund_from)."""
    if order.status != DISPUTED:
        return
    allowed_from = dispute_refund_from(order, grace_s)
    if allowed_from is None:
        raise Conflict("the order is disputed: an operator decides it (POST /admin/orders/{order_id}/resolve)")
    if now < allowed_from:
        raise Conflict(f"the provider disputed this order; you may cancel it from {iso(allowed_from)} "
                       "unless an operator decides it first")
