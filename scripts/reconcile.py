"""`make reconcile`: check that the books add up; exits 1 on any drift.

Against the running local stack by default (its coordinates in .local/stack.json, or STATE_DIR); set
AWS credentials and the table names (LEDGER_TABLE, ORDERS_TABLE, or STAGE) to check a deployed stage.
"""
from __future__ import annotations

import os
import sys

from scripts import local_state


def _use_local_stack() -> None:
    if any(name in os.environ for name in ("AWS_ENDPOINT_URL", "STAGE", "LEDGER_TABLE")):
        return  # a deployed stage (or an endpoint) was named: check that one
    stack = local_state.running()
    os.environ.update(
        AWS_ENDPOINT_URL=stack["aws_endpoint"], AWS_REGION=stack["region"], AWS_DEFAULT_REGION=stack["region"],
        AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", STAGE=stack["stage"],
    )
    for output, variable in (("LedgerTable", "LEDGER_TABLE"), ("OrdersTable", "ORDERS_TABLE")):
        if output in stack.get("tables", {}):
            os.environ[variable] = stack["tables"][output]


def main() -> int:
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
