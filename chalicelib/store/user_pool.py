"""The Cognito user pool's side of a suspension: a disabled account can neither sign in nor refresh its tokens.

A token issued before stays valid until it expires (an hour), which is why the app also refuses a suspended
user's writes itself (store/suspensions.py). The pool's usernames are its own (email-as-username pools name
users by an internal id); the app knows users by `sub`, so the account is found by a `sub` filter.
"""
from __future__ import annotations

from typing import Any

from chalicelib import aws_clients
from chalicelib.settings import get_settings


def _client() -> Any:
    return aws_clients.client("cognito-idp")


def _username(user_id: str) -> str | None:
    """The pool's username of the user whose `sub` is `user_id` (an id the API checked: no quotes in it)."""
    found = _client().list_users(
        UserPoolId=get_settings().user_pool_id, Filter=f'sub = "{user_id}"', Limit=1, AttributesToGet=[]
    )["Users"]
    return str(found[0]["Username"]) if found else None


def set_enabled(user_id: str, enabled: bool) -> bool:
    """Enable or disable the user's account; False if the pool has no such user."""
    username = _username(user_id)
    if username is None:
        return False
    change = _client().admin_enable_user if enabled else _client().admin_disable_user
    change(UserPoolId=get_settings().user_pool_id, Username=username)
    return True
