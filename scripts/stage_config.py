"""What a deployed stage is called and configured with: the names every deploy tool agrees on.

A stage (`dev`, `prod`, or any stage .chalice/config.json defines) runs in one AWS account and region: the
stack `everywhere-<stage>` holds what Chalice does not create (infra/template.yaml), and the app gets that
stack's outputs as environment variables (ENVIRONMENT_OUTPUTS). .chalice/config.json is only read here.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from chalicelib import settings
from scripts import provision

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"  # build copies, packaged templates: ignored by git
TOKEN_QUEUE = "EscrowTokenQueue"  # the infra resource the `escrow_tokens` function listens to

# The app's environment variables that name infra resources, and the infra output that holds each.
ENVIRONMENT_OUTPUTS = {
    "LISTINGS_TABLE": "ListingsTable",
    "PROFILES_TABLE": "ProfilesTable",
    "SYSTEM_TABLE": "SystemTable",
    "CHAT_TABLE": "ChatTable",
    "ORDERS_TABLE": "OrdersTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "LEDGER_TABLE": "LedgerTable",
    "REPORTS_TABLE": "ReportsTable",
    "EVENTS_TABLE": "EventsTable",
    "CONNECTIONS_TABLE": "ConnectionsTable",
    "TASKS_TABLE": "TasksTable",
    "ALERTS_TABLE": "AlertsTable",
    "REVIEWS_TABLE": "ReviewsTable",
    "ESCROW_STATE_MACHINE_ARN": "EscrowStateMachineArn",
    "ESCROW_TOKEN_QUEUE_URL": "EscrowTokenQueueUrl",
    "COGNITO_USER_POOL_ID": "UserPoolId",
    "COGNITO_APP_CLIENT_ID": "UserPoolClientId",
    # The one browser origin the API allows (chalicelib/api/cors.py): the stage's CloudFront address. Chalice
    # imports app.py with the stage's environment (so with this) to write the API's CORS answers.
    "WEB_ORIGIN": "WebUrl",
}
# WEB_ORIGIN before the stage's distribution exists: the settings are checked with it before the stack is made,
# and `make package` imports the app with it (so chalice writes the CORS answers), then puts the template's own
# distribution in its place (scripts/package.py). `.invalid` is a name no DNS resolves.
WEB_ORIGIN_PLACEHOLDER = "https://web-origin.invalid"

# The streams the event functions read (chalicelib/jobs/event_streams.py), and the infra output that holds each
# one's ARN. Not app settings: chalicelib reads them when the app is loaded for `chalice deploy`, to subscribe
# the functions (an event source mapping is made at deploy time), so they go to chalice's environment only.
STREAM_OUTPUTS = {
    "ORDERS_STREAM_ARN": "OrdersStreamArn",
    "CHAT_STREAM_ARN": "ChatStreamArn",
    "TASKS_STREAM_ARN": "TasksStreamArn",
}
# The WebSocket API's id in the committed policy files (.chalice/policy-<stage>-<function>.json). The API exists
# only once deployed: `make package` puts a reference to the template's API in its place (scripts/package.py),
# `make deploy` the id chalice recorded (scripts/chalice_project.py bind_websocket_policies).
WEBSOCKET_API_PLACEHOLDER = "WEBSOCKET_API_ID"


def stack_name(stage: str) -> str:
    return f"everywhere-{stage}"


def chalice_config(stage: str) -> dict[str, Any]:
    """The project's .chalice/config.json (read only); refuses a stage it does not define."""
    config: dict[str, Any] = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"stage {stage!r} is not in .chalice/config.json (stages: {', '.join(config['stages'])})")
    return config


def stage_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The app's environment variables for the resources the infra stack created."""
    missing = sorted(output for output in ENVIRONMENT_OUTPUTS.values() if output not in outputs)
    if missing:
        raise SystemExit(f"the infra stack has no output {', '.join(missing)}: is it from infra/template.yaml?")
    return {variable: outputs[output] for variable, output in ENVIRONMENT_OUTPUTS.items()}


