"""Contract fuzzing: schemathesis sends generated requests, valid and invalid, for every operation of the committed
OpenAPI document (docs/openapi.json) to the running local stack, signed in as a demo user, and checks every
answer against the document: never a 5xx, only documented status codes and content types, bodies that match
their schema (the `{"Code", "Message"}` shape for errors), invalid input refused, auth enforced.

Random ids name nothing, so half the generated path ids (and listing ids in bodies) are swapped for objects
that exist: the handlers then run past the lookup, into ownership and state rules.

FUZZ_EXAMPLES (default 100) sets the examples per operation; FUZZ_EXAMPLES=1000 for a deeper run.
Generation is derandomized, so a failure found here is found again on the next run.
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st

from scripts import openapi as generator
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
)
CONFIG = schemathesis.Config.from_dict({
    "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    # The demo user's token is sent with every request; `ignored_auth` still probes each operation without it.
    "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none",
                   "with-security-parameters": False},
    "phases": {
        "stateful": {"enabled": False},
        # TRACE and QUERY never reach the app: chalice local's HTTP server answers them 501 itself.
        "coverage": {"unexpected-methods": ["get", "put", "post", "delete", "options", "patch"]},
    },
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
})
schema = schemathesis.openapi.from_path(generator.DOCUMENT, config=CONFIG)

EXISTING: dict[str, list[str]] = {}  # path parameter name -> ids of objects that exist; filled by `world`
WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
WELL_FORMED_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
SHANGHAI = {"lat": 31.2304, "lon": 121.4737}


def _maybe_existing_listing(body: Any) -> st.SearchStrategy:
    """Only a well-formed generated listing id is swapped, so a deliberately invalid one stays invalid."""
    named = body.get("listing_id") if isinstance(body, dict) else None
    if not (isinstance(named, str) and WELL_FORMED_ID.match(named)):
        return st.just(body)
    return st.sampled_from([body] + [{**body, "listing_id": listing_id} for listing_id in EXISTING["listing_id"]])


def _maybe_in_shanghai(values: Any) -> st.SearchStrategy:
    """A valid place is almost never in the one open region (422); half the valid places are moved into it."""
    if not (isinstance(values, dict) and _is_degrees(values.get("lat"), 90) and _is_degrees(values.get("lon"), 180)):
        return st.just(values)
    inside = st.fixed_dictionaries({"lat": st.floats(31.10, 31.30), "lon": st.floats(121.30, 121.60)})
    return st.one_of(st.just(values), inside.map(lambda place: {**values, **place}))


def _is_degrees(value: Any, limit: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and -limit <= value <= limit


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy:
    if not path_parameters or not all(EXISTING.get(name) for name in path_parameters):
        return st.just(path_parameters)
    existing = st.fixed_dictionaries({name: st.sampled_from(EXISTING[name]) for name in path_parameters})
    return st.one_of(st.just(path_parameters), existing)


@schema.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy:
    return _maybe_existing_listing(body).flatmap(_maybe_in_shanghai)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: Any) -> st.SearchStrategy:
    return _maybe_in_shanghai(query)


@schema.hook
def map_headers(context: schemathesis.HookContext, headers: dict[str, Any] | None) -> dict[str, Any] | None:
    """Every operation draws the same keys, so each withdrawal would reuse a deposit's key (409): scope them."""
    key = (headers or {}).get("Idempotency-Key")
    if not (isinstance(key, str) and WELL_FORMED_KEY.match(key)):
        return headers
    return {**headers, "Idempotency-Key": f"{context.operation.method}{context.operation.path}:{key}"}


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, str]:
    """Orders must not lapse while they are fuzzed: the default request expiry and schedule."""
    return {"DEMO_LISTINGS": "300", "DEMO_PROVIDERS": "40"}


