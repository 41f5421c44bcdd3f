"""Commitments followed until kept: the promises made in answers, per department.

A commitment is *made* once its answer reaches the citizens (published in writing, or approved and
given on air). It is pending until its due date, then overdue; the department claims it done with
evidence (a text or a link) and a moderator accepts the claim (done) or sends it back; a moderator
may record it dropped, with the reason. After the due date the citizens who asked (and consented)
are asked once "Lời hứa này đã được thực hiện chưa?" and their verdicts are shown beside the claim.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa_app.i18n import gettext as _
from qa_app.models import (
    Answer,
    AnswerStatus,
    Commitment,
    CommitmentStatus,
    CommitmentVerdict,
    Department,
    MessageKind,
    Question,
    QuestionStatus,
    Role,
    Submission,
    User,
    Verdict,
)
from qa_app.periodic import Periodic
from qa_app.services import audit, notifications
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import to_local, utcnow

logger = logging.getLogger(__name__)
C = CommitmentStatus
OPEN = frozenset({C.PENDING, C.OVERDUE, C.CLAIMED})
MAX_TEXT = 2000


def made() -> ColumnElement[bool]:
    """Commitments whose answer reached the citizens: only those are promises to follow."""
    return or_(
        Answer.status == AnswerStatus.PUBLISHED,
        and_(Answer.status == AnswerStatus.APPROVED, Question.status == QuestionStatus.ANSWERED_ON_AIR),
    )


def today_local(now: datetime | None = None) -> date:
    return to_local(now or utcnow()).date()


def state(commitment: Commitment, today: date) -> CommitmentStatus:
    """The status as of ``today``: a pending promise past its due date is overdue even before the
    hourly sweep records it."""
    if commitment.status in (C.PENDING, C.OVERDUE):
        return C.OVERDUE if commitment.due_date is not None and commitment.due_date < today else C.PENDING
    return commitment.status


@dataclass
class FollowUp:
    commitment: Commitment
    question: Question
    department: Department
    state: CommitmentStatus
    verdicts: Counter[str] = field(default_factory=Counter)

    @property
    def verdict_total(self) -> int:
        return sum(self.verdicts.values())


async def follow_ups(
    db: AsyncSession,
    *,
    episode_id: int | None = None,
    department_id: int | None = None,
    today: date | None = None,
) -> list[FollowUp]:
    """Every commitment made (per episode and/or department), most urgent first, with verdict counts."""
    today = today or today_local()
    query = (
        select(Commitment, Question, Department)
        .join(Answer, Answer.id == Commitment.answer_id)
        .join(Question, Question.id == Answer.question_id)
        .join(Department, Department.id == Answer.department_id)
        .where(made())
        .order_by(Commitment.due_date.asc().nulls_last(), Commitment.id)
    )
    if episode_id is not None:
        query = query.where(Question.episode_id == episode_id)
    if department_id is not None:
        query = query.where(Answer.department_id == department_id)
    rows = [FollowUp(c, q, d, state(c, today)) for c, q, d in (await db.execute(query)).all()]
    if rows:
        counts = await db.execute(
            select(CommitmentVerdict.commitment_id, CommitmentVerdict.verdict, func.count())
            .where(CommitmentVerdict.commitment_id.in_([r.commitment.id for r in rows]))
            .group_by(CommitmentVerdict.commitment_id, CommitmentVerdict.verdict)
        )
        by_id = {r.commitment.id: r for r in rows}
        for commitment_id, verdict, n in counts.all():
            by_id[commitment_id].verdicts[Verdict(verdict).value] = int(n)
    order = {C.CLAIMED: 0, C.OVERDUE: 1, C.PENDING: 2, C.DONE: 3, C.DROPPED: 4}
    rows.sort(key=lambda r: order[r.state])
    return rows


async def overdue_count(db: AsyncSession, department_id: int, today: date | None = None) -> int:
    """The department's promises past their due date and not kept (for the inbox)."""
    today = today or today_local()
    value = await db.scalar(
        select(func.count())
        .select_from(Commitment)
        .join(Answer, Answer.id == Commitment.answer_id)
        .join(Question, Question.id == Answer.question_id)
        .where(
            made(),
            Answer.department_id == department_id,
            Commitment.status.in_([C.PENDING, C.OVERDUE]),
            Commitment.due_date < today,
        )
    )
    return int(value or 0)


