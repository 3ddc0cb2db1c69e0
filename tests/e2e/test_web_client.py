"""The web client in a real headless Chromium against the running local stack: people sign in, see the pins of
Shanghai, filter them, chat live, take an order from request to release with their wallets on screen, post a need
and take an offer, and an operator resolves a dispute. Screenshots of the main screens go to out/screenshots/."""
from __future__ import annotations

import re
import secrets

import pytest
import requests
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser import PHONE, Person
from tests.e2e.conftest import sign_in

UNIQUE = secrets.token_hex(3)
BOB_SERVICE = f"Bicycle repair {UNIQUE}"


@pytest.fixture(scope="module")
def people(running_stack):
    """Browser sessions by name, opened on first use, all closed at the end."""
    opened: dict[str, Person] = {}
    emails = {user["key"]: user["email"] for user in running_stack["demo_users"]}

    def person(name: str) -> Person:
        if name not in opened:
            opened[name] = Person(running_stack["web_url"], name)
            opened[name].sign_in(emails[name], running_stack["demo_password"])
        return opened[name]

    yield person
    for session in opened.values():
        session.quit()


def amount(text: str) -> float:
    """'CN¥1,234.50 (+…)' → 1234.5: the first money figure on screen."""
    match = re.search(r"(\d[\d,]*\.\d\d)", text)
    assert match, f"no amount in {text!r}"
    return float(match.group(1).replace(",", ""))


def results(person: Person) -> list[tuple[str, str]]:
    """The listed pins (id, category) once the map's search has settled (none while it runs)."""
    return person.js("""
        if (document.getElementById("map-status").getAttribute("aria-busy") !== "false") return [];
        return [...document.querySelectorAll("#results button")].map((b) => [b.dataset.listing, b.dataset.category]);
    """)


def open_order(person: Person, order_id: str, status: str) -> str:
    """Wait on the Orders screen until the order shows the status; returns its card's CSS selector."""
    card = f'li.order[data-order="{order_id}"]'
    person.wait(lambda: person.all(card) and person.all(card)[0].get_attribute("data-status") == status,
                f"order {order_id} {status}")
    return card


def request_bobs_service(alice: Person) -> str:
    """Alice finds Bob's service by keyword, opens it and requests it; returns the new order's id."""
    alice.open_tab("Explore")
    alice.type("#filters input[name=q]", UNIQUE)
    alice.click("Search this area", "#filters")
    alice.wait(lambda: len(results(alice)) == 1, "Bob's service alone in the results")
    alice.all("#results button")[0].click()
    alice.click("Request for", "#order-form")
    alice.find("#as-buyer li.order")
    return alice.all("#as-buyer li.order")[0].get_attribute("data-order")


def test_a_signed_in_person_sees_the_pins_of_shanghai(people, running_stack):
    alice = Person(running_stack["web_url"], "visitor")
    try:
        alice.find("#sign-in")
        assert "Sign in" in alice.text("#map-status")
        alice.screenshot("sign-in")
    finally:
        alice.quit()
    alice = people("alice")
    summary = alice.wait_text("#results-summary", "services in this area")
    assert int(summary.split()[0]) > 0
    assert alice.all(".pin, .marker-cluster"), "no pin or cluster drawn on the map"
    assert alice.all(".pin--privileged, .marker-cluster"), "privileged pins are marked"
    alice.screenshot("map")


def test_the_map_draws_the_open_regions_boundaries_without_tiles(people):
    alice = people("alice")
    alice.js("window.everywhere.map.setZoom(9)")
    alice.wait(lambda: alice.all("path.region--open"), "Shanghai's boundary")
    alice.wait_text("#map-status", "services shown")  # the search of the whole city's circle settled
    assert "Shanghai" in alice.text(".region-label")
    alice.screenshot("boundaries")
    alice.js("window.everywhere.map.setZoom(14)")


def test_a_category_filter_changes_the_pins(people):
    alice = people("alice")
    alice.open_tab("Explore")
    alice.wait(lambda: results(alice), "the results of the area")
    before = results(alice)
    alice.find("#filters select[name=category]").send_keys("Repair")
    alice.click("Search this area", "#filters")
    after = alice.wait(lambda: (found := results(alice)) and found != before and found, "the results to change")
    assert {category for _, category in after} == {"repair"}
    assert {listing for listing, _ in after} < {listing for listing, _ in before} or len(before) >= 60
    alice.screenshot("filtered")


