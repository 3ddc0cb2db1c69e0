"""Create a stage's AWS resources from infra/template.yaml, and the Cognito pieces moto's CloudFormation skips.

Used by the local stack runner and by the tests, against moto (in-process or server), so the template
that ships is the template that is tested.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.yaml"
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


def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


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
            "COGNITO_USER_POOL_ID": self.user_pool_id,
            "COGNITO_APP_CLIENT_ID": self.user_pool_client_id,
        }


def deploy(session: Any, stage: str) -> Stack:
    """Deploy the infra template as stack `everywhere-<stage>` and create the user pool; wait for both."""
    cfn = session.client("cloudformation")
    name = f"everywhere-{stage}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": stage}],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    pool_id, client_id = create_user_pool(session.client("cognito-idp"), stage)
    return Stack(stage, session.region_name, outputs, pool_id, client_id)


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
