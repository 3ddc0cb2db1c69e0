"""`make package`: `chalice package` merged with the infra template and bound to it is one template that
CloudFormation can deploy on its own, and cfn-lint finds nothing wrong with it or with the infra template.

Packaging runs chalice for real (a few seconds; longer when the app's code or requirements changed, since
chalice then rebuilds its dependency bundle in .chalice/deployments)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from chalicelib import settings as app_settings
from chalicelib.jobs import event_streams
from scripts import gateway_responses, infra_stack, provision, stage_config, stage_throttling
from scripts.lint_templates import lint
from scripts.package import _bind_function, package
from tests.conftest import REGION, ROOT

STAGES = ("dev", "prod")
RESOURCE_TYPES = {
    "LISTINGS_TABLE": "AWS::DynamoDB::Table",
    "PROFILES_TABLE": "AWS::DynamoDB::Table",
    "SYSTEM_TABLE": "AWS::DynamoDB::Table",
    "CHAT_TABLE": "AWS::DynamoDB::Table",
    "ORDERS_TABLE": "AWS::DynamoDB::Table",
    "IDEMPOTENCY_TABLE": "AWS::DynamoDB::Table",
    "LEDGER_TABLE": "AWS::DynamoDB::Table",
    "REPORTS_TABLE": "AWS::DynamoDB::Table",
    "EVENTS_TABLE": "AWS::DynamoDB::Table",
    "TASKS_TABLE": "AWS::DynamoDB::Table",
    "ALERTS_TABLE": "AWS::DynamoDB::Table",
    "REVIEWS_TABLE": "AWS::DynamoDB::Table",
    "CONNECTIONS_TABLE": "AWS::DynamoDB::Table",
    "ESCROW_STATE_MACHINE_ARN": "AWS::StepFunctions::StateMachine",
    "ESCROW_TOKEN_QUEUE_URL": "AWS::SQS::Queue",
    "COGNITO_USER_POOL_ID": "AWS::Cognito::UserPool",
    "COGNITO_APP_CLIENT_ID": "AWS::Cognito::UserPoolClient",
}


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each stage packaged once for the module: stage -> its sam.yaml."""
    return {stage: package(stage, tmp_path_factory.mktemp(stage) / "package") for stage in STAGES}