@pytest.fixture(scope="module")
def world(running_stack) -> Iterator[dict[str, dict[str, str]]]:
    """Bob (who fuzzes) and Alice each sell a listing and buy the other's, with orders in every state that has
    actions left: requested, accepted, funded and disputed; a report; each posts a task the other offered on, and Bob
    has an alert area; Olga (an operator) for the admin routes."""
    api, password = running_stack["api_url"], running_stack["demo_password"]
    bob, alice, olga = (sign_in(running_stack, f"{who}@everywhere.local", password) for who in ("bob", "alice", "olga"))

    def call(method: str, path: str, who: dict[str, str], **body: Any) -> dict:
        """The call's answer; a 429 (the escrow still settling the previous step) is sent again for up to 30 s."""
        deadline = time.monotonic() + 120
        while True:
            answer = requests.request(method, f"{api}{path}", json=body or None, timeout=60,
                                      headers={**who, "Idempotency-Key": str(uuid.uuid4())})
            if answer.status_code != 429 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def order(buyer: dict[str, str], provider: dict[str, str], listing: dict, until: str) -> str:
        order_id = call("POST", "/orders", buyer, listing_id=listing["listing_id"])["order_id"]
        steps = [("accept", provider, "accepted"), ("pay", buyer, "funded"), ("dispute", provider, "disputed")]
        for action, who, reached in steps[: ["requested", "accepted", "funded", "disputed"].index(until)]:
            call("POST", f"/orders/{order_id}/{action}", who)
            deadline = time.monotonic() + 120  # the escrow workflow settles a moment after the call
            while call("GET", f"/orders/{order_id}", who)["status"] != reached and time.monotonic() < deadline:
                time.sleep(0.2)
        assert call("GET", f"/orders/{order_id}", buyer)["status"] == until
        return order_id

    listing = {"title": "Fuzzed repair", "category": "repair", "price_cents": 5000, **SHANGHAI}
    bobs, alices = call("POST", "/listings", bob, **listing), call("POST", "/listings", alice, **listing)
    conversation = call("POST", "/conversations", bob, listing_id=alices["listing_id"])
    # Bob's report about Alice's listing: closing it (any action) never touches what Bob fuzzes with.
    report = call("POST", "/reports", bob, subject="listing", subject_id=alices["listing_id"], reason="fuzzed")
    for buyer in (bob, alice):
        call("POST", "/wallet/deposits", buyer, amount_cents=1_000_000)
    # Posted needs: Alice's, which Bob offered on, and Bob's own, which Alice offered on (Bob may accept or cancel).
    need = {"title": "Fuzzed errand", "category": "errands", "budget_cents": 3000, **SHANGHAI}
    alices_task, bobs_task = call("POST", "/tasks", alice, **need), call("POST", "/tasks", bob, **need)
    offers = [call("POST", f"/tasks/{alices_task['task_id']}/offers", bob, price_cents=2500),
              call("POST", f"/tasks/{bobs_task['task_id']}/offers", alice, price_cents=2500)]
    call("PUT", "/me/alerts", bob, radius_m=5000, categories=["errands"], **SHANGHAI)
    EXISTING.update(
        task_id=[alices_task["task_id"], bobs_task["task_id"]],
        offer_id=[offer["offer_id"] for offer in offers],
        listing_id=[bobs["listing_id"], alices["listing_id"]],
        conversation_id=[conversation["conversation_id"]],
        order_id=[order(bob, alice, alices, until) for until in ("requested", "accepted", "funded")]
        + [order(alice, bob, bobs, until) for until in ("requested", "accepted", "funded", "disputed")],
        user_id=[bobs["provider_id"], alices["provider_id"]],
        report_id=[report["report_id"]],
    )
    yield {"bob": bob, "olga": olga}
    EXISTING.clear()


@schema.parametrize()
def test_every_answer_keeps_the_contract(case, running_stack, world):
    caller = world["olga"] if case.path.startswith("/admin/") else world["bob"]
    case.call_and_validate(base_url=running_stack["api_url"], headers=caller, timeout=60)


def test_every_fuzzed_operation_is_a_test_of_its_own(request):
    """pytest 9.2 gives schemathesis's per-operation tests one node id, and pytest-xdist then runs only the first."""
    fuzzed = [item for item in request.session.items if item.originalname == "test_every_answer_keeps_the_contract"]
    assert len({item.nodeid for item in fuzzed}) == len(fuzzed), "keep pytest<9.2 (requirements-dev.txt)"


PROTECTED = [
    (method.upper(), path)
    for path, item in json.loads(generator.DOCUMENT.read_text(encoding="utf-8"))["paths"].items()
    for method, entry in item.items()
    if entry["security"]
]


@pytest.mark.parametrize("method, path", PROTECTED, ids=[f"{method} {path}" for method, path in PROTECTED])
def test_without_a_token_an_operation_answers_the_documented_401(running_stack, method, path):
    """The fuzzer always signs in; the gateway's own answer to no Authorization header is checked here."""
    case = schema[path][method].Case(path_parameters={name: "0" for name in re.findall(r"{(\w+)}", path)})
    response = case.call(base_url=running_stack["api_url"], timeout=60)
    assert response.status_code == 401
    case.validate_response(response)
