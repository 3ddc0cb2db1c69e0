"""`make reconcile`: check that the books add up; exits 1 on any drift.

Against the running local stack by default (its coordinates in .local/stack.json, or STATE_DIR). To check a
deployed stage, set its AWS credentials and region and STAGE (or the app's variables, e.g. LEDGER_TABLE):
the variables not set are read from the outputs of the stack `everywhere-<stage>`, as a deploy sets them.
"""
from __future__ import annotations

import os
import sys

from scripts import local_state, stage_config


def _use_local_stack() -> None:
    stack = local_state.running()
    os.environ.update(
        AWS_ENDPOINT_URL=stack["aws_endpoint"], AWS_REGION=stack["region"], AWS_DEFAULT_REGION=stack["region"],
        AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", STAGE=stack["stage"],
    )
    os.environ.update(stack["environment"])


def _use_deployed_stage(stage: str) -> None:
    """The app's variables that are not set already, from the outputs of the stage's infra stack."""
    cloudformation = stage_config.session().client("cloudformation")
    described = cloudformation.describe_stacks(StackName=stage_config.stack_name(stage))["Stacks"][0]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}
    for variable, value in stage_config.stage_environment(outputs).items():
        os.environ.setdefault(variable, value)


def main() -> int:
    if any(name in os.environ for name in ("AWS_ENDPOINT_URL", "STAGE", "LEDGER_TABLE")):
        if os.environ.get("STAGE") and "AWS_ENDPOINT_URL" not in os.environ:
            _use_deployed_stage(os.environ["STAGE"])  # a deployed stage was named: check that one
    else:
        _use_local_stack()
    from chalicelib.services.reconcile import reconcile

    report = reconcile()
    for name, cents in report.totals.items():
        print(f"{name:>12}: {cents:>16,} cents")  # the API's unit
    if report.clean:
        print("the books are clean")
        return 0
    print(f"{len(report.problems)} problem(s):")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
