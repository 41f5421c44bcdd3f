"""What a citizen sees about their submission by tracking code: plain status, never personal data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation.addressed import mask_addressees
from qa_app.i18n import N_
from qa_app.models import Answer, AnswerStatus, Commitment, Department, Episode, Question, QuestionStatus, Submission
from qa_app.services.tracking import normalize_tracking_code
from qa_app.services.wording import citizen_wording, guarded

S = QuestionStatus
# Message ids of the plain-language status; the template translates them.
PLAIN_STATUS = {
    S.NEW: N_("Received – waiting for the editorial team"),
    S.ROUTED: N_("Sent to %(department)s for an answer"),
    S.ANSWER_REVIEW: N_("Being reviewed: %(department)s has drafted an answer"),
    S.READY: N_("Being reviewed: the answer is ready"),
    S.QUEUED: N_("Selected to be answered on air"),
    S.ON_AIR: N_("On air now"),
    S.ANSWERED_ON_AIR: N_("Answered on air"),
    S.ANSWERED_IN_WRITING: N_("Answered in writing"),
    S.REJECTED: N_("Not accepted"),
}
STEP = {
    S.NEW: 1,
    S.ROUTED: 2,
    S.ANSWER_REVIEW: 3,
    S.READY: 3,
    S.QUEUED: 3,
    S.ON_AIR: 4,
    S.ANSWERED_ON_AIR: 4,
    S.ANSWERED_IN_WRITING: 4,
    S.REJECTED: 0,
}


@dataclass(frozen=True)
class PublishedAnswer:
    body: str
    official_name: str
    official_title: str
    department_name: str
    published_at: datetime | None
    commitments: list[tuple[str, date | None]]


@dataclass(frozen=True)
class CitizenStatus:
    tracking_code: str
    episode: Episode
    question_id: int
    public_text: str
    status: QuestionStatus
    status_message: str  # message id; %(department)s filled by the template
    department_name: str | None
    reject_reason: str | None
    received_at: datetime
    step: int
    answer: PublishedAnswer | None
    submission_count: int
    # The citizen's own words, masked as an unreviewed public text is (the tracking page may be read by
    # whoever holds the code); and whether the question they follow is a group of several.
    own_text: str
    grouped: bool


async def lookup(db: AsyncSession, code: str) -> CitizenStatus | None:
    """The status behind a tracking code (tolerant of case and spacing), following merges."""
    submission = await db.scalar(select(Submission).where(Submission.tracking_code == normalize_tracking_code(code)))
    if submission is None:
        return None
    question = await db.get(Question, submission.question_id)
    seen: set[int] = set()
    while question is not None and question.status is S.MERGED and question.merged_into_id and question.id not in seen:
        seen.add(question.id)
        question = await db.get(Question, question.merged_into_id)
    if question is None:
        return None
    episode = await db.get(Episode, question.episode_id)
    assert episode is not None
    answer = await published_answer(db, question)
    department = question.department
    grouped = question.submission_count > 1 or submission.original_question_id not in (None, question.id)
    return CitizenStatus(
        tracking_code=submission.tracking_code,
        episode=episode,
        question_id=question.id,
        public_text=citizen_wording(question),
        status=question.status,
        status_message=PLAIN_STATUS.get(question.status, PLAIN_STATUS[S.NEW]),
        department_name=department.name if department else None,
        reject_reason=question.reject_reason.value if question.reject_reason else None,
        received_at=submission.received_at,
        step=STEP.get(question.status, 1),
        answer=answer,
        submission_count=question.submission_count,
        own_text=guarded(submission.raw_text),
        grouped=grouped,
    )


async def asker_names(db: AsyncSession, question_ids: Iterable[int]) -> dict[int, list[str]]:
    """The names the askers of each question gave (grouped questions: every asker's)."""
    ids = list(question_ids)
    names: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return names
    rows = await db.execute(
        select(Submission.question_id, Submission.name).where(
            Submission.question_id.in_(ids), Submission.name.is_not(None)
        )
    )
    for question_id, name in rows:
        if question_id is not None and name:
            names[question_id].append(name)
    return names


def public_answer_text(body: str, names: Iterable[str]) -> str:
    """An answer as the public and every asker may read it: no asker's name, no greeted name."""
    return mask_addressees(body, names)


async def published_answer(db: AsyncSession, question: Question) -> PublishedAnswer | None:
    """The answer citizens may read: published, or approved and given on air."""
    wanted = [AnswerStatus.PUBLISHED]
    if question.status is S.ANSWERED_ON_AIR:
        wanted.append(AnswerStatus.APPROVED)
    answer = await db.scalar(
        select(Answer)
        .where(Answer.question_id == question.id, Answer.status.in_(wanted))
        .order_by(Answer.published_at.desc().nulls_last(), Answer.id.desc())
        .limit(1)
    )
    if answer is None:
        return None
    department = await db.get(Department, answer.department_id)
    commitments: list[Commitment] = list(answer.commitments)
    names = (await asker_names(db, [question.id]))[question.id]
    return PublishedAnswer(
        body=public_answer_text(answer.body, names),
        official_name=answer.official_name,
        official_title=answer.official_title,
        department_name=department.name if department else "",
        published_at=answer.published_at,
        commitments=[(c.what, c.due_date) for c in commitments],
    )
