"""`make package`: one CloudFormation (SAM) template for a stage, the app and its infra together.

    python -m scripts.package --stage prod   # out/prod/package/sam.yaml and deployment.zip, then cfn-lint

`chalice package --merge-template` on the rendered infra template, then the app is bound to the infra in
the same template: every function's environment names the template's own resources (Ref), the token
queue's event source is the template's queue and each stream's the template's table (GetAtt), the
policies name the template's WebSocket API (Fn::Sub), and the API's CORS answers and WEB_ORIGIN name the
template's own CloudFront distribution (the WebUrl output), so the result deploys on its own.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from scripts import chalice_project
from scripts.gateway_responses import gateway_responses
from scripts.infra_stack import render_infra
from scripts.lint_templates import report
from scripts.stage_config import (
    ENVIRONMENT_OUTPUTS,
    OUT,
    ROOT,
    WEB_ORIGIN_PLACEHOLDER,
    WEBSOCKET_API_PLACEHOLDER,
    check_settings,
    function_names,
    queue_name,
    region_or_default,
    stream_placeholders,
)
from scripts.stage_throttling import method_settings


class _TemplateDumper(yaml.SafeDumper):
    """Writes every value in full: no YAML anchors and aliases in a template."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def package(stage: str, target: Path | None = None) -> Path:
    """`chalice package` the stage, merged with the rendered infra template and bound to it; returns sam.yaml."""
    check_settings(stage)
    target = target or OUT / stage / "package"
    chalice_project.remove(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        infra = render_infra(Path(scratch) / "infra.yaml")
        chalice_project.chalice(
            ROOT, stage, "package", "--stage", stage, "--pkg-format", "cloudformation", "--template-format", "yaml",
            "--merge-template", str(infra), str(target),
            # chalice insists on a region although the template names none (it uses AWS::Region); the streams
            # are bound to the template's tables afterwards, and the web origin to the template's distribution
            environment={"AWS_DEFAULT_REGION": region_or_default(), **stream_placeholders(stage),
                         "WEB_ORIGIN": WEB_ORIGIN_PLACEHOLDER},
        )
    path = target / "sam.yaml"
    template = bind_to_infra(yaml.safe_load(path.read_text()), stage)
    path.write_text(yaml.dump(template, Dumper=_TemplateDumper, sort_keys=False, width=120))
    return path


_STAGED_NAME = re.compile(r"^everywhere-[a-z0-9]+-")  # a resource's name but for its stage: "orders"
_STREAM_TABLE = re.compile(r":table/([^/]+)/stream/")


def _bind_function(logical_id: str, properties: dict[str, Any], variables: dict[str, Any],
                   queues: dict[str, str], tables: dict[str, str]) -> None:
    """One function's environment from the template's outputs, its SQS event sources to the template's queues
    and its DynamoDB stream event sources to the streams of the template's tables."""
    properties.setdefault("Environment", {}).setdefault("Variables", {}).update(variables)
    for event in properties.get("Events", {}).values():
        if event["Type"] == "SQS":
            queue_arn = event["Properties"]["Queue"]
            queue = (queue_arn["Fn::Sub"] if isinstance(queue_arn, dict) else queue_arn).rsplit(":", 1)[1]
            if queue not in queues:
                raise ValueError(f"{logical_id} listens to queue {queue}, which the template does not create")
            event["Properties"]["Queue"] = {"Fn::GetAtt": [queues[queue], "Arn"]}
        elif event["Type"] == "DynamoDB":
            event["Properties"]["Stream"] = {"Fn::GetAtt": [_stream_table(logical_id, event, tables), "StreamArn"]}


def _stream_table(logical_id: str, event: dict[str, Any], tables: dict[str, str]) -> str:
    """The template's table whose stream the event source names. By the table's name but for its stage: the
    ARN is whatever the app was loaded with (ORDERS_STREAM_ARN... or chalicelib's placeholder)."""
    stream = event["Properties"]["Stream"]
    found = _STREAM_TABLE.search(stream) if isinstance(stream, str) else None
    table = _STAGED_NAME.sub("", found.group(1)) if found else None
    if table not in tables:
        raise ValueError(f"{logical_id} reads the stream {stream}, of no table the template creates")
    return tables[table]


def _bind_websocket_api(template: dict[str, Any]) -> None:
    """Each policy's WEBSOCKET_API_ID (the committed files' placeholder) becomes the template's WebSocket API."""
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                resources = statement["Resource"]
                statement["Resource"] = (
                    [_with_api(r) for r in resources] if isinstance(resources, list) else _with_api(resources)
                )
    if "WebsocketAPI" not in template["Resources"] and WEBSOCKET_API_PLACEHOLDER in yaml.safe_dump(template):
        raise ValueError(f"a policy names {WEBSOCKET_API_PLACEHOLDER} but the template has no WebSocket API")


def _with_api(resource: Any) -> Any:
    if isinstance(resource, str) and WEBSOCKET_API_PLACEHOLDER in resource:
        return {"Fn::Sub": resource.replace(WEBSOCKET_API_PLACEHOLDER, "${WebsocketAPI}")}
    return resource


def _bind_web_origin(definition: dict[str, Any], web_url: str) -> int:
    """Put the template's web address (`web_url`, the WebUrl output's Fn::Sub text) in place of
    WEB_ORIGIN_PLACEHOLDER in every value of the API's definition (its OPTIONS answers' and gateway responses'
    Access-Control-Allow-Origin); returns how many it replaced."""
    replaced = 0

    def bind(value: Any) -> Any:
        nonlocal replaced
        if isinstance(value, dict):
            return {key: bind(item) for key, item in value.items()}
        if isinstance(value, list):
            return [bind(item) for item in value]
        if isinstance(value, str) and WEB_ORIGIN_PLACEHOLDER in value:
            replaced += 1
            return {"Fn::Sub": value.replace(WEB_ORIGIN_PLACEHOLDER, web_url)}
        return value

    definition.update(bind(definition))
    return replaced


def bind_to_infra(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """Make a merged template self-contained: each function's environment refers to the template's own
    resources (each variable gets the value of the infra output that holds it), each SQS event source to the
    template's queue of that name, each DynamoDB event source to the stream of the template's table, each policy
    to the template's WebSocket API (chalice writes the policy files verbatim), and the Stage parameter can only
    be the stage the app was packaged for (its IAM policy files name that stage's resources). Also: each
    function gets the name `chalice deploy` would give it, the API's own refusals the error shape
    (scripts/gateway_responses.py), and its stage the throttling ceiling (scripts/stage_throttling.py). The web
    client's origin (the app was packaged with WEB_ORIGIN_PLACEHOLDER, so chalice wrote CORS answers) becomes
    the template's own distribution, in the functions' WEB_ORIGIN and in the API's answers alike."""
    resources = template["Resources"]
    variables = {variable: template["Outputs"][output]["Value"] for variable, output in ENVIRONMENT_OUTPUTS.items()}
    queues = {
        queue_name(resource, stage): logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SQS::Queue"
    }
    tables = {
        _STAGED_NAME.sub("", resource["Properties"]["TableName"]["Fn::Sub"].replace("${Stage}", stage)): logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::DynamoDB::Table"
    }
    names = function_names(stage)
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if logical_id not in names:
            raise ValueError(f"{logical_id} has no policy file in stage {stage} of .chalice/config.json")
        resource["Properties"]["FunctionName"] = names[logical_id]
        _bind_function(logical_id, resource["Properties"], variables, queues, tables)
    _bind_websocket_api(template)
    definition = resources["RestAPI"]["Properties"]["DefinitionBody"]
    definition["x-amazon-apigateway-gateway-responses"] = gateway_responses(WEB_ORIGIN_PLACEHOLDER)
    web_url = template["Outputs"]["WebUrl"]["Value"]
    if not (isinstance(web_url, dict) and isinstance(web_url.get("Fn::Sub"), str)):
        raise ValueError(f"the WebUrl output should be one Fn::Sub text, not {web_url!r}")
    if _bind_web_origin(definition, web_url["Fn::Sub"]) <= len(definition["x-amazon-apigateway-gateway-responses"]):
        raise ValueError("the API has no CORS answers: was the app packaged with WEB_ORIGIN set?")
    resources["RestAPI"]["Properties"]["MethodSettings"] = method_settings(stage)
    template["Parameters"]["Stage"].update(Default=stage, AllowedValues=[stage])
    template["Description"] = (
        f"Everywhere, stage {stage}: the app (chalice package) and everything it runs on (infra/template.yaml)."
    )
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.package", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json, e.g. dev or prod")
    stage = parser.parse_args(argv).stage
    template = package(stage)
    print(f"packaged: {template.relative_to(ROOT)} and {(template.parent / 'deployment.zip').relative_to(ROOT)}")
    return report([template])


if __name__ == "__main__":
    sys.exit(main())
