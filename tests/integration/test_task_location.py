"""A need posted from home: an approximate task is shown, searched and told at the centre of its ~150 m cell, as
an approximate listing is; its precise point goes to its requester, and to the provider of the order born from it
once that order is funded (they go there), never to anyone else. The escrow runs for real on the served moto."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain import geo
from tests.integration.escrow_kit import decide, deposit, key, wait_for
from tests.integration.test_tasks import offer, task_body

HOME = (31.2299512, 121.4731437)
AT_HOME = {"lat": HOME[0], "lon": HOME[1]}


@pytest.fixture
def stack(escrow_stack):
    return escrow_stack


@pytest.fixture
def from_home(client: Any, make_user: Any) -> dict[str, Any]:
    """Alice needs her sofa carried, at home; Bob and Carol are providers nearby."""
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    task = client.post("/tasks", alice, task_body(lat=HOME[0], lon=HOME[1], location_precision="approximate"))
    assert task.status == 201, task.body
    return {"alice": alice, "bob": bob, "carol": carol, "task": task.body}


def test_an_approximate_task_is_shown_and_searched_at_its_cells_centre(client, from_home):
    task, bob = from_home["task"], from_home["bob"]
    centre = geo.cell_centre(geo.encode(*HOME), 7)
    assert (task["lat"], task["lon"]) == pytest.approx(centre, abs=1e-6)
    assert task["location_precision"] == "approximate"
    seen = client.get(f"/tasks/{task['task_id']}", bob).body
    assert (seen["lat"], seen["lon"], seen["service_location"]) == (task["lat"], task["lon"], None)
    nearby = client.get(f"/tasks/nearby?lat={HOME[0]}&lon={HOME[1]}&radius_m=500", bob).body["items"]
    assert [(item["task_id"], item["lat"], item["lon"]) for item in nearby] == [
        (task["task_id"], task["lat"], task["lon"])]


def test_only_the_requester_sees_where_the_job_is_on_the_task(client, from_home):
    task = from_home["task"]
    assert task["service_location"] == AT_HOME
    assert client.get(f"/tasks/{task['task_id']}", from_home["alice"]).body["service_location"] == AT_HOME


def test_the_provider_finds_the_place_on_the_order_once_it_is_funded_and_nobody_else_does(client, from_home):
    alice, bob, carol, task = from_home["alice"], from_home["bob"], from_home["carol"], from_home["task"]
    made = offer(client, bob, task["task_id"], 6000).body
    order = client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice).body
    assert order["service_location"] is None
    assert client.get(f"/orders/{order['order_id']}", bob).body["service_location"] is None
    deposit(client, alice, 6000)
    assert client.post(f"/orders/{order['order_id']}/pay", alice, headers=key()).status == 202
    wait_for(client, alice, order["order_id"], "funded")
    assert client.get(f"/orders/{order['order_id']}", bob).body["service_location"] == AT_HOME
    assert client.get(f"/orders/{order['order_id']}", alice).body["service_location"] is None
    assert client.get(f"/orders/{order['order_id']}", carol).status == 404
    assert decide(client, bob, order["order_id"], "deliver").status in (200, 202)
    listed = client.get("/orders?role=provider", bob).body["items"]
    assert [(item["order_id"], item["service_location"]) for item in listed] == [(order["order_id"], AT_HOME)]
