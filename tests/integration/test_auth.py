"""Sign-in: which routes are public, and which tokens the API accepts — through the API on moto.

Forged tokens are signed with the very key moto's emulated user pool signs with (its private JWK ships
with moto), so a forged token with valid claims is a real token as far as the app can tell; the first
test proves that, so every rejection below is a rejection of the one claim or header that was changed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from tests.conftest import PASSWORD, REGION, Answer, listing_body

# The key moto's CognitoIdpUserPool signs every token with (moto/cognitoidp/models.py, CognitoIdpUserPool.__init__).
MOTO_KID = "dummy"
MOTO_PRIVATE_KEY = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json"), algorithm="RS256").key
MOTO_PUBLIC_PEM = MOTO_PRIVATE_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)

PUBLIC_ROUTES = ["/health", "/categories", "/regions", "/openapi.json"]
CATEGORY_IDS = {
    "repair", "education", "delivery", "cleaning", "errands", "tech", "beauty", "fitness", "photography", "other",
}


# ---- helpers ----
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_for(stack: Any, sub: str, **overrides: Any) -> dict[str, Any]:
    """Claims shaped like the id tokens the pool issues; an override of None drops the claim."""
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{stack.user_pool_id}",
        "sub": sub,
        "aud": stack.user_pool_client_id,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "email": "forged@example.com",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def forge(claims: dict[str, Any], key: Any = MOTO_PRIVATE_KEY, kid: str = MOTO_KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def unsigned(claims: dict[str, Any], header: dict[str, Any], sign: Any = None) -> str:
    """A token assembled by hand (PyJWT refuses to HMAC-sign with a PEM key, as an attacker would not)."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{_b64(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def checked(answer: Answer) -> Answer:
    assert answer.status < 500, answer
    return answer


def me_with(client: Any, headers: dict[str, str]) -> Answer:
    return checked(client.get("/me", headers=headers))


def assert_app_401(answer: Answer) -> None:
    assert answer.status == 401, answer
    assert answer.body["Code"] == "UnauthorizedError", answer.body
    assert isinstance(answer.body["Message"], str) and answer.body["Message"].strip(), answer.body
    assert set(answer.body) == {"Code", "Message"}, answer.body


def sign_in_tokens(stack: Any, email: str, client_id: str | None = None) -> dict[str, str]:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    result = cognito.initiate_auth(
        ClientId=client_id or stack.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return result["AuthenticationResult"]


# ---- public routes ----
@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_public_routes_answer_without_a_token(client, path):
    answer = checked(client.get(path))
    assert answer.status == 200, answer


def test_health_says_ok(client):
    assert checked(client.get("/health")).body == {"status": "ok"}


def test_categories_list_at_least_the_contract_ids(client):
    items = checked(client.get("/categories")).body["items"]
    assert {item["id"] for item in items} >= CATEGORY_IDS
    assert all(isinstance(item["name"], str) and item["name"] for item in items)


def test_regions_list_shanghai_open_and_beijing_hangzhou_closed(client):
    regions = {item["id"]: item for item in checked(client.get("/regions")).body["items"]}
    assert regions["shanghai"]["open"] is True
    assert regions["beijing"]["open"] is False
    assert regions["hangzhou"]["open"] is False
    for region in regions.values():
        bbox = region["bbox"]
        assert len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)
        min_lon, min_lat, max_lon, max_lat = bbox
        assert -180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90


def test_openapi_document_is_openapi_3_1(client):
    document = checked(client.get("/openapi.json")).body
    assert document["openapi"].startswith("3.1")


def test_public_routes_still_answer_with_an_invalid_token(client):
    for path in PUBLIC_ROUTES:
        assert checked(client.get(path, headers=bearer("garbage"))).status == 200, path


# ---- every other route needs a valid token ----
PROTECTED = [
    ("GET", "/me", None),
    ("PATCH", "/me", {"bio": "hello"}),
    ("GET", "/users/{user_id}", None),
    ("POST", "/listings", listing_body()),
    ("GET", "/listings/{listing_id}", None),
    ("PATCH", "/listings/{listing_id}", {"price_cents": 1}),
    ("DELETE", "/listings/{listing_id}", None),
    ("GET", "/users/{user_id}/listings", None),
    ("GET", "/search?lat=31.23&lon=121.47", None),
]
PROTECTED_IDS = [f"{method} {path.split('?')[0]}" for method, path, _ in PROTECTED]


@pytest.fixture
def owner_and_listing(client, make_user):
    """A real user with a real listing, so a 401 cannot be a 404 in disguise."""
    owner = make_user()
    listing = client.post("/listings", owner, listing_body())
    assert listing.status == 201, listing
    return owner, listing.body


