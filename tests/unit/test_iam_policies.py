"""Each Lambda function gets its own IAM policy per stage, naming only that stage's resources; and the audit that
checks them against what the functions do in the tests (tests/iam_audit.py) reads calls the way IAM does."""
from __future__ import annotations

import re

import pytest

from scripts import provision, stage_config
from tests import iam_audit
from tests.iam_audit import Permission, Use

STAGES = iam_audit.STAGES
RESOURCES = provision.template()["Resources"]


def _app_functions() -> set[str]:
    from app import app

    functions = {"api_handler"} if app.routes else set()
    functions |= {auth.name for auth in app.builtin_auth_handlers}
    functions |= {source.name for source in app.event_sources}
    # chalice names each WebSocket handler's function by its route, whatever the app calls it (deploy/appgraph.py)
    routes = {"$connect": "websocket_connect", "$disconnect": "websocket_disconnect"}
    functions |= {routes.get(h.route_key_handled, "websocket_message") for h in app.websocket_handlers.values()}
    return functions | {function.name for function in app.pure_lambda_functions}


def _named(resource_type: str, name_property: str, stage: str) -> dict[str, dict]:
    """The template's resources of one type, by the name they get in `stage`."""
    named = {}
    for resource in RESOURCES.values():
        if resource["Type"] == resource_type:
            name = resource["Properties"][name_property]["Fn::Sub"].replace("${Stage}", stage)
            named[name] = resource["Properties"]
    return named


def _statements(stage: str, function: str) -> list[dict]:
    return iam_audit.load_policy(stage, function)["Statement"]


def _resources(statement: dict) -> list[str]:
    return [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]


def _actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


EVERY_POLICY = [(stage, function) for stage in STAGES for function in iam_audit.FUNCTIONS]


def test_the_audit_knows_every_function_the_app_deploys():
    assert _app_functions() == set(iam_audit.FUNCTIONS)


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_has_its_own_policy_file_in_every_stage(stage):
    config = iam_audit.config()
    assert config["autogen_policy"] is False
    assert "iam_policy_file" not in config and "iam_policy_file" not in config["stages"][stage]  # no shared fallback
    functions = config["stages"][stage]["lambda_functions"]
    assert set(functions) == _app_functions()
    for function, settings in functions.items():
        assert settings["iam_policy_file"] == f"policy-{stage}-{function}.json"
        assert (iam_audit.CHALICE_DIR / settings["iam_policy_file"]).is_file()


def test_every_policy_file_is_one_a_function_uses():
    used = {iam_audit.policy_file(stage, function).name for stage, function in EVERY_POLICY}
    assert {path.name for path in iam_audit.CHALICE_DIR.glob("policy*.json")} == used


@pytest.mark.parametrize("stage, function", EVERY_POLICY)
def test_no_policy_grants_dynamodb_or_anything_else_on_every_resource(stage, function):
    assert iam_audit.policy_problems(iam_audit.load_policy(stage, function)) == []


@pytest.mark.parametrize("stage, function", EVERY_POLICY)
def test_dynamodb_queue_and_workflow_resources_are_that_stages_own(stage, function):
    tables = _named("AWS::DynamoDB::Table", "TableName", stage)
    arns = {f"arn:aws:dynamodb:*:*:table/{name}" for name in tables}
    arns |= {f"arn:aws:dynamodb:*:*:table/{name}/stream/*" for name, table in tables.items()
             if "StreamSpecification" in table}  # the streams of the tables that have one
    for name, table in tables.items():
        for index in table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", []):
            arns.add(f"arn:aws:dynamodb:*:*:table/{name}/index/{index['IndexName']}")
    arns |= {f"arn:aws:sqs:*:*:{name}" for name in _named("AWS::SQS::Queue", "QueueName", stage)}
    machines = _named("AWS::StepFunctions::StateMachine", "StateMachineName", stage)
    arns |= {f"arn:aws:states:*:*:stateMachine:{name}" for name in machines}
    arns |= {f"arn:aws:states:*:*:execution:{name}:*" for name in machines}  # its executions
    for statement in _statements(stage, function):
        actions = set(_actions(statement))
        services = {a.split(":")[0] for a in actions}
        if services & {"dynamodb", "sqs", "states"} and not actions <= iam_audit.NO_RESOURCE_LEVEL:
            assert set(_resources(statement)) <= arns, statement["Sid"]