def test_an_error_from_the_api_is_shown_as_its_message(people):
    alice = people("alice")
    alice.js("window.everywhere.map.setView([39.9042, 116.4074], 14)")  # Beijing: not open yet
    alice.wait_text("#map-status", "is outside every open region")
    alice.js("window.everywhere.map.setView([31.2304, 121.4737], 14)")
    alice.wait_text("#map-status", "services shown")


def test_bob_offers_a_service_at_the_maps_centre(people):
    bob = people("bob")
    bob.open_tab("My services")
    bob.type("#listing-title-in", BOB_SERVICE)
    bob.type("#listing-description", "Flat tyres, brakes and chains, at People's Square.")
    bob.find("#listing-category").send_keys("Repair")
    bob.type("#listing-price", "45")
    bob.click("Publish", "#new-listing")
    bob.wait_text("#my-listings", BOB_SERVICE)


def test_alice_and_bob_chat_live(people):
    alice, bob = people("alice"), people("bob")
    alice.open_tab("Explore")
    alice.type("#filters input[name=q]", UNIQUE)
    alice.find("#filters select[name=category]").send_keys("Any category")
    alice.click("Search this area", "#filters")
    alice.wait(lambda: len(results(alice)) == 1, "Bob's service alone in the results")
    alice.all("#results button")[0].click()
    alice.wait_text("#listing-title", BOB_SERVICE)
    alice.wait_text("#provider", "Bob")
    alice.screenshot("listing")
    alice.click("Chat with the provider", "#listing")
    alice.type("#message-text", "Hello Bob, can you fix a flat tyre today?")
    alice.click("Send", "#send-message")
    alice.wait_text("#messages", "flat tyre today")

    bob.wait(lambda: bob.find("#unread").text == "1", "the unread badge on Bob's Chat tab")
    bob.open_tab("Chat")
    bob.click(BOB_SERVICE, "#conversations")
    bob.wait_text("#messages", "flat tyre today")
    bob.type("#message-text", "Yes, at 3 pm.")
    bob.click("Send", "#send-message")
    alice.wait_text("#messages", "Yes, at 3 pm.")  # live: Alice did nothing
    bob.screenshot("chat")


def test_a_chat_catches_up_after_a_reconnect(people, running_stack):
    alice, bob = people("alice"), people("bob")
    alice.js("window.everywhere.feed.stop()")
    bob.type("#message-text", "Bring the bike to the north gate.")
    bob.click("Send", "#send-message")
    alice_headers = sign_in(running_stack, "alice@everywhere.local", running_stack["demo_password"])

    def recorded() -> bool:  # the message's event is in Alice's feed before her page connects again
        events = requests.get(f"{running_stack['api_url']}/events", params={"limit": 100}, headers=alice_headers,
                              timeout=10).json()["items"]
        return any("north gate" in (event["data"].get("text") or "") for event in events)
    alice.wait(recorded, "the message's event recorded for Alice")
    assert "north gate" not in alice.text("#messages")
    alice.js("window.everywhere.feed.start()")
    alice.wait_text("#messages", "north gate")  # from GET /events?after=<last seen>