async def _load(db: AsyncSession, commitment_id: int) -> tuple[Commitment, Answer, Question]:
    row = (
        await db.execute(
            select(Commitment, Answer, Question)
            .join(Answer, Answer.id == Commitment.answer_id)
            .join(Question, Question.id == Answer.question_id)
            .where(Commitment.id == commitment_id, made())
        )
    ).first()
    if row is None:
        raise NotFound(_("No such commitment."))
    return row[0], row[1], row[2]


def _text(value: str, field_name: str, minimum: int, message: str) -> str:
    text = unicodedata.normalize("NFC", value).replace("\x00", "").strip()
    if len(text) < minimum:
        raise InvalidInput({field_name: message})
    if len(text) > MAX_TEXT:
        raise InvalidInput({field_name: _("At most 2,000 characters.")})
    return text


async def claim_done(
    db: AsyncSession, actor: User, commitment_id: int, evidence: str, *, now: datetime | None = None
) -> Commitment:
    """The department says the promise is kept, with evidence; a moderator decides."""
    ensure_role(actor, Role.OFFICER)
    commitment, answer, question = await _load(db, commitment_id)
    if actor.role is Role.OFFICER and actor.department_id != answer.department_id:
        raise NotFound(_("No such commitment."))  # another department's: not even its existence
    if commitment.status not in (C.PENDING, C.OVERDUE):
        raise Conflict(_("This commitment is not open for a claim."))
    proof = _text(evidence, "evidence", 5, _("Say what was done, or give a link that shows it."))
    before = commitment.status.value
    commitment.status = C.CLAIMED
    commitment.evidence = proof
    commitment.claimed_by_id = actor.id
    commitment.claimed_at = now or utcnow()
    commitment.review_note = None
    audit.record(
        db,
        actor,
        "commitment.claim",
        "commitment",
        commitment.id,
        episode_id=question.episode_id,
        before={"status": before},
        after={"status": "claimed"},
        note=proof[:500],
    )
    await db.commit()
    return commitment


async def review_claim(
    db: AsyncSession,
    actor: User,
    commitment_id: int,
    *,
    accept: bool,
    note: str = "",
    now: datetime | None = None,
) -> Commitment:
    """A moderator accepts the department's claim (done; the citizens are told) or sends it back."""
    ensure_role(actor, Role.MODERATOR)
    commitment, _answer, question = await _load(db, commitment_id)
    if commitment.status is not C.CLAIMED:
        raise Conflict(_("Only a commitment claimed done can be reviewed."))
    when = now or utcnow()
    commitment.reviewed_by_id = actor.id
    commitment.reviewed_at = when
    if accept:
        commitment.status = C.DONE
        commitment.done_at = when
        commitment.review_note = note.strip()[:1000] or None
        await notifications.enqueue(db, MessageKind.COMMITMENT_DONE, question, commitment_id=commitment.id)
    else:
        commitment.review_note = _text(note, "note", 5, _("Say what is missing for the claim to be accepted."))
        commitment.status = C.PENDING  # overdue again as soon as its date has passed (see ``state``)
    audit.record(
        db,
        actor,
        "commitment.accept" if accept else "commitment.refuse",
        "commitment",
        commitment.id,
        episode_id=question.episode_id,
        before={"status": "claimed"},
        after={"status": commitment.status.value},
        note=commitment.review_note,
    )
    await db.commit()
    return commitment


async def drop(
    db: AsyncSession, actor: User, commitment_id: int, reason: str, *, now: datetime | None = None
) -> Commitment:
    """A moderator records that the promise will not be kept, and why; the citizens are told."""
    ensure_role(actor, Role.MODERATOR)
    commitment, _answer, question = await _load(db, commitment_id)
    if commitment.status in (C.DONE, C.DROPPED):
        raise Conflict(_("This commitment is already closed."))
    why = _text(reason, "reason", 10, _("Explain in a sentence why the promise is dropped."))
    before = commitment.status.value
    commitment.status = C.DROPPED
    commitment.drop_reason = why
    commitment.reviewed_by_id = actor.id
    commitment.reviewed_at = now or utcnow()
    await notifications.enqueue(db, MessageKind.COMMITMENT_DROPPED, question, commitment_id=commitment.id)
    audit.record(
        db,
        actor,
        "commitment.drop",
        "commitment",
        commitment.id,
        episode_id=question.episode_id,
        before={"status": before},
        after={"status": "dropped"},
        note=why[:500],
    )
    await db.commit()
    return commitment


