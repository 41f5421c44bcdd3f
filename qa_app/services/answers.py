"""Departments answer: drafts (autosaved), submission for review, re-routing requests, publication.

Officers act only on questions routed to their own department; anything else is "not found", so that
an officer cannot even learn that another department's question exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import fold, match_check
from qa_app.events import Publisher, QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import (
    Answer,
    AnswerStatus,
    Commitment,
    Department,
    EpisodeOfficial,
    MessageKind,
    Question,
    QuestionStatus,
    RerouteRequest,
    RerouteStatus,
    Role,
    User,
)
from qa_app.services import audit, notifications
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import to_local, utcnow

S = QuestionStatus
# A department may work on the answer while the question is in these states.
ANSWERABLE = frozenset({S.ROUTED, S.ANSWER_REVIEW, S.READY, S.QUEUED})
EDITABLE_ANSWER = frozenset({AnswerStatus.DRAFT, AnswerStatus.RETURNED})
MAX_BODY = 20_000
MAX_COMMITMENTS = 10


@dataclass(frozen=True)
class CommitmentLine:
    what: str
    due: date | None


@dataclass(frozen=True)
class AnswerForm:
    body: str
    official_name: str = ""
    official_title: str = ""
    commitments: tuple[CommitmentLine, ...] = ()
    official_id: int | None = None  # one of the episode's officials, chosen from the list


@dataclass(frozen=True)
class Ctx:
    db: AsyncSession
    actor: User
    publisher: Publisher
    engines: ModerationEngines


async def question_for(db: AsyncSession, actor: User, question_id: int) -> Question:
    """The question if the actor may see it as a department: officers only their own department's."""
    ensure_role(actor, Role.OFFICER)
    question = await db.get(Question, question_id)
    if question is None or question.department_id is None:
        raise NotFound(_("No such question."))
    if actor.role is Role.OFFICER and question.department_id != actor.department_id:
        raise NotFound(_("No such question."))
    return question


async def current_answer(db: AsyncSession, question: Question) -> Answer | None:
    """The department's latest answer to the question (any status)."""
    return await db.scalar(
        select(Answer)
        .where(Answer.question_id == question.id, Answer.department_id == question.department_id)
        .order_by(Answer.id.desc())
        .limit(1)
    )


async def answers_of(db: AsyncSession, question: Question) -> list[Answer]:
    return list(await db.scalars(select(Answer).where(Answer.question_id == question.id).order_by(Answer.id.desc())))


def check(question: Question, body: str) -> dict[str, Any]:
    """The answer–question match check, as stored with the answer and shown to officer and moderator."""
    result = match_check(question.public_text, body)
    return {"score": round(result.score, 2), "missing": list(result.missing_terms), "ok": result.ok}


def _validate(form: AnswerForm, *, for_submit: bool) -> tuple[str, list[CommitmentLine]]:
    errors: dict[str, str] = {}
    body = unicodedata.normalize("NFC", form.body).replace("\x00", "").strip()
    if len(body) > MAX_BODY:
        errors["body"] = _("The answer is too long (at most 20,000 characters).")
    if for_submit and len(body) < 20:
        errors["body"] = _("Write the answer before submitting it (at least 20 characters).")
    if for_submit and not form.official_name.strip() and form.official_id is None:
        errors["official_name"] = _("Name the official who gives this answer.")
    commitments = [c for c in form.commitments if c.what.strip()][:MAX_COMMITMENTS]
    if any(len(c.what) > 1000 for c in commitments):
        errors["commitments"] = _("A commitment has at most 1,000 characters.")
    if errors:
        raise InvalidInput(errors)
    return body, commitments


async def officials_for(db: AsyncSession, question: Question) -> list[EpisodeOfficial]:
    """The episode's officials a department may name as answering: its own, and those an admin tied to no
    department. Another department's leader is never offered."""
    return list(
        await db.scalars(
            select(EpisodeOfficial)
            .where(
                EpisodeOfficial.episode_id == question.episode_id,
                (EpisodeOfficial.department_id == question.department_id) | EpisodeOfficial.department_id.is_(None),
            )
            .order_by(EpisodeOfficial.id)
        )
    )


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", fold(text))) + " "


