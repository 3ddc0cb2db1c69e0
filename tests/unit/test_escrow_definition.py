"""The committed escrow ASL is what its builder generates, and it writes the ledger and the orders exactly as the
store does: the same keys (from store/key_layouts.py), lines, balance changes and conditions for the same entry."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from chalicelib.domain import ledger
from chalicelib.domain.orders import FUNDED, PAYING, WATCHED, Order, fee_for
from chalicelib.store import entry_shape, key_layouts
from chalicelib.workflows import escrow as workflow
from chalicelib.workflows import escrow_definition as builder
from scripts import escrow_asl as generator

AT = "2025-01-02T03:04:05.678Z"
FEE_BPS = 500
ORDER = Order(
    order_id="01ORDER", listing_id="01LISTING", buyer_id="alice", provider_id="bob", price_cents=10_000,
    currency="CNY", fee_cents=fee_for(10_000, FEE_BPS), status=PAYING, note="", failure_reason=None,
    created_at=AT, updated_at=AT, expires_at=AT, timeline=(), pay_attempt=1,
)
TIMERS = SimpleNamespace(auto_release_after_delivery_s=1, service_deadline_s=2, dispute_timeout_s=3,
                         escrow_queue_retry_s=4)
RELEASED_IN_SPLIT = 3_000
SPLIT_FEE = RELEASED_IN_SPLIT * FEE_BPS // 10_000
DECISION = {"to_provider": str(RELEASED_IN_SPLIT - SPLIT_FEE), "fee": str(SPLIT_FEE),
            "to_buyer": str(ORDER.price_cents - RELEASED_IN_SPLIT), "by": "olga", "note": "half done"}


def test_the_committed_asl_is_what_the_builder_generates():
    assert generator.DOCUMENT.exists(), f"the escrow ASL is missing: run `{generator.REGENERATE}`"
    assert generator.DOCUMENT.read_text(encoding="utf-8") == generator.render(), (
        f"chalicelib/workflows/escrow.asl.json no longer matches its builder: run `{generator.REGENERATE}`, commit it"
    )


def test_the_check_command_fails_on_a_stale_file(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "escrow.asl.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(generator, "DOCUMENT", stale)
    monkeypatch.setattr(generator, "ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert generator.main([]) == 0 and generator.main(["--check"]) == 0


# ---- evaluating the ASL's values as Step Functions would -------------------------------------------------------

def _resolve(path: str, data: dict) -> object:
    root, *steps = path.split(".")
    value = data[root]
    for step in steps:
        value = value[step]
    return value


def _unescape(template: str) -> list[str]:
    """The literal parts of a States.Format template (between its `{}`s)."""
    parts, current, chars = [], "", iter(template)
    for char in chars:
        if char == "\\":
            current += next(chars)
        elif char == "{":
            assert next(chars) == "}"
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _evaluate(value: dict, data: dict) -> object:
    ((kind, expression),) = value.items()
    if kind in ("S", "N"):
        return expression if kind == "S" else int(expression)
    if kind == "N.$":
        return int(_resolve(expression, data))
    if kind == "L":
        return [_evaluate(item, data) for item in expression]
    if kind == "M":
        return {name: _evaluate(item, data) for name, item in expression.items()}
    assert kind == "S.$", value
    call = re.fullmatch(r"States\.Format\('((?:[^'\\]|\\.)*)', (.+)\)", expression)
    if call is None:
        return _resolve(expression, data)
    literals = _unescape(call.group(1))
    arguments = [str(_resolve(path, data)) for path in call.group(2).split(", ")]
    assert len(literals) == len(arguments) + 1
    return "".join(literal + argument for literal, argument in zip(literals, [*arguments, ""], strict=True))


def _data() -> dict:
    execution = {**workflow.execution_input(ORDER, TIMERS), "decision": DECISION}
    return {"$": json.loads(json.dumps(execution)), "$$": {"State": {"EnteredTime": AT}}}


def _written(state: str, data: dict) -> tuple[set, set, set, dict]:
    """What the state's transaction writes to the ledger: (guard puts, line puts, balance updates, order update)."""
    guards, lines, balances, orders = set(), set(), set(), {}
    for item in builder.definition()["States"][state]["Parameters"]["TransactItems"]:
        ((action, call),) = item.items()
        if call["TableName"] == builder.ORDERS:
            values = {name: _evaluate(value, data) for name, value in call["ExpressionAttributeValues"].items()}
            orders = {"values": values, "condition": call["ConditionExpression"], "update": call["UpdateExpression"]}
            continue
        if action == "Put":
            fields = {name: _evaluate(value, data) for name, value in call["Item"].items()}
            if call.get("ConditionExpression") == "attribute_not_exists(pk)":
                postings = tuple((p["account"], p["amount_cents"]) for p in fields.pop("postings"))
                guards.add((*sorted(fields.items()), postings))
            else:
                lines.add(tuple(sorted(fields.items())))
            continue
        values = {name: _evaluate(value, data) for name, value in call["ExpressionAttributeValues"].items()}
        key = tuple(_evaluate(call["Key"][name], data) for name in ("pk", "sk"))
        add_terms = call["UpdateExpression"].removeprefix("ADD ").split(", ")
        adds = tuple(sorted((name, values[placeholder]) for name, placeholder in map(str.split, add_terms)))
        condition_terms = [term for term in call.get("ConditionExpression", "").split(" AND ") if term]
        conditions = tuple(sorted((name, values[floor]) for name, _, floor in map(str.split, condition_terms)))
        balances.add((key, adds, conditions))
    return guards, lines, balances, orders