@pytest.mark.parametrize("stage, function", EVERY_POLICY)
def test_each_function_writes_only_its_own_log_group(stage, function):
    name = f"everywhere-{stage}" if function == "api_handler" else f"everywhere-{stage}-{function}"
    logs = [s for s in _statements(stage, function) if any(a.startswith("logs:") for a in _actions(s))]
    assert len(logs) == 1
    assert set(_actions(logs[0])) == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
    assert _resources(logs[0]) == [f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}:*"]


@pytest.mark.parametrize("stage", ["dev", "prod"])
@pytest.mark.parametrize("function", iam_audit.FUNCTIONS)
def test_dev_and_prod_grant_what_local_grants_on_their_own_resources(stage, function):
    """The audit checks the local policies; the others must be the same but for the stage in each name (and in
    the WebSocket API's stage: chalice deploys the stage's APIs to its api_gateway_stage)."""
    local = iam_audit.policy_file("local", function).read_text()
    api_stage = f"{WEBSOCKET_API}/{stage_config.api_gateway_stage(stage)}/"
    expected = local.replace("everywhere-local", f"everywhere-{stage}").replace(f"{WEBSOCKET_API}/local/", api_stage)
    assert iam_audit.policy_file(stage, function).read_text() == expected


WEBSOCKET_API = stage_config.WEBSOCKET_API_PLACEHOLDER
PUSHERS = {"websocket_message": "POST", "order_events": "POST", "chat_events": "POST", "task_events": "POST",
           "websocket_connect": "DELETE"}


def test_the_audit_and_the_deploy_tools_agree_on_the_websocket_apis_placeholder():
    assert iam_audit.WEBSOCKET_API_PLACEHOLDER == WEBSOCKET_API


@pytest.mark.parametrize("stage, function", EVERY_POLICY)
def test_only_the_functions_that_talk_to_sockets_manage_connections_and_only_on_the_stages_api(stage, function):
    """execute-api:ManageConnections on the placeholder API (the deploy tools put the stage's own in), its stage,
    and only the HTTP method the function uses: POST a frame, DELETE (close) a connection."""
    grants = [s for s in _statements(stage, function) if any(a.startswith("execute-api:") for a in _actions(s))]
    if function not in PUSHERS:
        assert grants == []
        return
    (grant,) = grants
    assert _actions(grant) == ["execute-api:ManageConnections"]
    connections = f"{WEBSOCKET_API}/{stage_config.api_gateway_stage(stage)}/{PUSHERS[function]}/@connections/*"
    assert _resources(grant) == [f"arn:aws:execute-api:*:*:{connections}"]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize("function, table", [("order_events", "orders"), ("chat_events", "chat"),
                                             ("task_events", "tasks")])
def test_each_stream_function_reads_only_its_own_tables_stream(stage, function, table):
    reads = [s for s in _statements(stage, function) if "dynamodb:GetRecords" in _actions(s)]
    assert len(reads) == 1
    assert set(_actions(reads[0])) == {"dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords",
                                       "dynamodb:ListStreams"}
    assert _resources(reads[0]) == [f"arn:aws:dynamodb:*:*:table/everywhere-{stage}-{table}/stream/*"]


def test_nothing_in_the_chalice_config_names_an_account():
    for path in iam_audit.CHALICE_DIR.glob("*.json"):
        assert not re.search(r"(?<!\d)\d{12}(?!\d)", path.read_text()), path.name


# The audit's reading of calls --------------------------------------------------------------------------------

REGION = "us-east-1"


def test_a_transaction_needs_each_items_own_action_on_each_items_table():
    params = {"TransactItems": [
        {"Put": {"TableName": "everywhere-race-listings", "Item": {}}},
        {"Update": {"TableName": "everywhere-race-profiles", "Key": {}}},
        {"ConditionCheck": {"TableName": "everywhere-race-listings", "Key": {}}},
        {"Delete": {"TableName": "everywhere-race-chat", "Key": {}}},
    ]}
    needed = iam_audit.permissions("dynamodb", "TransactWriteItems", params, REGION)
    assert [(p.action, p.resource.rsplit("/", 1)[1]) for p in needed] == [
        ("dynamodb:PutItem", "everywhere-race-listings"),
        ("dynamodb:UpdateItem", "everywhere-race-profiles"),
        ("dynamodb:ConditionCheckItem", "everywhere-race-listings"),
        ("dynamodb:DeleteItem", "everywhere-race-chat"),
    ]


