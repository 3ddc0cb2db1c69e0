"""Profile routes: the caller's own profile, and other users' public part."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import ProfileOut, ProfilePatch, PublicProfileOut
from chalicelib.domain.identity import Caller
from chalicelib.domain.profiles import Profile
from chalicelib.services import profiles as profile_service

profiles_bp = Blueprint(__name__)


def _own(profile: Profile) -> ProfileOut:
    return ProfileOut.model_validate(profile, from_attributes=True)


@operation(profiles_bp, "GET", "/me", summary="My profile (created on first call)", tag="profile", response=ProfileOut)
def get_me(caller: Caller) -> ProfileOut:
    return _own(profile_service.ensure_profile(caller))


@operation(
    profiles_bp, "PATCH", "/me", summary="Change my name or bio", tag="profile",
    body=ProfilePatch, response=ProfileOut, errors=(400,), limit="profile",
)
def patch_me(caller: Caller, body: ProfilePatch) -> ProfileOut:
    # Unset fields are None, and a patch may not set one to null: None means "leave it".
    return _own(profile_service.update_profile(caller, body.display_name, body.bio))


@operation(
    profiles_bp, "GET", "/users/{user_id}", summary="A user's public profile", tag="profile",
    response=PublicProfileOut, errors=(404,),
)
def get_user(caller: Caller, user_id: str) -> PublicProfileOut:
    return PublicProfileOut.model_validate(profile_service.public_profile(user_id), from_attributes=True)
