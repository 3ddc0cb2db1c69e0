"""Reports and what an operator decides about them: nothing, a takedown, or a suspension.

A report names a subject the reporter could see (a listing, a task, a user, a conversation) and whom it is
about (`subject_owner`: the listing's provider, the user, the other participant). Closing it is an operator's
decision: `takedown` hides a listing or task from everyone but its owner; `suspend` blocks the subject owner's
writes and hides their listings until an operator reinstates them. An operator never decides a report they
made or that is about them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.identity import Caller

LISTING, TASK, USER, CONVERSATION = "listing", "task", "user", "conversation"
SUBJECTS = (LISTING, TASK, USER, CONVERSATION)
NONE, TAKEDOWN, SUSPEND = "none", "takedown", "suspend"
ACTIONS = (NONE, TAKEDOWN, SUSPEND)
OPEN, CLOSED = "open", "closed"
REASON_MAX = 1000
NOTE_MAX = 1000

# Why a listing is out of every view but its owner's.
HIDDEN_BY_TAKEDOWN = "takedown"
HIDDEN_BY_SUSPENSION = "suspended"


@dataclass(frozen=True)
class Report:
    report_id: str
    reporter_id: str
    subject: str
    subject_id: str
    subject_owner: str
    reason: str
    status: str
    created_at: str
    closed_at: str | None = None
    closed_by: str | None = None
    action: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Suspension:
    """A user whose writes are refused, and the listings and tasks the suspension hid (shown again when lifted)."""

    user_id: str
    since: str
    by: str
    report_id: str | None
    note: str
    hidden_listings: tuple[str, ...] = ()
    hidden_tasks: tuple[str, ...] = ()


def new_report(report_id: str, reporter: Caller, subject: str, subject_id: str, subject_owner: str, reason: str,
               now: str) -> Report:
    if subject_owner == reporter.user_id:
        raise InvalidInput("subject_id: you cannot report yourself or what is yours")
    return Report(report_id=report_id, reporter_id=reporter.user_id, subject=subject, subject_id=subject_id,
                  subject_owner=subject_owner, reason=reason, status=OPEN, created_at=now)


def check_decision(report: Report, caller: Caller, action: str) -> None:
    """Whether `caller` may close `report` with `action`: an operator (403), not a party (403), an open report
    (409), and an action that fits the subject (400)."""
    if not caller.is_operator:
        raise Forbidden("only an operator may close a report")
    if caller.user_id in (report.reporter_id, report.subject_owner):
        raise Forbidden("an operator may not decide a report they made or that is about them")
    if report.status != OPEN:
        raise Conflict(f"the report is {report.status} already (action: {report.action})")
    if action == TAKEDOWN and report.subject not in (LISTING, TASK):
        raise InvalidInput(f"action: a takedown removes a listing or a task, not a {report.subject}; "
                           "suspend the user instead")


def closed(report: Report, caller: Caller, action: str, note: str, now: str) -> Report:
    """The report as the operator's decision leaves it."""
    return replace(report, status=CLOSED, closed_at=now, closed_by=caller.user_id, action=action, note=note)


def check_operator(caller: Caller, user_id: str | None = None) -> None:
    """An operator, acting on someone else (403 otherwise)."""
    if not caller.is_operator:
        raise Forbidden("only an operator may do this")
    if user_id is not None and caller.user_id == user_id:
        raise Forbidden("an operator may not act on their own account")
