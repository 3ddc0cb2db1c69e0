"""User profiles in DynamoDB."""
from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.domain.errors import NotFound
from chalicelib.domain.profiles import Profile
from chalicelib.store import refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.models import ProfileModel


def _from_model(model: ProfileModel) -> Profile:
    return Profile(
        user_id=model.user_id,
        display_name=model.display_name,
        bio=model.bio or "",
        privileged=bool(model.privileged),
        provider_since=model.provider_since,
        rating_sum=int(model.rating_sum or 0),
        rating_count=int(model.rating_count or 0),
        created_at=model.created_at,
        updated_at=model.updated_at,
    )


def get(user_id: str) -> Profile | None:
    tables.bind()
    try:
        return _from_model(ProfileModel.get(user_id, consistent_read=True))
    except ProfileModel.DoesNotExist:
        return None


def create_if_absent(profile: Profile) -> Profile:
    """Store the profile unless the user has one already; returns the stored one either way."""
    tables.bind()
    model = ProfileModel(
        user_id=profile.user_id,
        display_name=profile.display_name,
        bio=profile.bio,
        privileged=False,
        rating_sum=0,
        rating_count=0,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
    try:
        model.save(condition=ProfileModel.user_id.does_not_exist())
        return _from_model(model)
    except PutError as exc:
        if not refusals.condition_failed(exc):
            raise
    stored = get(profile.user_id)
    if stored is None:
        raise NotFound("profile not found")
    return stored


@retried()
def update_details(user_id: str, display_name: str | None, bio: str | None, now: str) -> Profile:
    """Change the user-editable fields of an existing profile."""
    tables.bind()
    actions = [ProfileModel.updated_at.set(now)]
    if display_name is not None:
        actions.append(ProfileModel.display_name.set(display_name))
    if bio is not None:
        actions.append(ProfileModel.bio.set(bio))
    model = ProfileModel(user_id=user_id)
    try:
        model.update(actions=actions, condition=ProfileModel.user_id.exists())
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            raise NotFound("profile not found") from exc
        raise
    return _from_model(model)