async def _official(db: AsyncSession, question: Question, form: AnswerForm, *, strict: bool) -> tuple[str, str]:
    """Who answers: an official chosen from the list (name and title from it) or a name typed by hand.

    ``strict`` (on submit): an official of another department is refused, chosen or typed, with a message
    saying whose official that is; a typed name that is none of the episode's officials is accepted.
    """
    officials = list(await db.scalars(select(EpisodeOfficial).where(EpisodeOfficial.episode_id == question.episode_id)))
    own_department = question.department.name if question.department else ""

    def refuse(official: EpisodeOfficial) -> InvalidInput:
        department = official.department.name if official.department else ""
        return InvalidInput(
            {
                "official_name": _(
                    "%(name)s is an official of %(department)s, not of %(own)s. Choose one of your department's "
                    "officials or type the name of the person who gives the answer."
                )
                % {"name": official.name, "department": department, "own": own_department}
            }
        )

    def foreign(official: EpisodeOfficial) -> bool:
        return official.department_id is not None and official.department_id != question.department_id

    if form.official_id is not None and not form.official_name.strip():
        chosen = next((o for o in officials if o.id == form.official_id), None)
        if chosen is None:
            if strict:
                raise InvalidInput({"official_name": _("Choose an official from the list or type the name.")})
            return "", ""
        if strict and foreign(chosen):
            raise refuse(chosen)
        return chosen.name, chosen.title
    name, title = form.official_name.strip(), form.official_title.strip()
    if strict and name:
        typed = _words(name)
        own = [o for o in officials if not foreign(o) and _words(o.name).strip() and _words(o.name) in typed]
        others = [o for o in officials if foreign(o) and _words(o.name).strip() and _words(o.name) in typed]
        if others and not own:
            raise refuse(others[0])
    return name, title


async def save_draft(ctx: Ctx, question_id: int, form: AnswerForm, *, expected_version: int | None = None) -> Answer:
    """Create or update the department's draft (also the autosave); never changes the question's status."""
    question = await question_for(ctx.db, ctx.actor, question_id)
    if question.status not in ANSWERABLE:
        raise Conflict(_("This question no longer takes an answer from the department."))
    body, commitments = _validate(form, for_submit=False)
    official_name, official_title = await _official(ctx.db, question, form, strict=False)
    answer = await current_answer(ctx.db, question)
    if answer is not None and answer.status not in EDITABLE_ANSWER:
        raise Conflict(_("The answer was already submitted; wait for the review."))
    if answer is not None and expected_version is not None and answer.version != expected_version:
        raise Conflict(_("This answer was changed in another window or by a colleague. Reload to see it."))
    if answer is None:
        assert question.department_id is not None
        answer = Answer(question_id=question.id, department_id=question.department_id, status=AnswerStatus.DRAFT)
        ctx.db.add(answer)
    answer.author_id = ctx.actor.id
    answer.body = body
    answer.official_name = official_name[:128]
    answer.official_title = official_title[:255]
    answer.match_check = check(question, body) if body else None
    answer.commitments = [Commitment(what=c.what.strip(), due_date=c.due) for c in commitments]
    await ctx.db.commit()
    return answer


async def submit_answer(ctx: Ctx, question_id: int, form: AnswerForm, *, expected_version: int | None = None) -> Answer:
    """Save and send the answer for the moderators' review (question → answer in review)."""
    _validate(form, for_submit=True)
    await _official(ctx.db, await question_for(ctx.db, ctx.actor, question_id), form, strict=True)
    answer = await save_draft(ctx, question_id, form, expected_version=expected_version)
    question = await question_for(ctx.db, ctx.actor, question_id)
    before = {"answer": answer.status.value, "question": question.status.value}
    answer.status = AnswerStatus.SUBMITTED
    answer.submitted_at = utcnow()
    if question.status is S.ROUTED:
        question.status = S.ANSWER_REVIEW
    audit.record(
        ctx.db,
        ctx.actor,
        "answer.submit",
        "answer",
        answer.id,
        episode_id=question.episode_id,
        before=before,
        after={"answer": "submitted", "question": question.status.value, "match_check": answer.match_check},
    )
    await ctx.db.commit()
    await ctx.publisher.publish(
        QuestionChanged(
            episode_id=question.episode_id,
            question_id=question.id,
            action="answer_submitted",
            department_code=question.department.code if question.department else None,
        )
    )
    return answer


