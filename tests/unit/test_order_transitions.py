"""The order state machine (chalicelib/domain/orders.py) without AWS: every (status, action, caller) and its answer.

API.md, Orders: the provider accepts, declines and delivers; the buyer cancels, pays and confirms (cancelling a
funded order refunds it); either side disputes; only an operator resolves a dispute; the platform alone expires
an unanswered request. The answer to a caller is decided in this order: not a participant (nor an operator) →
404 NotFound, as if the order did not exist; the wrong role → 403 Forbidden, whatever the status; an overdue
request → 409 Conflict; a status the action does not start from → 409 Conflict. Terminal statuses absorb.

The HTTP side of the same table is tests/integration/test_order_states.py (up to accepted) and
test_escrow_roles.py (the escrow stages).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import orders as domain
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.listings import ACTIVE, DELETED, PAUSED, Listing, new_listing

# ---- the contract, written out ----

# Every move the domain allows: (action, from) -> to. Add a transition there, add it here.
EXPECTED_MOVES = {
    ("accept", "requested"): "accepted",
    ("decline", "requested"): "declined",
    ("cancel", "requested"): "cancelled",
    ("cancel", "accepted"): "cancelled",
    ("cancel", "payment_failed"): "cancelled",
    ("expire", "requested"): "expired",
    ("pay", "accepted"): "paying",
    ("pay", "payment_failed"): "paying",
    ("refund", "funded"): "refunded",
    # Issue 14: the buyer may also cancel a disputed order for a refund, but only a dispute the provider opened
    # on a funded order, after PROVIDER_DISPUTE_GRACE_S (check_dispute_refund, tested below).
    ("refund", "disputed"): "refunded",
    ("deliver", "funded"): "delivered",
    ("confirm", "funded"): "released",
    ("confirm", "delivered"): "released",
    ("dispute", "funded"): "disputed",
    ("dispute", "delivered"): "disputed",
    ("resolve", "disputed"): "resolved",
}
EXPECTED_ACTORS = {"accept": domain.PROVIDER, "decline": domain.PROVIDER, "cancel": domain.BUYER,
                   "expire": domain.PLATFORM, "pay": domain.BUYER, "refund": domain.BUYER,
                   "deliver": domain.PROVIDER, "confirm": domain.BUYER, "dispute": domain.PARTICIPANT,
                   "resolve": domain.OPERATOR}
ROLE_MAY = {  # which of buyer / provider may take an action of each actor kind
    domain.BUYER: {domain.BUYER}, domain.PROVIDER: {domain.PROVIDER},
    domain.PARTICIPANT: {domain.BUYER, domain.PROVIDER}, domain.OPERATOR: set(), domain.PLATFORM: set(),
}
# The decisions the escrow workflow carries out (they move money); the rest the API writes itself.
ESCROW_ACTIONS = {"refund", "deliver", "confirm", "dispute", "resolve"}
TERMINAL = {"declined", "cancelled", "expired", "released", "refunded", "resolved"}

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
BUYER, PROVIDER = Caller("buyer"), Caller("provider")
OPERATOR = Caller("olga", groups=frozenset({"operators"}))
STRANGER = Caller("stranger")
CALLERS = {"buyer": BUYER, "provider": PROVIDER, "operator": OPERATOR, "stranger": STRANGER}


def fresh(expiry_s: int = 3600) -> domain.Order:
    return domain.new_order("o1", "l1", "buyer", "provider", 1000, "CNY", "", 0, expiry_s, NOW)


def in_status(status: str) -> domain.Order:
    return replace(fresh(), status=status)


def answer(status: str, action: str, who: str) -> str | type[DomainError]:
    """What the table says `who` gets for `action` on an order in `status`: the next status, or the refusal."""
    if who == "stranger":
        return NotFound
    actor = EXPECTED_ACTORS[action]
    may = actor == domain.OPERATOR if who == "operator" else who in ROLE_MAY[actor]
    if not may:
        return Forbidden
    return EXPECTED_MOVES.get((action, status), Conflict)


def article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def case_name(status: str, action: str, who: str) -> str:
    """e.g. "a buyer cannot accept a requested order (Forbidden)", "a provider may deliver a funded order"."""
    expected = answer(status, action, who)
    order = f"someone else's {status} order" if who == "stranger" else f"{article(status)} order"
    if isinstance(expected, str):
        return f"{article(who)} may {action} {order}"
    return f"{article(who)} cannot {action} {order} ({expected.__name__})"


TABLE = list(itertools.product(domain.STATUSES, domain.TRANSITIONS, CALLERS))


# ---- the table itself ----


def test_the_domain_allows_exactly_the_expected_moves_by_the_expected_actors():
    assert {action: t.actor for action, t in domain.TRANSITIONS.items()} == EXPECTED_ACTORS
    assert all(t.action == action for action, t in domain.TRANSITIONS.items())
    moves = {(action, source): t.target for action, t in domain.TRANSITIONS.items() for source in t.sources}
    assert moves == EXPECTED_MOVES
    assert {source for _, source in moves} | set(moves.values()) <= set(domain.STATUSES)


def test_exactly_the_money_moving_decisions_are_left_to_the_escrow_workflow():
    assert {action for action, t in domain.TRANSITIONS.items() if t.escrow} == ESCROW_ACTIONS


def test_the_terminal_statuses_are_the_ends_of_the_deal():
    assert set(domain.TERMINAL) == TERMINAL
    assert set(domain.TERMINAL) <= set(domain.STATUSES)
    assert not set(domain.HOLDING) & TERMINAL  # money held in escrow always has a way out


def test_terminal_statuses_absorb_every_action():
    for terminal in domain.TERMINAL:
        assert not [a for a, t in domain.TRANSITIONS.items() if terminal in t.sources], terminal


def test_every_status_but_paying_and_the_terminal_ones_starts_some_action():
    # paying and the workflow's own statuses move by the workflow, not by an action
    sources = {source for t in domain.TRANSITIONS.values() for source in t.sources}
    assert sources == set(domain.STATUSES) - TERMINAL - {"paying"}


def test_every_action_has_a_past_tense_for_its_refusal_message():
    assert all(domain.past_tense(action) != action for action in domain.TRANSITIONS)


@pytest.mark.parametrize("status, action, who", TABLE, ids=[case_name(*case) for case in TABLE])
def test_check_action_answers_as_the_table_says(status, action, who):
    expected = answer(status, action, who)
    order = in_status(status)
    if isinstance(expected, str):
        assert domain.check_action(order, action, CALLERS[who], NOW).target == expected
    else:
        with pytest.raises(expected):
            domain.check_action(order, action, CALLERS[who], NOW)


# ---- who, in words ----


def test_a_buyer_cannot_confirm_someone_elses_order():
    with pytest.raises(NotFound):
        domain.check_action(in_status("delivered"), "confirm", Caller("another-buyer"), NOW)


def test_a_provider_cannot_confirm_their_own_delivery():
    with pytest.raises(Forbidden, match="buyer"):
        domain.check_action(in_status("delivered"), "confirm", PROVIDER, NOW)


def test_a_buyer_cannot_answer_their_own_request():
    for action in ("accept", "decline"):
        with pytest.raises(Forbidden, match="provider"):
            domain.check_action(fresh(), action, BUYER, NOW)


def test_the_wrong_side_learns_nothing_of_the_status_it_is_forbidden_either_way():
    for status in domain.STATUSES:
        with pytest.raises(Forbidden):
            domain.check_action(in_status(status), "deliver", BUYER, NOW)


def test_nobody_but_the_platform_expires_a_request():
    for caller in CALLERS.values():
        with pytest.raises((Forbidden, NotFound)):
            domain.check_action(fresh(), "expire", caller, NOW)


def test_an_operator_sees_an_order_but_cannot_act_on_it_except_resolving_a_dispute():
    order = domain.new_order("o1", "l1", "buyer", "provider", 1000, "CNY", "", 0, 3600, NOW)
    operator = Caller("olga", groups=frozenset({"operators"}))
    assert domain.check_visible(order, operator) is order
    for action in set(domain.TRANSITIONS) - {"resolve"}:
        with pytest.raises(Forbidden):
            domain.check_action(order, action, operator, NOW)
    disputed = replace(order, status=domain.DISPUTED)
    assert domain.check_action(disputed, "resolve", operator, NOW).target == domain.RESOLVED


def test_neither_side_resolves_their_own_dispute():
    for side in (BUYER, PROVIDER):
        with pytest.raises(Forbidden, match="operator"):
            domain.check_action(in_status("disputed"), "resolve", side, NOW)


def test_only_participants_and_operators_see_an_order():
    order = fresh()
    assert domain.role_of(order, BUYER) == domain.BUYER
    assert domain.role_of(order, PROVIDER) == domain.PROVIDER
    assert domain.role_of(order, OPERATOR) is None
    for caller in (BUYER, PROVIDER, OPERATOR):
        assert domain.check_visible(order, caller) is order
    with pytest.raises(NotFound):
        domain.check_visible(order, STRANGER)
    with pytest.raises(NotFound):
        domain.check_visible(None, OPERATOR)


def test_cancelling_a_funded_order_is_a_refund_and_before_funding_a_plain_cancel():
    assert {status: domain.cancel_action(in_status(status)) for status in domain.STATUSES} == {
        status: "refund" if status in ("funded", "disputed") else "cancel" for status in domain.STATUSES
    }


# ---- disputes: who decides, and how long a provider's dispute may freeze the buyer's money ----

GRACE_S = 24 * 3600


def disputed(by: str, source: str, at: datetime = NOW) -> domain.Order:
    funded = replace(fresh(), status=source)
    return replace(domain.after(funded, domain.DISPUTED, at), disputed_by=by, disputed_from=source)


def test_an_operator_who_is_the_orders_buyer_or_provider_may_not_resolve_it():
    for party in ("buyer", "provider"):
        operator_party = Caller(party, groups=frozenset({"operators"}))
        with pytest.raises(Forbidden, match="another operator"):
            domain.check_action(disputed("buyer", "funded"), "resolve", operator_party, NOW)
    assert domain.check_action(disputed("buyer", "funded"), "resolve", OPERATOR, NOW).target == "resolved"


def test_a_providers_dispute_of_a_funded_order_lets_the_buyer_cancel_after_the_grace_period():
    order = disputed("provider", "funded")
    assert domain.dispute_refund_from(order, GRACE_S) == NOW + timedelta(seconds=GRACE_S)
    with pytest.raises(Conflict, match=re.escape("you may cancel it from 2030-01-02T12:00:00.000Z")):
        domain.check_dispute_refund(order, NOW + timedelta(hours=23), GRACE_S)
    domain.check_dispute_refund(order, NOW + timedelta(hours=24), GRACE_S)


@pytest.mark.parametrize("by, source", [("buyer", "funded"), ("buyer", "delivered"), ("provider", "delivered")])
def test_any_other_dispute_waits_for_an_operator_however_long_it_lasts(by, source):
    order = disputed(by, source)
    assert domain.dispute_refund_from(order, GRACE_S) is None
    with pytest.raises(Conflict, match="an operator decides it"):
        domain.check_dispute_refund(order, NOW + timedelta(days=365), GRACE_S)


# ---- a new request, and time ----


def a_listing(status: str = ACTIVE) -> Listing:
    listing = new_listing("provider", "Bike repair", "", "repair", 1000, "CNY", 31.2304, 121.4737, False, "t0")
    return replace(listing, status=status)


def test_a_provider_cannot_order_their_own_listing():
    with pytest.raises(InvalidInput, match="listing_id"):
        domain.new_order("o1", "l1", "same", "same", 1000, "CNY", "", 0, 3600, NOW)
    with pytest.raises(InvalidInput, match="listing_id"):
        domain.check_orderable(a_listing(), "provider")


def test_only_an_active_listing_takes_orders():
    domain.check_orderable(a_listing(), "buyer")
    for status in (PAUSED, DELETED):
        with pytest.raises(Conflict, match=status):
            domain.check_orderable(a_listing(status), "buyer")


def test_a_listing_an_operator_hid_is_not_found_by_buyers():
    with pytest.raises(NotFound):
        domain.check_orderable(replace(a_listing(), hidden="takedown"), "buyer")


def test_ones_own_listing_is_refused_before_its_status():
    with pytest.raises(InvalidInput, match="listing_id"):
        domain.check_orderable(a_listing(PAUSED), "provider")


@given(st.integers(1, 99_999_999).flatmap(lambda price: st.tuples(st.just(price), st.integers(0, price))),
       st.integers(0, domain.BPS_DENOMINATOR))
def test_a_resolution_splits_the_price_exactly_with_the_fee_on_the_released_part(price_and_release, fee_bps):
    price, release = price_and_release
    split = domain.resolution(replace(fresh(), price_cents=price), release, fee_bps)
    assert split.to_provider + split.fee + split.to_buyer == price
    assert min(split.to_provider, split.fee, split.to_buyer) >= 0
    assert split.fee == domain.fee_for(release, fee_bps)
    assert split.to_buyer == price - release


@pytest.mark.parametrize("release", [-1, 1001, 10**12])
def test_a_resolution_outside_zero_to_the_price_is_refused_naming_release_cents(release):
    with pytest.raises(InvalidInput, match="release_cents"):
        domain.resolution(fresh(), release, 250)


def test_a_new_order_is_requested_with_its_fee_and_expiry_written_down():
    order = domain.new_order("o1", "l1", "buyer", "provider", 6000, "CNY", "note", 250, 60, NOW)
    assert order.status == domain.REQUESTED
    assert order.fee_cents == 150
    assert order.created_at == order.updated_at == "2030-01-01T12:00:00.000Z"
    assert order.expires_at == "2030-01-01T12:01:00.000Z"
    assert [(e.status, e.at) for e in order.timeline] == [("requested", order.created_at)]


@given(st.integers(0, 99_999_999), st.integers(0, domain.BPS_DENOMINATOR))
def test_the_fee_is_rounded_down_and_never_more_than_the_price(price_cents, fee_bps):
    fee = domain.fee_for(price_cents, fee_bps)
    assert 0 <= fee <= price_cents
    assert fee * domain.BPS_DENOMINATOR <= price_cents * fee_bps < (fee + 1) * domain.BPS_DENOMINATOR


def test_an_overdue_request_takes_no_answer_and_is_seen_expired_at_its_expiry_time():
    order = domain.new_order("o1", "l1", "buyer", "provider", 1000, "CNY", "", 0, 60, NOW)
    later = datetime(2030, 1, 1, 12, 1, tzinfo=UTC)
    with pytest.raises(Conflict):
        domain.check_action(order, "accept", Caller("provider"), later)
    seen = domain.as_seen(order, later)
    assert seen.status == domain.EXPIRED
    assert [(e.status, e.at) for e in seen.timeline] == [("requested", order.created_at), ("expired", order.expires_at)]


def test_a_request_is_answerable_until_the_moment_it_expires():
    order = fresh(expiry_s=60)
    just_before = NOW + timedelta(seconds=59, milliseconds=999)
    assert domain.check_action(order, "accept", PROVIDER, just_before).target == domain.ACCEPTED
    assert domain.as_seen(order, just_before) is order
    with pytest.raises(Conflict, match="expired"):
        domain.check_action(order, "accept", PROVIDER, NOW + timedelta(seconds=60))


def test_an_overdue_request_still_refuses_the_wrong_role_first():
    overdue = NOW + timedelta(hours=2)
    with pytest.raises(Forbidden):
        domain.check_action(fresh(), "accept", BUYER, overdue)
    with pytest.raises(NotFound):
        domain.check_action(fresh(), "cancel", STRANGER, overdue)


def test_only_a_request_can_be_overdue():
    overdue = NOW + timedelta(hours=2)
    for status in set(domain.STATUSES) - {domain.REQUESTED}:
        assert not domain.is_overdue(in_status(status), overdue), status


def test_a_move_appends_to_the_timeline_and_stamps_updated_at():
    order = domain.new_order("o1", "l1", "buyer", "provider", 1000, "CNY", "", 0, 3600, NOW)
    later = datetime(2030, 1, 1, 12, 0, 5, tzinfo=UTC)
    moved = domain.after(order, domain.ACCEPTED, later)
    assert moved.status == domain.ACCEPTED
    assert [e.status for e in moved.timeline] == ["requested", "accepted"]
    assert moved.updated_at == moved.timeline[-1].at == "2030-01-01T12:00:05.000Z"
    assert moved.created_at == order.created_at


# ---- any sequence of actions ----

steps = st.lists(st.tuples(st.sampled_from(sorted(domain.TRANSITIONS)), st.sampled_from(sorted(CALLERS))),
                 max_size=12)


@given(st.sampled_from(domain.STATUSES), steps)
def test_no_sequence_of_actions_leaves_a_terminal_status_or_takes_a_move_off_the_table(start, actions):
    order = in_status(start)
    at = NOW
    for action, who in actions:
        at += timedelta(seconds=1)
        before = order
        try:
            transition = domain.check_action(order, action, CALLERS[who], at)
        except (NotFound, Forbidden, Conflict) as refused:
            assert answer(order.status, action, who) is type(refused)
            continue
        assert before.status not in TERMINAL, (before.status, action, who)
        assert EXPECTED_MOVES[(action, before.status)] == transition.target
        order = domain.after(order, transition.target, at)
        assert order.timeline[:-1] == before.timeline
    if start in TERMINAL:
        assert order.status == start and len(order.timeline) == 1


@given(steps)
def test_from_a_fresh_request_only_the_statuses_the_api_writes_are_reached(actions):
    order = fresh()
    for action, who in actions:
        try:
            order = domain.after(order, domain.check_action(order, action, CALLERS[who], NOW).target, NOW)
        except (NotFound, Forbidden, Conflict):
            continue
    assert order.status in {"requested", "accepted", "declined", "cancelled", "paying"}
    path = [e.status for e in order.timeline]
    assert path[0] == "requested"
    moves = set(EXPECTED_MOVES.items())
    assert all(any(((action, source), target) in moves for action in domain.TRANSITIONS)
               for source, target in itertools.pairwise(path)), path
