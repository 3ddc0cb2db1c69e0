"""End to end, on a local stack of its own whose order requests lapse in seconds: the scheduled job (the runner
calls the app's schedules every LOCAL_SCHEDULE_S) expires a request nobody answered.

test_local_stack.py's stack gives a request 30 s (REQUEST_EXPIRY_S), so that its tests can still accept theirs on a
loaded machine; this test used to wait those 30 s out there."""
from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.conftest import sign_in
from tests.e2e.test_local_stack import _order, _publish

pytestmark = pytest.mark.e2e

EXPIRY_S = 3


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, str]:
    """Requests lapse EXPIRY_S after they are made, and the schedules run every second; a small demo map."""
    return {"DEMO_LISTINGS": "30", "DEMO_PROVIDERS": "5", "REQUEST_EXPIRY_S": str(EXPIRY_S), "LOCAL_SCHEDULE_S": "1"}


def test_an_unanswered_request_is_expired_by_the_scheduled_job(running_stack):
    api = running_stack["api_url"]
    bob = sign_in(running_stack, "bob@everywhere.local", running_stack["demo_password"])
    alice = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])
    listing = _publish(api, bob, title="Nobody answers")
    order_id = _order(api, alice, str(uuid.uuid4()), listing_id=listing["listing_id"]).json()["order_id"]
    deadline = time.monotonic() + EXPIRY_S + 120
    swept: list[str] = []
    while time.monotonic() < deadline and order_id not in swept:
        time.sleep(1)
        # Listing by status reads the stored status (the status index), so this sees the sweep's write.
        page = requests.get(f"{api}/orders", headers=alice, timeout=60, params={"status": "expired", "limit": 100})
        swept = [o["order_id"] for o in page.json()["items"]]
    assert order_id in swept
    assert requests.post(f"{api}/orders/{order_id}/accept", headers=bob, timeout=60).status_code == 409
