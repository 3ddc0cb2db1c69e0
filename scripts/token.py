"""Print a Cognito id token for a demo user or a new user of the running local stack.

    python -m scripts.token alice            # a demo user (alice, bob, olga)
    python -m scripts.token --new "Mei Lin"  # sign up a new user, print their email, password and token
Reads the stack's coordinates from .local/stack.json (STATE_DIR to change), written by `make run`.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path

import boto3

from scripts import provision

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("user", nargs="?", default="alice", help="demo user key (alice, bob, olga)")
    parser.add_argument("--new", metavar="NAME", help="sign up a new user with this display name")
    args = parser.parse_args(argv)

    state = Path(os.environ.get("STATE_DIR", ROOT / ".local")) / "stack.json"
    if not state.exists():
        print(f"{state} not found: start the stack first with `make run`", file=sys.stderr)
        return 2
    stack = json.loads(state.read_text())
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack["aws_endpoint"],
        region_name=stack["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    if args.new:
        email = f"user-{secrets.token_hex(4)}@everywhere.local"
        password = f"Pw-{secrets.token_urlsafe(12)}9a"
        provision.create_user(cognito, stack["user_pool_id"], email, password, name=args.new)
        print(f"# new user {email} password {password}", file=sys.stderr)
    else:
        known = {user["key"]: user["email"] for user in stack["demo_users"]}
        if args.user not in known:
            print(f"unknown demo user {args.user!r}; one of {', '.join(known)}", file=sys.stderr)
            return 2
        email, password = known[args.user], stack["demo_password"]
    print(provision.sign_in(cognito, stack["user_pool_client_id"], email, password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
