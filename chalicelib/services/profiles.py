"""Use cases for profiles: read (creating on first sight), edit, and the public view of another user."""
from __future__ import annotations

from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.profiles import Profile, default_display_name
from chalicelib.store import profiles as profile_store


def ensure_profile(caller: Caller) -> Profile:
    """The caller's profile, created on first use."""
    existing = profile_store.get(caller.user_id)
    if existing is not None:
        return existing
    now = now_iso()
    return profile_store.create_if_absent(
        Profile(
            user_id=caller.user_id,
            display_name=default_display_name(caller.user_id, caller.name),
            bio="",
            privileged=False,
            provider_since=None,
            rating_sum=0,
            rating_count=0,
            created_at=now,
            updated_at=now,
        )
    )


def update_profile(caller: Caller, display_name: str | None, bio: str | None) -> Profile:
    ensure_profile(caller)
    return profile_store.update_details(caller.user_id, display_name, bio, now_iso())


def public_profile(user_id: str) -> Profile:
    profile = profile_store.get(user_id)
    if profile is None:
        raise NotFound("user not found")
    return profile