@dataclass(frozen=True)
class SweepReport:
    overdue: int  # promises recorded overdue by this run
    asked: int  # promises whose citizens were asked "has it been done?"


async def sweep(db: AsyncSession, *, now: datetime | None = None) -> SweepReport:
    """Record promises past their due date as overdue, and ask their citizens once whether they were
    kept (promises reported done were asked already when accepted). Idempotent; runs every hour."""
    now = now or utcnow()
    today = today_local(now)
    due = list(
        (
            await db.execute(
                select(Commitment, Question)
                .join(Answer, Answer.id == Commitment.answer_id)
                .join(Question, Question.id == Answer.question_id)
                .where(made(), Commitment.due_date < today, Commitment.status.in_(list(OPEN)))
                # Several workers may sweep at once (PostgreSQL): each promise is handled by one.
                .with_for_update(of=Commitment, skip_locked=True)
            )
        ).all()
    )
    overdue = asked = 0
    for commitment, question in due:
        if commitment.status is C.PENDING:
            commitment.status = C.OVERDUE
            overdue += 1
            audit.record(
                db,
                None,
                "commitment.overdue",
                "commitment",
                commitment.id,
                episode_id=question.episode_id,
                after={"due_date": commitment.due_date.isoformat() if commitment.due_date else None},
            )
        if commitment.verdict_requested_at is None:
            commitment.verdict_requested_at = now
            await notifications.enqueue(db, MessageKind.COMMITMENT_CHECK, question, commitment_id=commitment.id)
            asked += 1
    await db.commit()
    return SweepReport(overdue=overdue, asked=asked)


# --- the citizens' verdicts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictRequest:
    commitment: Commitment
    question: Question
    department: Department
    state: CommitmentStatus
    submission_id: int
    current: Verdict | None


async def verdict_request(db: AsyncSession, secret: str, token: str) -> VerdictRequest:
    """What the signed link in a message points to: the promise, and this citizen's verdict so far."""
    ids = notifications.read_token(secret, "verdict", token, 2)
    if ids is None:
        raise NotFound(_("This link is not valid."))
    commitment_id, submission_id = ids
    commitment, answer, question = await _load(db, commitment_id)
    submission = await db.get(Submission, submission_id)
    if submission is None or submission.question_id != question.id:
        raise NotFound(_("This link is not valid."))
    department = await db.get(Department, answer.department_id)
    assert department is not None
    current = await db.scalar(
        select(CommitmentVerdict.verdict).where(
            CommitmentVerdict.commitment_id == commitment.id, CommitmentVerdict.submission_id == submission_id
        )
    )
    return VerdictRequest(commitment, question, department, state(commitment, today_local()), submission_id, current)


async def record_verdict(db: AsyncSession, secret: str, token: str, verdict: str) -> VerdictRequest:
    """One click: yes / not yet / partly (a later click changes it)."""
    request = await verdict_request(db, secret, token)
    try:
        chosen = Verdict(verdict)
    except ValueError as exc:
        raise InvalidInput({"verdict": _("Choose one of the answers.")}) from exc
    row = await db.scalar(
        select(CommitmentVerdict).where(
            CommitmentVerdict.commitment_id == request.commitment.id,
            CommitmentVerdict.submission_id == request.submission_id,
        )
    )
    if row is None:
        db.add(
            CommitmentVerdict(commitment_id=request.commitment.id, submission_id=request.submission_id, verdict=chosen)
        )
    else:
        row.verdict = chosen
    audit.record(
        db,
        None,
        "commitment.verdict",
        "commitment",
        request.commitment.id,
        episode_id=request.question.episode_id,
        after={"verdict": chosen.value},
    )
    await db.commit()
    return VerdictRequest(
        request.commitment, request.question, request.department, request.state, request.submission_id, chosen
    )


class FollowUpSchedule(Periodic):
    """Runs :func:`sweep` in the background every ``interval`` seconds (every worker may: it is idempotent)."""

    name = "commitment-follow-up"
    failure = "commitment follow-up failed"

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, interval: float = 3600, delay: float = 90
    ) -> None:
        super().__init__(interval=interval, delay=delay)
        self._sessionmaker = sessionmaker

    async def run_once(self) -> None:
        async with self._sessionmaker() as db:
            report = await sweep(db)
        if report.overdue or report.asked:
            logger.info("commitments: %d now overdue, %d asked to citizens", report.overdue, report.asked)
