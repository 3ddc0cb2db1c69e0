"""The local stack's demo accounts and listings.

Demo users alice (a buyer), bob (a provider) and olga (an operator), and demo providers provider-1 …
provider-N, are real accounts of the local user pool, all with DEMO_PASSWORD, so a person can sign in as the
provider of any demo listing (`make token AS=provider-3`) and accept the orders placed on it. Listings are
synthetic Shanghai points (scripts/synthetic_listings.py) dealt round-robin to the providers. Each provider
publishes their first listing through the real use case (so privileged status is allocated as in production:
the first PRIVILEGED_QUOTA providers), the rest in batches.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain import listings as listing_rules
from chalicelib.domain.clock import now_iso
from chalicelib.domain.identity import Caller
from chalicelib.services import listings as listing_service
from chalicelib.store import listings as listing_store
from scripts import provision
from scripts.synthetic_listings import TITLES, synthetic_points

DEMO_PASSWORD = "Everywhere-demo-1"
DEMO_USERS = (
    {"key": "alice", "email": "alice@everywhere.local", "name": "Alice (buyer)", "operator": False},
    {"key": "bob", "email": "bob@everywhere.local", "name": "Bob (provider)", "operator": False},
    {"key": "olga", "email": "olga@everywhere.local", "name": "Olga (operator)", "operator": True},
)


@dataclass(frozen=True)
class DemoProvider:
    key: str  # what `make token AS=` takes
    email: str
    name: str
    user_id: str = ""  # their `sub`, once the user pool has them


def demo_providers(count: int) -> list[DemoProvider]:
    return [
        DemoProvider(key=f"provider-{n}", email=f"provider-{n}@everywhere.local", name=f"Demo provider {n}")
        for n in range(1, count + 1)
    ]


def create_accounts(cognito: Any, pool_id: str, providers: int) -> list[DemoProvider]:
    """The demo users and `providers` demo providers in the user pool; returns the providers with their ids."""
    for user in DEMO_USERS:
        provision.create_user(
            cognito, pool_id, user["email"], DEMO_PASSWORD, name=user["name"], operator=user["operator"]
        )
    return [
        replace(p, user_id=provision.create_user(cognito, pool_id, p.email, DEMO_PASSWORD, name=p.name))
        for p in demo_providers(providers)
    ]


@dataclass(frozen=True)
class Seeded:
    listings: int
    providers: int
    privileged: int


def seed(listings: int, providers: list[DemoProvider], rng_seed: int = 7) -> Seeded:
    """Publish `listings` demo listings, dealt round-robin to `providers`, into the configured tables."""
    rng = random.Random(rng_seed)
    points = synthetic_points(listings, seed=rng_seed)
    providers = providers[: len(points)]
    privileged_of: dict[str, bool] = {}
    rest: list[listing_rules.Listing] = []
    now = now_iso()
    for index, point in enumerate(points):
        provider = providers[index % len(providers)]
        title = f"{rng.choice(TITLES[point.category])} · {point.district}"
        description = (
            f"Demo listing near {point.district}. Ask in chat for times and details. Its provider is a demo "
            f"account: to answer an order as them locally, sign in with `make token AS={provider.key}`."
        )
        price = rng.randrange(20, 600) * 100
        if provider.user_id not in privileged_of:
            caller = Caller(user_id=provider.user_id, name=provider.name)
            first = listing_service.publish(
                caller, title, description, point.category, price, None, point.lat, point.lon
            )
            privileged_of[provider.user_id] = first.privileged
            continue
        listing = listing_rules.new_listing(
            provider.user_id, title, description, point.category, price, "CNY", point.lat, point.lon,
            privileged=privileged_of[provider.user_id], now=now,
        )
        rest.append(listing)
    listing_store.insert_many(rest)
    return Seeded(listings=len(points), providers=len(providers), privileged=sum(privileged_of.values()))
