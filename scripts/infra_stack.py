"""The stack `everywhere-<stage>` on AWS: infra/template.yaml rendered, created or updated, and deleted.

The infra is everything Chalice does not create: the tables, the escrow state machine, its token queue and
dead-letter queue, the user pool with its app client and `operators` group, the state machine's role, and the web
client's bucket and CloudFront distribution.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from scripts import provision
from scripts.stage_config import stack_name

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
WAITER = {"Delay": 5, "MaxAttempts": 360}  # up to 30 minutes: a new index backfills, a user pool is slow


def render_infra(path: Path) -> Path:
    """Write the infra template as it is deployed: the escrow workflow's definition inlined."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(provision.packaged_template())
    return path


def stack_status(cloudformation: Any, name: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    try:
        status: str = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return status


def deploy_infra(cloudformation: Any, stage: str, template: str) -> dict[str, str]:
    """Create or update the stack `everywhere-<stage>` from the template; returns its outputs."""
    name = stack_name(stage)
    arguments = {
        "StackName": name,
        "TemplateBody": template,
        "Parameters": [
            {"ParameterKey": "Stage", "ParameterValue": stage},
            # Where the escrow alarms are mailed (infra/template.yaml EscrowAlarms); empty: subscribe yourself.
            {"ParameterKey": "AlarmEmail", "ParameterValue": os.environ.get("ALARM_EMAIL", "")},
        ],
        "Capabilities": CAPABILITIES,
    }
    status = stack_status(cloudformation, name)
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        raise SystemExit(
            f"stack {name} failed to create ({status}; its events say why): delete it with "
            f"make destroy STAGE={stage} CONFIRM={stage}, then deploy again"
        )
    if status is None:
        print(f"creating stack {name} ...", flush=True)
        cloudformation.create_stack(**arguments)
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig=WAITER)
    else:
        try:
            cloudformation.update_stack(**arguments)
        except ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
            print(f"stack {name} is up to date", flush=True)
        else:
            print(f"updating stack {name} ...", flush=True)
            cloudformation.get_waiter("stack_update_complete").wait(StackName=name, WaiterConfig=WAITER)
    described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def _unprotect_tables(session: Any, resources: list[dict[str, Any]]) -> None:
    """Turn off deletion protection on the stack's tables that have it (the money tables)."""
    dynamodb = session.client("dynamodb")
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


def _empty_buckets(session: Any, resources: list[dict[str, Any]]) -> None:
    """Delete every object (every version, if versioning was ever on) in the stack's buckets: CloudFormation
    does not delete a bucket that holds anything, and the stack's deletion would fail on it (the web bucket)."""
    s3 = session.client("s3")
    for resource in resources:
        if resource.get("ResourceType") != "AWS::S3::Bucket" or "PhysicalResourceId" not in resource:
            continue
        if resource.get("ResourceStatus") == "DELETE_COMPLETE":
            continue
        bucket = resource["PhysicalResourceId"]
        emptied = 0
        try:
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                objects = [{"Key": item["Key"], "VersionId": item["VersionId"]}
                           for item in page.get("Versions", []) + page.get("DeleteMarkers", [])]
                if objects:  # a page holds at most 1,000: what DeleteObjects takes
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
                    emptied += len(objects)
        except s3.exceptions.NoSuchBucket:
            continue
        if emptied:
            print(f"emptied bucket {bucket} ({emptied} objects)", flush=True)


def delete_stack(session: Any, stage: str) -> None:
    """Turn off deletion protection on the stack's tables and empty its buckets, then delete the stack and wait."""
    cloudformation = session.client("cloudformation")
    name = stack_name(stage)
    if stack_status(cloudformation, name) is None:
        print(f"there is no stack {name}")
        return
    resources = cloudformation.describe_stack_resources(StackName=name)["StackResources"]
    _unprotect_tables(session, resources)
    _empty_buckets(session, resources)
    print(f"deleting stack {name} ...", flush=True)
    cloudformation.delete_stack(StackName=name)
    cloudformation.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAITER)
    print(f"stack {name} is deleted")
