"""`make reconcile`: check that the books add up and that no order's money is stuck; exits 1 on either.

Against the running local stack by default (its coordinates in .local/stack.json, or STATE_DIR). To check a
deployed stage, set its AWS credentials and region, STAGE (or the app's table variables, e.g. LEDGER_TABLE) and
ESCROW_STATE_MACHINE_ARN. It reads the ledger and the orders, and describes the escrow executions of the orders
in escrow (states:DescribeExecution); the settings it never uses (the user pool, the token queue) get
placeholders.
"""
from __future__ import annotations

import os
import sys

from scripts import local_state

UNUSED = ("COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID", "ESCROW_TOKEN_QUEUE_URL")


def use_local_stack() -> None:
    stack = local_state.running()
    os.environ.update(
        AWS_ENDPOINT_URL=stack["aws_endpoint"], AWS_REGION=stack["region"], AWS_DEFAULT_REGION=stack["region"],
        AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", STAGE=stack["stage"],
    )
    os.environ.update(stack["environment"])


def main() -> int:
    if not any(name in os.environ for name in ("AWS_ENDPOINT_URL", "STAGE", "LEDGER_TABLE")):
        use_local_stack()
    for name in UNUSED:
        os.environ.setdefault(name, "not-used-by-reconcile")
    from chalicelib.services.reconcile import reconcile

    report = reconcile()
    for name, cents in report.totals.items():
        print(f"{name:>12}: {cents:>16,} cents")  # the API's unit
    for finding, count in report.stuck_counts().items():
        print(f"{finding:>24}: {count} order(s)")
    if report.clean:
        print("the books are clean")
        return 0
    print(f"{len(report.problems)} problem(s):")
    for problem in report.problems:
        print(f"  - {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
