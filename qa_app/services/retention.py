"""Retention of citizens' personal data: what the consent promises, done on schedule.

The consent text says contact details are used only about the question and deleted 90 days after
the answer is published. Once that time has passed, a submission loses its contact details and its
name, and the personal data in its raw text is masked the way the public wording is; the question,
the answer and the consent evidence (version, text hash, time) stay for the public record. The same
happens 90 days after a question is rejected, and for every submission of an episode archived 90
days ago (questions that never got an answer). Each run writes one audit event with its count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation import mask_pii
from qa_app.i18n import gettext as _
from qa_app.models import AuditEvent, Episode, EpisodeStatus, Question, QuestionStatus, Submission, User
from qa_app.periodic import Periodic
from qa_app.services import audit, import_uploads, notifications
from qa_app.services.errors import InvalidInput
from qa_app.services.intake import SUBMISSIONS, contact_digest, normalize_contact
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import utcnow

logger = logging.getLogger(__name__)
RETENTION_DAYS = 90  # stated in the consent text (intake.consent_text)
CHUNK = 500  # submissions per transaction: a purge never holds the (SQLite) writer for long


@dataclass(frozen=True)
class RetentionReport:
    due: int  # submissions whose personal data is past its retention
    purged: int  # of those, cleaned by this run (0 on a dry run)


def _due(cutoff: datetime) -> list[ColumnElement[bool]]:
    answered = and_(
        Question.status.in_([QuestionStatus.ANSWERED_ON_AIR, QuestionStatus.ANSWERED_IN_WRITING]),
        func.coalesce(Question.published_at, Question.answered_at) <= cutoff,
    )
    rejected = and_(Question.status == QuestionStatus.REJECTED, Question.updated_at <= cutoff)
    archived = and_(Episode.status == EpisodeStatus.ARCHIVED, Episode.updated_at <= cutoff)
    return [Submission.contact_purged_at.is_(None), or_(answered, rejected, archived)]


async def purge_expired(
    db: AsyncSession,
    actor: User | None,
    *,
    now: datetime | None = None,
    days: int = RETENTION_DAYS,
    dry_run: bool = False,
) -> RetentionReport:
    """Clean the submissions past their retention; ``actor`` None is the schedule or the command line."""
    if actor is not None:
        ensure_role(actor)  # no role but admin
    cutoff = (now or utcnow()) - timedelta(days=days)
    query = (
        select(Submission.id, Submission.raw_text)
        .join(Question, Question.id == Submission.question_id)
        .join(Episode, Episode.id == Submission.episode_id)
        .where(*_due(cutoff))
        .order_by(Submission.id)
    )
    due = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    if dry_run or due == 0:
        await db.commit()  # ends the read; a rollback would expire what the caller holds
        return RetentionReport(due=due, purged=0)
    purged = 0
    stamp = now or utcnow()
    while True:
        rows = (await db.execute(query.limit(CHUNK))).all()
        if not rows:
            break
        await _clean(db, rows, stamp)
        purged += len(rows)
        await db.commit()
    audit.record(
        db,
        actor,
        "retention.purge",
        "submission",
        None,
        after={"purged": purged, "days": days, "cutoff": cutoff.isoformat()},
    )
    await db.commit()
    return RetentionReport(due=due, purged=purged)


async def _clean(db: AsyncSession, rows: Sequence[Any], stamp: datetime) -> None:
    """Remove contact and name, mask the raw text of ``rows`` (id, raw_text); the caller commits."""
    if rows:
        await db.execute(
            update(SUBMISSIONS)
            .where(SUBMISSIONS.c.id == bindparam("submission_id"))
            .values(contact=None, name=None, raw_text=bindparam("masked"), contact_purged_at=stamp),
            [{"submission_id": row.id, "masked": mask_pii(row.raw_text).text} for row in rows],
        )
        # Nothing is sent after the purge: what still waits for these citizens is cancelled with it.
        await notifications.cancel_for_submissions(db, [row.id for row in rows], "personal data removed")


# --- a citizen's request (Decree 356: see, take away, erase what is held about them) ------------------


@dataclass(frozen=True)
class HeldRecord:
    """One submission holding a person's contact details, as shown to the admin and exported."""

    tracking_code: str
    episode: str
    received_at: datetime
    channel: str
    name: str | None
    contact: str
    text: str
    question: str
    status: str
    consent_contact: bool
    consent_name_on_air: bool
    consent_version: str | None
    consented_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("received_at", "consented_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _contact_key(contact: str) -> str:
    normalized = normalize_contact(contact.strip()[:255])
    if normalized is None:
        raise InvalidInput({"contact": _("Enter a phone number or an e-mail address.")})
    return normalized


async def held_for(db: AsyncSession, actor: User, contact: str, *, purpose: str = "search") -> list[HeldRecord]:
    """Everything held under ``contact`` (a phone number in any usual format, or an e-mail).

    Looking a person up (``purpose`` "search" or "export") is itself recorded in the audit log,
    without the contact in clear."""
    ensure_role(actor)  # no role but admin
    key = _contact_key(contact)
    rows = (
        await db.execute(
            select(Submission, Episode.title, Question.public_text, Question.status)
            .join(Question, Question.id == Submission.question_id)
            .join(Episode, Episode.id == Submission.episode_id)
            .where(Submission.contact == key)
            .order_by(Submission.received_at)
        )
    ).all()
    audit.record(
        db,
        actor,
        f"personal_data.{purpose}",
        "submission",
        None,
        after={"contact": contact_digest(key), "found": len(rows)},
    )
    await db.commit()
    return [
        HeldRecord(
            tracking_code=sub.tracking_code,
            episode=title,
            received_at=sub.received_at,
            channel=sub.channel.value,
            name=sub.name,
            contact=key,
            text=sub.raw_text,
            question=public_text,
            status=status.value,
            consent_contact=sub.consent_contact,
            consent_name_on_air=sub.consent_name_on_air,
            consent_version=sub.consent_version,
            consented_at=sub.consented_at,
        )
        for sub, title, public_text, status in rows
    ]


async def erase_for(db: AsyncSession, actor: User, contact: str) -> int:
    """Erase now what is held under ``contact`` (the same cleaning as at the end of retention)."""
    ensure_role(actor)  # no role but admin
    key = _contact_key(contact)
    rows = (await db.execute(select(Submission.id, Submission.raw_text).where(Submission.contact == key))).all()
    await _clean(db, rows, utcnow())
    audit.record(
        db,
        actor,
        "personal_data.erase",
        "submission",
        None,
        after={"contact": contact_digest(key), "erased": len(rows)},
    )
    await db.commit()
    return len(rows)


@dataclass(frozen=True)
class RetentionOverview:
    """What the admin sees of personal data and its retention."""

    holding: int  # submissions that still carry a contact or a name
    due: int  # of all submissions not cleaned yet, those past their retention
    purged: int  # submissions cleaned so far
    last_run_at: datetime | None
    last_run_purged: int | None
    days: int = RETENTION_DAYS


async def overview(db: AsyncSession, *, now: datetime | None = None) -> RetentionOverview:
    """Counts for the admin screen (one query each)."""
    cutoff = (now or utcnow()) - timedelta(days=RETENTION_DAYS)
    holding = await db.scalar(
        select(func.count())
        .select_from(Submission)
        .where(or_(Submission.contact.is_not(None), Submission.name.is_not(None)))
    )
    due = await db.scalar(
        select(func.count())
        .select_from(Submission)
        .join(Question, Question.id == Submission.question_id)
        .join(Episode, Episode.id == Submission.episode_id)
        .where(*_due(cutoff))
    )
    purged = await db.scalar(
        select(func.count()).select_from(Submission).where(Submission.contact_purged_at.is_not(None))
    )
    last = await db.scalar(
        select(AuditEvent).where(AuditEvent.action == "retention.purge").order_by(AuditEvent.id.desc()).limit(1)
    )
    return RetentionOverview(
        holding=int(holding or 0),
        due=int(due or 0),
        purged=int(purged or 0),
        last_run_at=last.at if last else None,
        last_run_purged=int((last.after or {}).get("purged", 0)) if last else None,
    )


class RetentionSchedule(Periodic):
    """Runs :func:`purge_expired` in the background: shortly after start, then every ``interval``
    seconds. Every worker may run it: a run only touches what is still due."""

    name = "retention"
    failure = "retention purge failed"

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        interval: float = 6 * 3600,
        delay: float = 60,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(interval=interval, delay=delay, sleep=sleep)
        self._sessionmaker = sessionmaker
        self.last: RetentionReport | None = None

    async def run_once(self) -> None:
        async with self._sessionmaker() as db:
            self.last = await purge_expired(db, None)
            await import_uploads.purge_expired(db)  # files uploaded for an import, past 24 h
        if self.last.purged:
            logger.info("personal data past retention removed from %d submissions", self.last.purged)
