"""infra/template.yaml deployed into moto's CloudFormation is a stage the product runs on: a listing is
published, found, paid and confirmed, with the escrow executed by moto's Step Functions, and every table,
the state machine and the token queue it used are the ones the stack created. Then how a stage is torn down.

moto's CloudFormation honours DeletionProtectionEnabled but ignores PointInTimeRecoverySpecification (its
tables report PITR disabled whatever the template says), so point-in-time recovery is checked on the
template in tests/unit/test_infra_template.py, and deletion protection here, on the tables moto created.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from chalicelib.settings import get_settings
from scripts import infra_stack, provision
from scripts.stage_config import stack_name
from tests.conftest import PEOPLES_SQUARE, REGION, listing_body
from tests.integration.escrow_kit import accepted_order, assert_books_clean, decide, deposit, pay, wait_for, wallet

MONEY_TABLES = {"LedgerTable", "OrdersTable", "IdempotencyTable"}


@pytest.fixture
def stack(escrow_stack):
    """The app, its users and their tokens live on the served moto that executes the escrow."""
    return escrow_stack


def _stack_resources(stage: str) -> dict[str, dict[str, Any]]:
    described = boto3.client("cloudformation").describe_stack_resources(StackName=stack_name(stage))
    return {r["LogicalResourceId"]: r for r in described["StackResources"] if "LogicalResourceId" in r}


def test_a_listing_is_found_paid_and_confirmed_on_the_resources_the_stack_created(client, make_user, stack):
    resources = _stack_resources(stack.stage)
    bob, alice = make_user("Bob"), make_user("Alice")

    listing = client.post("/listings", bob, listing_body(title="Fix my bike", price_cents=6_000))
    assert listing.status == 201, listing.body
    listing_id = listing.body["listing_id"]
    lat, lon = PEOPLES_SQUARE
    found = client.get(f"/search?lat={lat}&lon={lon}&radius_m=1000&q=bike", alice)
    assert found.status == 200, found.body
    assert [item["listing_id"] for item in found.body["items"]] == [listing_id]

    deposit(client, alice, 10_000)
    shop = {"alice": alice, "bob": bob, "listing": listing.body}
    order_id = accepted_order(client, shop)
    assert pay(client, shop, order_id).status in (200, 202)
    wait_for(client, alice, order_id, "funded")
    assert decide(client, alice, order_id, "confirm").status in (200, 202)
    wait_for(client, alice, order_id, "released")
    assert wallet(client, bob)["available_cents"] == 6_000
    assert_books_clean()

    # The app was configured with the stack's own resources ...
    settings = get_settings()
    for logical_id, used in [
        ("ListingsTable", settings.listings_table), ("ProfilesTable", settings.profiles_table),
        ("SystemTable", settings.system_table), ("ChatTable", settings.chat_table),
        ("OrdersTable", settings.orders_table), ("IdempotencyTable", settings.idempotency_table),
        ("LedgerTable", settings.ledger_table), ("EscrowStateMachine", settings.escrow_state_machine_arn),
        ("EscrowTokenQueue", settings.escrow_token_queue_url),
    ]:
        assert resources[logical_id]["PhysicalResourceId"] == used, logical_id
        assert resources[logical_id]["ResourceStatus"] == "CREATE_COMPLETE"
    # ... and the data and the workflow are there: the listing, the order, the journal, the execution.
    dynamodb, sfn = boto3.client("dynamodb"), boto3.client("stepfunctions")
    table = {name: resources[name]["PhysicalResourceId"] for name in resources}
    assert dynamodb.get_item(TableName=table["ListingsTable"], Key={"id": {"S": listing_id}})["Item"]
    order = dynamodb.get_item(TableName=table["OrdersTable"], Key={"order_id": {"S": order_id}})["Item"]
    assert order["status"] == {"S": "released"}
    entries = dynamodb.scan(
        TableName=table["LedgerTable"], FilterExpression="order_id = :o AND sk = :entry",
        ExpressionAttributeValues={":o": {"S": order_id}, ":entry": {"S": "entry"}},
    )["Items"]
    assert sorted(entry["kind"]["S"] for entry in entries) == ["hold", "release"]
    machine = table["EscrowStateMachine"]
    (execution,) = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert execution["name"].startswith(order_id) and execution["status"] == "SUCCEEDED"
    history = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    sent_to = {
        json.loads(event["taskScheduledEventDetails"]["parameters"])["QueueUrl"]
        for event in history
        if event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "sqs"
    }
    assert sent_to == {table["EscrowTokenQueue"]}


def test_the_money_tables_cannot_be_deleted_and_the_others_can(stack):
    dynamodb = boto3.client("dynamodb")
    for logical_id, resource in _stack_resources(stack.stage).items():
        if resource["ResourceType"] != "AWS::DynamoDB::Table":
            continue
        described = dynamodb.describe_table(TableName=resource["PhysicalResourceId"])["Table"]
        assert described["DeletionProtectionEnabled"] is (logical_id in MONEY_TABLES), logical_id
    with pytest.raises(ClientError, match="DeletionProtectionEnabled"):
        dynamodb.delete_table(TableName=stack.outputs["LedgerTable"])


# ---- deploy and tear down (in-process moto: no workflow runs here) ----------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("AWS_ENDPOINT_URL", "MOTO_PORT"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def test_deploying_a_stage_again_changes_nothing_and_gives_the_same_outputs(aws):
    cloudformation = aws.client("cloudformation")
    first = infra_stack.deploy_infra(cloudformation, "dev", provision.moto_template())
    again = infra_stack.deploy_infra(cloudformation, "dev", provision.moto_template())
    assert again == first
    assert first["LedgerTable"] == "everywhere-dev-ledger"
    assert first["EscrowStateMachineArn"].endswith(":stateMachine:everywhere-dev-escrow")


def test_tearing_down_a_stage_deletes_its_stack_money_tables_included(aws):
    cloudformation, dynamodb = aws.client("cloudformation"), aws.client("dynamodb")
    infra_stack.deploy_infra(cloudformation, "doomed", provision.moto_template())
    stack_id = cloudformation.describe_stacks(StackName="everywhere-doomed")["Stacks"][0]["StackId"]
    with pytest.raises(ClientError, match="DeletionProtectionEnabled"):
        dynamodb.delete_table(TableName="everywhere-doomed-ledger")

    infra_stack.delete_stack(aws, "doomed")

    assert cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert dynamodb.list_tables()["TableNames"] == []
    assert aws.client("sqs").list_queues().get("QueueUrls", []) == []
    infra_stack.delete_stack(aws, "doomed")  # nothing left: says so, and does nothing


def test_tearing_down_a_stage_empties_its_web_bucket_so_the_bucket_goes_with_the_stack(aws):
    """CloudFormation does not delete a bucket that holds anything (moto leaves it behind: without emptying it,
    this fails)."""
    s3 = aws.client("s3")
    bucket = infra_stack.deploy_infra(aws.client("cloudformation"), "doomed", provision.moto_template())["WebBucket"]
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<!doctype html>")
    s3.put_object(Bucket=bucket, Key="config.json", Body=b"{}")

    infra_stack.delete_stack(aws, "doomed")

    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
