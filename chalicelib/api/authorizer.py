"""Sign-in: a Chalice built-in authorizer that verifies Cognito JWTs itself (PyJWT + the pool's JWKS).

It checks the RS256 signature against the user pool's published keys, the issuer, the app client id
(`aud` for id tokens, `client_id` for access tokens), `token_use` and expiry. The authorizer answers
Allow for every request and passes the verdict in its context; the API layer (api/routing.py) then
rejects an unverified caller with 401 `{"Code": "UnauthorizedError", ...}`. This keeps the contract's
error shape (API Gateway's own deny answers are `{"message": ...}`) and works the same in `chalice
local`, the test client and API Gateway. Only a missing Authorization header is refused by the gateway
itself (401) before the authorizer runs. Expiry is checked again on every request, because API Gateway
caches an authorizer's answer for `ttl_seconds`.
"""
from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

from chalice.app import AuthRequest, AuthResponse, Blueprint

from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    import jwt

# PyJWT (with cryptography) and requests are imported where tokens are verified, not at module import:
# Chalice deploys this authorizer as its own Lambda function, so the API handler's cold start (which
# imports this module to register the routes) never pays for them.

JWKS_MAX_AGE_S = 3600
JWKS_MIN_REFETCH_S = 60
JWKS_TIMEOUT_S = 5
ALGORITHMS = ["RS256"]
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")  # the shape of every id the API addresses

auth_bp = Blueprint(__name__)


class InvalidToken(Exception):
    pass


class KeysUnavailable(Exception):
    """The pool's signing keys could not be fetched and none are cached: nobody can be verified now."""


class _JwksCache:
    """The user pool's signing keys, fetched once an hour, or again when a token names an unknown key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, dict[str, jwt.PyJWK]] = {}
        self._fetched_at: dict[str, float] = {}

    def key(self, url: str, kid: str) -> jwt.PyJWK:
        keys = self._keys.get(url)
        age = time.monotonic() - self._fetched_at.get(url, float("-inf"))
        if keys is None or age > JWKS_MAX_AGE_S or (kid not in keys and age > JWKS_MIN_REFETCH_S):
            keys = self._fetch(url, stale=keys)
        if kid not in keys:
            raise InvalidToken("token signed with an unknown key")
        return keys[kid]

    def _fetch(self, url: str, stale: dict[str, jwt.PyJWK] | None) -> dict[str, jwt.PyJWK]:
        """Fresh keys; on failure the stale ones (tried again after JWKS_MIN_REFETCH_S), if any."""
        import jwt
        import requests

        try:
            response = requests.get(url, timeout=JWKS_TIMEOUT_S)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
            keys = {key.key_id: key for key in key_set.keys if key.key_id}
        except (requests.RequestException, ValueError, jwt.PyJWTError) as exc:
            if stale is None:
                raise KeysUnavailable(f"cannot fetch the user pool's keys: {exc}") from exc
            keys = stale
        with self._lock:
            self._keys[url] = keys
            self._fetched_at[url] = time.monotonic()
        return keys


_jwks = _JwksCache()


def verify_token(token: str, settings: Settings) -> dict[str, Any]:
    """The claims of a valid Cognito token for this app; InvalidToken otherwise."""
    import jwt

    if not settings.user_pool_id or not settings.user_pool_client_id:
        raise InvalidToken("sign-in is not configured")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("token algorithm not accepted")
        signing_key = _jwks.key(settings.jwks_url, str(header.get("kid", "")))
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            issuer=settings.token_issuer,
            options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"invalid token: {exc}") from exc
    if not isinstance(claims["sub"], str) or not SUBJECT_PATTERN.match(claims["sub"]):
        raise InvalidToken("token subject is not a user id")
    token_use = claims.get("token_use")
    client_id = claims.get("aud") if token_use == "id" else claims.get("client_id") if token_use == "access" else None
    if client_id != settings.user_pool_client_id:
        raise InvalidToken("token was not issued to this app")
    return claims


def bearer_token(header_value: str) -> str:
    scheme, _, token = header_value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("expected 'Authorization: Bearer <token>'")
    return token.strip()


@auth_bp.authorizer(ttl_seconds=300)
def cognito_jwt(auth_request: AuthRequest) -> AuthResponse:
    try:
        claims = verify_token(bearer_token(auth_request.token), get_settings())
    except InvalidToken as exc:
        return AuthResponse(routes=["*"], principal_id="anonymous", context={"verified": "no", "reason": str(exc)})
    except KeysUnavailable as exc:
        return AuthResponse(
            routes=["*"], principal_id="anonymous", context={"verified": "unavailable", "reason": str(exc)}
        )
    groups = claims.get("cognito:groups") or []
    return AuthResponse(
        routes=["*"],
        principal_id=str(claims["sub"]),
        context={
            "verified": "yes",
            "exp": str(int(claims["exp"])),  # context values are strings (API Gateway passes them so)
            "groups": ",".join(str(group) for group in groups),
            "name": str(claims.get("name") or claims.get("preferred_username") or ""),
        },
    )