def _call(client: Any, method: str, path: str, body: Any, owner: Any, listing: dict[str, Any], headers: dict[str, str]):
    path = path.format(user_id=owner.user_id, listing_id=listing["listing_id"])
    return checked(client.call(method, path, None, body, headers=headers))


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=PROTECTED_IDS)
def test_without_a_token_the_gateway_answers_401(client, owner_and_listing, method, path, body):
    owner, listing = owner_and_listing
    answer = _call(client, method, path, body, owner, listing, headers={})
    assert answer.status == 401, answer
    assert answer.body == {"message": "Unauthorized"}, answer.body


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED, ids=PROTECTED_IDS)
def test_with_an_invalid_token_the_app_answers_401(client, owner_and_listing, method, path, body):
    owner, listing = owner_and_listing
    assert_app_401(_call(client, method, path, body, owner, listing, headers=bearer("garbage")))


def test_a_refused_caller_changes_nothing(client, owner_and_listing):
    owner, listing = owner_and_listing
    path = f"/listings/{listing['listing_id']}"
    assert_app_401(checked(client.patch(path, body={"price_cents": 1}, headers=bearer("garbage"))))
    assert_app_401(checked(client.delete(path, headers=bearer("garbage"))))
    assert checked(client.get(path, owner)).body == listing


# ---- which tokens are refused ----
def test_a_forged_token_with_valid_claims_is_accepted(client, stack, make_user):
    """Proves the forge helper: the rejections below are due to the one thing each one changes."""
    alice = make_user()
    answer = me_with(client, bearer(forge(claims_for(stack, alice.user_id))))
    assert answer.status == 200, answer
    assert answer.body["user_id"] == alice.user_id


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer a.b.c", "Bearer ", "Bearer", "Basic xyz", "garbage", ""],
    ids=["garbage", "three-garbage-segments", "empty-bearer", "scheme-only", "basic-scheme", "no-scheme", "empty"],
)
def test_a_malformed_authorization_header_is_refused(client, authorization):
    answer = me_with(client, {"Authorization": authorization})
    if authorization == "" and answer.body == {"message": "Unauthorized"}:
        return  # API Gateway treats an empty header as a missing one and refuses it itself; locally the app does
    assert_app_401(answer)


def test_a_real_token_under_another_scheme_is_refused(client, make_user):
    alice = make_user()
    assert_app_401(me_with(client, {"Authorization": f"Basic {alice.token}"}))


def test_a_real_token_with_its_payload_altered_is_refused(client, make_user):
    alice, mallory = make_user(), make_user()
    header, payload, signature = mallory.token.split(".")
    claims = json.loads(_unb64(payload))
    claims["sub"] = alice.user_id
    tampered = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    assert_app_401(me_with(client, bearer(tampered)))


def test_a_real_token_with_a_flipped_signature_byte_is_refused(client, make_user):
    alice = make_user()
    header, payload, signature = alice.token.split(".")
    raw = bytearray(_unb64(signature))
    raw[len(raw) // 2] ^= 0x01
    assert_app_401(me_with(client, bearer(".".join([header, payload, _b64(bytes(raw))]))))


def test_a_real_token_is_accepted_whatever_the_case_of_bearer_and_spacing(client, make_user):
    alice = make_user()
    assert me_with(client, bearer(alice.token)).status == 200
    assert me_with(client, {"Authorization": f"bearer  {alice.token} "}).status == 200


def test_an_expired_token_is_refused(client, stack, make_user):
    alice = make_user()
    now = int(time.time())
    token = forge(claims_for(stack, alice.user_id, iat=now - 7200, auth_time=now - 7200, exp=now - 60))
    assert_app_401(me_with(client, bearer(token)))


def test_a_token_without_expiry_is_refused(client, stack, make_user):
    alice = make_user()
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id, exp=None)))))


def test_a_token_for_another_app_client_is_refused(client, stack, make_user):
    alice = make_user()
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id, aud="another-app-client")))))


def test_a_real_token_from_another_app_client_of_the_same_pool_is_refused(client, stack, make_user):
    alice = make_user()
    cognito = boto3.client("cognito-idp", region_name=REGION)
    other_client_id = cognito.create_user_pool_client(
        UserPoolId=stack.user_pool_id, ClientName="another-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    tokens = sign_in_tokens(stack, alice.email, other_client_id)
    assert_app_401(me_with(client, bearer(tokens["IdToken"])))
    assert_app_401(me_with(client, bearer(tokens["AccessToken"])))


def test_a_token_from_another_issuer_is_refused(client, stack, make_user):
    alice = make_user()
    other_pool = f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_AnotherPool"
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id, iss=other_pool)))))


