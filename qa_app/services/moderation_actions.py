"""Moderators' actions on questions: merge, split, edit or approve the wording, reject, reopen, route, set
priority, approve or return answers, undo a merge or a split.

Every action: check the role, refuse a stale version (optimistic lock) with Conflict, validate the
transition, write the audit event, commit, then update this worker's engines and publish the event.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from moderation import fold
from qa_app.events import EpisodeChanged, Publisher, QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Department,
    Episode,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    PublicHoliday,
    Question,
    QuestionStatus,
    RejectReason,
    Role,
    Submission,
    User,
)
from qa_app.services import audit, notifications
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.services.intake import public_wording, text_problem
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import add_working_days, to_local, utcnow

S = QuestionStatus
# Where each action may start from.
ROUTABLE = frozenset({S.NEW, S.ROUTED, S.ANSWER_REVIEW, S.READY})
REJECTABLE = frozenset({S.NEW, S.ROUTED})
MERGEABLE = frozenset({S.NEW, S.ROUTED, S.ANSWER_REVIEW, S.READY, S.QUEUED})
EDITABLE = frozenset(QuestionStatus) - {S.MERGED}
MAX_NOTE = 1000


@dataclass(frozen=True)
class ActionContext:
    """What every action needs besides its arguments."""

    db: AsyncSession
    actor: User
    publisher: Publisher
    engines: ModerationEngines


async def _question(db: AsyncSession, question_id: int) -> Question:
    question = await db.get(Question, question_id)
    if question is None:
        raise NotFound(_("No such question."))
    return question


def stale_message(question_id: int) -> str:
    return _(
        "Someone else changed question #%(id)d a moment ago. Here is its current state; please check it and try again."
    ) % {"id": question_id}


def _check_version(question: Question, expected_version: int | None) -> None:
    if expected_version is not None and question.version != expected_version:
        raise Conflict(stale_message(question.id))


async def _commit(ctx: ActionContext, question: Question) -> None:
    """Commit; a concurrent write that slipped between our read and write becomes a Conflict too."""
    question_id = question.id  # the rollback below expires the instance
    try:
        await ctx.db.commit()
    except StaleDataError as exc:
        await ctx.db.rollback()
        raise Conflict(stale_message(question_id)) from exc


def _snapshot(question: Question) -> dict[str, Any]:
    return {
        "status": question.status.value,
        "department": question.department.code if question.department else None,
        "priority": question.priority,
        "count": question.submission_count,
        "version": question.version,
    }


async def _publish(ctx: ActionContext, question: Question, action: str, previous_department: str | None = None) -> None:
    await ctx.publisher.publish(
        QuestionChanged(
            episode_id=question.episode_id,
            question_id=question.id,
            action=action,
            department_code=question.department.code if question.department else None,
            previous_department_code=previous_department,
        )
    )


async def holidays(db: AsyncSession) -> set[date]:
    return set(await db.scalars(select(PublicHoliday.day)))


async def due_date_for(db: AsyncSession, episode: Episode, routed_on: date) -> date:
    """The written-answer deadline: the episode's number of working days after routing (or after the
    broadcast, when routed before it), weekends and public holidays skipped."""
    start = routed_on
    if episode.air_start is not None:
        start = max(start, to_local(episode.air_start).date())
    return add_working_days(start, episode.answer_deadline_days, frozenset(await holidays(db)))


async def route(
    ctx: ActionContext,
    question_id: int,
    department_code: str,
    *,
    note: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Question:
    """Send a question to the department that must answer it; teaches the router. ``now``: the
    clock (tests and imports of past episodes set it)."""
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    if question.status not in ROUTABLE:
        raise Conflict(_("This question can no longer be routed."))
    department = await ctx.db.scalar(
        select(Department).where(Department.code == department_code, Department.active.is_(True))
    )
    if department is None:
        raise InvalidInput({"department": _("Choose a department.")})
    # What an undo puts back: the routing fields too.
    before = _snapshot(question) | {
        "routed_at": question.routed_at.isoformat() if question.routed_at else None,
        "due_date": question.due_date.isoformat() if question.due_date else None,
    }
    previous = question.department.code if question.department else None
    episode = await ctx.db.get(Episode, question.episode_id)
    assert episode is not None
    now = now or utcnow()
    if previous != department.code or question.status is S.NEW:
        question.routed_at = now
        question.due_date = await due_date_for(ctx.db, episode, to_local(now).date())
    question.department = department
    if question.status is S.NEW:
        question.status = S.ROUTED
    if note.strip():  # the department reads the latest note; routing again without one keeps it
        question.routing_note = note.strip()[:MAX_NOTE]
    audit.record(
        ctx.db,
        ctx.actor,
        "question.route",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=before,
        after=_snapshot(question) | {"due_date": str(question.due_date)},
        note=note.strip()[:MAX_NOTE] or None,
    )
    await _commit(ctx, question)
    ctx.engines.learn_route(question.id, question.public_text, department.code)
    await _publish(ctx, question, "routed", previous_department=previous if previous != department.code else None)
    return question


async def reject(
    ctx: ActionContext, question_id: int, reason: str, *, note: str = "", expected_version: int | None = None
) -> Question:
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    try:
        why = RejectReason(reason)
    except ValueError as exc:
        raise InvalidInput({"reason": _("Choose a reason.")}) from exc
    if why is RejectReason.OTHER and not note.strip():
        raise InvalidInput({"note": _("Please explain the reason.")})
    if question.status not in REJECTABLE:
        raise Conflict(_("This question can no longer be rejected."))
    before = _snapshot(question)
    previous = question.department.code if question.department else None
    question.status = S.REJECTED
    question.reject_reason = why
    question.reject_note = note.strip()[:MAX_NOTE] or None
    audit.record(
        ctx.db,
        ctx.actor,
        "question.reject",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=before,
        after=_snapshot(question) | {"reason": why.value},
        note=question.reject_note,
    )
    if why is RejectReason.OFF_TOPIC:  # "returned as out of scope": the citizen deserves to know
        await notifications.enqueue(ctx.db, MessageKind.OUT_OF_SCOPE, question)
    await _commit(ctx, question)
    await _publish(ctx, question, "rejected", previous_department=previous)
    return question


async def reopen(ctx: ActionContext, question_id: int, *, expected_version: int | None = None) -> Question:
    """Undo a rejection: the question goes back to the queue."""
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    if question.status is not S.REJECTED:
        raise Conflict(_("Only a rejected question can be reopened."))
    before = _snapshot(question)
    question.status = S.ROUTED if question.department_id else S.NEW
    question.reject_reason = None
    question.reject_note = None
    audit.record(
        ctx.db,
        ctx.actor,
        "question.reopen",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=before,
        after=_snapshot(question),
    )
    await _commit(ctx, question)
    await _publish(ctx, question, "reopened")
    return question


async def set_priority(
    ctx: ActionContext, question_id: int, priority: int, *, expected_version: int | None = None
) -> Question:
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    if priority not in (0, 1, 2):
        raise InvalidInput({"priority": _("Priority is normal, high or urgent.")})
    before = _snapshot(question)
    question.priority = priority
    audit.record(
        ctx.db,
        ctx.actor,
        "question.priority",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=before,
        after=_snapshot(question),
    )
    await _commit(ctx, question)
    await _publish(ctx, question, "priority")
    return question


ON_AIR_TEXT_MAX = 300


async def edit_wording(
    ctx: ActionContext,
    question_id: int,
    text: str,
    *,
    expected_version: int | None = None,
    on_air_text: str | None = None,
) -> Question:
    """Change the public wording (the citizens' raw texts stay untouched) and, when ``on_air_text`` is
    given, the short wording the studio screen reads instead ("" removes it; None leaves it as it is)."""
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    if question.status not in EDITABLE:
        raise Conflict(_("This question was merged into another one."))
    wording = unicodedata.normalize("NFC", text).strip()
    if problem := text_problem(wording):
        raise InvalidInput({"text": problem})
    short = None if on_air_text is None else " ".join(unicodedata.normalize("NFC", on_air_text).split())
    if short and len(short) > ON_AIR_TEXT_MAX:
        raise InvalidInput(
            {
                "on_air_text": _("The studio wording is %(n)d characters long; at most %(max)d fit the screen.")
                % {"n": len(short), "max": ON_AIR_TEXT_MAX}
            }
        )
    before = {"text": question.public_text, "on_air_text": question.on_air_text, "version": question.version}
    if short is not None:
        question.on_air_text = short or None
    question.public_text = wording
    question.search_text = fold(wording)
    question.wording_reviewed_at = utcnow()  # saved by a moderator: shown to citizens as written
    audit.record(
        ctx.db,
        ctx.actor,
        "question.edit",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=before,
        after={"text": wording, "on_air_text": question.on_air_text},
    )
    await _commit(ctx, question)
    ctx.engines.indexed(question.episode_id, question.id, wording)
    await _publish(ctx, question, "edited")
    return question


async def approve_wording(ctx: ActionContext, question_id: int, *, expected_version: int | None = None) -> Question:
    """A moderator read the public wording and lets citizens see it as written: until then citizen-facing
    views hide every name-like sequence and digit run in it (services/wording.py)."""
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await _question(ctx.db, question_id)
    _check_version(question, expected_version)
    if question.status not in EDITABLE:
        raise Conflict(_("This question was merged into another one."))
    if question.wording_reviewed_at is not None:
        return question
    question.wording_reviewed_at = utcnow()
    audit.record(
        ctx.db,
        ctx.actor,
        "question.approve_wording",
        "question",
        question.id,
        episode_id=question.episode_id,
        before={"version": question.version},
        after={"text": question.public_text},
    )
    await _commit(ctx, question)
    await _publish(ctx, question, "edited")  # what citizens see of it changed
    return question


async def merge(ctx: ActionContext, source_id: int, target_id: int, *, expected_version: int | None = None) -> Question:
    """Move every submission of ``source`` into ``target``; the source stays as an emptied shell
    (status merged) so that the merge can be undone from the history."""
    ensure_role(ctx.actor, Role.MODERATOR)
    if source_id == target_id:
        raise InvalidInput({"target": _("A question cannot be merged into itself.")})
    source = await _question(ctx.db, source_id)
    target = await _question(ctx.db, target_id)
    _check_version(source, expected_version)
    if source.episode_id != target.episode_id:
        raise InvalidInput({"target": _("Both questions must belong to the same episode.")})
    if source.status not in MERGEABLE or target.status in (S.MERGED, S.REJECTED):
        raise Conflict(_("These questions cannot be merged in their current state."))
    moved = list(await ctx.db.scalars(select(Submission.id).where(Submission.question_id == source.id)))
    before = {"source": _snapshot(source), "target": _snapshot(target)}
    await ctx.db.execute(
        update(Submission)
        .where(Submission.question_id == source.id)
        .values(question_id=target.id)
        .execution_options(synchronize_session=False)
    )
    target.submission_count += source.submission_count
    source.submission_count = 0
    previous_status = source.status
    source.status = S.MERGED
    source.merged_into_id = target.id
    audit.record(
        ctx.db,
        ctx.actor,
        "question.merge",
        "question",
        source.id,
        episode_id=source.episode_id,
        before=before,
        after={
            "target_id": target.id,
            "submission_ids": moved,
            "source_status": previous_status.value,
            "target_count": target.submission_count,
        },
    )
    await _commit(ctx, source)
    ctx.engines.unindexed(source.episode_id, source.id)
    await _publish(ctx, source, "merged")
    await _publish(ctx, target, "merged_into")
    return target


async def split(ctx: ActionContext, submission_id: int) -> Question:
    """Take one submission out of its question into a new question of its own (status new)."""
    ensure_role(ctx.actor, Role.MODERATOR)
    submission = await ctx.db.get(Submission, submission_id)
    if submission is None:
        raise NotFound(_("No such submission."))
    question = await _question(ctx.db, submission.question_id)
    if question.submission_count <= 1:
        raise Conflict(_("This is the question's only submission; there is nothing to split."))
    wording = public_wording(submission.raw_text) or question.public_text
    router = await ctx.engines.router(ctx.db)
    created = Question(
        episode_id=question.episode_id,
        public_text=wording,
        search_text=fold(wording),
        status=S.NEW,
        submission_count=1,
        ward_code=submission.ward_code,
        duplicate_suggestions=[[question.id, 0.0]],
        route_suggestions=[[r.code, round(r.confidence, 3)] for r in router.rank(wording, limit=3)],
    )
    ctx.db.add(created)
    await ctx.db.flush()
    submission.question_id = created.id
    question.submission_count -= 1
    audit.record(
        ctx.db,
        ctx.actor,
        "question.split",
        "question",
        question.id,
        episode_id=question.episode_id,
        before={"count": question.submission_count + 1},
        after={"submission_id": submission.id, "new_question_id": created.id, "count": question.submission_count},
    )
    await _commit(ctx, question)
    ctx.engines.indexed(created.episode_id, created.id, wording)
    await _publish(ctx, question, "split")
    await _publish(ctx, created, "submitted")
    return created


# Changes a moderator can take back, from the toast shown after the action or from the history.
UNDOABLE = ("question.merge", "question.split", "question.route", "question.reject")


async def latest_undoable(db: AsyncSession, question_id: int, actor: User) -> AuditEvent | None:
    """The change this moderator just made to this question (for the undo toast), if it can be undone."""
    event = await db.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "question", AuditEvent.entity_id == question_id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None or event.action not in UNDOABLE or event.actor_id != actor.id:
        return None
    return event


async def merges_into(db: AsyncSession, source_ids: list[int]) -> list[AuditEvent]:
    """The merges (not undone) that emptied these questions, the latest per question."""
    if not source_ids:
        return []
    events = list(
        await db.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "question.merge",
                AuditEvent.entity_type == "question",
                AuditEvent.entity_id.in_(source_ids),
            )
            .order_by(AuditEvent.id)
        )
    )
    undone = set(
        await db.scalars(
            select(AuditEvent.note).where(
                AuditEvent.action == "question.undo", AuditEvent.note.in_([str(e.id) for e in events])
            )
        )
    )
    latest = {e.entity_id: e for e in events if str(e.id) not in undone}
    return list(latest.values())


async def undo(ctx: ActionContext, audit_event_id: int) -> Question:
    """Reverse a merge, a split, a routing or a rejection recorded in the history: the same question
    comes back as it was (its id, its submissions, its counts), unless it changed since."""
    ensure_role(ctx.actor, Role.MODERATOR)
    event = await ctx.db.get(AuditEvent, audit_event_id)
    if event is None or event.action not in UNDOABLE or not event.after:
        raise NotFound(_("Only merges, splits, routings and rejections can be undone."))
    if await ctx.db.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "question.undo", AuditEvent.note == str(event.id))
    ):
        raise Conflict(_("This change was already undone."))
    if event.action in ("question.route", "question.reject"):
        return await _undo_decision(ctx, event)
    if event.action == "question.merge":
        source = await _question(ctx.db, int(event.entity_id or 0))
        target = await _question(ctx.db, int(event.after["target_id"]))
        ids = [int(i) for i in event.after.get("submission_ids", [])]
        changed = Conflict(_("The questions changed since; this merge can no longer be undone automatically."))
        if source.status is not S.MERGED or source.merged_into_id != target.id or target.status is S.MERGED:
            raise changed
        still_there = list(
            await ctx.db.scalars(
                select(Submission.id).where(Submission.id.in_(ids), Submission.question_id == target.id)
            )
        )
        if not still_there:  # all split off since (or gone on with the target): nothing to bring back
            raise changed
        await ctx.db.execute(
            update(Submission)
            .where(Submission.id.in_(still_there))
            .values(question_id=source.id)
            .execution_options(synchronize_session=False)
        )
        source.status = QuestionStatus(event.after.get("source_status", "new"))
        source.merged_into_id = None
        source.submission_count = len(still_there)
        target.submission_count = max(1, target.submission_count - len(still_there))
        audit.record(
            ctx.db,
            ctx.actor,
            "question.undo",
            "question",
            source.id,
            episode_id=source.episode_id,
            before={"merged_into": target.id},
            after={"restored_submissions": still_there},
            note=str(event.id),
        )
        await _commit(ctx, source)
        ctx.engines.indexed(source.episode_id, source.id, source.public_text)
        await _publish(ctx, source, "unmerged")
        await _publish(ctx, target, "unmerged")
        return source
    original = await _question(ctx.db, int(event.entity_id or 0))
    created = await _question(ctx.db, int(event.after["new_question_id"]))
    submission = await ctx.db.get(Submission, int(event.after["submission_id"]))
    if submission is None or submission.question_id != created.id or created.status is not S.NEW:
        raise Conflict(_("The questions changed since; this split can no longer be undone automatically."))
    submission.question_id = original.id
    original.submission_count += 1
    created.submission_count = 0
    created.status = S.MERGED
    created.merged_into_id = original.id
    audit.record(
        ctx.db,
        ctx.actor,
        "question.undo",
        "question",
        original.id,
        episode_id=original.episode_id,
        before={"split_into": created.id},
        after={"restored_submission": submission.id},
        note=str(event.id),
    )
    await _commit(ctx, original)
    ctx.engines.unindexed(created.episode_id, created.id)
    await _publish(ctx, original, "unsplit")
    await _publish(ctx, created, "merged")
    return original


async def _undo_decision(ctx: ActionContext, event: AuditEvent) -> Question:
    """Put a routed or rejected question back as it was before, if nobody changed it since."""
    question = await _question(ctx.db, int(event.entity_id or 0))
    before = event.before or {}
    after = event.after or {}
    later = await ctx.db.scalar(
        select(AuditEvent.id).where(
            AuditEvent.entity_type == "question", AuditEvent.entity_id == question.id, AuditEvent.id > event.id
        )
    )
    current = question.department.code if question.department else None
    if (
        later is not None
        or question.status.value != after.get("status")
        or current != after.get("department")
        or question.submission_count != after.get("count")
    ):
        raise Conflict(_("The question changed since; this change can no longer be undone automatically."))
    snapshot = _snapshot(question)
    previous_department = question.department.code if question.department else None
    question.status = QuestionStatus(before["status"])
    if event.action == "question.route":
        code = before.get("department")
        question.department = await ctx.db.scalar(select(Department).where(Department.code == code)) if code else None
        routed_at, due = before.get("routed_at"), before.get("due_date")
        question.routed_at = datetime.fromisoformat(routed_at) if routed_at else None
        question.due_date = date.fromisoformat(due) if due else None
    else:
        question.reject_reason = None
        question.reject_note = None
        # The "out of scope" message to the citizens goes only if the rejection stands.
        await ctx.db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.question_id == question.id,
                OutboundMessage.kind == MessageKind.OUT_OF_SCOPE,
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.attempts == 0,
            )
            .values(status=MessageStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
    audit.record(
        ctx.db,
        ctx.actor,
        "question.undo",
        "question",
        question.id,
        episode_id=question.episode_id,
        before=snapshot,
        after=_snapshot(question),
        note=str(event.id),
    )
    await _commit(ctx, question)
    current = question.department.code if question.department else None
    await _publish(
        ctx,
        question,
        "unrouted" if event.action == "question.route" else "reopened",
        previous_department=previous_department if previous_department != current else None,
    )
    return question


async def review_answer(
    ctx: ActionContext,
    answer_id: int,
    *,
    approve: bool,
    comment: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Answer:
    """Approve a submitted answer (question → ready) or return it to the officer with a comment."""
    ensure_role(ctx.actor, Role.MODERATOR)
    answer = await ctx.db.get(Answer, answer_id)
    if answer is None:
        raise NotFound(_("No such answer."))
    if expected_version is not None and answer.version != expected_version:
        raise Conflict(_("The answer changed a moment ago. Please read it again."))
    if answer.status is not AnswerStatus.SUBMITTED:
        raise Conflict(_("Only a submitted answer can be reviewed."))
    if not approve and not comment.strip():
        raise InvalidInput({"comment": _("Say what the department should change.")})
    question = await _question(ctx.db, answer.question_id)
    before = {"answer": answer.status.value, "question": question.status.value}
    now = now or utcnow()
    answer.reviewed_by_id = ctx.actor.id
    if approve:
        answer.status = AnswerStatus.APPROVED
        answer.approved_at = now
        answer.review_comment = comment.strip()[:MAX_NOTE] or None
        if question.status is S.ANSWER_REVIEW:
            question.status = S.READY
    else:
        answer.status = AnswerStatus.RETURNED
        answer.review_comment = comment.strip()[:MAX_NOTE]
        if question.status is S.ANSWER_REVIEW:
            question.status = S.ROUTED
    audit.record(
        ctx.db,
        ctx.actor,
        "answer.approve" if approve else "answer.return",
        "answer",
        answer.id,
        episode_id=question.episode_id,
        before=before,
        after={"answer": answer.status.value, "question": question.status.value},
        note=answer.review_comment,
    )
    await _commit(ctx, question)
    await _publish(ctx, question, "answer_approved" if approve else "answer_returned")
    return answer


async def update_matching_settings(
    db: AsyncSession,
    actor: User,
    publisher: Publisher,
    episode_id: int,
    *,
    auto_merge: float | None,
    suggest: float | None,
    filler_phrases: list[str],
) -> Episode:
    """Per-episode duplicate thresholds and filler phrases (ignored when matching)."""
    ensure_role(actor, Role.MODERATOR)
    episode = await db.get(Episode, episode_id)
    if episode is None:
        raise NotFound(_("No such episode."))
    errors = {}
    for name, value in (("auto_merge", auto_merge), ("suggest", suggest)):
        if value is not None and not 0 <= value <= 100:
            errors[name] = _("A threshold is between 0 and 100.")
    if auto_merge is not None and suggest is not None and suggest > auto_merge:
        errors["suggest"] = _("The suggestion threshold must not be above the automatic-merge threshold.")
    phrases = [p.strip() for p in filler_phrases if p.strip()][:200]
    if any(len(p) > 100 for p in phrases):
        errors["filler_phrases"] = _("A filler phrase has at most 100 characters.")
    if errors:
        raise InvalidInput(errors)
    before = {
        "auto_merge": episode.auto_merge_threshold,
        "suggest": episode.suggest_threshold,
        "fillers": list(episode.filler_phrases or []),
    }
    episode.auto_merge_threshold = auto_merge
    episode.suggest_threshold = suggest
    episode.filler_phrases = phrases
    audit.record(
        db,
        actor,
        "episode.matching",
        "episode",
        episode.id,
        episode_id=episode.id,
        before=before,
        after={"auto_merge": auto_merge, "suggest": suggest, "fillers": phrases},
    )
    await db.commit()
    await publisher.publish(EpisodeChanged(episode_id=episode.id))
    return episode
