"""Run the app's scheduled functions locally: `chalice local` serves routes only, never schedules.

Every `@schedule` of the app is called with an EventBridge-shaped event, through the same handler Lambda
calls, every LOCAL_SCHEDULE_S seconds (default 10: locally nobody wants to wait a deployed minute).
"""
from __future__ import annotations

import threading
import traceback
import uuid
from datetime import datetime, timezone
from typing import Any

from chalice.app import ScheduledEventConfig

ACCOUNT = "123456789012"


def scheduled_event(rule: str, region: str) -> dict[str, Any]:
    """What EventBridge sends a scheduled Lambda."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


class LocalScheduler(threading.Thread):
    """Calls each scheduled handler every `period_s` until stopped."""

    def __init__(self, app: Any, region: str, period_s: float) -> None:
        super().__init__(name="local-schedules", daemon=True)
        self.jobs = [source.name for source in app.event_sources if isinstance(source, ScheduledEventConfig)]
        self.app = app
        self.region = region
        self.period_s = period_s
        self._stop_event = threading.Event()

    def run_once(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for name in self.jobs:
            try:
                results[name] = self.app.handler_map[name](scheduled_event(f"everywhere-local-{name}", self.region), None)
            except Exception:  # a failing run is reported and retried next period, as Lambda would
                traceback.print_exc()
                results[name] = None
        return results

    def run(self) -> None:
        while not self._stop_event.wait(self.period_s):
            self.run_once()

    def stop(self) -> None:
        self._stop_event.set()
