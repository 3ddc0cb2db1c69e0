"""Create a stage's AWS resources from infra/template.yaml, and the Cognito pieces moto's CloudFormation skips.

Used by the local stack runner and by the tests, against moto (in-process or server), so the template
that ships is the template that is tested.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from chalicelib.store import caches

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "template.yaml"
OPERATORS_GROUP = "operators"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML, keeping short-form intrinsics (!Ref, !Sub, ...) as plain values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"Fn::{suffix}" if suffix != "Ref" else "Ref": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def packaged_template() -> str:
    """The template with each `{{ASL:<path>}}` placeholder replaced by that file's JSON, as a string literal."""

    def inline(match: re.Match[str]) -> str:
        definition = json.loads((ROOT / match.group(1)).read_text())
        return json.dumps(json.dumps(definition, separators=(",", ":")))

    return re.sub(r'"\{\{ASL:([^}]+)\}\}"', inline, TEMPLATE.read_text())


# Outputs moto's CloudFormation cannot evaluate: each reads an attribute (Fn::GetAtt) of a resource whose type moto
# skips (AWS::CloudFront::Distribution), and moto fails the whole stack on it. Locally nothing needs them: the
# runner serves web/ itself (scripts/local_web.py). moto gives the Ref of a skipped resource as an empty output.
MOTO_UNSUPPORTED_OUTPUTS = ("WebUrl",)


def moto_template() -> str:
    """The packaged template as moto's CloudFormation deploys it: without MOTO_UNSUPPORTED_OUTPUTS (one line each)."""
    text = packaged_template()
    for output in MOTO_UNSUPPORTED_OUTPUTS:
        text, found = re.subn(rf"^  {output}: \{{Value: .*\}}\n", "", text, flags=re.MULTILINE)
        if found != 1:
            raise ValueError(f"infra/template.yaml has no one-line output {output}")
    return text


def load(text: str) -> dict[str, Any]:
    """A CloudFormation template (YAML or JSON) as data; short-form intrinsics become their long form."""
    loaded: dict[str, Any] = yaml.load(text, Loader=_CfnLoader)  # a SafeLoader: builds no Python objects
    return loaded


def template() -> dict[str, Any]:
    return load(TEMPLATE.read_text())


@dataclass(frozen=True)
class Stack:
    stage: str
    region: str
    outputs: dict[str, str]
    user_pool_id: str
    user_pool_client_id: str

    def environment(self) -> dict[str, str]:
        """The app's environment variables for this stack."""
        return {
            "STAGE": self.stage,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "LISTINGS_TABLE": self.outputs["ListingsTable"],
            "PROFILES_TABLE": self.outputs["ProfilesTable"],
            "SYSTEM_TABLE": self.outputs["SystemTable"],
            "CHAT_TABLE": self.outputs["ChatTable"],
            "ORDERS_TABLE": self.outputs["OrdersTable"],
            "IDEMPOTENCY_TABLE": self.outputs["IdempotencyTable"],
            "LEDGER_TABLE": self.outputs["LedgerTable"],
            "REPORTS_TABLE": self.outputs["ReportsTable"],
            "EVENTS_TABLE": self.outputs["EventsTable"],
            "CONNECTIONS_TABLE": self.outputs["ConnectionsTable"],
            "TASKS_TABLE": self.outputs["TasksTable"],
            "ALERTS_TABLE": self.outputs["AlertsTable"],
            "REVIEWS_TABLE": self.outputs["ReviewsTable"],
            "ESCROW_STATE_MACHINE_ARN": self.outputs["EscrowStateMachineArn"],
            "ESCROW_TOKEN_QUEUE_URL": self.outputs["EscrowTokenQueueUrl"],
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_APP_CLIENT_ID": self.user_pool_client_id,
        }


