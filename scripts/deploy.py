"""Deploy a stage to AWS, tear it down, or package it as one CloudFormation template.

    python -m scripts.deploy deploy  --stage dev              # `make deploy STAGE=dev`
    python -m scripts.deploy destroy --stage dev --confirm dev  # `make destroy STAGE=dev CONFIRM=dev`
    python -m scripts.deploy package --stage prod             # `make package STAGE=prod`
    python -m scripts.deploy lint    --stage prod             # `make lint`

`deploy` creates or updates the infra stack `everywhere-<stage>` (infra/template.yaml with the escrow
workflow inlined), then deploys the app with `chalice deploy` from a build copy of the project in
out/<stage>/deploy/, whose .chalice/config.json is the project's with the stack's outputs added to the
stage's environment variables. The outputs (table names, ARNs, queue URL, user pool ids) are never written
into the repository, and .chalice/config.json is only read. Chalice's record of what it deployed stays in
out/<stage>/deploy/.chalice/deployed/, which `destroy` needs.

`package` runs `chalice package --merge-template` on the rendered infra template, then binds the app to the
infra in the same template: every function's environment names the template's own resources (Ref), and the
token queue's event source is the template's queue (GetAtt), so the result deploys on its own.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import ClientError

from scripts import provision

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out"
APP_FILES = ("app.py", "chalicelib", "requirements.txt", "vendor")  # what Chalice deploys from a project
CHALICE_STATE = ("deployed", "deployments")  # Chalice's own records and caches, kept across builds
TOKEN_QUEUE = "EscrowTokenQueue"  # the infra resource the `escrow_tokens` function listens to
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

# The app's environment variables that name infra resources, and the infra output that holds each.
ENVIRONMENT_OUTPUTS = {
    "LISTINGS_TABLE": "ListingsTable",
    "PROFILES_TABLE": "ProfilesTable",
    "SYSTEM_TABLE": "SystemTable",
    "CHAT_TABLE": "ChatTable",
    "ORDERS_TABLE": "OrdersTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "LEDGER_TABLE": "LedgerTable",
    "ESCROW_STATE_MACHINE_ARN": "EscrowStateMachineArn",
    "ESCROW_TOKEN_QUEUE_URL": "EscrowTokenQueueUrl",
    "COGNITO_USER_POOL_ID": "UserPoolId",
    "COGNITO_APP_CLIENT_ID": "UserPoolClientId",
}


def stack_name(stage: str) -> str:
    return f"everywhere-{stage}"


def render_infra(path: Path) -> Path:
    """Write the infra template as it is deployed: the escrow workflow's definition inlined."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(provision.packaged_template())
    return path


def token_queue_name(stage: str) -> str:
    """The name of the stage's escrow token queue, which the `escrow_tokens` function listens to."""
    return _queue_name(provision.template()["Resources"][TOKEN_QUEUE], stage)


def _chalice_config(stage: str) -> dict[str, Any]:
    """The project's .chalice/config.json (read only); refuses a stage it does not define."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config["stages"]:
        raise SystemExit(f"stage {stage!r} is not in .chalice/config.json (stages: {', '.join(config['stages'])})")
    return config


# ---- deploy: the infra stack, then chalice deploy ---------------------------------------------------------


def deploy_infra(cloudformation: Any, stage: str, template: str) -> dict[str, str]:
    """Create or update the stack `everywhere-<stage>` from the template; returns its outputs."""
    name = stack_name(stage)
    arguments = {
        "StackName": name,
        "TemplateBody": template,
        "Parameters": [{"ParameterKey": "Stage", "ParameterValue": stage}],
        "Capabilities": CAPABILITIES,
    }
    waiter = {"Delay": 5, "MaxAttempts": 360}
    status = _stack_status(cloudformation, name)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        raise SystemExit(
            f"stack {name} failed to create ({status}; its events say why): delete it with "
            f"make destroy STAGE={stage} CONFIRM={stage}, then deploy again"
        )
    if status is None:
        print(f"creating stack {name} ...", flush=True)
        cloudformation.create_stack(**arguments)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=waiter)
    else:
        try:
            cloudformation.update_stack(**arguments)
        except ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
            print(f"stack {name} is up to date", flush=True)
        else:
            print(f"updating stack {name} ...", flush=True)
            cloudformation.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=waiter)
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def _stack_status(cloudformation: Any, name: str) -> str | None:
    try:
        return cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise


def stage_environment(outputs: dict[str, str]) -> dict[str, str]:
    """The app's environment variables for the resources the infra stack created."""
    missing = sorted(output for output in ENVIRONMENT_OUTPUTS.values() if output not in outputs)
    if missing:
        raise SystemExit(f"the infra stack has no output {', '.join(missing)}: is it from infra/template.yaml?")
    return {variable: outputs[output] for variable, output in ENVIRONMENT_OUTPUTS.items()}


