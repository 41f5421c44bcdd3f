"""The figures of an episode after the broadcast: for the public accountability page and the report
to the People's Council. Read-only; no personal data leaves this module except through
``askers`` (an admin's export, audited by the caller).

Definitions (shown on the pages):
- questions: distinct questions (duplicates merged count once); submissions: what citizens sent;
- pending: accepted questions not answered yet (neither on air nor in writing);
- on-time rate: written answers published by their due date, out of every question whose written
  answer was due (answered in writing, or still open past its due date);
- satisfaction: ratings 3 (very satisfied), 2 (satisfied), 1 (not satisfied); "satisfied" is 2 or 3;
- commitments: promises in answers that reached the citizens (see ``services.commitments``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import (
    Answer,
    Channel,
    CommitmentStatus,
    Department,
    Episode,
    Question,
    QuestionStatus,
    Rating,
    Submission,
    User,
)
from qa_app.services import audit
from qa_app.services import commitments as commitment_service
from qa_app.services.permissions import ensure_role
from qa_app.services.wards import wards_by_code
from qa_app.timeutil import as_utc, to_local, utcnow

S = QuestionStatus
ANSWERED = (S.ANSWERED_ON_AIR, S.ANSWERED_IN_WRITING)
OPEN = (S.NEW, S.ROUTED, S.ANSWER_REVIEW, S.READY, S.QUEUED, S.ON_AIR)
ROUTED_OPEN = (S.ROUTED, S.ANSWER_REVIEW, S.READY, S.QUEUED, S.ON_AIR)
ARRIVAL_BIN = timedelta(minutes=30)
ARRIVAL_MARGIN = timedelta(hours=2)


@dataclass
class Figures:
    """The accountability figures of an episode, or of one department in it."""

    submissions: int = 0
    questions: int = 0
    rejected: int = 0
    answered_on_air: int = 0
    answered_in_writing: int = 0
    pending: int = 0
    due: int = 0  # written answers that were due (see the module's definitions)
    on_time: int = 0
    late: int = 0  # answered in writing after the due date
    open_overdue: int = 0  # still unanswered past the due date
    ratings: int = 0
    rating_scores: Counter[int] = field(default_factory=Counter)
    commitments: Counter[str] = field(default_factory=Counter)  # made, done, overdue, pending, claimed, dropped
    verdicts: Counter[str] = field(default_factory=Counter)  # yes, not_yet, partly

    @property
    def accepted(self) -> int:
        return self.questions - self.rejected

    @property
    def answered(self) -> int:
        return self.answered_on_air + self.answered_in_writing

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def rating_average(self) -> float | None:
        total = sum(score * n for score, n in self.rating_scores.items())
        return total / self.ratings if self.ratings else None

    @property
    def satisfied(self) -> int:
        return self.rating_scores[3] + self.rating_scores[2]

    @property
    def satisfied_rate(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None


def percent(value: float | None) -> str:
    """``87,5 %`` (Vietnamese decimal comma), ``—`` when there is nothing to divide."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}".replace(".", ",")
    return f"{text.removesuffix(',0')} %"