def deploy(session: Any, stage: str) -> Stack:
    """Deploy the infra template as stack `everywhere-<stage>` and create the user pool; wait for both.

    The tables are new: this process forgets what it cached about any earlier ones (store/caches.py).
    """
    caches.forget_all()
    cfn = session.client("cloudformation")
    name = f"everywhere-{stage}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=moto_template(),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    physical = {  # (resources moto's CloudFormation skipped come without ids)
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cfn.describe_stack_resources(StackName=name)["StackResources"]
        if "LogicalResourceId" in r
    }
    ensure_state_machines(session, physical)
    pool_id, client_id = create_user_pool(session.client("cognito-idp"), stage)
    return Stack(stage, session.region_name, outputs, pool_id, client_id)


def ensure_state_machines(session: Any, physical: dict[str, str]) -> None:
    """Make the template's state machines visible to moto's executor.

    moto's CloudFormation creates state machines in its plain Step Functions backend, but with execution
    switched on, the API (and the executor) use another backend that never sees them. So each one the
    template declares is created again through the API, with the same name, role and definition (the
    ASL file with the same substitutions). Against AWS, describing it succeeds and nothing is done.
    """
    sfn = session.client("stepfunctions")
    iam = session.client("iam")
    packaged = load(packaged_template())
    for logical_id, resource in packaged["Resources"].items():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        arn = physical[logical_id]
        try:
            sfn.describe_state_machine(stateMachineArn=arn)
            continue
        except sfn.exceptions.StateMachineDoesNotExist:
            pass
        properties = resource["Properties"]
        text, variables = properties["DefinitionString"]["Fn::Sub"]
        for variable, value in variables.items():
            text = text.replace("${" + variable + "}", physical[value["Ref"]])
        role = properties["RoleArn"]["Fn::GetAtt"]  # !GetAtt Role.Arn, or [Role, Arn]
        role_name = physical[role.split(".")[0] if isinstance(role, str) else role[0]]
        sfn.create_state_machine(
            name=arn.rsplit(":", 1)[-1],
            definition=text,
            roleArn=iam.get_role(RoleName=role_name)["Role"]["Arn"],
            type=properties.get("StateMachineType", "STANDARD"),
        )


def create_user_pool(cognito: Any, stage: str) -> tuple[str, str]:
    """The template's user pool, app client and operators group, made through the cognito-idp API."""
    resources = template()["Resources"]
    pool = resources["UserPool"]["Properties"]
    client = resources["UserPoolClient"]["Properties"]
    group = resources["OperatorsGroup"]["Properties"]
    pool_id = cognito.create_user_pool(
        PoolName=f"everywhere-{stage}",
        UsernameAttributes=pool["UsernameAttributes"],
        AutoVerifiedAttributes=pool["AutoVerifiedAttributes"],
        Policies=pool["Policies"],
        UserPoolTags={"everywhere-stage": f"everywhere-{stage}"},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"everywhere-{stage}-app",
        GenerateSecret=client["GenerateSecret"],
        ExplicitAuthFlows=client["ExplicitAuthFlows"],
        PreventUserExistenceErrors=client["PreventUserExistenceErrors"],
        ReadAttributes=client["ReadAttributes"],
        WriteAttributes=client["WriteAttributes"],
    )["UserPoolClient"]["ClientId"]
    cognito.create_group(UserPoolId=pool_id, GroupName=group["GroupName"], Description=group["Description"])
    return pool_id, client_id


def create_user(
    cognito: Any, pool_id: str, email: str, password: str, name: str | None = None, operator: bool = False
) -> str:
    """A confirmed user with a permanent password; returns their `sub`."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    user = cognito.admin_create_user(
        UserPoolId=pool_id, Username=email, UserAttributes=attributes, MessageAction="SUPPRESS"
    )["User"]
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
    if operator:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=OPERATORS_GROUP)
    return next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")


def sign_in(cognito: Any, client_id: str, email: str, password: str) -> str:
    """An id token for the user (USER_PASSWORD_AUTH, as a client app would sign in)."""
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    return result["AuthenticationResult"]["IdToken"]
