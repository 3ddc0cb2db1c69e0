"""User profiles in DynamoDB."""
from __future__ import annotations

from collections.abc import Iterable

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain.errors import NotFound
from chalicelib.domain.profiles import Profile
from chalicelib.store import items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.models import ProfileModel


def _from_model(model: ProfileModel) -> Profile:
    return items.to_domain(
        model, Profile, bio=model.bio or "", privileged=bool(model.privileged),
        rating_sum=int(model.rating_sum or 0), rating_count=int(model.rating_count or 0),
    )


def get(user_id: str) -> Profile | None:
    model = items.read(ProfileModel, user_id)
    return _from_model(model) if model is not None else None


def get_many(user_ids: Iterable[str]) -> dict[str, Profile]:
    """The profiles of these users that exist, by user id (BatchGetItem, eventually consistent)."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    tables.bind()
    return {model.user_id: _from_model(model) for model in ProfileModel.batch_get(wanted)}


def create_if_absent(profile: Profile) -> Profile:
    """Store the profile unless the user has one already; returns the stored one either way.

    A new profile starts unprivileged, not a provider and unrated, whatever `profile` says."""
    tables.bind()
    model = items.to_item(
        profile, ProfileModel, privileged=False, provider_since=None, rating_sum=0, rating_count=0
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
    actions: list[Action] = [ProfileModel.updated_at.set(now)]
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