def test_a_real_token_from_another_user_pool_is_refused(client, stack):
    """moto signs every pool's tokens with the same key: only the issuer and audience tell them apart."""
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="another-pool", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="another-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="eve@example.com", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="eve@example.com", Password=PASSWORD, Permanent=True)
    token = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "eve@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    assert_app_401(me_with(client, bearer(token)))


def test_a_token_with_alg_none_is_refused(client, stack, make_user):
    alice = make_user()
    token = unsigned(claims_for(stack, alice.user_id), {"alg": "none", "typ": "JWT", "kid": MOTO_KID})
    assert_app_401(me_with(client, bearer(token)))


def test_a_token_hmac_signed_with_the_public_key_is_refused(client, stack, make_user):
    alice = make_user()
    token = unsigned(
        claims_for(stack, alice.user_id),
        {"alg": "HS256", "typ": "JWT", "kid": MOTO_KID},
        sign=lambda data: hmac.new(MOTO_PUBLIC_PEM, data, hashlib.sha256).digest(),
    )
    assert_app_401(me_with(client, bearer(token)))


def test_a_token_signed_by_another_key_under_the_pool_key_id_is_refused(client, stack, make_user):
    alice = make_user()
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id), key=other_key))))


def test_a_token_naming_an_unknown_key_is_refused(client, stack, make_user):
    alice = make_user()
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id), kid="not-a-pool-key"))))


@pytest.mark.parametrize(
    "claims",
    [
        {"token_use": "refresh"},
        {"token_use": "ID"},
        {"token_use": None},
        {"token_use": "access"},  # an access token names its client in client_id, not aud
    ],
    ids=["token_use-refresh", "token_use-uppercase", "token_use-missing", "access-without-client_id"],
)
def test_a_token_with_another_token_use_is_refused(client, stack, make_user, claims):
    alice = make_user()
    assert_app_401(me_with(client, bearer(forge(claims_for(stack, alice.user_id, **claims)))))


def test_a_token_without_a_subject_is_refused(client, stack, make_user):
    alice = make_user()
    claims = claims_for(stack, alice.user_id)
    del claims["sub"]
    assert_app_401(me_with(client, bearer(forge(claims))))


# ---- accepted tokens and identity ----
def test_an_access_token_is_accepted(client, stack, make_user):
    alice = make_user()
    access_token = sign_in_tokens(stack, alice.email)["AccessToken"]
    assert jwt.decode(access_token, options={"verify_signature": False})["token_use"] == "access"
    answer = me_with(client, bearer(access_token))
    assert answer.status == 200, answer
    assert answer.body["user_id"] == alice.user_id


def test_the_caller_is_the_tokens_sub(client, make_user):
    alice = make_user()
    sub = jwt.decode(alice.token, options={"verify_signature": False})["sub"]
    assert sub == alice.user_id
    assert me_with(client, alice.headers).body["user_id"] == sub


def test_two_users_each_see_their_own_profile(client, make_user):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    assert checked(client.patch("/me", bob, {"bio": "Bob's bio"})).status == 200
    mine, theirs = me_with(client, alice.headers).body, me_with(client, bob.headers).body
    assert (mine["user_id"], mine["display_name"], mine["bio"]) == (alice.user_id, "Alice", "")
    assert (theirs["user_id"], theirs["display_name"], theirs["bio"]) == (bob.user_id, "Bob", "Bob's bio")


def test_a_name_set_through_cognito_follows_the_display_name_rules(client, stack, make_user):
    """A user may write their own `name` attribute (the app client's WriteAttributes include it); the profile
    made from it on first sight must obey the same rules as PATCH /me: no control or format characters."""
    alice = make_user()
    cognito = boto3.client("cognito-idp", region_name=REGION)
    cognito.update_user_attributes(
        AccessToken=sign_in_tokens(stack, alice.email)["AccessToken"],
        UserAttributes=[{"Name": "name", "Value": "Alice\u202e\x1b[2J"}],
    )
    renamed = sign_in_tokens(stack, alice.email)["IdToken"]
    assert jwt.decode(renamed, options={"verify_signature": False})["name"] == "Alice\u202e\x1b[2J"
    profile = me_with(client, bearer(renamed))
    assert profile.status == 200, profile
    assert "\x1b" not in profile.body["display_name"] and "\u202e" not in profile.body["display_name"]


def test_a_forged_sub_is_who_the_api_serves(client, stack, make_user):
    """Identity comes from the verified token alone: a valid token for a new sub gets a new profile."""
    make_user()
    answer = me_with(client, bearer(forge(claims_for(stack, "11111111-2222-4333-8444-555555555555"))))
    assert answer.status == 200, answer
    assert answer.body["user_id"] == "11111111-2222-4333-8444-555555555555"
