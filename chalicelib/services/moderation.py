"""Use cases for safety: report what you saw; an operator decides (nothing, takedown, suspend) and reinstates."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain import moderation
from chalicelib.domain.clock import now, now_iso
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.ids import new_id
from chalicelib.domain.listings import Listing
from chalicelib.domain.moderation import Report, Suspension
from chalicelib.domain.pages import Page
from chalicelib.domain.tasks import Task
from chalicelib.observability import logger
from chalicelib.services import conversations as conversation_service
from chalicelib.services import listings as listing_service
from chalicelib.services import tasks as task_service
from chalicelib.services.paging import page_of
from chalicelib.services.profiles import public_profile
from chalicelib.settings import get_settings
from chalicelib.store import listings as listing_store
from chalicelib.store import reports as report_store
from chalicelib.store import suspensions, user_pool
from chalicelib.store import tasks as task_store

HIDE_PAGE = 100  # a provider has at most MAX_ACTIVE_LISTINGS active listings: a suspension reads a page or so


def _subject_owner(caller: Caller, subject: str, subject_id: str) -> str:
    """Whom the subject is about, if the caller may see it (404 otherwise, as for any object they cannot see)."""
    if subject == moderation.LISTING:
        return listing_service.get_visible(caller, subject_id).provider_id
    if subject == moderation.USER:
        return public_profile(subject_id).user_id
    if subject == moderation.CONVERSATION:
        conversation = conversation_service.get(caller, subject_id)
        return conversation.other_than(caller.user_id)
    return task_service.get(caller, subject_id).requester_id


def report(caller: Caller, subject: str, subject_id: str, reason: str) -> Report:
    """File a report about something the caller can see."""
    owner = _subject_owner(caller, subject, subject_id)
    filed = report_store.insert(
        moderation.new_report(new_id(), caller, subject, subject_id, owner, reason, now_iso())
    )
    logger.info("report filed", report_id=filed.report_id, subject=subject, subject_id=subject_id)
    return filed


def open_reports(caller: Caller, limit: int, cursor: str | None) -> Page[Report]:
    """The open reports, oldest first (operators)."""
    moderation.check_operator(caller)
    return page_of(("open_reports", caller.user_id), cursor, lambda start: report_store.page_open(limit, start))


def close(caller: Caller, report_id: str, action: str, note: str) -> Report:
    """Decide a report. The action is carried out first (it is idempotent), then the report is closed on
    condition that it is still open: a failure in between leaves it open, to decide again."""
    moderation.check_operator(caller)
    found = report_store.get(report_id)
    if found is None:
        raise NotFound("report not found")
    moderation.check_decision(found, caller, action)
    if action == moderation.TAKEDOWN:
        _take_down(found)
    elif action == moderation.SUSPEND:
        _suspend(caller, found.subject_owner, found.report_id, note)
    decided = moderation.closed(found, caller, action, note, now_iso())
    if not report_store.close(report_id, caller.user_id, action, note, decided.closed_at or now_iso()):
        raise Conflict("another operator closed this report meanwhile; read it again")
    logger.info("report closed", report_id=report_id, action=action)
    return decided


def _take_down(report: Report) -> None:
    if report.subject == moderation.TASK:
        task = task_store.get(report.subject_id)
        if task is None:
            raise NotFound("task not found")
        if task.hidden != moderation.HIDDEN_BY_TAKEDOWN:
            _hide_task(task, moderation.HIDDEN_BY_TAKEDOWN)
        return
    listing = listing_store.get(report.subject_id)
    if listing is None:
        raise NotFound(f"{report.subject} not found")
    if listing.hidden != moderation.HIDDEN_BY_TAKEDOWN and not listing.is_deleted:
        _hide(listing, moderation.HIDDEN_BY_TAKEDOWN)  # (over a suspension's hiding too: reinstating keeps it down)


def _hide(listing: Listing, why: str | None) -> None:
    """Hide (or show, `why` None) one listing; a listing its owner changed meanwhile is read again."""
    for _ in range(3):
        try:
            hidden = replace(listing, hidden=why, updated_at=now_iso())  # its owner's active count does not change
            listing_store.save(hidden, listing, max_active=get_settings().max_active_listings)
            return
        except Conflict:
            fresh = listing_store.get(listing.listing_id)
            if fresh is None or fresh.hidden != listing.hidden:
                return  # gone, or another decision hid or showed it meanwhile: that one stands
            listing = fresh
    raise Conflict("the listing keeps changing; decide again")


def _hide_task(task: Task, why: str | None) -> None:
    """Hide (or show, `why` None) one task; a task that changed meanwhile (an offer, its status) is read again."""
    for _ in range(3):
        if task_store.hide(task, why):
            return
        fresh = task_store.get(task.task_id)
        if fresh is None or fresh.hidden != task.hidden:
            return  # another decision hid or showed it meanwhile: that one stands
        task = fresh
    raise Conflict("the task keeps changing; decide again")


def _listings_of(user_id: str) -> list[Listing]:
    """Every active listing of the user (hidden ones included)."""
    found: list[Listing] = []
    start: Any = None
    while True:
        page, start = listing_store.page_by_provider(user_id, HIDE_PAGE, start)
        found.extend(page)
        if start is None:
            return found


def _suspend(caller: Caller, user_id: str, report_id: str | None, note: str) -> Suspension:
    """Block the user's writes at once, disable their account, hide their listings and open tasks (remembered, to
    show again)."""
    moderation.check_operator(caller, user_id)
    existing = suspensions.get(user_id)
    suspension = existing or Suspension(user_id=user_id, since=now_iso(), by=caller.user_id, report_id=report_id,
                                        note=note)
    suspensions.put(suspension)  # first: from now on every write of theirs is refused
    account_found = user_pool.set_enabled(user_id, False)
    hidden = list(suspension.hidden_listings)
    for listing in _listings_of(user_id):
        if listing.hidden is None:
            _hide(listing, moderation.HIDDEN_BY_SUSPENSION)
            hidden.append(listing.listing_id)
    hidden_tasks = list(suspension.hidden_tasks)
    for task in task_store.open_of(user_id, now()):
        if task.hidden is None:
            _hide_task(task, moderation.HIDDEN_BY_SUSPENSION)
            hidden_tasks.append(task.task_id)
    suspension = replace(suspension, hidden_listings=tuple(dict.fromkeys(hidden)),
                         hidden_tasks=tuple(dict.fromkeys(hidden_tasks)))
    suspensions.put(suspension)
    logger.info("user suspended", user_id=user_id, listings_hidden=len(suspension.hidden_listings),
                tasks_hidden=len(suspension.hidden_tasks), account_found=account_found)
    return suspension


def reinstate(caller: Caller, user_id: str) -> int:
    """Lift a suspension: the account is enabled, the listings (how many: returned) and tasks it hid are shown,
    writes are allowed again. The suspension record goes last, so a failure in between leaves a suspension to lift
    again."""
    moderation.check_operator(caller, user_id)
    suspension = suspensions.get(user_id)
    if suspension is None:
        raise Conflict("this user is not suspended")
    user_pool.set_enabled(user_id, True)
    shown = 0
    for listing_id in suspension.hidden_listings:
        listing = listing_store.get(listing_id)
        if listing is not None and listing.hidden == moderation.HIDDEN_BY_SUSPENSION:
            _hide(listing, None)
            shown += 1
    for task_id in suspension.hidden_tasks:
        task = task_store.get(task_id)
        if task is not None and task.hidden == moderation.HIDDEN_BY_SUSPENSION:
            _hide_task(task, None)
    suspensions.delete(user_id)
    logger.info("user reinstated", user_id=user_id, listings_shown=shown)
    return shown