def test_a_query_on_an_index_needs_the_index_and_a_batch_needs_each_table():
    query = iam_audit.permissions("dynamodb", "Query", {"TableName": "t", "IndexName": "by_buyer"}, REGION)
    assert [p.resource.split(":table/")[1] for p in query] == ["t/index/by_buyer"]
    batch = iam_audit.permissions("dynamodb", "BatchGetItem", {"RequestItems": {"a": {}, "b": {}}}, REGION)
    assert [(p.action, p.resource.split(":table/")[1]) for p in batch] == [
        ("dynamodb:BatchGetItem", "a"), ("dynamodb:BatchGetItem", "b")]


def test_an_sqs_batch_delete_needs_delete_message_on_the_queue():
    url = "http://127.0.0.1:5000/123456789012/everywhere-escrow-escrow-tokens"
    needed = iam_audit.permissions("sqs", "DeleteMessageBatch", {"QueueUrl": url, "Entries": []}, REGION)
    queue = f"arn:aws:sqs:{REGION}:123456789012:everywhere-escrow-escrow-tokens"
    assert needed == [Permission("sqs:DeleteMessage", queue)]


def test_describing_an_execution_needs_that_execution():
    arn = f"arn:aws:states:{REGION}:000000000000:execution:everywhere-race-escrow:01J"
    needed = iam_audit.permissions("states", "DescribeExecution", {"executionArn": arn}, REGION)
    assert needed == [Permission("states:DescribeExecution", arn)]


def test_metrics_can_only_be_granted_on_every_resource_and_only_under_our_namespace():
    # botocore signs CloudWatch calls as "monitoring"; IAM calls the service "cloudwatch".
    needed = iam_audit.permissions("monitoring", "PutMetricData", {"Namespace": "Everywhere/Escrow"}, REGION)
    assert needed == [Permission("cloudwatch:PutMetricData", "*")]
    anywhere = {"Statement": [{"Sid": "Metrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData",
                               "Resource": "*"}]}
    assert iam_audit.policy_problems(anywhere) == ["Metrics: CloudWatch metrics only under a namespace condition"]


def test_stream_reads_need_the_stream_and_records_any_stream_granted():
    # the dynamodbstreams client signs as "dynamodb"; GetRecords names only an opaque shard iterator
    stream = f"arn:aws:dynamodb:{REGION}:123456789012:table/everywhere-race-orders/stream/2026-12-03T13:01:13.000"
    described = iam_audit.permissions("dynamodb", "DescribeStream", {"StreamArn": stream}, REGION)
    assert described == [Permission("dynamodb:DescribeStream", stream)]
    iterator = iam_audit.permissions("dynamodb", "GetShardIterator", {"StreamArn": stream, "ShardId": "s"}, REGION)
    assert iterator == [Permission("dynamodb:GetShardIterator", stream)]
    assert iam_audit.permissions("dynamodb", "GetRecords", {"ShardIterator": "opaque"}, REGION) == [
        Permission("dynamodb:GetRecords", "?")]
    policy = iam_audit.load_policy("local", "order_events")
    assert iam_audit.allows(policy, Permission("dynamodb:DescribeStream", iam_audit.as_reference(stream)))
    chat_stream = stream.replace("-orders/", "-chat/")
    assert not iam_audit.allows(policy, Permission("dynamodb:DescribeStream", iam_audit.as_reference(chat_stream)))


@pytest.mark.parametrize("endpoint, resource", [
    ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/api", "a1b2c3d4e5/api/POST/@connections/C1="),
    ("http://127.0.0.1:8001/local", "local/local/POST/@connections/C1="),
])
def test_posting_a_frame_needs_manage_connections_on_that_connection_of_the_endpoints_api(endpoint, resource):
    needed = iam_audit.permissions("execute-api", "PostToConnection", {"ConnectionId": "C1=", "Data": b"{}"}, REGION,
                                   endpoint)
    assert needed == [Permission("execute-api:ManageConnections",
                                 f"arn:aws:execute-api:{REGION}:000000000000:{resource}")]
    closed = iam_audit.permissions("execute-api", "DeleteConnection", {"ConnectionId": "C1="}, REGION, endpoint)
    assert closed[0].resource.endswith("/DELETE/@connections/C1=")


def test_any_websocket_api_reads_as_the_placeholder_the_policies_name():
    arn = f"arn:aws:execute-api:{REGION}:000000000000:a1b2c3d4e5/local/POST/@connections/C1="
    reference = iam_audit.as_reference(arn)
    assert reference == f"arn:aws:execute-api:{REGION}:000000000000:{WEBSOCKET_API}/local/POST/@connections/C1="
    assert iam_audit.allows(iam_audit.load_policy("local", "order_events"), Permission(
        "execute-api:ManageConnections", reference))
    assert not iam_audit.allows(iam_audit.load_policy("local", "order_events"), Permission(
        "execute-api:ManageConnections", reference.replace("/POST/", "/DELETE/")))
    assert not iam_audit.allows(iam_audit.load_policy("local", "websocket_disconnect"), Permission(
        "execute-api:ManageConnections", reference))