def decimal(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


async def figures(
    db: AsyncSession, episode_id: int, *, department_id: int | None = None, today: date | None = None
) -> Figures:
    """The figures of an episode (or of one department's questions in it) as of ``today``."""
    today = today or commitment_service.today_local()
    scope = [Question.episode_id == episode_id, Question.status != S.MERGED]
    if department_id is not None:
        scope.append(Question.department_id == department_id)
    out = Figures()
    statuses = await db.execute(select(Question.status, func.count()).where(*scope).group_by(Question.status))
    by_status = {QuestionStatus(status): int(n) for status, n in statuses.all()}
    out.questions = sum(by_status.values())
    out.rejected = by_status.get(S.REJECTED, 0)
    out.answered_on_air = by_status.get(S.ANSWERED_ON_AIR, 0)
    out.answered_in_writing = by_status.get(S.ANSWERED_IN_WRITING, 0)
    out.pending = sum(by_status.get(s, 0) for s in OPEN)
    out.submissions = int(
        await db.scalar(
            select(func.count())
            .select_from(Submission)
            .join(Question, Question.id == Submission.question_id)
            .where(*scope)
        )
        or 0
    )
    written = await db.execute(
        select(Question.on_time, func.count())
        .where(*scope, Question.status == S.ANSWERED_IN_WRITING, Question.due_date.is_not(None))
        .group_by(Question.on_time)
    )
    for on_time, n in written.all():
        if on_time:
            out.on_time += int(n)
        else:
            out.late += int(n)
    out.open_overdue = int(
        await db.scalar(select(func.count()).where(*scope, Question.status.in_(ROUTED_OPEN), Question.due_date < today))
        or 0
    )
    out.due = out.on_time + out.late + out.open_overdue
    scores = await db.execute(
        select(Rating.score, func.count())
        .join(Question, Question.id == Rating.question_id)
        .where(*scope)
        .group_by(Rating.score)
    )
    out.rating_scores = Counter({int(score): int(n) for score, n in scores.all()})
    out.ratings = sum(out.rating_scores.values())
    for item in await commitment_service.follow_ups(
        db, episode_id=episode_id, department_id=department_id, today=today
    ):
        out.commitments["made"] += 1
        out.commitments[item.state.value] += 1
        out.verdicts.update(item.verdicts)
    return out


@dataclass(frozen=True)
class DepartmentFigures:
    department: Department
    figures: Figures


async def departments_of(db: AsyncSession, episode_id: int) -> list[Department]:
    """Departments that were sent at least one of the episode's questions."""
    return list(
        await db.scalars(
            select(Department)
            .where(
                Department.id.in_(
                    select(Question.department_id).where(
                        Question.episode_id == episode_id, Question.department_id.is_not(None)
                    )
                )
            )
            .order_by(Department.name)
        )
    )


async def by_department(db: AsyncSession, episode_id: int, *, today: date | None = None) -> list[DepartmentFigures]:
    return [
        DepartmentFigures(d, await figures(db, episode_id, department_id=d.id, today=today))
        for d in await departments_of(db, episode_id)
    ]


@dataclass(frozen=True)
class Breakdown:
    """Submissions and distinct questions per key (a channel, a ward, a department, a status)."""

    key: str
    label: str
    submissions: int
    questions: int


@dataclass
class EpisodeReport:
    episode: Episode
    today: date
    figures: Figures
    departments: list[DepartmentFigures]
    by_channel: list[Breakdown]
    by_ward: list[Breakdown]
    by_status: list[Breakdown]
    arrivals: list[tuple[str, int]]  # (local time label, submissions)
    arrivals_before: int  # before the window shown
    arrivals_after: int
    median_hours_to_approval: float | None
    approvals_measured: int
    follow_ups: list[commitment_service.FollowUp]

    @property
    def overdue_by_department(self) -> list[DepartmentFigures]:
        return [
            d
            for d in self.departments
            if d.figures.open_overdue or d.figures.commitments[CommitmentStatus.OVERDUE.value]
        ]


async def _breakdown(db: AsyncSession, episode_id: int, column: object, labels: dict[str, str]) -> list[Breakdown]:
    """Submissions and distinct questions per value of a submission ``column``."""
    rows = await db.execute(
        select(column, func.count(), func.count(func.distinct(Submission.question_id)))  # type: ignore[call-overload]
        .join(Question, Question.id == Submission.question_id)
        .where(Submission.episode_id == episode_id, Question.status != S.MERGED)
        .group_by(column)
    )
    out = []
    for key, submissions, questions in rows.all():
        value = key.value if hasattr(key, "value") else (key or "")
        out.append(Breakdown(value, labels.get(value, value), int(submissions), int(questions)))
    out.sort(key=lambda b: (-b.submissions, b.label))
    return out


async def report(db: AsyncSession, episode: Episode, *, today: date | None = None) -> EpisodeReport:
    """Everything the People's Council's report shows about ``episode``."""
    from qa_app.i18n import gettext as _
    from qa_app.labels import CHANNEL_LABELS, QUESTION_STATUS_LABELS

    today = today or commitment_service.today_local()
    wards = {code: ward.name for code, ward in wards_by_code().items()}
    wards[""] = _("Ward not given")
    by_channel = await _breakdown(
        db, episode.id, Submission.channel, {c.value: _(CHANNEL_LABELS[c.value]) for c in Channel}
    )
    by_ward = await _breakdown(db, episode.id, Submission.ward_code, wards)
    statuses = await db.execute(
        select(Question.status, func.count(), func.coalesce(func.sum(Question.submission_count), 0))
        .where(Question.episode_id == episode.id, Question.status != S.MERGED)
        .group_by(Question.status)
    )
    by_status = sorted(
        (
            Breakdown(QuestionStatus(s).value, _(QUESTION_STATUS_LABELS[QuestionStatus(s).value]), int(subs), int(n))
            for s, n, subs in statuses.all()
        ),
        key=lambda b: list(QuestionStatus).index(QuestionStatus(b.key)),
    )
    arrivals, before, after = await _arrivals(db, episode)
    median, measured = await _median_hours_to_approval(db, episode.id)
    return EpisodeReport(
        episode=episode,
        today=today,
        figures=await figures(db, episode.id, today=today),
        departments=await by_department(db, episode.id, today=today),
        by_channel=by_channel,
        by_ward=by_ward,
        by_status=by_status,
        arrivals=arrivals,
        arrivals_before=before,
        arrivals_after=after,
        median_hours_to_approval=median,
        approvals_measured=measured,
        follow_ups=await commitment_service.follow_ups(db, episode_id=episode.id, today=today),
    )


async def _arrivals(db: AsyncSession, episode: Episode) -> tuple[list[tuple[str, int]], int, int]:
    """Submissions per half hour around air time (two hours either side), local time; with no air
    time, per day."""
    times = [
        as_utc(t) for t in await db.scalars(select(Submission.received_at).where(Submission.episode_id == episode.id))
    ]
    if episode.air_start is None:
        per_day = Counter(to_local(t).date() for t in times)
        return [(day.strftime("%d/%m"), per_day[day]) for day in sorted(per_day)], 0, 0
    start = as_utc(episode.air_start) - ARRIVAL_MARGIN
    end = as_utc(episode.air_end or episode.air_start + timedelta(hours=1)) + ARRIVAL_MARGIN
    bins: list[tuple[datetime, int]] = []
    cursor = start
    while cursor < end:
        bins.append((cursor, 0))
        cursor += ARRIVAL_BIN
    counts = [0] * len(bins)
    before = after = 0
    for t in times:
        if t < start:
            before += 1
        elif t >= end:
            after += 1
        else:
            counts[int((t - start) / ARRIVAL_BIN)] += 1
    return [(to_local(b).strftime("%H:%M"), counts[i]) for i, (b, _n) in enumerate(bins)], before, after


async def _median_hours_to_approval(db: AsyncSession, episode_id: int) -> tuple[float | None, int]:
    """Median hours from routing to the first approval of the department's answer."""
    rows = await db.execute(
        select(Question.routed_at, func.min(Answer.approved_at))
        .join(Answer, and_(Answer.question_id == Question.id, Answer.department_id == Question.department_id))
        .where(
            Question.episode_id == episode_id,
            Question.status != S.MERGED,
            Question.routed_at.is_not(None),
            Answer.approved_at.is_not(None),
        )
        .group_by(Question.id, Question.routed_at)
    )
    hours = [
        max(0.0, (as_utc(approved) - as_utc(routed)).total_seconds() / 3600)
        for routed, approved in rows.all()
        if approved and routed
    ]
    return (statistics.median(hours) if hours else None), len(hours)


async def question_list(db: AsyncSession, episode_id: int) -> list[tuple[Question, int, float | None, int]]:
    """The episode's questions (duplicates merged once) with their ratings and commitments made."""
    from qa_app.models import Commitment

    ratings = {
        qid: (int(n), float(avg) if avg is not None else None)
        for qid, n, avg in (
            await db.execute(
                select(Rating.question_id, func.count(), func.avg(Rating.score))
                .join(Question, Question.id == Rating.question_id)
                .where(Question.episode_id == episode_id)
                .group_by(Rating.question_id)
            )
        ).all()
    }
    made = {
        qid: int(n)
        for qid, n in (
            await db.execute(
                select(Question.id, func.count(Commitment.id))
                .join(Answer, Answer.question_id == Question.id)
                .join(Commitment, Commitment.answer_id == Answer.id)
                .where(Question.episode_id == episode_id, commitment_service.made())
                .group_by(Question.id)
            )
        ).all()
    }
    questions = await db.scalars(
        select(Question).where(Question.episode_id == episode_id, Question.status != S.MERGED).order_by(Question.id)
    )
    return [(q, *ratings.get(q.id, (0, None)), made.get(q.id, 0)) for q in questions]


# --- contact details: only in an admin's export, and that export is audited --------------------------------


@dataclass(frozen=True)
class Asker:
    tracking_code: str
    question_id: int
    name: str | None
    contact: str | None
    consent_contact: bool
    channel: str
    ward: str
    received_at: datetime


async def askers(db: AsyncSession, actor: User | None, episode: Episode, *, export_format: str) -> list[Asker]:
    """Who asked what, with contact details: for an admin (or the command line, ``actor`` None).

    Writes an audit event (what was exported, by whom; never the details themselves)."""
    if actor is not None:
        ensure_role(actor)  # no role but admin
    wards = wards_by_code()
    rows = (
        await db.execute(
            select(Submission)
            .join(Question, Question.id == Submission.question_id)
            .where(Submission.episode_id == episode.id, Question.status != S.MERGED)
            .order_by(Submission.question_id, Submission.received_at)
        )
    ).scalars()
    result = [
        Asker(
            tracking_code=s.tracking_code,
            question_id=s.question_id,
            name=s.name,
            contact=s.contact if s.consent_contact else None,
            consent_contact=s.consent_contact,
            channel=s.channel.value,
            ward=wards[s.ward_code].name if s.ward_code in wards else (s.ward_text or ""),
            received_at=s.received_at,
        )
        for s in rows
    ]
    audit.record(
        db,
        actor,
        "report.export_contacts",
        "episode",
        episode.id,
        episode_id=episode.id,
        after={"format": export_format, "rows": len(result), "with_contact": sum(1 for a in result if a.contact)},
    )
    await db.commit()
    return result


def now_local() -> datetime:
    return to_local(utcnow())
