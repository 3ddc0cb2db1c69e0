"""`make deploy` and `make destroy`: a stage on AWS, the infra stack and then the app, and its removal.

    python -m scripts.deploy deploy  --stage dev                # `make deploy STAGE=dev`
    python -m scripts.deploy destroy --stage dev --confirm dev  # `make destroy STAGE=dev CONFIRM=dev`

`deploy` creates or updates the infra stack `everywhere-<stage>` (scripts/infra_stack.py: infra/template.yaml
with the escrow workflow inlined), then deploys the app with `chalice deploy` from a build copy of the project
(scripts/chalice_project.py) whose config carries the stack's outputs (and chalice's environment the tables'
streams, which the event functions are subscribed to), binds the policies to the WebSocket API chalice made
(deploying twice the first time: chalice_project.deploy says why), gives the API's own answers the error
shape and the web client's origin (scripts/gateway_responses.py), and uploads the web client with its
config.json into the stack's web bucket (scripts/web_upload.py). `destroy` deletes the app (`chalice delete`),
then the stack (its web bucket emptied first). Packaging one template instead is scripts/package.py.

The web client's origin, WEB_ORIGIN, is the stack's WebUrl output (its CloudFront address): it is in the stage's
environment in the build copy's config, which chalice also applies to the process it imports app.py in (the
API's CORS configuration is read at import and written into its OPTIONS answers).
"""
from __future__ import annotations

import argparse
import os
import sys

from scripts import chalice_project, infra_stack, web_upload
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
from scripts.web_config import OSM_ATTRIBUTION, OSM_TILES


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
    put_gateway_responses(aws.client("apigateway"), rest_api, api_stage, outputs["WebUrl"])
    put_stage_throttling(aws.client("apigateway"), rest_api, api_stage, stage)
    region = aws.region_name
    api_url = f"https://{rest_api}.execute-api.{region}.amazonaws.com/{api_stage}"
    ws_url = f"wss://{websocket_api}.execute-api.{region}.amazonaws.com/{api_stage}"
    print(f"uploading the web client to bucket {outputs['WebBucket']} ...", flush=True)
    published = web_upload.publish(aws, stage, outputs, api_url=api_url, ws_url=ws_url,
                                   tile_url=os.environ.get("WEB_TILE_URL", OSM_TILES),
                                   tile_attribution=os.environ.get("WEB_TILE_ATTRIBUTION", OSM_ATTRIBUTION))
    print(f"{len(published.keys)} files ({len(published.deleted)} old ones deleted), CloudFront invalidation "
          f"{published.invalidation_id} of {outputs['WebDistributionId']}")
    print(f"\nstage {stage} is deployed in {region}: stack {stack_name(stage)}, and the app by chalice")
    print(f"user pool {outputs['UserPoolId']}, app client {outputs['UserPoolClientId']}")
    print(f"REST API {rest_api}: {api_url}")
    print(f"WebSocket API {websocket_api}: {ws_url}")
    print(f"web client: {outputs['WebUrl']} (the API allows this origin only)")


def destroy(stage: str, confirm: str) -> None:
    """Delete the app (chalice delete), then the infra stack: the money tables' deletion protection off and the web
    bucket emptied first."""
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