def _template(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_template_passes_cfn_lint(packaged, stage):
    assert lint([packaged[stage]]) == []


def test_the_infra_template_passes_cfn_lint(tmp_path):
    assert lint([infra_stack.render_infra(tmp_path / "infra.yaml")]) == []
    assert lint([ROOT / "infra" / "template.yaml"]) == []  # as checked in, the workflow not yet inlined


def test_cfn_lint_catches_a_permission_that_does_not_exist(tmp_path):
    broken = provision.packaged_template().replace("dynamodb:UpdateItem", "dynamodb:TransactWriteItems")
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    assert any(" W3037 " in problem for problem in lint([path]))


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_is_configured_with_the_templates_own_resources(packaged, stage):
    template = _template(packaged[stage])
    resources = template["Resources"]
    functions = _functions(template)
    assert {"APIHandler", "EscrowTokens", "OrderEvents", "ChatEvents", "TaskEvents", "WebsocketConnect",
            "WebsocketMessage", "WebsocketDisconnect"} <= set(functions)
    for name, function in functions.items():
        variables = function["Environment"]["Variables"]
        assert variables["STAGE"] == stage, name
        for variable, resource_type in RESOURCE_TYPES.items():
            logical_id = variables[variable]["Ref"]
            assert resources[logical_id]["Type"] == resource_type, (name, variable)


@pytest.mark.parametrize("stage", STAGES)
def test_the_token_function_consumes_the_templates_token_queue(packaged, stage):
    function = _functions(_template(packaged[stage]))["EscrowTokens"]
    (event,) = function["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["EscrowTokenQueue", "Arn"]}


@pytest.mark.parametrize("stage", STAGES)
def test_the_event_functions_read_the_streams_of_the_templates_own_tables(packaged, stage):
    template = _template(packaged[stage])
    functions = _functions(template)
    for function, table, batch in (("OrderEvents", "OrdersTable", 100), ("ChatEvents", "ChatTable", 100),
                                   ("TaskEvents", "TasksTable", 10)):
        (event,) = functions[function]["Events"].values()
        assert event["Type"] == "DynamoDB"
        assert event["Properties"]["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert (event["Properties"]["StartingPosition"], event["Properties"]["BatchSize"]) == ("LATEST", batch)
        assert "StreamSpecification" in template["Resources"][table]["Properties"]


def test_a_stream_is_bound_to_the_templates_table_whatever_placeholder_the_app_was_loaded_with():
    """chalicelib's own placeholder names the local stage's table; the packaged dev template still gets its own."""
    for stream in (event_streams.PLACEHOLDER.format(table="orders"), "arn:aws:dynamodb:eu-west-1:123456789012:"
                   "table/everywhere-prod-orders/stream/2026-12-03T13:01:13.000"):
        properties = {"Events": {"Source": {"Type": "DynamoDB", "Properties": {"Stream": stream}}}}
        _bind_function("OrderEvents", properties, {}, {}, {"orders": "OrdersTable", "chat": "ChatTable"})
        assert properties["Events"]["Source"]["Properties"]["Stream"] == {"Fn::GetAtt": ["OrdersTable", "StreamArn"]}
    unknown = {"Events": {"Source": {"Type": "DynamoDB", "Properties": {"Stream": "arn:aws:dynamodb:::table/x"}}}}
    with pytest.raises(ValueError, match="of no table the template creates"):
        _bind_function("OrderEvents", unknown, {}, {}, {"orders": "OrdersTable"})


@pytest.mark.parametrize("stage", STAGES)
def test_the_websocket_api_is_in_the_template_on_the_stages_api_stage(packaged, stage):
    resources = _template(packaged[stage])["Resources"]
    api = resources["WebsocketAPI"]
    assert api["Type"] == "AWS::ApiGatewayV2::Api" and api["Properties"]["ProtocolType"] == "WEBSOCKET"
    assert resources["WebsocketAPIStage"]["Properties"]["StageName"] == stage_config.api_gateway_stage(stage)
    routes = {r["Properties"]["RouteKey"]: r["Properties"]["Target"] for r in resources.values()
              if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert set(routes) == {"$connect", "$disconnect", "$default"}


@pytest.mark.parametrize("stage", STAGES)
def test_the_policies_name_the_templates_websocket_api_and_no_placeholder_is_left(packaged, stage):
    text = packaged[stage].read_text()
    assert stage_config.WEBSOCKET_API_PLACEHOLDER not in text
    resources = _template(packaged[stage])["Resources"]
    grants = [
        resource
        for role in resources.values() if role["Type"] == "AWS::IAM::Role"
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"] if "execute-api:ManageConnections" in statement["Action"]
        for resource in statement["Resource"]
    ]
    assert len(grants) == 5  # websocket_connect (DELETE), websocket_message, order_events, chat_events, task_events
    api_stage = stage_config.api_gateway_stage(stage)
    connections = {f"arn:aws:execute-api:*:*:${{WebsocketAPI}}/{api_stage}/{method}/@connections/*"
                   for method in ("POST", "DELETE")}
    assert {grant["Fn::Sub"] for grant in grants} == connections


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_workflow_is_the_asl_file(packaged, stage):
    machine = _template(packaged[stage])["Resources"]["EscrowStateMachine"]["Properties"]
    definition, variables = machine["DefinitionString"]["Fn::Sub"]
    asl = json.loads((ROOT / "chalicelib" / "workflows" / "escrow.asl.json").read_text())
    assert json.loads(definition) == asl
    assert variables == {"LedgerTable": {"Ref": "LedgerTable"}, "OrdersTable": {"Ref": "OrdersTable"},
                         "TokenQueueUrl": {"Ref": "EscrowTokenQueue"}}


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_template_deploys_only_as_its_own_stage(packaged, stage):
    parameter = _template(packaged[stage])["Parameters"]["Stage"]
    assert parameter["Default"] == stage and parameter["AllowedValues"] == [stage]


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_template_names_no_account_or_region(packaged, stage):
    text = packaged[stage].read_text()
    assert not re.search(r"(?<!\d)\d{12}(?!\d)", text)  # an account id
    assert not re.search(r"\b(us|eu|ap|sa|ca|me|af|il|mx|cn)-[a-z]+-\d\b", text)  # a region
    assert (packaged[stage].parent / "deployment.zip").stat().st_size > 0


@pytest.mark.parametrize("stage", STAGES)
def test_each_packaged_function_is_named_for_the_log_group_its_policy_grants(packaged, stage):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][stage]["lambda_functions"]
    functions = _functions(_template(packaged[stage]))
    assert len(functions) == len(config)
    for name, settings in config.items():
        policy = json.loads((ROOT / ".chalice" / settings["iam_policy_file"]).read_text())
        log_groups = {resource for statement in policy["Statement"] if statement["Action"][0].startswith("logs:")
                      for resource in ([statement["Resource"]] if isinstance(statement["Resource"], str)
                                       else statement["Resource"])}
        function_name = f"everywhere-{stage}" if name == "api_handler" else f"everywhere-{stage}-{name}"
        assert function_name in {f["FunctionName"] for f in functions.values()}, name
        assert any(f"log-group:/aws/lambda/{function_name}:" in group for group in log_groups), (name, log_groups)


@pytest.mark.parametrize("stage", STAGES)
def test_the_gateways_own_refusals_keep_the_apis_error_shape(packaged, stage):
    body = _template(packaged[stage])["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == {"UNAUTHORIZED", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"}
    throttled = responses["THROTTLED"]
    assert throttled["statusCode"] == "429"
    assert json.loads(throttled["responseTemplates"]["application/json"])["Code"] == "TooManyRequestsError"
    unauthorized = json.loads(responses["UNAUTHORIZED"]["responseTemplates"]["application/json"])
    assert unauthorized["Code"] == "UnauthorizedError" and unauthorized["Message"]
    no_route = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert no_route["statusCode"] == "404"
    assert json.loads(no_route["responseTemplates"]["application/json"])["Code"] == "NotFoundError"


WEB_URL = "https://${WebDistribution.DomainName}"  # the infra template's WebUrl output, as Fn::Sub text


def _preflights(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each OPTIONS method of the packaged API: path -> the response parameters of its mock integration."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    return {path: methods["options"]["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
            for path, methods in paths.items() if "options" in methods}


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_apis_preflight_answers_allow_the_templates_own_web_address_only(packaged, stage):
    preflights = _preflights(_template(packaged[stage]))
    assert "/me" in preflights and "/search" in preflights
    for path, parameters in preflights.items():
        assert parameters["method.response.header.Access-Control-Allow-Origin"] == {"Fn::Sub": f"'{WEB_URL}'"}, path
    assert stage_config.WEB_ORIGIN_PLACEHOLDER not in packaged[stage].read_text()


@pytest.mark.parametrize("stage", STAGES)
def test_every_packaged_function_knows_the_templates_web_address_as_its_web_origin(packaged, stage):
    """What chalice adds to the functions' own answers at run time (chalicelib/api/cors.py reads it)."""
    template = _template(packaged[stage])
    assert template["Outputs"]["WebUrl"]["Value"] == {"Fn::Sub": WEB_URL}
    for name, function in _functions(template).items():
        assert function["Environment"]["Variables"]["WEB_ORIGIN"] == {"Fn::Sub": WEB_URL}, name


@pytest.mark.parametrize("stage", STAGES)
def test_the_gateways_own_refusals_are_readable_by_the_web_client(packaged, stage):
    body = _template(packaged[stage])["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    for response_type, response in body["x-amazon-apigateway-gateway-responses"].items():
        assert response["responseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": {"Fn::Sub": f"'{WEB_URL}'"}}, response_type


def rest_api_as_chalice_deploys_it(name: str) -> tuple[Any, str]:
    """An API Gateway REST API with one route (what `chalice deploy` leaves), and its client."""
    apigateway = boto3.client("apigateway", region_name=REGION)
    api = apigateway.create_rest_api(name=name)["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    return apigateway, api


def test_a_stage_deployed_by_chalice_gets_the_same_gateway_responses(stack):
    apigateway, api = rest_api_as_chalice_deploys_it("everywhere-dev")
    gateway_responses.put_gateway_responses(apigateway, api, "api", "https://d111111abcdef8.cloudfront.net")
    for response_type, (status, body) in gateway_responses.GATEWAY_RESPONSES.items():
        stored = apigateway.get_gateway_response(restApiId=api, responseType=response_type)
        assert stored["responseTemplates"] == {"application/json": body}
        assert stored.get("statusCode") == status
    assert [s["stageName"] for s in apigateway.get_stages(restApiId=api)["item"]] == ["api"]


def test_a_stage_deployed_by_chalice_lets_its_web_origin_read_the_gateways_refusals(stack):
    apigateway, api = rest_api_as_chalice_deploys_it("everywhere-dev")
    gateway_responses.put_gateway_responses(apigateway, api, "api", "https://d111111abcdef8.cloudfront.net")
    for response_type in gateway_responses.GATEWAY_RESPONSES:
        stored = apigateway.get_gateway_response(restApiId=api, responseType=response_type)
        assert stored["responseParameters"] == {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'https://d111111abcdef8.cloudfront.net'"}


def test_without_a_web_origin_the_gateways_refusals_name_none():
    assert all("responseParameters" not in response for response in gateway_responses.gateway_responses().values())


@pytest.mark.parametrize("stage", STAGES)
def test_the_packaged_stage_is_throttled_as_a_whole(packaged, stage):
    settings = _template(packaged[stage])["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    limit = stage_throttling.throttle(stage)
    assert settings == [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": limit.rate_per_s,
                         "ThrottlingBurstLimit": limit.burst}]


def test_a_stage_deployed_by_chalice_gets_the_same_throttling(stack):
    apigateway, api = rest_api_as_chalice_deploys_it("everywhere-prod")
    apigateway.create_deployment(restApiId=api, stageName="api")
    stage_throttling.put_stage_throttling(apigateway, api, "api", "prod")
    stored = apigateway.get_stage(restApiId=api, stageName="api")["methodSettings"]["*/*"]
    assert (stored["throttlingRateLimit"], stored["throttlingBurstLimit"]) == (3000, 6000)


@pytest.mark.parametrize("stage", STAGES)
def test_every_packaged_function_starts_with_valid_settings(packaged, stage):
    """What a cold start validates: each function's environment, its references to the template standing in
    for the values CloudFormation will give them."""
    for name, function in _functions(_template(packaged[stage])).items():
        variables = function["Environment"]["Variables"]
        resolved = {"WEB_ORIGIN": "https://d111111abcdef8.cloudfront.net"}  # what CloudFormation resolves it to
        environment = {key: value if isinstance(value, str) else resolved.get(key, f"resolved-{key}")
                       for key, value in variables.items()}
        assert app_settings.validate(environment).stage == stage, name
