"""`make deploy` and `make destroy`: a stage on AWS, the infra stack and then the app, and its removal.

    python -m scripts.deploy deploy  --stage dev                # `make deploy STAGE=dev`
    python -m scripts.deploy destroy --stage dev --confirm dev  # `make destroy STAGE=dev CONFIRM=dev`

`deploy` creates or updates the infra stack `everywhere-<stage>` (scripts/infra_stack.py: infra/template.yaml
with the escrow workflow inlined), then deploys the app with `chalice deploy` from a build copy of the project
(scripts/chalice_project.py) whose config carries the stack's outputs (and chalice's environment the tables'
streams, which the event functions are subscribed to), binds the policies to the WebSocket API chalice made
(deploying twice the first time: chalice_project.deploy says why), and gives the API's own answers the error
shape (scripts/gateway_responses.py). `destroy` deletes the app (`chalice delete`), then the stack.
Packaging one template instead is scripts/package.py.
"""
from __future__ import annotations

import argparse
import sys

from scripts import chalice_project, infra_stack
from scripts.gateway_responses import put_gateway_responses
from scripts.stage_config import (
    OUT,
    ROOT,
    api_gateway_stage,
    check_settings,
    session,
    stack_name,
    stage_environment,
    stream_environment,
)
from scripts.stage_throttling import put_stage_throttling


def deploy(stage: str) -> None:
    check_settings(stage)  # before anything is created: a bad setting stops here, named
    aws = session()
    template = infra_stack.render_infra(OUT / stage / "infra.yaml").read_text()
    outputs = infra_stack.deploy_infra(aws.client("cloudformation"), stage, template)
    check_settings(stage, outputs)
    project = chalice_project.build_project(stage, stage_environment(outputs))
    print(f"deploying the app with chalice from {project.relative_to(ROOT)} ...", flush=True)
    websocket_api = chalice_project.deploy(project, stage, stream_environment(outputs))
    api_stage = api_gateway_stage(stage)
    rest_api = chalice_project.deployed_rest_api(project, stage)
    put_gateway_responses(aws.client("apigateway"), rest_api, api_stage)
    put_stage_throttling(aws.client("apigateway"), rest_api, api_stage, stage)
    print(f"\nstage {stage} is deployed in {aws.region_name}: stack {stack_name(stage)}, and the app by chalice")
    print(f"user pool {outputs['UserPoolId']}, app client {outputs['UserPoolClientId']}")
    print(f"WebSocket API {websocket_api}: wss://{websocket_api}.execute-api.{aws.region_name}.amazonaws.com/{api_stage}")


def destroy(stage: str, confirm: str) -> None:
    """Delete the app (chalice delete), then the infra stack, the money tables' deletion protection first."""
    if confirm != stage:
        raise SystemExit(f"this deletes stage {stage} and all its data: confirm with CONFIRM={stage}")
    aws = session()
    project = chalice_project.build_dir(stage)
    if chalice_project.deployed_record(project, stage).exists():
        chalice_project.chalice(project, stage, "delete", "--stage", stage)
    else:
        print(f"no chalice deployment of {stage} is recorded in {project.relative_to(ROOT)}: no chalice delete")
    infra_stack.delete_stack(aws, stage)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["deploy", "destroy"])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json, e.g. dev or prod")
    parser.add_argument("--confirm", default="", help="destroy: the stage's name again")
    arguments = parser.parse_args(argv)
    if arguments.command == "deploy":
        deploy(arguments.stage)
    else:
        destroy(arguments.stage, arguments.confirm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