def _as_the_store_posts(entry: ledger.Entry) -> tuple[set, set, set]:
    """The same, for the domain's entry as store/ledger.post writes it."""
    shape = entry_shape.of(
        entry.entry_id, entry.at, [(p.account, p.amount_cents) for p in entry.postings],
        [(ledger.wallet(user), delta) for user, delta in entry.held], ledger.may_go_negative,
    )
    common = {"entry_id": entry.entry_id, "kind": entry.kind, "order_id": entry.order_id, "at": entry.at}
    guard = (*sorted({"pk": shape.guard[0], "sk": shape.guard[1], **common}.items()),
             tuple((p.account, p.amount_cents) for p in entry.postings))
    lines = {
        tuple(sorted({"pk": line.key[0], "sk": line.key[1], "amount_cents": line.amount, **common}.items()))
        for line in shape.lines
    }
    balances = {
        (
            update.key,
            tuple(sorted((name, amount) for name, amount in (("balance", update.add_balance), ("held", update.add_held))
                         if amount is not None)),
            tuple(sorted((name, amount) for name, amount in (("balance", update.balance_at_least),
                                                             ("held", update.held_at_least)) if amount is not None)),
        )
        for update in shape.balances
    }
    return {guard}, lines, balances


def _entries() -> dict[str, ledger.Entry]:
    ids = workflow.entry_ids(ORDER)
    settle = {
        "order_id": ORDER.order_id, "buyer_id": ORDER.buyer_id, "provider_id": ORDER.provider_id,
        "price_cents": ORDER.price_cents, "fee_bps": FEE_BPS, "at": AT,
    }
    return {
        "Hold": ledger.hold(ids["hold"], ORDER.order_id, ORDER.buyer_id, ORDER.price_cents, AT),
        "Release": ledger.settle(ids["settle"], ledger.RELEASE, to_provider_cents=ORDER.price_cents, **settle),
        "Refund": ledger.settle(ids["settle"], ledger.REFUND, to_provider_cents=0, **settle),
        "Split": ledger.settle(ids["settle"], ledger.SPLIT, to_provider_cents=RELEASED_IN_SPLIT, **settle),
    }


@pytest.mark.parametrize("state", ["Hold", "Release", "Refund", "Split"])
def test_each_money_step_writes_the_ledger_as_the_store_posts_the_same_entry(state):
    entry = _entries()[state]
    guards, lines, balances, _ = _written(state, _data())
    assert (guards, lines, balances) == _as_the_store_posts(entry)
    assert {key for key, _, _ in balances} == {
        (key_layouts.account_key(p.account), key_layouts.BALANCE_SORT_KEY) for p in entry.postings
    } | {(key_layouts.account_key(ledger.wallet(ORDER.buyer_id)), key_layouts.BALANCE_SORT_KEY)}


