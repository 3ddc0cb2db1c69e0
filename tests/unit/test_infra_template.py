"""What infra/template.yaml promises an operator (backups, deletion protection, least privilege, the token
queue's dead letters), and how scripts/stage_config.py and scripts/chalice_project.py turn a stack into a stage's
configuration. No AWS here."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scripts import chalice_project, deploy, package, provision, stage_config

ROOT = Path(__file__).resolve().parent.parent.parent
RESOURCES = provision.template()["Resources"]
TABLES = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::DynamoDB::Table"}
MONEY_TABLES = {"LedgerTable", "OrdersTable", "IdempotencyTable"}


def test_every_table_has_point_in_time_recovery():
    assert len(TABLES) == 13
    for name, table in TABLES.items():
        assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, name


def test_the_money_tables_and_only_they_are_protected_from_deletion():
    protected = {name for name, table in TABLES.items() if table["Properties"].get("DeletionProtectionEnabled")}
    assert protected == MONEY_TABLES


# ---- the escrow workflow's role: least privilege, derived from what the ASL's tasks do -----------------

TRANSACT_ITEM_ACTIONS = {"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem",
                         "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem"}
TASK_ACTIONS = {"dynamodb:putItem": "dynamodb:PutItem", "dynamodb:updateItem": "dynamodb:UpdateItem",
                "dynamodb:deleteItem": "dynamodb:DeleteItem", "dynamodb:getItem": "dynamodb:GetItem",
                "sqs:sendMessage": "sqs:SendMessage"}


def _workflow() -> tuple[dict, dict[str, str]]:
    """The ASL, and which template resource each of its ${placeholders} names."""
    machine = RESOURCES["EscrowStateMachine"]["Properties"]
    _, variables = machine["DefinitionString"]["Fn::Sub"]
    asl = json.loads((ROOT / "chalicelib" / "workflows" / "escrow.asl.json").read_text())
    return asl, {name: value["Ref"] for name, value in variables.items()}


def _needed(asl: dict, placeholders: dict[str, str]) -> set[tuple[str, str]]:
    """(IAM action, template resource) for every call the workflow's tasks make."""
    def resource(value: str) -> str:
        return placeholders[re.fullmatch(r"\$\{(\w+)\}", value).group(1)]

    needed = set()
    for name, state in asl["States"].items():
        if state["Type"] != "Task":
            continue
        integration = state["Resource"].split(":::", 1)[1].split(".", 1)[0]
        parameters = state["Parameters"]
        if integration == "aws-sdk:dynamodb:transactWriteItems":
            for item in parameters["TransactItems"]:
                (kind, call), = item.items()
                needed.add((TRANSACT_ITEM_ACTIONS[kind], resource(call["TableName"])))
        elif integration in TASK_ACTIONS:
            target = parameters.get("TableName") or parameters["QueueUrl"]
            needed.add((TASK_ACTIONS[integration], resource(target)))
        else:
            raise AssertionError(f"task {name} calls {state['Resource']}: say which permission it needs")
    return needed


def _granted() -> set[tuple[str, str]]:
    granted = set()
    for policy in RESOURCES["EscrowRole"]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for target in targets:
                logical_id, attribute = target["Fn::GetAtt"].split(".")
                assert attribute == "Arn"
                granted |= {(action, logical_id) for action in actions}
    return granted


def test_the_escrow_role_grants_exactly_the_calls_the_workflow_makes():
    asl, placeholders = _workflow()
    needed = _needed(asl, placeholders)
    assert ("sqs:SendMessage", "EscrowTokenQueue") in needed and ("dynamodb:PutItem", "LedgerTable") in needed
    assert _granted() == needed


