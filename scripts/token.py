"""Print a Cognito id token for a demo user or a new user of the running local stack.

    python -m scripts.token alice            # a demo user (alice, bob, olga)
    python -m scripts.token provider-3       # a demo provider (provider-1 … provider-N: each listing names its own)
    python -m scripts.token --new "Mei Lin"  # a new user: prints their email and password (stderr) and token
Reads the stack's coordinates from .local/stack.json (STATE_DIR to change), written by `make run`.
"""
from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

import boto3

from scripts import local_state, provision


def _cognito(stack: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=stack["aws_endpoint"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def id_token(stack: dict[str, Any], user: str) -> str:
    """A demo user's id token (alice, bob, olga, provider-N); KeyError for anyone else."""
    known = {entry["key"]: entry["email"] for entry in stack["demo_users"] + stack["demo_providers"]}
    return str(provision.sign_in(_cognito(stack), stack["user_pool_client_id"], known[user], stack["demo_password"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("user", nargs="?", default="alice", help="alice, bob, olga or provider-N")
    parser.add_argument("--new", metavar="NAME", help="sign up a new user with this display name")
    args = parser.parse_args(argv)

    stack = local_state.running()
    cognito = _cognito(stack)
    if args.new:
        email = f"user-{secrets.token_hex(4)}@everywhere.local"
        password = f"Pw-{secrets.token_urlsafe(12)}9a"
        provision.create_user(cognito, stack["user_pool_id"], email, password, name=args.new)
        print(f"# new user {email} password {password}", file=sys.stderr)
    else:
        known = {user["key"]: user["email"] for user in stack["demo_users"] + stack["demo_providers"]}
        if args.user not in known:
            print(f"unknown demo user {args.user!r}: one of {', '.join(u['key'] for u in stack['demo_users'])}, "
                  f"or provider-1 … provider-{len(stack['demo_providers'])}", file=sys.stderr)
            return 2
        email, password = known[args.user], stack["demo_password"]
    print(provision.sign_in(cognito, stack["user_pool_client_id"], email, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