def test_an_order_goes_from_request_to_released_with_both_wallets_on_screen(people):
    alice, bob = people("alice"), people("bob")
    alice.open_tab("Wallet")
    alice.type("#deposit-amount", "500")
    alice.click("Add", "#deposit")
    alice.wait(lambda: amount(alice.balance()) >= 500, "Alice's deposit on screen")
    alice_before, bob_before = amount(alice.balance()), amount(bob.balance())

    order_id = request_bobs_service(alice)
    bob.open_tab("Orders")
    card = open_order(bob, order_id, "requested")
    bob.click("Accept", card)
    card = open_order(alice, order_id, "accepted")  # live
    alice.click("Pay from my wallet", card)
    open_order(alice, order_id, "funded")
    alice.wait(lambda: amount(alice.balance()) == alice_before - 45, "Alice's wallet less the price")
    card = open_order(bob, order_id, "funded")
    bob.click("Mark delivered", card)
    card = open_order(alice, order_id, "delivered")
    alice.screenshot("orders")
    alice.click("Confirm", card)
    open_order(alice, order_id, "released")
    bob.wait(lambda: amount(bob.balance()) == bob_before + 45, "Bob's wallet plus the price")
    assert amount(alice.balance()) == alice_before - 45

    alice.find(f'li.order[data-order="{order_id}"] .review-form select').send_keys("5")
    alice.type(f'li.order[data-order="{order_id}"] .review-form input', "Quick and friendly")
    alice.click("Send review", f'li.order[data-order="{order_id}"]')
    alice.wait_text(f'li.order[data-order="{order_id}"]', "published when the other side reviews")
    card = open_order(bob, order_id, "released")
    bob.type(f"{card} .review-form input", "Paid at once")
    bob.click("Send review", card)
    bob.wait_text(card, "You reviewed this order")
    alice.wait_text(f'li.order[data-order="{order_id}"]', "You reviewed this order")  # review.published, live
    alice.open_tab("Wallet")
    alice.wait_text("#wallet", "escrow")
    alice.screenshot("wallet")


def test_a_need_gets_an_offer_live_and_becomes_an_order(people):
    alice, bob = people("alice"), people("bob")
    alice.open_tab("Needs")
    alice.type("#need-title", f"Move a sofa {UNIQUE}")
    alice.type("#need-budget", "120")
    alice.find("#need-category").send_keys("Errands")
    alice.click("Post", "#post-need")
    alice.wait_text("#my-needs", f"Move a sofa {UNIQUE}")

    bob.open_tab("Needs")
    bob.wait(lambda: f"Move a sofa {UNIQUE}" in bob.text("#nearby-needs"), "Alice's need near Bob")
    task_card = next(c for c in bob.all("#nearby-needs li.nearby-task") if UNIQUE in c.text)
    task_id = task_card.get_attribute("data-task")
    bob.type(f'li.nearby-task[data-task="{task_id}"] input[name=price]', "110")
    bob.click("Offer", f'li.nearby-task[data-task="{task_id}"]')
    bob.wait_text(f'li.nearby-task[data-task="{task_id}"]', "Offer sent")

    mine = f'#my-needs li.task[data-task="{task_id}"]'
    alice.wait_text(mine, "Offers (1)")  # live: task.offer
    alice.screenshot("needs")
    alice.click("Accept this offer", mine)
    alice.wait(lambda: alice.all(mine) and alice.all(mine)[0].get_attribute("data-status") == "assigned",
               "the need assigned")


def test_olga_resolves_a_dispute_from_the_operators_desk(people):
    alice, bob = people("alice"), people("bob")
    order_id = request_bobs_service(alice)
    bob.open_tab("Orders")
    bob.click("Accept", open_order(bob, order_id, "requested"))
    alice.click("Pay from my wallet", open_order(alice, order_id, "accepted"))
    alice.click("Dispute", open_order(alice, order_id, "funded"))
    open_order(alice, order_id, "disputed")

    olga = people("olga")
    olga.open_tab("Operator's desk")
    dispute = f'li.dispute[data-order="{order_id}"]'
    olga.find(dispute)
    olga.type(f"{dispute} input[name=release]", "20")
    olga.type(f"{dispute} input[name=note]", "Half the job was done")
    olga.screenshot("desk")
    olga.click("Resolve", dispute)
    olga.wait(lambda: not olga.all(dispute), "the dispute to leave the queue")
    alice.open_tab("Orders")
    open_order(alice, order_id, "resolved")
    alice.wait_text(f'li.order[data-order="{order_id}"]', "Half the job was done")


def test_a_person_signs_in_by_keyboard_and_reads_the_map_at_phone_width(running_stack):
    phone = Person(running_stack["web_url"], "phone", phone=True)
    try:
        email = phone.find("#sign-in input[name=email]")
        email.click()
        email.send_keys("alice@everywhere.local", Keys.TAB, running_stack["demo_password"], Keys.ENTER)
        phone.wait_text("#results-summary", "services in this area")
        width = phone.js("return document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways at phone width ({width} px)"
        phone.screenshot("phone")
    finally:
        phone.quit()