def test_only_step_functions_can_assume_the_escrow_role():
    (statement,) = RESOURCES["EscrowRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "states.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"


# ---- the token queue ---------------------------------------------------------------------------------------


def test_a_token_message_the_function_keeps_failing_on_goes_to_the_dead_letter_queue():
    queue = RESOURCES["EscrowTokenQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": "EscrowTokenDeadLetters.Arn"}
    assert 1 <= queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    dead = RESOURCES["EscrowTokenDeadLetters"]["Properties"]
    assert dead["MessageRetentionPeriod"] == 14 * 86400  # the most SQS keeps: time for an operator to redrive


def test_the_token_queue_hides_a_message_for_longer_than_the_function_may_run():
    """Lambda refuses an SQS event source whose queue's visibility timeout is below the function's timeout (the
    queue's consumer, escrow_tokens; the escrow sweep, on a schedule, may run longer)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    timeouts = [config.get("lambda_timeout", 60)]
    for stage in config["stages"].values():
        stage_timeout = stage.get("lambda_timeout", timeouts[0])
        consumer = stage.get("lambda_functions", {}).get("escrow_tokens", {})
        timeouts += [stage_timeout, consumer.get("lambda_timeout", stage_timeout)]
    assert RESOURCES["EscrowTokenQueue"]["Properties"]["VisibilityTimeout"] >= max(timeouts)


# ---- the web client's hosting: a private bucket that only the stage's CloudFront distribution reads ---------------

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed cache policies
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
DISTRIBUTION = RESOURCES["WebDistribution"]["Properties"]["DistributionConfig"]


def test_the_web_bucket_blocks_public_access_is_encrypted_and_named_by_cloudformation():
    bucket = RESOURCES["WebBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert "BucketName" not in bucket  # no account-specific name in the repository


def test_only_the_stages_distribution_may_read_the_web_bucket():
    policy = RESOURCES["WebBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "WebBucket"}
    allowed = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allowed == [{
        "Sid": "CloudFrontReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": {"Fn::Sub": "${WebBucket.Arn}/*"},
        "Condition": {"StringEquals": {"AWS:SourceArn": {
            "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${WebDistribution}"}}},
    }]


def test_the_distribution_reaches_the_bucket_through_origin_access_control():
    (origin,) = DISTRIBUTION["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": "WebBucket.RegionalDomainName"}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": "WebOriginAccessControl.Id"}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    control = RESOURCES["WebOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (control["OriginAccessControlOriginType"], control["SigningBehavior"]) == ("s3", "always")


def test_the_distribution_serves_index_html_at_its_root_and_only_over_https():
    assert DISTRIBUTION["DefaultRootObject"] == "index.html"
    for behaviour in [DISTRIBUTION["DefaultCacheBehavior"], *DISTRIBUTION["CacheBehaviors"]]:
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"]


def test_config_json_is_never_cached_by_cloudfront_and_the_other_files_are():
    assert DISTRIBUTION["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    (config,) = [b for b in DISTRIBUTION["CacheBehaviors"] if b["PathPattern"] == "/config.json"]
    assert config["CachePolicyId"] == CACHING_DISABLED


def test_the_stack_outputs_the_web_bucket_address_and_distribution():
    outputs = provision.template()["Outputs"]
    assert outputs["WebBucket"] == {"Value": {"Ref": "WebBucket"}}
    assert outputs["WebUrl"] == {"Value": {"Fn::Sub": "https://${WebDistribution.DomainName}"}}
    assert outputs["WebDistributionId"] == {"Value": {"Ref": "WebDistribution"}}


def test_the_template_moto_deploys_lacks_only_the_outputs_it_cannot_evaluate():
    shipped, moto = provision.load(provision.packaged_template()), provision.load(provision.moto_template())
    assert set(shipped["Outputs"]) - set(moto["Outputs"]) == set(provision.MOTO_UNSUPPORTED_OUTPUTS) == {"WebUrl"}
    assert {k: v for k, v in shipped.items() if k != "Outputs"} == {k: v for k, v in moto.items() if k != "Outputs"}


# ---- from stack outputs to the stage's configuration ---------------------------------------------------------


def test_a_deployed_stage_gets_the_variables_the_local_stack_gives_the_app():
    outputs = {output: f"value of {output}" for output in stage_config.ENVIRONMENT_OUTPUTS.values()}
    local = provision.Stack("dev", "eu-west-1", outputs, outputs["UserPoolId"], outputs["UserPoolClientId"])
    expected = {k: v for k, v in local.environment().items() if k not in {"STAGE", "AWS_REGION", "AWS_DEFAULT_REGION"}}
    deployed = stage_config.stage_environment(outputs)
    # The web origin: locally the runner's own web server (scripts/local_stack.py), deployed the stack's CloudFront.
    assert deployed.pop("WEB_ORIGIN") == outputs["WebUrl"]
    assert deployed == expected


def test_every_output_a_stage_needs_is_declared_by_the_template():
    declared = provision.template()["Outputs"]
    assert set(stage_config.ENVIRONMENT_OUTPUTS.values()) <= set(declared)


def test_a_stack_without_an_output_the_app_needs_is_refused():
    outputs = {output: "x" for output in stage_config.ENVIRONMENT_OUTPUTS.values() if output != "LedgerTable"}
    with pytest.raises(SystemExit, match="LedgerTable"):
        stage_config.stage_environment(outputs)


def test_a_stage_build_merges_the_outputs_into_that_stage_and_leaves_the_project_config_alone(tmp_path):
    config_file = ROOT / ".chalice" / "config.json"
    before = config_file.read_bytes()
    project = json.loads(before)
    build = tmp_path / "deploy"
    recorded = build / ".chalice" / "deployed" / "dev.json"
    recorded.parent.mkdir(parents=True)
    recorded.write_text('{"resources": []}')
    (build / ".chalice" / "stale-policy.json").write_text("{}")

    chalice_project.build_project("dev", {"LEDGER_TABLE": "everywhere-dev-ledger", "STAGE": "overridden"}, target=build)

    built = json.loads((build / ".chalice" / "config.json").read_text())
    dev = built["stages"]["dev"]["environment_variables"]
    assert dev == {**project["stages"]["dev"].get("environment_variables", {}),
                   "LEDGER_TABLE": "everywhere-dev-ledger", "STAGE": "overridden"}
    assert {k: v for k, v in built["stages"].items() if k != "dev"} == {
        k: v for k, v in project["stages"].items() if k != "dev"}
    assert config_file.read_bytes() == before
    assert (build / "app.py").read_bytes() == (ROOT / "app.py").read_bytes()
    assert (build / "chalicelib" / "workflows" / "escrow.asl.json").exists()
    policies = {p.name for p in (ROOT / ".chalice").glob("*.json")} - {"config.json"}
    assert policies and policies <= {p.name for p in (build / ".chalice").glob("*.json")}
    assert not (build / ".chalice" / "stale-policy.json").exists()
    assert recorded.read_text() == '{"resources": []}'  # chalice's record of the deployment, for `chalice delete`


def test_a_stage_that_config_json_does_not_define_is_refused(tmp_path):
    with pytest.raises(SystemExit, match=r"not in \.chalice/config\.json"):
        chalice_project.build_project("staging", {}, target=tmp_path / "deploy")


def test_destroying_a_stage_needs_its_name_as_confirmation():
    with pytest.raises(SystemExit, match="CONFIRM=dev"):
        deploy.destroy("dev", confirm="yes")


def test_packaging_refuses_a_function_listening_to_a_queue_the_template_does_not_create():
    template = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Outputs": {output: {"Value": {"Ref": output}} for output in stage_config.ENVIRONMENT_OUTPUTS.values()},
        "Resources": {
            "EscrowTokenQueue": {"Type": "AWS::SQS::Queue",
                                 "Properties": {"QueueName": {"Fn::Sub": "everywhere-${Stage}-escrow-tokens"}}},
            "EscrowTokens": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"Tokens": {
                "Type": "SQS",
                "Properties": {"Queue": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                                                    "everywhere-local-escrow-tokens"}}}}}},
        },
    }
    with pytest.raises(ValueError, match="everywhere-local-escrow-tokens"):
        package.bind_to_infra(template, "prod")