def build_project(stage: str, environment: dict[str, str], target: Path | None = None) -> Path:
    """A copy of the project for `chalice deploy --stage <stage>`: the app, .chalice's policy files, and a
    config.json whose stage environment is the project's plus `environment`. Chalice's deployed records in
    the target survive the rebuild."""
    target = target or OUT / stage / "deploy"
    config = _chalice_config(stage)
    stage_config = config["stages"][stage]
    stage_config["environment_variables"] = {**stage_config.get("environment_variables", {}), **environment}
    target.mkdir(parents=True, exist_ok=True)
    for name in APP_FILES:
        _remove(target / name)
        if (ROOT / name).exists():
            _copy(ROOT / name, target / name)
    chalice_dir = target / ".chalice"
    chalice_dir.mkdir(exist_ok=True)
    for entry in chalice_dir.iterdir():
        if entry.name not in CHALICE_STATE:
            _remove(entry)
    for entry in (ROOT / ".chalice").iterdir():
        if entry.name not in CHALICE_STATE + ("config.json", "venv"):
            _copy(entry, chalice_dir / entry.name)
    (chalice_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return target


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copy2(source, target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _chalice(project: Path, *arguments: str, token_queue: str) -> None:
    """Run chalice from this interpreter's environment. ESCROW_TOKEN_QUEUE names the token queue for the
    `escrow_tokens` event source (chalicelib/jobs/escrow_tokens.py reads it when the app is loaded)."""
    chalice = Path(sys.executable).parent / "chalice"
    environment = {**os.environ, "ESCROW_TOKEN_QUEUE": token_queue}
    subprocess.run([str(chalice), "--project-dir", str(project), *arguments], env=environment, check=True)


# API Gateway answers some requests itself, before any function runs (no Authorization header: 401; a path
# or method no route has: MISSING_AUTHENTICATION_TOKEN, 403 by default; throttled: 429). Its own body is
# {"message": ...}; these give those answers the API's error shape, {"Code", "Message"} (API.md), and an
# unknown route the 404 it is (the API authorises with a token, never with IAM signatures, so that response
# type means exactly "no such route"). Each: response type -> (status code or None to keep it, body).
NO_ROUTE = {"Code": "NotFoundError", "Message": "no such route: the API's routes are listed at GET /openapi.json"}
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "UNAUTHORIZED": (None, '{"Code": "UnauthorizedError", "Message": "Missing or invalid token"}'),
    "MISSING_AUTHENTICATION_TOKEN": ("404", json.dumps(NO_ROUTE)),
    "DEFAULT_4XX": (None, '{"Code": "$context.error.responseType", "Message": $context.error.messageString}'),
    "DEFAULT_5XX": (None, '{"Code": "$context.error.responseType", "Message": $context.error.messageString}'),
}


def _gateway_response(status: str | None, body: str) -> dict[str, Any]:
    return {"responseTemplates": {"application/json": body}, **({"statusCode": status} if status else {})}


def put_gateway_responses(apigateway: Any, rest_api_id: str, stage_name: str) -> None:
    """Give the deployed API's own answers the error shape, and redeploy its stage so they take effect."""
    for response_type, (status, body) in GATEWAY_RESPONSES.items():
        apigateway.put_gateway_response(restApiId=rest_api_id, responseType=response_type, **_gateway_response(status, body))
    apigateway.create_deployment(restApiId=rest_api_id, stageName=stage_name)


def _deployed_rest_api(project: Path, stage: str) -> str:
    """The id of the REST API chalice deployed for the stage (from its record in the build copy)."""
    record = json.loads((project / ".chalice" / "deployed" / f"{stage}.json").read_text())
    return next(r["rest_api_id"] for r in record["resources"] if r["resource_type"] == "rest_api")


def deploy(stage: str) -> None:
    session = _session()
    template = render_infra(OUT / stage / "infra.yaml").read_text()
    outputs = deploy_infra(session.client("cloudformation"), stage, template)
    project = build_project(stage, stage_environment(outputs))
    print(f"deploying the app with chalice from {project.relative_to(ROOT)} ...", flush=True)
    _chalice(project, "deploy", "--stage", stage, token_queue=token_queue_name(stage))
    api_stage = _chalice_config(stage)["stages"][stage].get("api_gateway_stage", "api")  # chalice's default
    put_gateway_responses(session.client("apigateway"), _deployed_rest_api(project, stage), api_stage)
    print(f"\nstage {stage} is deployed in {session.region_name}: stack {stack_name(stage)}, and the app by chalice")
    print(f"user pool {outputs['UserPoolId']}, app client {outputs['UserPoolClientId']}")


# ---- destroy ------------------------------------------------------------------------------------------------


def destroy(stage: str, confirm: str) -> None:
    """Delete the app (chalice delete), then the infra stack, the money tables' deletion protection first."""
    if confirm != stage:
        raise SystemExit(f"this deletes stage {stage} and all its data: confirm with CONFIRM={stage}")
    session = _session()
    project = OUT / stage / "deploy"
    if (project / ".chalice" / "deployed" / f"{stage}.json").exists():
        _chalice(project, "delete", "--stage", stage, token_queue=token_queue_name(stage))
    else:
        print(f"no chalice deployment of {stage} is recorded in {project.relative_to(ROOT)}: no chalice delete")
    delete_stack(session, stage)


def delete_stack(session: Any, stage: str) -> None:
    """Turn off deletion protection on the stack's tables, then delete the stack and wait."""
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    if _stack_status(cloudformation, name) is None:
        print(f"there is no stack {name}")
        return
    dynamodb = session.client("dynamodb")
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    for resource in resources:
        if resource.get("ResourceType") != "AWS::DynamoDB::Table" or "PhysicalResourceId" not in resource:
            continue
        if resource.get("ResourceStatus") == "DELETE_COMPLETE":
            continue  # a failed create's rollback removed it already (the stack still lists it)
        table = resource["PhysicalResourceId"]
        try:
            protected = dynamodb.describe_table(TableName=table)["Table"].get("DeletionProtectionEnabled")
        except dynamodb.exceptions.ResourceNotFoundException:
            continue
        if protected:
            print(f"turning off deletion protection on {table}", flush=True)
            dynamodb.update_table(TableName=table, DeletionProtectionEnabled=False)
    print(f"deleting stack {name} ...", flush=True)
    cloudformation.delete_stack(StackName=name)
    waiter = {"Delay": 5, "MaxAttempts": 360}
    cloudformation.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=waiter)
    print(f"stack {name} is deleted")


