"""Move a deployed stage to the search indexes in infra/template.yaml, one index at a time.

DynamoDB creates or deletes one global secondary index per table update, and CloudFormation fails a stack
update that asks for more. So the listings table is stepped there: each step deploys the template with the
table's indexes one closer to the target, and waits (a new index backfills from the items that carry its
key attributes). The whole move (docs/OPERATIONS.md, "Moving a deployed stage to new search indexes"):

    python -m scripts.migrate_search add     --stage dev   # create the new indexes (old ones kept)
    python -m scripts.migrate_search reindex --stage dev   # every listing into them; fresh cell counts
    make deploy STAGE=dev                                  # the app that searches them
    python -m scripts.migrate_search reindex --stage dev   # listings the old app wrote meanwhile
    python -m scripts.migrate_search drop    --stage dev   # delete the old indexes, one at a time
    python -m scripts.migrate_search reindex --stage dev --drop-old   # and their attributes

`plan` prints the steps without changing anything.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from typing import Any

import boto3

from scripts import provision
from scripts.infra_stack import deploy_infra
from scripts.stage_config import stack_name, stage_environment

LISTINGS = "ListingsTable"
OLD_ATTRIBUTES = ("g5", "g5c", "g4", "g4c")  # the thin geo indexes' keys before the pin indexes


def _indexes(template: dict[str, Any]) -> list[dict[str, Any]]:
    return list(template["Resources"][LISTINGS]["Properties"].get("GlobalSecondaryIndexes", []))


def steps(deployed: list[dict[str, Any]], target: list[dict[str, Any]], phase: str) -> list[list[dict[str, Any]]]:
    """The index lists to deploy in turn: `add` creates the target's missing indexes one by one (keeping the
    deployed ones), `drop` deletes the ones the target lacks one by one. An index whose definition changed
    counts as missing and as extra (DynamoDB cannot change a projection in place)."""
    wanted = {json.dumps(index, sort_keys=True) for index in target}
    have = list(deployed)
    out: list[list[dict[str, Any]]] = []
    if phase == "add":
        names = {index["IndexName"] for index in have}
        for index in target:
            if json.dumps(index, sort_keys=True) not in {json.dumps(i, sort_keys=True) for i in have}:
                if index["IndexName"] in names:
                    raise SystemExit(f"index {index['IndexName']} changed definition: give the new one a new name")
                have = [*have, index]
                out.append(have)
    elif phase == "drop":
        for index in deployed:
            if json.dumps(index, sort_keys=True) not in wanted:
                have = [i for i in have if i["IndexName"] != index["IndexName"]]
                out.append(have)
    else:
        raise ValueError(phase)
    return out


def with_indexes(template: dict[str, Any], indexes: list[dict[str, Any]]) -> dict[str, Any]:
    """The template with the listings table's indexes replaced, and exactly their key attributes defined."""
    result = copy.deepcopy(template)
    table = result["Resources"][LISTINGS]["Properties"]
    table["GlobalSecondaryIndexes"] = indexes
    keys = [*table["KeySchema"], *(key for index in indexes for key in index["KeySchema"])]
    used = {key["AttributeName"] for key in keys}
    known = {d["AttributeName"]: d for d in [*template["Resources"][LISTINGS]["Properties"]["AttributeDefinitions"],
                                             *(_old_definitions())]}
    table["AttributeDefinitions"] = [known[name] for name in sorted(used)]
    return result


def _old_definitions() -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in OLD_ATTRIBUTES]


def _deployed_template(cloudformation: Any, stage: str) -> dict[str, Any]:
    body = cloudformation.get_template(StackName=stack_name(stage), TemplateStage="Original")["TemplateBody"]
    if isinstance(body, dict):
        return body
    return provision.load(body)


def run_phase(stage: str, phase: str, dry_run: bool) -> None:
    session = boto3.Session()
    cloudformation = session.client("cloudformation")
    target = provision.load(provision.packaged_template())
    deployed = _deployed_template(cloudformation, stage)
    planned = steps(_indexes(deployed), _indexes(target), phase)
    if not planned:
        print(f"{phase}: nothing to do", flush=True)
    for number, indexes in enumerate(planned, 1):
        names = ", ".join(index["IndexName"] for index in indexes)
        print(f"{phase} step {number}/{len(planned)}: listings indexes -> {names}", flush=True)
        if not dry_run:
            deploy_infra(cloudformation, stage, json.dumps(with_indexes(target, indexes)))


def reindex(stage: str, drop_old: bool) -> None:
    described = boto3.Session().client("cloudformation").describe_stacks(StackName=stack_name(stage))
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described["Stacks"][0].get("Outputs", [])}
    os.environ.update(stage_environment(outputs))
    os.environ["STAGE"] = stage
    from chalicelib.store import reindex as store_reindex

    report = store_reindex.reindex_listings(drop=OLD_ATTRIBUTES if drop_old else ())
    print(f"reindexed {report.listings} listings ({report.searchable} searchable, {report.changed_meanwhile} read "
          f"again because they changed meanwhile); wrote {report.count_items} cell count items", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.migrate_search", description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=["plan", "add", "reindex", "drop"])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--drop-old", action="store_true", help="with reindex: remove the old layout's attributes")
    args = parser.parse_args(argv)
    if args.phase == "reindex":
        reindex(args.stage, args.drop_old)
    elif args.phase == "plan":
        run_phase(args.stage, "add", dry_run=True)
        run_phase(args.stage, "drop", dry_run=True)
    else:
        run_phase(args.stage, args.phase, dry_run=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
