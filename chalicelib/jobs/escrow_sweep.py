"""The `sweep_escrow` function: every few minutes, find the orders whose money cannot move (stuck paying, held
with no running workflow, escalated disputes), log each and publish the counts for the alarms
(services/escrow_health.py; infra/template.yaml's alarms). `chalice local` runs no schedules: the local stack's
runner calls it (scripts/local_triggers.py)."""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib.services import escrow_health

escrow_sweep_bp = Blueprint(__name__)
SWEEP_EVERY_MINUTES = 5


@escrow_sweep_bp.schedule(Rate(SWEEP_EVERY_MINUTES, unit=Rate.MINUTES), name="sweep_escrow")
def sweep_escrow(event: Any) -> dict[str, int]:
    """Count (and log) the stuck orders; publish the counts as CloudWatch metrics."""
    return escrow_health.sweep()
