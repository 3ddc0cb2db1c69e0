"""Safety routes: anyone reports what they saw; operators work the queue, take down, suspend and reinstate."""
from __future__ import annotations

from functools import partial

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import (
    ReinstatedOut,
    ReportClose,
    ReportCreate,
    ReportOut,
    ReportPage,
    ReportsQuery,
    shown_as,
)
from chalicelib.domain.identity import Caller
from chalicelib.services import moderation as moderation_service

moderation_bp = Blueprint(__name__)

report_out = partial(shown_as, ReportOut)


@operation(
    moderation_bp, "POST", "/reports", summary="Report a listing, task, user or conversation you can see",
    tag="safety", body=ReportCreate, response=ReportOut, status=201, errors=(400, 404), limit="report",
)
def create_report(caller: Caller, body: ReportCreate) -> ReportOut:
    return report_out(moderation_service.report(caller, body.subject, body.subject_id, body.reason))


@operation(
    moderation_bp, "GET", "/admin/reports", summary="Open reports, oldest first (operator)", tag="admin",
    query=ReportsQuery, response=ReportPage, errors=(400, 403),
)
def list_reports(caller: Caller, query: ReportsQuery) -> ReportPage:
    return ReportPage.of(moderation_service.open_reports(caller, query.limit, query.cursor), report_out)


@operation(
    moderation_bp, "POST", "/admin/reports/{report_id}/close",
    summary="Decide a report (operator): nothing, take the listing down, or suspend the user it is about",
    tag="admin", body=ReportClose, response=ReportOut, errors=(400, 403, 404, 409), limit="operator",
)
def close_report(caller: Caller, report_id: str, body: ReportClose) -> ReportOut:
    return report_out(moderation_service.close(caller, report_id, body.action, body.note))


@operation(
    moderation_bp, "POST", "/admin/users/{user_id}/reinstate",
    summary="Lift a user's suspension (operator): their writes and hidden listings come back",
    tag="admin", response=ReinstatedOut, errors=(403, 409), limit="operator",
)
def reinstate_user(caller: Caller, user_id: str) -> ReinstatedOut:
    shown = moderation_service.reinstate(caller, user_id)
    return ReinstatedOut(user_id=user_id, suspended=False, listings_shown=shown)
