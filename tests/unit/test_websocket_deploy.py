"""`make deploy` and the WebSocket API: the policies in the build copy name the API chalice deployed (the committed
files name a placeholder), deploying twice when the API is new; chalice subscribes the event functions to the
infra stack's streams. Without AWS: chalice is replaced by a stand-in that records what it was given."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import chalice_project, stage_config

STAGE = "dev"
PLACEHOLDER = stage_config.WEBSOCKET_API_PLACEHOLDER
PUSH = f"arn:aws:execute-api:*:*:{PLACEHOLDER}/api/POST/@connections/*"
OUTPUTS = {"OrdersStreamArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/everywhere-dev-orders/stream/2026",
           "ChatStreamArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/everywhere-dev-chat/stream/2026",
           "TasksStreamArn": "arn:aws:dynamodb:eu-west-1:111122223333:table/everywhere-dev-tasks/stream/2026"}


def _policy(resource: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Push", "Effect": "Allow", "Action": ["execute-api:ManageConnections"], "Resource": [resource]}]})


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The project's .chalice: one policy naming the WebSocket API, one not."""
    directory = tmp_path / "source"
    directory.mkdir()
    (directory / "policy-dev-order_events.json").write_text(_policy(PUSH))
    (directory / "policy-dev-cognito_jwt.json").write_text(_policy("arn:aws:logs:*:*:log-group:x:*"))
    return directory


@pytest.fixture
def project(tmp_path: Path, source: Path) -> Path:
    """A build copy: the project's policy files as build_project copies them."""
    chalice_dir = tmp_path / "deploy" / ".chalice"
    chalice_dir.mkdir(parents=True)
    for policy in source.iterdir():
        (chalice_dir / policy.name).write_text(policy.read_text())
    return tmp_path / "deploy"


def _record(project: Path, *resources: dict[str, str]) -> None:
    path = chalice_project.deployed_record(project, STAGE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"resources": list(resources), "schema_version": "2.0", "backend": "api"}))


def _websocket_api(api_id: str) -> dict[str, str]:
    return {"name": "websocket_api", "resource_type": "websocket_api", "websocket_api_id": api_id,
            "websocket_api_url": f"wss://{api_id}.execute-api.eu-west-1.amazonaws.com/api/"}


class FakeChalice:
    """Stands in for `chalice deploy`: records the policy it would deploy, then the API it made (`api_ids`, one
    per run) in the deployed record, as chalice does."""

    def __init__(self, project: Path, api_ids: list[str]) -> None:
        self.project = project
        self.api_ids = api_ids
        self.deployed_policies: list[str] = []
        self.environments: list[dict[str, str]] = []

    def __call__(self, project: Path, stage: str, *arguments: str, environment: dict[str, str] | None = None) -> None:
        assert (project, stage, arguments) == (self.project, STAGE, ("deploy", "--stage", STAGE))
        policy = json.loads((project / ".chalice" / "policy-dev-order_events.json").read_text())
        self.deployed_policies.append(policy["Statement"][0]["Resource"][0])
        self.environments.append(environment or {})
        _record(project, {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "rest1"},
                _websocket_api(self.api_ids[len(self.deployed_policies) - 1]))


def test_no_record_no_websocket_api(project):
    assert chalice_project.deployed_websocket_api(project, STAGE) is None
    _record(project, {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "rest1"})
    assert chalice_project.deployed_websocket_api(project, STAGE) is None
    assert chalice_project.deployed_rest_api(project, STAGE) == "rest1"


def test_the_websocket_api_id_is_read_from_chalices_record(project):
    _record(project, {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "rest1"}, _websocket_api("ws42"))
    assert chalice_project.deployed_websocket_api(project, STAGE) == "ws42"


def test_binding_writes_the_id_into_the_policies_that_name_the_api_and_rebinding_replaces_it(project, source):
    logs = (project / ".chalice" / "policy-dev-cognito_jwt.json").read_text()
    assert chalice_project.bind_websocket_policies(project, "ws42", source) == ["policy-dev-order_events.json"]
    bound = (project / ".chalice" / "policy-dev-order_events.json").read_text()
    assert PLACEHOLDER not in bound and "execute-api:*:*:ws42/api/POST/@connections/*" in bound
    chalice_project.bind_websocket_policies(project, "ws43", source)
    rebound = (project / ".chalice" / "policy-dev-order_events.json").read_text()
    assert "ws42" not in rebound and "ws43/api/POST" in rebound
    assert (project / ".chalice" / "policy-dev-cognito_jwt.json").read_text() == logs
    assert PLACEHOLDER in (source / "policy-dev-order_events.json").read_text()  # the project's own are untouched


def _deploying(monkeypatch, project: Path, source: Path, api_ids: list[str]) -> FakeChalice:
    fake = FakeChalice(project, api_ids)
    monkeypatch.setattr(chalice_project, "chalice", fake)
    binding = chalice_project.bind_websocket_policies
    monkeypatch.setattr(chalice_project, "bind_websocket_policies",
                        lambda project, api_id: binding(project, api_id, source))
    return fake


def test_a_first_deploy_runs_chalice_again_once_the_api_exists(monkeypatch, project, source):
    fake = _deploying(monkeypatch, project, source, ["ws42", "ws42"])
    streams = stage_config.stream_environment(OUTPUTS)
    assert chalice_project.deploy(project, STAGE, streams) == "ws42"
    assert fake.deployed_policies == [PUSH, PUSH.replace(PLACEHOLDER, "ws42")]
    assert fake.environments == [streams, streams]


def test_a_later_deploy_binds_the_recorded_api_first_and_runs_chalice_once(monkeypatch, project, source):
    _record(project, _websocket_api("ws42"))
    fake = _deploying(monkeypatch, project, source, ["ws42"])
    assert chalice_project.deploy(project, STAGE, {}) == "ws42"
    assert fake.deployed_policies == [PUSH.replace(PLACEHOLDER, "ws42")]


def test_a_deploy_that_made_a_new_api_binds_the_new_one_and_runs_again(monkeypatch, project, source):
    _record(project, _websocket_api("ws42"))  # deleted meanwhile: chalice makes another
    fake = _deploying(monkeypatch, project, source, ["ws77", "ws77"])
    assert chalice_project.deploy(project, STAGE, {}) == "ws77"
    assert fake.deployed_policies == [PUSH.replace(PLACEHOLDER, "ws42"), PUSH.replace(PLACEHOLDER, "ws77")]


def test_chalice_subscribes_the_event_functions_to_the_stacks_streams():
    assert stage_config.stream_environment({**OUTPUTS, "OrdersTable": "t"}) == {
        "ORDERS_STREAM_ARN": OUTPUTS["OrdersStreamArn"], "CHAT_STREAM_ARN": OUTPUTS["ChatStreamArn"],
        "TASKS_STREAM_ARN": OUTPUTS["TasksStreamArn"]}
    with pytest.raises(SystemExit, match="ChatStreamArn"):
        stage_config.stream_environment({"OrdersStreamArn": OUTPUTS["OrdersStreamArn"]})


def test_the_streams_are_not_app_settings():
    """The functions never read them at run time: they are chalice's, for the event source mappings."""
    assert not set(stage_config.STREAM_OUTPUTS) & set(stage_config.ENVIRONMENT_OUTPUTS)
    assert set(stage_config.STREAM_OUTPUTS.values()) <= set(_infra_outputs())


def _infra_outputs() -> set[str]:
    from scripts import provision

    return set(provision.template()["Outputs"])