# ---- package: one template ----------------------------------------------------------------------------------


class _TemplateDumper(yaml.SafeDumper):
    """Writes every value in full: no YAML anchors and aliases in a template."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def package(stage: str, target: Path | None = None) -> Path:
    """`chalice package` the stage, merged with the rendered infra template and bound to it; returns sam.yaml."""
    _chalice_config(stage)
    target = target or OUT / stage / "package"
    _remove(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        infra = render_infra(Path(scratch) / "infra.yaml")
        chalice = Path(sys.executable).parent / "chalice"
        environment = {
            **os.environ,
            "ESCROW_TOKEN_QUEUE": token_queue_name(stage),
            # chalice insists on a region although the template names none (it uses AWS::Region)
            "AWS_DEFAULT_REGION": _region_or_default(),
        }
        subprocess.run(
            [str(chalice), "--project-dir", str(ROOT), "package", "--stage", stage, "--pkg-format", "cloudformation",
             "--template-format", "yaml", "--merge-template", str(infra), str(target)],
            env=environment, check=True,
        )
    path = target / "sam.yaml"
    template = bind_to_infra(yaml.safe_load(path.read_text()), stage)
    path.write_text(yaml.dump(template, Dumper=_TemplateDumper, sort_keys=False, width=120))
    return path


def bind_to_infra(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """Make a merged template self-contained: each function's environment refers to the template's own
    resources (each variable gets the value of the infra output that holds it), each SQS event source to the
    template's queue of that name, and the Stage parameter can only be the stage the app was packaged for
    (its IAM policy files name that stage's resources). Also: each function gets the name `chalice deploy`
    would give it, and the API's own refusals the error shape (GATEWAY_RESPONSES)."""
    resources = template["Resources"]
    variables = {variable: template["Outputs"][output]["Value"] for variable, output in ENVIRONMENT_OUTPUTS.items()}
    queues = {
        _queue_name(resource, stage): logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::SQS::Queue"
    }
    names = function_names(stage)
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        if logical_id not in names:
            raise ValueError(f"{logical_id} has no policy file in stage {stage} of .chalice/config.json")
        properties["FunctionName"] = names[logical_id]
        properties.setdefault("Environment", {}).setdefault("Variables", {}).update(variables)
        for event in properties.get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            queue_arn = event["Properties"]["Queue"]
            queue = (queue_arn["Fn::Sub"] if isinstance(queue_arn, dict) else queue_arn).rsplit(":", 1)[1]
            if queue not in queues:
                raise ValueError(f"{logical_id} listens to queue {queue}, which the template does not create")
            event["Properties"]["Queue"] = {"Fn::GetAtt": [queues[queue], "Arn"]}
    resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"] = {
        response_type: _gateway_response(status, body) for response_type, (status, body) in GATEWAY_RESPONSES.items()
    }
    template["Parameters"]["Stage"].update(Default=stage, AllowedValues=[stage])
    template["Description"] = (
        f"Everywhere, stage {stage}: the app (chalice package) and everything it runs on (infra/template.yaml)."
    )
    return template