async def request_reroute(ctx: Ctx, question_id: int, reason: str, suggested_code: str = "") -> RerouteRequest:
    """ "Không thuộc thẩm quyền": ask the moderators to send the question elsewhere."""
    question = await question_for(ctx.db, ctx.actor, question_id)
    if question.status not in (S.ROUTED, S.ANSWER_REVIEW):
        raise Conflict(_("Re-routing can only be asked before the answer is approved."))
    reason = unicodedata.normalize("NFC", reason).replace("\x00", "").strip()
    if len(reason) < 10:
        raise InvalidInput({"reason": _("Explain in a sentence why this is not your department's competence.")})
    suggested = None
    if suggested_code:
        suggested = await ctx.db.scalar(select(Department).where(Department.code == suggested_code))
        if suggested is None:
            raise InvalidInput({"suggested": _("Unknown department.")})
        if suggested.id == question.department_id:
            raise InvalidInput({"suggested": _("Suggest another department than yours.")})
    pending = await ctx.db.scalar(
        select(RerouteRequest).where(
            RerouteRequest.question_id == question.id, RerouteRequest.status == RerouteStatus.PENDING
        )
    )
    if pending is not None:
        raise Conflict(_("A re-routing request for this question is already waiting for the moderators."))
    assert question.department_id is not None
    request = RerouteRequest(
        question_id=question.id,
        from_department_id=question.department_id,
        suggested_department_id=suggested.id if suggested else None,
        reason=reason[:2000],
        requested_by_id=ctx.actor.id,
    )
    ctx.db.add(request)
    await ctx.db.flush()
    audit.record(
        ctx.db,
        ctx.actor,
        "question.reroute_request",
        "question",
        question.id,
        episode_id=question.episode_id,
        after={"suggested": suggested_code or None},
        note=reason[:500],
    )
    await ctx.db.commit()
    await ctx.publisher.publish(
        QuestionChanged(
            episode_id=question.episode_id,
            question_id=question.id,
            action="reroute_requested",
            department_code=question.department.code if question.department else None,
        )
    )
    return request


async def pending_reroute(db: AsyncSession, question_id: int) -> RerouteRequest | None:
    return await db.scalar(
        select(RerouteRequest).where(
            RerouteRequest.question_id == question_id, RerouteRequest.status == RerouteStatus.PENDING
        )
    )


async def decide_reroute(
    ctx: Ctx, request_id: int, *, accept: bool, department_code: str = "", note: str = ""
) -> Question:
    """A moderator's decision on a re-routing request; accepting routes the question (and teaches the router)."""
    from qa_app.services import moderation_actions

    ensure_role(ctx.actor, Role.MODERATOR)
    request = await ctx.db.get(RerouteRequest, request_id)
    if request is None or request.status is not RerouteStatus.PENDING:
        raise NotFound(_("No pending re-routing request."))
    question = await ctx.db.get(Question, request.question_id)
    assert question is not None
    request.status = RerouteStatus.ACCEPTED if accept else RerouteStatus.DECLINED
    request.decided_by_id = ctx.actor.id
    request.decided_at = utcnow()
    request.decision_note = note.strip()[:1000] or None
    department = question.department
    audit.record(
        ctx.db,
        ctx.actor,
        "question.reroute_decision",
        "question",
        question.id,
        episode_id=question.episode_id,
        after={"accepted": accept, "department": department_code or None},
        note=request.decision_note,
    )
    if not accept:
        await ctx.db.commit()
        await ctx.publisher.publish(
            QuestionChanged(
                episode_id=question.episode_id,
                question_id=question.id,
                action="reroute_declined",
                department_code=department.code if department else None,
            )
        )
        return question
    if not department_code:
        raise InvalidInput({"department": _("Choose the department to send the question to.")})
    await ctx.db.flush()
    # The question goes back to "routed" for the new department, whatever the old one had drafted.
    if question.status is S.ANSWER_REVIEW:
        question.status = S.ROUTED
    action_ctx = moderation_actions.ActionContext(ctx.db, ctx.actor, ctx.publisher, ctx.engines)
    return await moderation_actions.route(action_ctx, question.id, department_code, note=request.decision_note or "")


