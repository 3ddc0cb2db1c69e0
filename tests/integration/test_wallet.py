"""The wallet: money in and out through the (simulated) payment rail, and the statement of it."""
from __future__ import annotations

import uuid

import pytest
from chalice.test import Client

from tests.conftest import ROOT


def move(client, user, kind, amount, key=None):
    return client.post(f"/wallet/{kind}", user, {"amount_cents": amount},
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_a_new_wallet_is_empty(client, make_user):
    assert client.get("/wallet", make_user()).body == {"available_cents": 0, "held_cents": 0, "currency": "CNY"}


def test_a_deposit_adds_to_the_available_balance_and_shows_in_the_statement(client, make_user):
    alice = make_user()
    receipt = move(client, alice, "deposits", 10_000)
    assert receipt.status == 201, receipt.body
    assert receipt.body["kind"] == "deposit"
    assert receipt.body["amount_cents"] == 10_000
    assert receipt.body["wallet"] == {"available_cents": 10_000, "held_cents": 0, "currency": "CNY"}
    assert client.get("/wallet", alice).body["available_cents"] == 10_000
    lines = client.get("/wallet/ledger", alice).body["items"]
    assert [(line["kind"], line["amount_cents"]) for line in lines] == [("deposit", 10_000)]
    assert lines[0]["entry_id"] == receipt.body["entry_id"]


def test_a_withdrawal_takes_from_the_available_balance(client, make_user):
    alice = make_user()
    move(client, alice, "deposits", 10_000)
    out = move(client, alice, "withdrawals", 2_500)
    assert out.status == 201, out.body
    assert out.body["amount_cents"] == -2_500
    assert client.get("/wallet", alice).body["available_cents"] == 7_500
    assert [line["amount_cents"] for line in client.get("/wallet/ledger", alice).body["items"]] == [-2_500, 10_000]


def test_withdrawing_more_than_is_available_is_refused_and_moves_nothing(client, make_user):
    alice = make_user()
    move(client, alice, "deposits", 1_000)
    refused = move(client, alice, "withdrawals", 1_001)
    assert refused.status == 422
    assert refused.body["Code"] == "InsufficientFunds"
    assert client.get("/wallet", alice).body["available_cents"] == 1_000
    assert len(client.get("/wallet/ledger", alice).body["items"]) == 1


def test_a_replayed_deposit_moves_the_money_once(client, make_user):
    alice = make_user()
    first = move(client, alice, "deposits", 5_000, key="salary-2026-11")
    again = move(client, alice, "deposits", 5_000, key="salary-2026-11")
    assert again.status == 201
    assert again.body == first.body
    assert client.get("/wallet", alice).body["available_cents"] == 5_000
    assert move(client, alice, "deposits", 6_000, key="salary-2026-11").status == 409


def test_money_routes_need_an_idempotency_key(client, make_user):
    alice = make_user()
    for kind in ("deposits", "withdrawals"):
        answer = client.post(f"/wallet/{kind}", alice, {"amount_cents": 100})
        assert answer.status == 400
        assert "Idempotency-Key" in answer.body["Message"]
    assert client.get("/wallet", alice).body["available_cents"] == 0


@pytest.mark.parametrize("amount", [0, -1, 100_000_000, 1.5, "100", None, True])
def test_an_amount_outside_1_to_99999999_cents_is_refused(client, make_user, amount):
    answer = move(client, make_user(), "deposits", amount)
    assert answer.status == 400
    assert "amount_cents" in answer.body["Message"]


def test_a_wallets_lines_are_its_owners_alone(client, make_user):
    alice, bob = make_user(), make_user()
    move(client, alice, "deposits", 1_000)
    assert client.get("/wallet/ledger", bob).body["items"] == []
    assert client.get("/wallet", bob).body["available_cents"] == 0


def test_in_prod_there_is_no_simulated_rail(stack, make_user):
    from app import app

    alice = make_user()
    with Client(app, stage_name="prod", project_dir=str(ROOT)) as prod:
        for kind in ("deposits", "withdrawals"):
            answer = prod.http.post(f"/wallet/{kind}", body=b'{"amount_cents": 100}',
                                    headers={**alice.headers, "Idempotency-Key": str(uuid.uuid4())})
            assert answer.status_code == 403, answer.body
        assert prod.http.get("/wallet", headers=alice.headers).status_code == 200
