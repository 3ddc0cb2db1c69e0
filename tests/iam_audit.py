"""The least-privilege audit: every AWS permission the app's Lambda functions use in the tests, checked against
their policy files in .chalice/.

Recording, in every pytest process (tests/conftest.py installs it): botocore's `BaseClient._make_api_call`
is wrapped, so boto3's clients and PynamoDB's own botocore clients are both seen. A call is attributed to a
Lambda function by the outermost frame on the calling thread's stack that is one of the functions' entry
modules (wrappers around them, such as chalicelib/observability.py, do not count):

- chalicelib/api/authorizer.py: `cognito_jwt` (Chalice deploys a built-in authorizer as its own function);
- a module holding several functions' entries, by the entry's name: chalicelib/api/websocket.py's `connect`,
  `message` and `disconnect` are `websocket_connect`, `websocket_message` and `websocket_disconnect`;
  chalicelib/jobs/event_streams.py's `order_events`, `chat_events` and `task_events` are those functions;
- the rest of chalicelib/api/: `api_handler`;
- chalicelib/jobs/escrow_tokens.py: `escrow_tokens`; chalicelib/jobs/schedules.py: `expire_requests`;
  chalicelib/jobs/escrow_sweep.py: `sweep_escrow`;
- scripts/local_triggers.py's queue and stream relays: the function each feeds. A relay stands in for Lambda's
  SQS or DynamoDB Streams event source mapping, which reads with that function's role, so its calls are that
  function's too.

Work a function hands to a thread pool keeps the submitter's function. App code a test calls directly
(a service or a store, outside any handler) and everything else (provisioning, Cognito sign-ups, test
helpers) belongs to no function and is not checked. Each call becomes the IAM permissions it needs
(`permissions`): a transaction needs each item's own action on each item's table, an SQS batch call needs
the single-message action, a Query on an index needs the index's ARN, a frame posted to a WebSocket connection
needs execute-api:ManageConnections on that connection of that API's stage (from the client's endpoint).

Checking, once, in the pytest process that ran the session: every recorded permission must be allowed by
the function's policy for the reference stage. Test stacks are named `everywhere-<test stage>-...`
(test, escrow, race); resource names are read as `everywhere-local-...`, so the `local` policies are the
reference, and tests/unit/test_iam_policies.py holds dev and prod to the same statements for their stage. The
WebSocket API's id exists only once it is deployed: the policies name it WEBSOCKET_API_ID (the deploy tools put
the real one in), and any API id a test's endpoint names is read as that placeholder.
"""
from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlparse

from botocore.client import BaseClient

ROOT = Path(__file__).resolve().parent.parent
CHALICE_DIR = ROOT / ".chalice"
RECORD_DIR_ENV = "EVERYWHERE_IAM_AUDIT_DIR"
STAGES = ("local", "dev", "prod")
REFERENCE_STAGE = "local"
APP_NAME = "everywhere"
PLACEHOLDER_ACCOUNT = "000000000000"  # DynamoDB calls name a table, not its account

_CHALICELIB = str(ROOT / "chalicelib") + os.sep
_RELAY = str(ROOT / "scripts" / "local_triggers.py")
# Modules holding several functions' entries: (module, entry function, Lambda function), before _ENTRY_MODULES.
_ENTRY_FUNCTIONS = (
    ("api/websocket.py", "connect", "websocket_connect"),
    ("api/websocket.py", "message", "websocket_message"),
    ("api/websocket.py", "disconnect", "websocket_disconnect"),
    ("jobs/event_streams.py", "order_events", "order_events"),
    ("jobs/event_streams.py", "chat_events", "chat_events"),
    ("jobs/event_streams.py", "task_events", "task_events"),
)
_SHARED_MODULES = {module for module, _, _ in _ENTRY_FUNCTIONS}
_ENTRY_MODULES = (  # first match wins
    ("api/authorizer.py", "cognito_jwt"),
    ("api/", "api_handler"),
    ("jobs/escrow_tokens.py", "escrow_tokens"),
    ("jobs/schedules.py", "expire_requests"),
    ("jobs/escrow_sweep.py", "sweep_escrow"),
)
FUNCTIONS = (
    "api_handler", "cognito_jwt", "expire_requests", "escrow_tokens", "sweep_escrow",
    "websocket_connect", "websocket_message", "websocket_disconnect", "order_events", "chat_events", "task_events",
)
WEBSOCKET_API_PLACEHOLDER = "WEBSOCKET_API_ID"  # the API id in the committed policies (scripts/stage_config.py)

