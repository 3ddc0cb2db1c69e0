"""End to end: start the real local stack (`make run`'s runner: moto server + chalice local) and use it
over HTTP as a client would — sign in through Cognito, publish, search, see."""
from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_stack_writes_its_coordinates(running_stack):
    for key in ("api_url", "aws_endpoint", "region", "user_pool_id", "user_pool_client_id"):
        assert running_stack[key]


def test_a_provider_signs_in_publishes_and_a_buyer_finds_the_listing(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    me = requests.get(f"{api}/me", headers=bob, timeout=60)
    assert me.status_code == 200 and me.json()["display_name"] == "Bob (provider)"

    spot = {"lat": 31.2160, "lon": 121.4910}
    created = requests.post(f"{api}/listings", headers=bob, timeout=60, json={
        "title": "Zongzi delivery", "description": "Fresh every morning", "category": "delivery",
        "price_cents": 1800, **spot})
    assert created.status_code == 201, created.text
    listing_id = created.json()["listing_id"]

    found = requests.get(f"{api}/search", headers=alice, timeout=60,
                         params={**spot, "radius_m": 300, "q": "zongzi", "limit": 100})
    assert found.status_code == 200, found.text
    assert [item["listing_id"] for item in found.json()["items"]] == [listing_id]
    assert found.json()["items"][0]["distance_m"] == 0


def walk_search(running_stack, headers, **params) -> list[dict]:
    """Every page of a search over HTTP, following next_cursor as a client does."""
    items, cursor = [], None
    for _ in range(10_000):
        answer = requests.get(f"{running_stack['api_url']}/search", headers=headers, timeout=60,
                              params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages do not end")


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def test_the_demo_data_is_on_the_map(running_stack):
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    items = walk_search(running_stack, alice, lat=31.2304, lon=121.4737, radius_m=2000, limit=100)
    assert len(items) >= 10
    assert items[0]["privileged"] is True


def test_walking_every_page_of_a_20_km_search_shows_exactly_the_listings_in_the_circle(running_stack):
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    centre = (31.2304, 121.4737)
    items = walk_search(running_stack, alice, lat=centre[0], lon=centre[1], radius_m=20_000, limit=20)
    dynamodb = boto3.client("dynamodb", endpoint_url=running_stack["aws_endpoint"], region_name=running_stack["region"],
                            aws_access_key_id="x", aws_secret_access_key="x")
    table = next(name for name in dynamodb.list_tables()["TableNames"] if name.endswith("-listings"))
    truth = set()
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            lat, lon = float(item["la"]["N"]), float(item["lo"]["N"])
            if item["status"]["S"] == "active" and great_circle_m(*centre, lat, lon) <= 20_000:
                truth.add(item["id"]["S"])
    ids = [item["listing_id"] for item in items]
    assert len(ids) == len(set(ids)) and set(ids) == truth and len(truth) > 100
    keys = [(not item["privileged"], item["distance_m"], item["listing_id"]) for item in items]
    assert keys == sorted(keys)


def test_the_start_is_quiet_and_ends_with_the_banner(running_stack):
    """Before the banner only the API's own JSON request lines: no library warnings to scroll it away."""
    log = (running_stack["state_dir"] / "run.log").read_text()
    before, banner_found, _ = log.partition("Everywhere is running locally")
    assert banner_found, log[-2000:]
    for line in filter(str.strip, before.splitlines()):
        assert json.loads(line)["message"], line


def test_make_status_repeats_the_banner(running_stack):
    env = {**os.environ, "STATE_DIR": str(running_stack["state_dir"])}
    status = subprocess.run([sys.executable, "-m", "scripts.status"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert status.returncode == 0, status.stderr
    assert running_stack["api_url"] in status.stdout and "make token AS=provider-3" in status.stdout


def test_an_unknown_route_is_not_found_in_the_apis_shape_and_the_token_is_not_quoted(running_stack):
    api = running_stack["api_url"]
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    for method, path in (("GET", "/nowhere"), ("POST", "/listing"), ("GET", "/orders/x/y/z"), ("DELETE", "/health"),
                         ("PUT", "/orders")):
        answer = requests.request(method, f"{api}{path}", headers=alice, timeout=60)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["Code"] == "NotFoundError"
        assert alice["Authorization"].split()[1] not in answer.text


def test_a_body_that_says_it_is_a_form_gets_400_naming_the_header(running_stack):
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    form = {**alice, "Content-Type": "application/x-www-form-urlencoded"}  # what curl -d sends unless told
    answer = requests.patch(f"{running_stack['api_url']}/me", headers=form, timeout=60,
                            data=json.dumps({"bio": "sent as curl -d would"}))
    assert answer.status_code == 400, answer.text
    assert answer.json()["Code"] == "BadRequestError" and "Content-Type" in answer.json()["Message"]


def test_a_json_body_without_a_content_type_is_taken_as_json(running_stack):
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    answer = requests.patch(f"{running_stack['api_url']}/me", headers=alice, timeout=60,
                            data=json.dumps({"bio": "no Content-Type header"}))
    assert answer.status_code == 200 and answer.json()["bio"] == "no Content-Type header", answer.text


def test_a_buyer_orders_a_demo_listing_and_its_provider_signs_in_and_accepts_it(running_stack):
    api = running_stack["api_url"]
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    pin = requests.get(f"{api}/search", headers=alice, timeout=60,
                       params={"lat": 31.2304, "lon": 121.4737, "radius_m": 5000, "limit": 1}).json()["items"][0]
    listing = requests.get(f"{api}/listings/{pin['listing_id']}", headers=alice, timeout=60).json()
    key = re.search(r"make token AS=(provider-\d+)", listing["description"]).group(1)
    env = {**os.environ, "STATE_DIR": str(running_stack["state_dir"])}
    token = subprocess.run([sys.executable, "-m", "scripts.token", key], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60, check=False)
    assert token.returncode == 0, token.stderr
    provider = {"Authorization": f"Bearer {token.stdout.strip()}"}
    assert requests.get(f"{api}/me", headers=provider, timeout=60).json()["user_id"] == listing["provider_id"]

    placed = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"], note="Saturday morning?")
    assert placed.status_code == 201, placed.text
    incoming = requests.get(f"{api}/orders", headers=provider, timeout=60, params={"role": "provider"}).json()
    assert placed.json()["order_id"] in [o["order_id"] for o in incoming["items"]]
    accepted = requests.post(f"{api}/orders/{placed.json()['order_id']}/accept", headers=provider, timeout=60)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text


def test_a_request_without_a_valid_token_is_refused(running_stack):
    api = running_stack["api_url"]
    assert requests.get(f"{api}/me", timeout=60).status_code == 401
    refused = requests.get(f"{api}/me", headers={"Authorization": "Bearer nope"}, timeout=60)
    assert refused.status_code == 401 and refused.json()["Code"] == "UnauthorizedError"
    assert requests.get(f"{api}/regions", timeout=60).json()["items"][0]["id"]


def test_the_token_command_signs_in_a_new_user(running_stack):
    env = {**os.environ, "STATE_DIR": str(running_stack["state_dir"])}
    result = subprocess.run([sys.executable, "-m", "scripts.token", "--new", "Mei Lin"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    me = requests.get(f"{running_stack['api_url']}/me", timeout=60,
                      headers={"Authorization": f"Bearer {result.stdout.strip()}"})
    assert me.status_code == 200 and me.json()["display_name"] == "Mei Lin"


def _publish(api: str, provider: dict[str, str], **fields: object) -> dict:
    created = requests.post(f"{api}/listings", headers=provider, timeout=60, json={
        "title": "Bike repair", "description": "Flat tyres, brakes", "category": "repair",
        "price_cents": 6000, "lat": 31.2304, "lon": 121.4737, **fields})
    assert created.status_code == 201, created.text
    return created.json()


def _order(api: str, buyer: dict[str, str], key: str, **fields: object) -> requests.Response:
    return requests.post(f"{api}/orders", headers={**buyer, "Idempotency-Key": key}, timeout=60, json=fields)


def test_two_users_chat_the_buyer_orders_at_the_offered_price_and_the_provider_accepts(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    listing = _publish(api, bob)

    opened = requests.post(f"{api}/conversations", headers=alice, timeout=60,
                           json={"listing_id": listing["listing_id"]})
    assert opened.status_code == 201, opened.text
    messages = f"{api}/conversations/{opened.json()['conversation_id']}/messages"
    asked = requests.post(messages, headers=alice, timeout=60, json={"text": "Can you fix a flat today?"})
    offered = requests.post(messages, headers=bob, timeout=60, json={"text": "Yes: 50 yuan", "offer_cents": 5000})
    assert (asked.status_code, offered.status_code) == (201, 201)
    read = requests.get(messages, headers=bob, timeout=60, params={"after": asked.json()["message_id"]})
    assert [m["text"] for m in read.json()["items"]] == ["Yes: 50 yuan"]
    inbox = requests.get(f"{api}/conversations", headers=bob, timeout=60).json()["items"]
    assert inbox[0]["conversation_id"] == opened.json()["conversation_id"]

    placed = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"], price_cents=5000,
                    note="Rear wheel")  # the buyer accepts the offer by naming its price
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert (order["status"], order["price_cents"]) == ("requested", 5000)
    incoming = requests.get(f"{api}/orders", headers=bob, timeout=60,
                            params={"role": "provider", "status": "requested"})
    assert order["order_id"] in [o["order_id"] for o in incoming.json()["items"]]
    accepted = requests.post(f"{api}/orders/{order['order_id']}/accept", headers=bob, timeout=60)
    assert accepted.status_code == 200, accepted.text
    seen = requests.get(f"{api}/orders/{order['order_id']}", headers=alice, timeout=60).json()
    assert [e["status"] for e in seen["timeline"]] == ["requested", "accepted"]


def test_ten_concurrent_identical_order_requests_make_one_order(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    listing = _publish(api, bob, title="Concurrent")
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: _order(api, alice, key, listing_id=listing["listing_id"]), range(10)))
    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
    assert len({a.json()["order_id"] for a in answers}) == 1
    mine = requests.get(f"{api}/orders", headers=alice, timeout=60, params={"role": "buyer", "limit": 100}).json()
    assert sum(o["listing_id"] == listing["listing_id"] for o in mine["items"]) == 1


def test_concurrent_accept_and_decline_over_http_exactly_one_wins(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    listing = _publish(api, bob, title="Race")
    order_id = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"]).json()["order_id"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(
            lambda action: requests.post(f"{api}/orders/{order_id}/{action}", headers=bob, timeout=60),
            ["accept", "decline"]))
    assert sorted(a.status_code for a in answers) == [200, 409]
    winner = next(a.json()["status"] for a in answers if a.status_code == 200)
    assert requests.get(f"{api}/orders/{order_id}", headers=alice, timeout=60).json()["status"] == winner


def _until(read, done, timeout_s: float = 120.0) -> dict:
    """Read again until `done` holds of the answer (the escrow workflow settles a moment after the call)."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = read()
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def _as_a_client(send, timeout_s: float = 120.0) -> requests.Response:
    """Send again after Retry-After while the answer is 429 (the outcome not known yet), as a client would."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = send()
        if answer.status_code != 429 or time.monotonic() > deadline:
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))


def test_money_moves_through_escrow_over_http_and_the_books_reconcile(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])

    def wallet(who: dict[str, str]) -> dict:
        return requests.get(f"{api}/wallet", headers=who, timeout=60).json()

    before_alice, before_bob = wallet(alice)["available_cents"], wallet(bob)["available_cents"]
    listing = _publish(api, bob, title="Escrowed repair", price_cents=4_500)
    deposited = requests.post(f"{api}/wallet/deposits", headers={**alice, "Idempotency-Key": str(uuid.uuid4())},
                              timeout=60, json={"amount_cents": 10_000})
    assert deposited.status_code == 201, deposited.text
    order_id = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"]).json()["order_id"]
    assert requests.post(f"{api}/orders/{order_id}/accept", headers=bob, timeout=60).status_code == 200

    def read() -> dict:
        return requests.get(f"{api}/orders/{order_id}", headers=alice, timeout=60).json()

    paid = requests.post(f"{api}/orders/{order_id}/pay", headers={**alice, "Idempotency-Key": str(uuid.uuid4())},
                         timeout=60)
    assert paid.status_code == 202, paid.text
    assert _until(read, lambda o: o["status"] == "funded")["status"] == "funded"
    assert wallet(alice)["held_cents"] == 4_500
    for who, action, status in ((bob, "deliver", "delivered"), (alice, "confirm", "released")):
        answer = _as_a_client(
            lambda action=action, who=who: requests.post(f"{api}/orders/{order_id}/{action}", headers=who, timeout=60)
        )
        assert answer.status_code in (200, 202), answer.text
        assert _until(read, lambda o, s=status: o["status"] == s)["status"] == status
    assert [e["status"] for e in read()["timeline"]] == [
        "requested", "accepted", "paying", "funded", "delivered", "released"]
    assert wallet(alice)["available_cents"] == before_alice + 10_000 - 4_500
    assert wallet(bob)["available_cents"] == before_bob + 4_500

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    books = subprocess.run([sys.executable, "-m", "scripts.reconcile"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=False, env={**env, "STATE_DIR": str(running_stack["state_dir"])})
    assert books.returncode == 0, books.stdout + books.stderr
    assert "the books are clean" in books.stdout


def test_olga_finds_a_dispute_in_her_queue_decides_it_and_the_books_stay_clean(running_stack):
    """Issue 14's walkthrough (README, "Operators"): the dispute queue, a decision with a note, clean books."""
    api = running_stack["api_url"]
    bob, alice, olga = (sign_in(running_stack, f"{who}@everywhere.local", running_stack["demo_password"])
                        for who in ("bob", "alice", "olga"))
    listing = _publish(api, bob, title="Window cleaning", price_cents=5_000)
    assert requests.post(f"{api}/wallet/deposits", headers={**alice, "Idempotency-Key": str(uuid.uuid4())},
                         timeout=60, json={"amount_cents": 10_000}).status_code == 201
    order_id = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"]).json()["order_id"]
    assert requests.post(f"{api}/orders/{order_id}/accept", headers=bob, timeout=60).status_code == 200

    def read() -> dict:
        return requests.get(f"{api}/orders/{order_id}", headers=alice, timeout=60).json()

    requests.post(f"{api}/orders/{order_id}/pay", headers={**alice, "Idempotency-Key": str(uuid.uuid4())}, timeout=60)
    assert _until(read, lambda o: o["status"] == "funded")["status"] == "funded"
    for who, action, status in ((bob, "deliver", "delivered"), (alice, "dispute", "disputed")):
        answer = _as_a_client(
            lambda action=action, who=who: requests.post(f"{api}/orders/{order_id}/{action}", headers=who, timeout=60)
        )
        assert answer.status_code in (200, 202), answer.text
        assert _until(read, lambda o, s=status: o["status"] == s)["status"] == status
    queue = requests.get(f"{api}/admin/orders", headers=olga, timeout=60, params={"status": "disputed", "limit": 100})
    assert order_id in [order["order_id"] for order in queue.json()["items"]], queue.text
    assert requests.get(f"{api}/admin/orders", headers=alice, timeout=60,
                        params={"status": "disputed"}).status_code == 403
    decided = _as_a_client(lambda: requests.post(f"{api}/admin/orders/{order_id}/resolve", headers=olga, timeout=60,
                                                 json={"release_cents": 2_000, "note": "Two of five windows done"}))
    assert decided.status_code in (200, 202), decided.text
    order = _until(read, lambda o: o["status"] == "resolved")
    assert (order["status"], order["resolution_note"]) == ("resolved", "Two of five windows done")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    books = subprocess.run([sys.executable, "-m", "scripts.reconcile"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=False, env={**env, "STATE_DIR": str(running_stack["state_dir"])})
    assert books.returncode == 0, books.stdout + books.stderr
    assert "HoldingWithoutExecution: 0 order(s)" in books.stdout


def test_ctrl_c_stops_everything_it_started(running_stack):
    process = running_stack["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=120) == 0
    time.sleep(0.5)
    assert not _port_in_use(running_stack["api_port"])
    assert not _port_in_use(running_stack["moto_port"])
    assert not _port_in_use(running_stack["ws_port"])
    assert not (running_stack["state_dir"] / "stack.json").exists(), "a stopped stack leaves no coordinates"