@pytest.mark.parametrize("module, entry, function", [
    ("api/websocket.py", "connect", "websocket_connect"),
    ("api/websocket.py", "message", "websocket_message"),
    ("api/websocket.py", "disconnect", "websocket_disconnect"),
    ("api/websocket.py", "_refused", None),  # a helper, called directly: no function's
    ("jobs/event_streams.py", "order_events", "order_events"),
    ("jobs/event_streams.py", "chat_events", "chat_events"),
    ("jobs/event_streams.py", "task_events", "task_events"),
    ("api/events.py", "list_events", "api_handler"),
    ("api/authorizer.py", "cognito_jwt", "cognito_jwt"),
])
def test_modules_of_several_functions_are_attributed_by_the_entry_before_the_api_rule(module, entry, function):
    assert iam_audit._function_of(module, entry) == function


def test_a_task_token_decision_can_only_be_granted_on_every_resource():
    needed = iam_audit.permissions("states", "SendTaskSuccess", {"taskToken": "t", "output": "{}"}, REGION)
    assert needed == [Permission("states:SendTaskSuccess", "*")]


def _use(function: str, action: str, resource: str) -> Use:
    return Use(function, Permission(action, resource), test="t", origin="o")


def test_the_audit_reports_what_a_functions_policy_does_not_grant():
    ledger = f"arn:aws:dynamodb:{REGION}:000000000000:table/everywhere-race-ledger"
    found = iam_audit.violations([
        _use("api_handler", "dynamodb:PutItem", ledger),  # granted: the race stack reads as local
        _use("expire_requests", "dynamodb:PutItem", ledger),  # not granted
        _use("escrow_tokens", "dynamodb:Scan", f"arn:aws:dynamodb:{REGION}:000000000000:table/everywhere-race-orders"),
        _use(iam_audit.DIRECT, "dynamodb:Scan", ledger),  # a test's own call: not checked
    ])
    assert [line.split("\n")[0] for line in found] == [
        "policy-local-escrow_tokens.json lacks dynamodb:Scan on "
        f"arn:aws:dynamodb:{REGION}:000000000000:table/everywhere-local-orders",
        "policy-local-expire_requests.json lacks dynamodb:PutItem on "
        f"arn:aws:dynamodb:{REGION}:000000000000:table/everywhere-local-ledger",
    ]


def test_a_policy_granting_dynamodb_on_every_resource_is_a_problem():
    policy = {"Statement": [
        {"Sid": "Everything", "Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
        {"Sid": "Decisions", "Effect": "Allow", "Action": ["states:SendTaskSuccess"], "Resource": "*"},
    ]}
    problems = iam_audit.policy_problems(policy)
    assert len(problems) == 2 and all(p.startswith("Everything:") for p in problems)


def test_the_iam_wildcards_match_as_iam_matches_them():
    policy = {"Statement": [{"Effect": "Allow", "Action": "dynamodb:Get*",
                             "Resource": "arn:aws:dynamodb:*:*:table/everywhere-local-orders"}]}
    table = "arn:aws:dynamodb:eu-west-1:000000000000:table/everywhere-local-orders"
    assert iam_audit.allows(policy, Permission("dynamodb:GetItem", table))
    assert not iam_audit.allows(policy, Permission("dynamodb:GetItem", table + "/index/by_buyer"))
    assert not iam_audit.allows(policy, Permission("dynamodb:PutItem", table))


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_may_disable_accounts_only_in_its_own_stages_pool(stage):
    grants = [s for s in _statements(stage, "api_handler") if any(a.startswith("cognito-idp:") for a in _actions(s))]
    assert len(grants) == 1
    assert set(_actions(grants[0])) == {"cognito-idp:ListUsers", "cognito-idp:AdminDisableUser",
                                        "cognito-idp:AdminEnableUser"}
    tag = {"aws:ResourceTag/everywhere-stage": f"everywhere-{stage}"}
    assert grants[0]["Condition"] == {"StringEquals": tag}
    pool_tags = RESOURCES["UserPool"]["Properties"]["UserPoolTags"]
    assert pool_tags == {"everywhere-stage": {"Fn::Sub": "everywhere-${Stage}"}}
