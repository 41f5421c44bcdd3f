"""Personal data past its retention is removed; the question, the answer and the consent evidence stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.models import AuditEvent, Episode, EpisodeStatus, Question, QuestionStatus, Submission
from qa_app.services import intake, retention
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import PermissionDenied
from qa_app.timeutil import utcnow
from tests.factories import make_episode, make_staff

PHONE = "0903 123 456"


async def _ask(db: AsyncSession, episode: Episode, text: str) -> int:
    form = intake.SubmissionForm(
        text=f"{text} Số điện thoại của tôi là {PHONE}.",
        name="Nguyễn Văn An",
        contact="0912345678",
        consent_contact=True,
        consent_name_on_air=True,
    )
    result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), episode, form)
    return result.question_id


async def test_purge_after_retention(db: AsyncSession) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    old_archive = await make_episode(db, title="Kỳ cũ", slug="ky-cu")
    now = utcnow()
    answered_long_ago = await _ask(db, episode, "Tuyến xe buýt số 150 chạy thưa quá, có tăng chuyến không?")
    answered_recently = await _ask(db, episode, "Học phí lớp 10 trường công lập năm học tới là bao nhiêu?")
    rejected_long_ago = await _ask(db, episode, "Cây xanh trên đường Tô Ký nghiêng nhiều, ai cắt tỉa?")
    never_answered = await _ask(db, old_archive, "Nước máy khu tôi yếu, khi nào được cấp nước ổn định?")
    for question_id, status, at in [
        (answered_long_ago, QuestionStatus.ANSWERED_IN_WRITING, now - timedelta(days=91)),
        (answered_recently, QuestionStatus.ANSWERED_ON_AIR, now - timedelta(days=10)),
        (rejected_long_ago, QuestionStatus.REJECTED, now - timedelta(days=100)),
    ]:
        question = await db.get(Question, question_id)
        assert question is not None
        question.status, question.updated_at = status, at
        question.published_at = at if status is QuestionStatus.ANSWERED_IN_WRITING else None
        question.answered_at = at if status is not QuestionStatus.REJECTED else None
    old_archive.status, old_archive.updated_at = EpisodeStatus.ARCHIVED, now - timedelta(days=95)
    await db.commit()

    with pytest.raises(PermissionDenied):
        await retention.purge_expired(db, staff["moderator"])
    dry = await retention.purge_expired(db, staff["admin"], dry_run=True)
    assert (dry.due, dry.purged) == (3, 0)
    report = await retention.purge_expired(db, staff["admin"])
    assert (report.due, report.purged) == (3, 3)
    assert (await retention.purge_expired(db, None)).due == 0  # nothing twice

    db.expire_all()
    submissions = {s.question_id: s for s in await db.scalars(select(Submission))}
    for question_id in (answered_long_ago, rejected_long_ago, never_answered):
        purged = submissions[question_id]
        assert purged.contact is None and purged.name is None and purged.contact_purged_at is not None
        assert "0903" not in purged.raw_text and "[số điện thoại]" in purged.raw_text
        assert purged.consent_contact and purged.consent_text_hash and purged.consent_version  # the evidence stays
    kept = submissions[answered_recently]
    assert kept.contact == "0912345678" and kept.name == "Nguyễn Văn An" and PHONE in kept.raw_text
    question = await db.get(Question, answered_long_ago)
    assert question is not None and question.public_text  # the public record stays
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")))
    assert [(e.actor_label, (e.after or {}).get("purged")) for e in events] == [("admin", 3)]