_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_SQS_BATCH_ACTIONS = {
    "DeleteMessageBatch": "DeleteMessage", "SendMessageBatch": "SendMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
# These actions support no resource-level permissions: a policy can only grant them on "*" (PutMetricData narrowed
# by a condition on its namespace).
NO_RESOURCE_LEVEL = {
    "states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat", "cloudwatch:PutMetricData",
}


@dataclass(frozen=True)
class Permission:
    action: str  # "dynamodb:PutItem"
    resource: str  # an ARN, or "*" for an action that supports no resource-level permissions


@dataclass(frozen=True)
class Use:
    """A permission one function needed, and where it was first seen."""

    function: str
    permission: Permission
    test: str
    origin: str


# botocore's signing names that differ from the IAM service prefix (the `dynamodbstreams` client signs as
# "dynamodb", the `apigatewaymanagementapi` client as "execute-api": both are IAM's names already).
_IAM_PREFIXES = {"monitoring": "cloudwatch"}
# API Gateway's management API: each call is execute-api:ManageConnections on the connection, by HTTP method.
_CONNECTION_METHODS = {"PostToConnection": "POST", "DeleteConnection": "DELETE", "GetConnection": "GET"}


def permissions(
    prefix: str, operation: str, params: dict[str, Any], region: str, endpoint: str | None = None
) -> list[Permission]:
    """The IAM permissions one API call needs, by the service's authorization rules (`endpoint`: the client's
    endpoint URL, which names the WebSocket API and stage a management API call acts on)."""
    prefix = _IAM_PREFIXES.get(prefix, prefix)
    if prefix == "dynamodb":
        return _dynamodb(operation, params, region)
    if prefix == "execute-api" and operation in _CONNECTION_METHODS:
        connection = _connection_arn(endpoint or "", _CONNECTION_METHODS[operation], params, region)
        return [Permission("execute-api:ManageConnections", connection)]
    if prefix == "sqs":
        action = f"sqs:{_SQS_BATCH_ACTIONS.get(operation, operation)}"
        queue = _queue_arn(params, region)
        return [Permission(action, queue)]
    action = f"{prefix}:{operation}"
    if action in NO_RESOURCE_LEVEL:
        return [Permission(action, "*")]
    if prefix == "states" and "stateMachineArn" in params:
        return [Permission(action, params["stateMachineArn"])]
    if prefix == "states" and "executionArn" in params:
        return [Permission(action, params["executionArn"])]
    if prefix == "cognito-idp" and "UserPoolId" in params:
        pool = f"arn:aws:cognito-idp:{region}:{PLACEHOLDER_ACCOUNT}:userpool/{params['UserPoolId']}"
        return [Permission(action, pool)]
    return [Permission(action, "?")]  # unknown resource: the action must be granted on something


def _table_arn(region: str, table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{region}:{PLACEHOLDER_ACCOUNT}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


def _connection_arn(endpoint: str, method: str, params: dict[str, Any], region: str) -> str:
    """arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/@connections/<id>, the API and its stage
    read from the endpoint https://<api id>.execute-api.<region>.amazonaws.com/<stage>; any other host (the local
    runner's http://127.0.0.1:<port>/<stage>) is the API "local"."""
    url = urlparse(endpoint)
    host = url.hostname or ""
    api = host.split(".", 1)[0] if ".execute-api." in host else "local"
    stage = url.path.strip("/").split("/", 1)[0] or "$default"
    connection = params.get("ConnectionId", "?")
    return f"arn:aws:execute-api:{region}:{PLACEHOLDER_ACCOUNT}:{api}/{stage}/{method}/@connections/{connection}"


def _dynamodb(operation: str, params: dict[str, Any], region: str) -> list[Permission]:
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            Permission(f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", _table_arn(region, body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if operation in ("DescribeStream", "GetShardIterator"):  # DynamoDB Streams: the stream's ARN
        return [Permission(f"dynamodb:{operation}", params["StreamArn"])]
    if operation == "GetRecords":  # an opaque shard iterator: the action must be granted on some stream
        return [Permission("dynamodb:GetRecords", "?")]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Permission(f"dynamodb:{operation}", _table_arn(region, table)) for table in params["RequestItems"]]
    if "TableName" in params:
        return [Permission(f"dynamodb:{operation}", _table_arn(region, params["TableName"], params.get("IndexName")))]
    return [Permission(f"dynamodb:{operation}", "?")]


def _queue_arn(params: dict[str, Any], region: str) -> str:
    if "QueueUrl" in params:
        account, name = urlparse(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        return f"arn:aws:sqs:{region}:{account}:{name}"
    if "QueueName" in params:
        return f"arn:aws:sqs:{region}:*:{params['QueueName']}"
    return "?"


# Recording ------------------------------------------------------------------------------------------------

DIRECT = "(direct)"  # app code a test called itself, outside any function
_inherited = threading.local()


def _function_of(module: str, code_name: str) -> str | None:
    """The Lambda function whose entry this frame (of chalicelib/<module>, running `code_name`) is, if any. A helper
    of a module with several functions' entries is no entry (a test calling it directly acts for no function)."""
    for entry_module, entry, function in _ENTRY_FUNCTIONS:
        if module == entry_module and code_name == entry:
            return function
    if module in _SHARED_MODULES:
        return None
    return next((function for prefix, function in _ENTRY_MODULES if module.startswith(prefix)), None)


def _attribute(frame: FrameType | None) -> str | None:
    """The function whose code made this call, DIRECT for app code outside any function, None if not app code."""
    frames: list[FrameType] = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    app_code = False
    for outer in reversed(frames):
        filename = outer.f_code.co_filename
        if filename == _RELAY:
            relay = outer.f_locals.get("self")
            if relay is not None and hasattr(relay, "handler"):
                return str(relay.handler)
        elif filename.startswith(_CHALICELIB):
            app_code = True
            function = _function_of(filename[len(_CHALICELIB):].replace(os.sep, "/"), outer.f_code.co_name)
            if function is not None:
                return function
    inherited = getattr(_inherited, "function", None)
    return inherited or (DIRECT if app_code else None)


def _origin(frame: FrameType | None) -> str:
    """The innermost line of the app's code (or of the relay) on the stack."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_CHALICELIB) or filename == _RELAY:
            return f"{os.path.relpath(filename, ROOT)}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


class Recorder:
    """Appends each new (function, permission) to this process's JSON-lines file in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"calls-{os.getpid()}.jsonl"
        self._seen: set[tuple[str, Permission]] = set()
        self._lock = threading.Lock()

    def record(self, function: str, needed: Iterable[Permission], origin: str) -> None:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
        with self._lock:
            fresh = [p for p in needed if (function, p) not in self._seen]
            if not fresh:
                return
            self._seen.update((function, p) for p in fresh)
            with self.path.open("a") as out:
                for permission in fresh:
                    use = {"function": function, "action": permission.action, "resource": permission.resource,
                           "test": test, "origin": origin}
                    out.write(json.dumps(use) + "\n")


def install(directory: Path) -> None:
    """Record, from now on, the permissions the app's functions use in this process."""
    recorder = Recorder(directory)
    make_api_call = BaseClient._make_api_call
    submit = ThreadPoolExecutor.submit

    def recording_make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
        caller = sys._getframe(1)
        function = _attribute(caller)
        if function is not None:
            model = self.meta.service_model
            needed = permissions(model.signing_name or model.endpoint_prefix, operation_name, api_params,
                                 self.meta.region_name, self.meta.endpoint_url)
            recorder.record(function, needed, _origin(caller))
        return make_api_call(self, operation_name, api_params)

    def attributed_submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        function = _attribute(sys._getframe(1))
        if function in (None, DIRECT):
            return submit(self, fn, *args, **kwargs)

        def run(*run_args: Any, **run_kwargs: Any) -> Any:
            _inherited.function = function
            try:
                return fn(*run_args, **run_kwargs)
            finally:
                _inherited.function = None

        return submit(self, run, *args, **kwargs)

    BaseClient._make_api_call = recording_make_api_call  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = attributed_submit  # type: ignore[method-assign]


def recorded(directory: Path) -> list[Use]:
    uses = []
    for path in sorted(directory.glob("calls-*.jsonl")):
        for line in path.read_text().splitlines():
            raw = json.loads(line)
            uses.append(Use(raw["function"], Permission(raw["action"], raw["resource"]), raw["test"], raw["origin"]))
    return uses


# Policies -------------------------------------------------------------------------------------------------

def config() -> dict[str, Any]:
    return json.loads((CHALICE_DIR / "config.json").read_text())


def policy_file(stage: str, function: str) -> Path:
    """The policy file config.json gives `function` in `stage` (per function, no fallback)."""
    name = config()["stages"][stage]["lambda_functions"][function]["iam_policy_file"]
    return CHALICE_DIR / name


def load_policy(stage: str, function: str) -> dict[str, Any]:
    return json.loads(policy_file(stage, function).read_text())


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _pattern(value: str, case_sensitive: bool) -> re.Pattern[str]:
    """An IAM wildcard (`*` any run of characters, `?` one) as a regular expression."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def allows(policy: dict[str, Any], permission: Permission) -> bool:
    """Whether an Allow statement grants the action on the resource (`?`: on any resource it names)."""
    for statement in policy["Statement"]:
        if statement.get("Effect") != "Allow":
            continue
        if not any(_pattern(a, False).fullmatch(permission.action) for a in _as_list(statement["Action"])):
            continue
        resources = _as_list(statement["Resource"])
        if permission.resource == "?" or any(_pattern(r, True).fullmatch(permission.resource) for r in resources):
            return True
    return False


def _is_known_condition(condition: Any) -> bool:
    """The conditions our policies use, each only narrowing a grant: the resource carries the stage's tag (the
    user pool), or metrics go to one namespace (CloudWatch has no resources to name)."""
    if not (isinstance(condition, dict) and list(condition) == ["StringEquals"]):
        return False
    return list(condition["StringEquals"]) in (["aws:ResourceTag/everywhere-stage"], ["cloudwatch:namespace"])


def policy_problems(policy: dict[str, Any]) -> list[str]:
    """What no policy of ours may do: grant DynamoDB on every resource, or use what the audit cannot read."""
    problems = []
    for index, statement in enumerate(policy["Statement"]):
        where = statement.get("Sid", f"statement {index}")
        unknown = set(statement) - {"Sid", "Effect", "Action", "Resource"}
        if _is_known_condition(statement.get("Condition")):
            unknown.discard("Condition")
        if unknown or statement.get("Effect") != "Allow":
            problems.append(f"{where}: only Allow statements with Action and Resource, got {sorted(statement)}")
        if any(a.startswith("cloudwatch:") for a in _as_list(statement.get("Action", []))) and not statement.get(
            "Condition", {}).get("StringEquals", {}).get("cloudwatch:namespace"):
            problems.append(f"{where}: CloudWatch metrics only under a namespace condition")
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        if any(a.lower().startswith("dynamodb:") for a in actions) and any(r in ("*", "arn:aws:dynamodb:*:*:*")
                                                                       for r in resources):
            problems.append(f"{where}: DynamoDB actions on every resource ({resources})")
        if "*" in resources and not set(actions) <= NO_RESOURCE_LEVEL:
            problems.append(f"{where}: Resource '*' for actions that support resource-level permissions")
    return problems


def as_reference(resource: str) -> str:
    """A test stack's resource, named as in the reference stage (`everywhere-race-orders` ->
    `everywhere-local-orders`), and any WebSocket API as the policies' placeholder (`local/local/POST/...` ->
    `WEBSOCKET_API_ID/local/POST/...`)."""
    staged = re.sub(rf"(?<=[:/]){APP_NAME}-[a-z0-9]+-", f"{APP_NAME}-{REFERENCE_STAGE}-", resource)
    return re.sub(r"^(arn:aws:execute-api:[^:]*:[^:]*:)[^/]+/", rf"\g<1>{WEBSOCKET_API_PLACEHOLDER}/", staged)


def violations(uses: Iterable[Use]) -> list[str]:
    """Each permission a function used that its reference-stage policy does not grant, and each policy problem."""
    found: list[str] = []
    policies = {function: load_policy(REFERENCE_STAGE, function) for function in FUNCTIONS}
    for function, policy in policies.items():
        found += [f"{policy_file(REFERENCE_STAGE, function).name}: {p}" for p in policy_problems(policy)]
    for use in sorted(uses, key=lambda u: (u.function, u.permission.action, u.permission.resource)):
        if use.function == DIRECT:
            continue
        policy = policies.get(use.function)
        needed = Permission(use.permission.action, as_reference(use.permission.resource))
        if policy is None:
            found.append(f"{use.function}: no policy for this function (needs {needed.action} on {needed.resource})")
        elif not allows(policy, needed):
            found.append(
                f"{policy_file(REFERENCE_STAGE, use.function).name} lacks {needed.action} on {needed.resource}"
                f"\n      used at {use.origin} in {use.test or '(outside a test)'}"
            )
    return found


def summary(uses: list[Use]) -> Iterator[str]:
    by_function: dict[str, set[Permission]] = {}
    for use in uses:
        by_function.setdefault(use.function, set()).add(use.permission)
    for function, used in sorted(by_function.items()):
        note = " (app code called by tests outside any function: not checked)" if function == DIRECT else ""
        yield f"{function}: {len(used)} permissions{note}"
