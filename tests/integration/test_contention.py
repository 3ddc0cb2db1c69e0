"""Transient refusals from DynamoDB (transaction conflicts, throttling) are retried, never a 500.

moto serialises everything, so conflicts are injected with a botocore before-send hook on the real
client the store uses, exactly where DynamoDB's answer would arrive.
"""
from __future__ import annotations

from contextlib import AbstractContextManager

from botocore.exceptions import ClientError

from chalicelib.store import listings as listing_store
from chalicelib.store import tables
from chalicelib.store.models import ProfileModel
from tests.conftest import listing_body
from tests.integration.client_faults import failing


def refusing(client, operation: str, error: dict, times: int) -> AbstractContextManager[list[int]]:
    """Make `operation` fail with `error` the first `times` calls; yields the count of calls seen."""
    return failing(client, f"before-send.dynamodb.{operation}", lambda: ClientError(error, operation), times)


CONFLICT = {
    "Error": {
        "Code": "TransactionCanceledException",
        "Message": "Transaction cancelled [None, TransactionConflict, None]",
    },
    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}],
}
UPDATE_CONFLICT = {"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}


def test_a_first_listing_that_meets_a_transaction_conflict_is_retried_and_published(client, make_user):
    bob = make_user()
    client.get("/me", bob)
    with refusing(tables.bind().client, "TransactWriteItems", CONFLICT, times=2) as seen:
        answer = client.post("/listings", bob, listing_body())
    assert answer.status == 201, answer.body
    assert seen[0] == 3
    assert client.get("/me", bob).body["privileged"] is True
    assert listing_store.privileged_count() == 1


def test_a_first_listing_that_keeps_conflicting_answers_429_and_stores_nothing(client, make_user):
    bob = make_user()
    client.get("/me", bob)
    with refusing(tables.bind().client, "TransactWriteItems", CONFLICT, times=100):
        answer = client.post("/listings", bob, listing_body())
    assert answer.status == 429
    assert answer.body["Code"] == "TooManyRequestsError"
    assert client.get("/me", bob).body["provider_since"] is None
    assert client.get(f"/users/{bob.user_id}/listings", bob).body["items"] == []
    assert listing_store.privileged_count() == 0


def test_a_profile_edit_that_meets_a_transaction_conflict_is_retried(client, make_user):
    alice = make_user()
    client.get("/me", alice)
    with refusing(ProfileModel._get_connection().connection.client, "UpdateItem", UPDATE_CONFLICT, times=1):
        answer = client.patch("/me", alice, {"bio": "Retried"})
    assert answer.status == 200, answer.body
    assert client.get("/me", alice).body["bio"] == "Retried"


def test_an_accept_that_meets_a_transaction_conflict_is_retried_and_makes_its_order(client, make_user):
    """Real DynamoDB cancels one of two overlapping transactions (an accept racing an offer, a withdrawal, another
    accept) with TransactionConflict: the accept backs off and tries again rather than failing."""
    from tests.integration.test_tasks import offer, post_task

    alice, bob = make_user(), make_user()
    task = post_task(client, alice)
    made = offer(client, bob, task["task_id"]).body
    with refusing(tables.bind().client, "TransactWriteItems", CONFLICT, times=2) as seen:
        accepted = client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice)
    assert accepted.status == 200, accepted.body
    assert seen[0] == 3
    assert client.get(f"/tasks/{task['task_id']}", alice).body["order_id"] == accepted.body["order_id"]