def function_names(stage: str) -> dict[str, str]:
    """The packaged template's function logical ids → the names `chalice deploy` gives the functions. Chalice's
    package leaves the names to CloudFormation; set them, because each policy grants only its own log group
    (/aws/lambda/<name>): everywhere-<stage> for the API handler, everywhere-<stage>-<function> for the rest."""
    from chalice.utils import to_cfn_resource_name

    functions = _chalice_config(stage)["stages"][stage].get("lambda_functions", {})
    names = {to_cfn_resource_name(name): f"everywhere-{stage}-{name}" for name in functions if name != "api_handler"}
    return {**names, "APIHandler": f"everywhere-{stage}"}


def _queue_name(resource: dict[str, Any], stage: str) -> str:
    """A queue's name in the stage (its QueueName's only variable is the Stage parameter)."""
    name = resource["Properties"]["QueueName"]
    text = name["Fn::Sub"] if isinstance(name, dict) else name
    return text.replace("${Stage}", stage)


# ---- lint ------------------------------------------------------------------------------------------------------


def lint(paths: list[Path]) -> list[str]:
    """cfn-lint's errors and warnings for the templates, in the session's region."""
    from cfnlint.api import ManualArgs, lint_file

    region = _region_or_default()
    problems = []
    for path in paths:
        for match in lint_file(path, config=ManualArgs(regions=[region])):
            if match.rule.id[0] in "EW":
                problems.append(f"{path}:{match.linenumber}: {match.rule.id} {match.message}")
    return problems


def _report_lint(paths: list[Path]) -> int:
    problems = lint(paths)
    for problem in problems:
        print(problem)
    print(f"cfn-lint: {len(problems)} error(s) and warning(s) in {', '.join(map(str, paths))}")
    return 1 if problems else 0


def _session() -> Any:
    """The AWS session of the environment (AWS_PROFILE, AWS_DEFAULT_REGION, ...); it must name a region."""
    session = boto3.Session()
    if not session.region_name:
        raise SystemExit("no AWS region: set AWS_DEFAULT_REGION, or AWS_PROFILE to a profile with a region")
    return session


def _region_or_default() -> str:
    """For packaging and linting, which name no region: the environment's, else us-east-1."""
    return boto3.Session().region_name or "us-east-1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["deploy", "destroy", "package", "lint"])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json, e.g. dev or prod")
    parser.add_argument("--confirm", default="", help="destroy: the stage's name again")
    arguments = parser.parse_args(argv)
    stage = arguments.stage
    if arguments.command == "deploy":
        deploy(stage)
    elif arguments.command == "destroy":
        destroy(stage, arguments.confirm)
    elif arguments.command == "package":
        template = package(stage)
        print(f"packaged: {template.relative_to(ROOT)} and {(template.parent / 'deployment.zip').relative_to(ROOT)}")
        return _report_lint([template])
    else:
        with tempfile.TemporaryDirectory() as scratch:
            infra = render_infra(Path(scratch) / "infra.yaml")
            return _report_lint([infra, package(stage, Path(scratch) / "package")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
