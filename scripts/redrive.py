"""`make redrive ORDER=<id>`: re-drive an order's escrow after a failure — a new execution of the workflow at the
order's current status (chalicelib/services/redrive.py says why that is safe to repeat). Prints what it did.

Against the running local stack by default, or the stage the environment names (as `make reconcile`; it needs
the stage's ESCROW_STATE_MACHINE_ARN too, and may call states:StartExecution and states:DescribeExecution).
"""
from __future__ import annotations

import argparse
import os
import sys

from scripts.reconcile import UNUSED, use_local_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("order_id")
    order_id = parser.parse_args(argv).order_id
    if not any(name in os.environ for name in ("AWS_ENDPOINT_URL", "STAGE", "ORDERS_TABLE")):
        use_local_stack()
    for name in UNUSED:
        os.environ.setdefault(name, "not-used-by-redrive")
    from chalicelib.domain.errors import DomainError
    from chalicelib.services.redrive import redrive

    try:
        done = redrive(order_id)
    except DomainError as exc:
        print(f"order {order_id}: {exc}")
        return 1
    if done.started:
        print(f"order {order_id} ({done.status}): started execution {done.started} ({done.why})")
    else:
        print(f"order {order_id} ({done.status}): nothing to re-drive: {done.why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
