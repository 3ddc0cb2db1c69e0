"""Reports in DynamoDB: written once, closed once (conditional on being open), the open ones paged oldest first."""
from __future__ import annotations

from chalicelib.domain.moderation import CLOSED, OPEN, Report
from chalicelib.store import items, tables
from chalicelib.store.models import ReportModel
from chalicelib.store.pages import Key, one_page

OPEN_QUEUE = "open"  # the one partition of the open_reports index (reports are rare: see README)


def _from_model(model: ReportModel) -> Report:
    return items.to_domain(model, Report)


def insert(report: Report) -> Report:
    tables.bind()
    items.to_item(report, ReportModel, queue=OPEN_QUEUE).save(condition=ReportModel.report_id.does_not_exist())
    return report


def get(report_id: str) -> Report | None:
    model = items.read(ReportModel, report_id)
    return _from_model(model) if model is not None else None


def close(report_id: str, closed_by: str, action: str, note: str, at: str) -> bool:
    """Write an operator's decision if the report is still open (False if another operator closed it first)."""
    return items.update_if(
        ReportModel,
        report_id,
        [
            ReportModel.status.set(CLOSED),
            ReportModel.closed_at.set(at),
            ReportModel.closed_by.set(closed_by),
            ReportModel.action.set(action),
            ReportModel.note.set(note),
            ReportModel.queue.remove(),
        ],
        ReportModel.status == OPEN,
    )


def page_open(limit: int, start_key: Key | None) -> tuple[list[Report], Key | None]:
    """A page of open reports, oldest first."""
    tables.bind()
    models, next_key = one_page(
        lambda count, start: ReportModel.open_reports.query(
            OPEN_QUEUE, limit=count, page_size=count, last_evaluated_key=start
        ),
        limit,
        start_key,
        lambda last: {"report_id": {"S": last.report_id}, "queue": {"S": OPEN_QUEUE}},
    )
    return [_from_model(model) for model in models], next_key