async def publish_answer(ctx: Ctx, question_id: int, *, now: datetime | None = None) -> Question:
    """Publish the approved answer: the question is answered in writing; on time or late is recorded."""
    ensure_role(ctx.actor, Role.MODERATOR)
    question = await ctx.db.get(Question, question_id)
    if question is None:
        raise NotFound(_("No such question."))
    if question.status not in (S.READY, S.QUEUED, S.ANSWERED_ON_AIR):
        raise Conflict(_("Only a question with an approved answer can be published."))
    answer = await ctx.db.scalar(
        select(Answer)
        .where(Answer.question_id == question.id, Answer.status == AnswerStatus.APPROVED)
        .order_by(Answer.id.desc())
        .limit(1)
    )
    if answer is None:
        raise Conflict(_("Only a question with an approved answer can be published."))
    now = now or utcnow()
    answer.status = AnswerStatus.PUBLISHED
    answer.published_at = now
    before = question.status.value
    if question.status is not S.ANSWERED_ON_AIR:
        question.status = S.ANSWERED_IN_WRITING
        question.answered_at = now
    question.published_at = now
    question.on_time = question.due_date is None or to_local(now).date() <= question.due_date
    audit.record(
        ctx.db,
        ctx.actor,
        "answer.publish",
        "answer",
        answer.id,
        episode_id=question.episode_id,
        before={"question": before},
        after={"question": question.status.value, "on_time": question.on_time},
    )
    await notifications.enqueue(ctx.db, MessageKind.ANSWER_PUBLISHED, question)
    await ctx.db.commit()
    await ctx.publisher.publish(
        QuestionChanged(
            episode_id=question.episode_id,
            question_id=question.id,
            action="published",
            department_code=question.department.code if question.department else None,
        )
    )
    return question


async def inbox(db: AsyncSession, department_id: int, *, status: str = "open", due: str = "") -> list[Question]:
    """The department's questions: open ones (to answer) by default, most urgent deadline first."""
    query = select(Question).where(Question.department_id == department_id, Question.status != S.MERGED)
    if status == "open":
        query = query.where(Question.status.in_([S.ROUTED, S.ANSWER_REVIEW]))
    elif status in {s.value for s in QuestionStatus}:
        query = query.where(Question.status == QuestionStatus(status))
    today = to_local(utcnow()).date()
    if due == "overdue":
        query = query.where(Question.due_date < today)
    elif due == "soon":
        from qa_app.timeutil import add_working_days

        query = query.where(Question.due_date >= today, Question.due_date <= add_working_days(today, 2))
    query = query.order_by(Question.due_date.asc().nulls_last(), Question.priority.desc(), Question.id)
    return list(await db.scalars(query.limit(500)))


async def inbox_counts(db: AsyncSession, department_id: int) -> tuple[dict[str, int], int]:
    """Questions of a department per status, and how many open ones are past their due date."""
    from sqlalchemy import func

    rows = await db.execute(
        select(Question.status, func.count()).where(Question.department_id == department_id).group_by(Question.status)
    )
    counts = {QuestionStatus(status).value: int(n) for status, n in rows.all()}
    today = to_local(utcnow()).date()
    overdue = await db.scalar(
        select(func.count()).where(
            Question.department_id == department_id,
            Question.due_date < today,
            Question.status.in_([S.ROUTED, S.ANSWER_REVIEW]),
        )
    )
    return counts, int(overdue or 0)
