"""What intake keeps as evidence and tells back: the consent a citizen gave (recomputable), the audit record
of each submission in its episode's log, and what a repeated request is told."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.models import AuditEvent, Question, Submission
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.factories import import_departments, make_episode

ASKED = "Bao giờ phường nạo vét cống thoát nước trên đường Lê Văn Sỹ để hết ngập khi mưa lớn?"


async def test_the_consent_proof_is_the_hash_of_the_texts_shown(db: AsyncSession) -> None:
    """An auditor recomputes it from the consent texts of the day, one per line, in the order shown."""
    episode = await make_episode(db, slug="ky-dong-y")
    engines, publisher = ModerationEngines(), RecordingPublisher()
    both = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text=ASKED, name="Trần Văn Bảy", contact="0903123456", consent_contact=True, consent_name_on_air=True
        ),
    )
    only_contact = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text="Khi nào trạm y tế phường Bến Nghé mở cửa buổi tối?", contact="0903123457", consent_contact=True
        ),
    )
    stored = {
        s.tracking_code: s.consent_text_hash
        for s in await db.scalars(select(Submission).where(Submission.episode_id == episode.id))
    }
    texts = [intake.consent_text(), intake.consent_name_text()]
    assert stored[both.tracking_code] == hashlib.sha256("\n".join(texts).encode()).hexdigest()
    assert stored[only_contact.tracking_code] == hashlib.sha256(texts[0].encode()).hexdigest()
    when = {
        s.tracking_code: s.consented_at
        for s in await db.scalars(select(Submission).where(Submission.episode_id == episode.id))
    }
    assert when[both.tracking_code] is not None and when[only_contact.tracking_code] is not None
    silent = await intake.submit(
        db, engines, publisher, episode, intake.SubmissionForm(text="Xin hỏi lịch tiêm chủng cho trẻ ở phường?")
    )
    row = await db.scalar(select(Submission).where(Submission.tracking_code == silent.tracking_code))
    assert row is not None and (row.consented_at, row.consent_text_hash) == (None, None)


async def test_route_suggestions_are_kept_as_confidences(db: AsyncSession) -> None:
    """The card shows "Sở Xây dựng 62%": kept to three places, best first, at most three."""
    episode = await make_episode(db, slug="ky-goi-y")
    await import_departments(db)
    result = await intake.submit(
        db,
        ModerationEngines(),
        RecordingPublisher(),
        episode,
        intake.SubmissionForm(text="Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ tại phường Tân Định?"),
    )
    question = await db.get(Question, result.question_id)
    assert question is not None and question.route_suggestions
    confidences = [c for _, c in question.route_suggestions]
    assert len(confidences) <= 3 and confidences == sorted(confidences, reverse=True)
    assert all(0 < c < 1 and round(c, 3) == c for c in confidences)
    assert any(round(c, 1) != c for c in confidences)  # not rounded to whole numbers or tenths


async def test_each_submission_is_in_its_episode_s_audit_log(db: AsyncSession) -> None:
    episode = await make_episode(db, slug="ky-nhat-ky")
    result = await intake.submit(
        db, ModerationEngines(), RecordingPublisher(), episode, intake.SubmissionForm(text=ASKED)
    )
    submission_id = await db.scalar(select(Submission.id).where(Submission.tracking_code == result.tracking_code))
    [record] = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.create")))
    assert (record.actor_id, record.entity_type, record.entity_id, record.episode_id, record.after) == (
        None,
        "submission",
        submission_id,
        episode.id,
        {"question_id": result.question_id, "channel": "web", "joined": False, "explicit_join": False},
    )


async def test_a_repeated_request_is_told_whether_others_asked_the_same(db: AsyncSession) -> None:
    """The same request again (a double click, a retry) gets the same code; "joined" says whether the
    question gathers other citizens, not merely that this one exists."""
    episode = await make_episode(db, slug="ky-lap-lai")
    engines, publisher = ModerationEngines(), RecordingPublisher()
    form = intake.SubmissionForm(text=ASKED, idempotency_key="k-1")
    first = await intake.submit(db, engines, publisher, episode, form)
    again = await intake.submit(db, engines, publisher, episode, form)
    assert (again.tracking_code, again.question_id, again.joined, again.existing) == (
        first.tracking_code,
        first.question_id,
        False,
        True,
    )
    other = await intake.submit(db, engines, publisher, episode, intake.SubmissionForm(text="Xin chào. " + ASKED))
    assert other.joined and other.question_id == first.question_id
    once_more = await intake.submit(db, engines, publisher, episode, form)
    assert (once_more.tracking_code, once_more.joined, once_more.existing) == (first.tracking_code, True, True)