@pytest.mark.parametrize("state", ["Hold", "Release", "Refund", "Split"])
def test_each_money_step_moves_the_order_and_its_index_keys_as_the_store_does(state):
    step = {"Hold": builder.HOLD, "Release": builder.RELEASE, "Refund": builder.REFUND, "Split": builder.SPLIT}[state]
    *_, order = _written(state, _data())
    assert order["values"][":to"] == step.target
    assert order["values"][":bs"] == key_layouts.status_key(ORDER.buyer_id, step.target)
    assert order["values"][":ps"] == key_layouts.status_key(ORDER.provider_id, step.target)
    assert [order["values"][f":from{i}"] for i in range(len(step.sources))] == list(step.sources)
    if step.target in WATCHED:  # the escrow watch index, as store/orders.py change_status keeps it
        assert order["values"][":watch"] == key_layouts.watch_key(step.target)
        assert "watch = :watch, watch_since = :at" in order["update"]
    else:
        assert ":watch" not in order["values"] and "watch, watch_since" in order["update"].split(" REMOVE ")[1]


def test_a_split_records_the_operator_and_their_note_with_the_status():
    *_, order = _written("Split", _data())
    assert (order["values"][":resolved_by"], order["values"][":resolution_note"]) == ("olga", "half done")
    assert "resolved_by = :resolved_by" in order["update"] and "resolution_note = :resolution_note" in order["update"]


def test_a_dispute_is_marked_with_who_opened_it_and_from_which_status():
    update = builder.definition()["States"]["MarkDisputed"]["Parameters"]
    values = {name: _evaluate(value, {**_data(), "$": {**_data()["$"], "decision": {"by": "bob", "from": FUNDED}}})
              for name, value in update["ExpressionAttributeValues"].items()}
    assert (values[":disputed_by"], values[":disputed_from"], values[":watch"]) == (
        "bob", FUNDED, key_layouts.watch_key("disputed"))


def test_only_the_timer_itself_takes_a_waits_timeout_path():
    """Any other error of a wait (the token queue down) waits and sends a token again: it never settles."""
    states = builder.definition()["States"]
    for wait in ("AwaitFunded", "AwaitDelivered", "AwaitResolution"):
        catches = {tuple(c["ErrorEquals"]): c["Next"] for c in states[wait]["Catch"]}
        assert catches[("States.ALL",)] == f"{wait}Again"
        assert states[f"{wait}Again"] == {**states[f"{wait}Again"], "Type": "Wait", "Next": wait}
    assert {c["Next"] for c in states["AwaitResolution"]["Catch"]} == {"Escalate", "AwaitResolutionAgain"}
    assert states["Escalate"]["Next"] == "AwaitResolution"  # escalated, the money stays held


def test_a_key_format_changed_in_the_store_changes_the_definition(monkeypatch):
    monkeypatch.setattr(entry_shape, "account_key", lambda account: f"account/{account}")
    monkeypatch.setattr(builder, "status_key", lambda user_id, status: f"{status}@{user_id}")
    text = json.dumps(builder.definition())
    assert "States.Format('account/{}', $.accounts.buyer)" in text and "acct#" not in text
    assert f"States.Format('{FUNDED}@{{}}', $.buyer_id)" in text
    assert builder.definition() != json.loads(generator.DOCUMENT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("literal", ["plain#", "a{b}c", "it's", "back\\slash", "{}", "'{\\}'"])
def test_a_key_with_characters_states_format_reserves_still_evaluates_to_the_key(literal):
    key = f"{literal}{builder.ref('$.order_id')}#{literal}{builder.ref('$.buyer_id')}{literal}"
    value = builder.string(key)
    assert _evaluate(value, _data()) == f"{literal}{ORDER.order_id}#{literal}{ORDER.buyer_id}{literal}"


def test_an_order_that_cannot_pay_fails_the_hold_on_the_buyers_balance_item():
    """HoldRefused tells refusals apart by their index in the transaction: the index must be the buyer's balance."""
    items = builder.definition()["States"]["Hold"]["Parameters"]["TransactItems"]
    matches = [choice for choice in builder.definition()["States"]["HoldRefused"]["Choices"]
               if choice["Next"] == "NotEnoughMoney"]
    (choice,) = matches
    index = choice["StringMatches"].count("None, ")
    update = items[index]["Update"]
    assert _evaluate(update["Key"]["pk"], _data()) == key_layouts.account_key(ledger.wallet(ORDER.buyer_id))
    assert "balance >=" in update["ConditionExpression"]
    assert [choice["Next"] for choice in builder.definition()["States"]["HoldRefused"]["Choices"]][:2] == [
        "AwaitFunded", "NotPaying"
    ]