def stream_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The environment chalice needs to subscribe the event functions to the infra stack's streams."""
    missing = sorted(output for output in STREAM_OUTPUTS.values() if output not in outputs)
    if missing:
        raise SystemExit(f"the infra stack has no output {', '.join(missing)}: is it from infra/template.yaml?")
    return {variable: outputs[output] for variable, output in STREAM_OUTPUTS.items()}


def stream_placeholders(stage: str) -> dict[str, str]:
    """For packaging, where the template's own tables are bound afterwards (scripts/package.py): stream ARNs
    that only name the stage's tables."""
    tables = {"ORDERS_STREAM_ARN": "orders", "CHAT_STREAM_ARN": "chat", "TASKS_STREAM_ARN": "tasks"}
    return {variable: f"arn:aws:dynamodb:*:*:table/everywhere-{stage}-{table}/stream/*"
            for variable, table in tables.items()}


def api_gateway_stage(stage: str) -> str:
    """The API Gateway stage chalice deploys the stage's REST and WebSocket APIs to."""
    return str(chalice_config(stage)["stages"][stage].get("api_gateway_stage", "api"))  # "api": chalice's default


def check_settings(stage: str, outputs: dict[str, str] | None = None) -> None:
    """Validate the settings the stage's functions will start with (chalicelib/settings.py): the project's
    environment for the stage plus the infra stack's `outputs` (placeholders while the stack is not made yet).
    Refuses to go on (SystemExit) with the names of the variables that are missing or wrong."""
    config = chalice_config(stage)
    given = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    if outputs is not None:
        infra = stage_environment(outputs)
    else:  # placeholders; WEB_ORIGIN's must look like an origin to pass
        infra = {variable: f"<{output} of {stack_name(stage)}>" for variable, output in ENVIRONMENT_OUTPUTS.items()}
        infra["WEB_ORIGIN"] = WEB_ORIGIN_PLACEHOLDER
    try:
        settings.validate({**given, **infra})
    except settings.SettingsError as exc:
        raise SystemExit(f"stage {stage} would not start: {exc}") from None


def function_names(stage: str) -> dict[str, str]:
    """The packaged template's function logical ids → the names `chalice deploy` gives the functions. Chalice's
    package leaves the names to CloudFormation; set them, because each policy grants only its own log group
    (/aws/lambda/<name>): everywhere-<stage> for the API handler, everywhere-<stage>-<function> for the rest.
    The WebSocket handlers are `websocket_connect`, `websocket_message` and `websocket_disconnect` to chalice
    whatever the app names them, with the logical ids WebsocketConnect... that their names give."""
    from chalice.utils import to_cfn_resource_name

    functions = chalice_config(stage)["stages"][stage].get("lambda_functions", {})
    names = {to_cfn_resource_name(name): f"everywhere-{stage}-{name}" for name in functions if name != "api_handler"}
    return {**names, "APIHandler": f"everywhere-{stage}"}


def queue_name(resource: dict[str, Any], stage: str) -> str:
    """A queue's name in the stage (its QueueName's only variable is the Stage parameter)."""
    name = resource["Properties"]["QueueName"]
    text: str = name["Fn::Sub"] if isinstance(name, dict) else name
    return text.replace("${Stage}", stage)


def token_queue_name(stage: str) -> str:
    """The name of the stage's escrow token queue, which the `escrow_tokens` function listens to."""
    return queue_name(provision.template()["Resources"][TOKEN_QUEUE], stage)


def session() -> Any:
    """The AWS session of the environment (AWS_PROFILE, AWS_DEFAULT_REGION, ...); it must name a region."""
    aws = boto3.Session()
    if not aws.region_name:
        raise SystemExit("no AWS region: set AWS_DEFAULT_REGION, or AWS_PROFILE to a profile with a region")
    return aws


def region_or_default() -> str:
    """For packaging and linting, which name no region: the environment's, else us-east-1."""
    return boto3.Session().region_name or "us-east-1"
