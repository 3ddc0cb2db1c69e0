import json


def test_health_is_public(api):
    response = api.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body) == {"status": "ok"}


def test_me_is_created_on_first_call(api, make_user):
    alice = make_user(name="Alice")
    response = api.get("/me", headers=alice.headers)
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["user_id"] == alice.user_id
    assert body["display_name"] == "Alice"
    assert body["privileged"] is False and body["provider_since"] is None
