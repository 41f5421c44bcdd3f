"""The intake writer: bursts written in batches, one question per burst of the same question,
repeats answered once, refusals decided against the database, failures retried item by item."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa_app.db import create_engine, create_sessionmaker
from qa_app.events import QuestionChanged, RecordingPublisher
from qa_app.i18n import current_locale
from qa_app.models import AuditEvent, EpisodeStatus, Question, QuestionStatus, Submission
from qa_app.services import engines as engines_module
from qa_app.services import intake
from qa_app.services import intake_writer as intake_writer_module
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import Conflict, InvalidInput, NotFound, Unavailable
from qa_app.services.intake_writer import EpisodeRef, IntakeWriter
from qa_app.settings import Settings
from tests.factories import import_departments, make_episode

FLOOD = "Đường Nguyễn Hữu Cảnh cứ mưa là ngập sâu, xe chết máy hàng loạt, bao giờ mới hết ngập?"
FLOOD_VARIANTS = [
    FLOOD,
    "duong nguyen huu canh cu mua la ngap sau, xe chet may hang loat, bao gio moi het ngap?",
    "Xin chào chương trình. " + FLOOD + " Mong được giải đáp.",
    FLOOD.lower().replace("được", "dc"),
]
DISTINCT = [
    "Thủ tục đăng ký khai sinh cho con ở phường mới sau sáp nhập làm ở đâu?",
    "Tuyến xe buýt số 150 chạy thưa quá, giờ cao điểm chờ 40 phút, có tăng chuyến không?",
    "Học phí lớp 10 trường công lập năm học tới là bao nhiêu?",
    "Cây xanh trên đường Tô Ký nghiêng nhiều, mùa mưa sợ ngã, đơn vị nào cắt tỉa?",
    "Công ty nợ lương ba tháng, người lao động cần làm gì để đòi lương và bảo hiểm xã hội?",
    "Nước máy khu tôi yếu, có ngày mất nước cả buổi, khi nào được cấp nước ổn định?",
]


@dataclass(frozen=True)
class EpisodeRefSettings:
    """An episode's index settings without the ORM instance (expired by the inspections)."""

    id: int
    auto_merge_threshold: float | None = None
    suggest_threshold: float | None = None
    filler_phrases: list[str] | None = None


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _count(db: AsyncSession, model: Any, *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_burst_is_written_in_batches_and_one_question_per_burst_of_the_same_question(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await import_departments(db)
    episode = await make_episode(db)
    episode_id = episode.id
    publisher = RecordingPublisher()
    engines = ModerationEngines()
    writer = IntakeWriter(sessionmaker, engines, publisher)
    forms = [intake.SubmissionForm(text=t, idempotency_key=f"flood-{i}") for i, t in enumerate(FLOOD_VARIANTS)]
    forms += [intake.SubmissionForm(text=t, idempotency_key=f"distinct-{i}") for i, t in enumerate(DISTINCT)]
    # similar, not the same (another ward): the second suggests the first by its new id
    forms += [
        intake.SubmissionForm(text="Hẻm ở phường Tân Định ngập nặng khi mưa, xe cộ chết máy", idempotency_key="near-1"),
        intake.SubmissionForm(text="Hẻm ở phường Bàn Cờ ngập nặng khi mưa, xe cộ chết máy", idempotency_key="near-2"),
    ]
    # a double click: the same key twice in the same burst
    forms += [intake.SubmissionForm(text=DISTINCT[0], idempotency_key="distinct-0")]
    ref = EpisodeRef(episode.id, episode.slug, episode.status)

    async def send(form: intake.SubmissionForm) -> intake.SubmissionResult:
        async with sessionmaker() as own:
            return await writer.submit(own, ref, form)

    results = await asyncio.gather(*(send(f) for f in forms))
    await writer.close()

    flood_questions = {r.question_id for r in results[: len(FLOOD_VARIANTS)]}
    assert len(flood_questions) == 1, "a burst of the same question makes one question"
    assert results[0].joined is False and all(r.joined for r in results[1 : len(FLOOD_VARIANTS)])
    distinct = results[len(FLOOD_VARIANTS) : len(FLOOD_VARIANTS) + len(DISTINCT)]
    assert len({r.question_id for r in distinct}) == len(DISTINCT)
    near_1, near_2 = results[-3], results[-2]
    assert near_1.question_id != near_2.question_id and not near_2.joined
    repeat = results[-1]
    assert repeat.existing and repeat.tracking_code == distinct[0].tracking_code
    assert len({r.tracking_code for r in results}) == len(forms) - 1
    assert writer.batches_written < len(forms) - 1, "submissions arriving together share a transaction"

    db.expire_all()
    stored = await _count(db, Submission, Submission.episode_id == episode_id)
    assert stored == len(forms) - 1
    assert await _count(db, AuditEvent, AuditEvent.action == "submission.create") == stored
    second = await db.get(Question, near_2.question_id)
    assert second is not None and [near_1.question_id, 50.0] in second.duplicate_suggestions
    flood = await db.get(Question, flood_questions.pop())
    assert flood is not None and flood.submission_count == len(FLOOD_VARIANTS) and flood.version == 1
    # every question's count is the number of its submissions, and every question got its route suggestions
    questions = list(await db.scalars(select(Question).where(Question.episode_id == episode_id)))
    for question in questions:
        assert question.submission_count == await _count(db, Submission, Submission.question_id == question.id)
        assert question.route_suggestions
    # the index knows the new questions by their ids (no provisional key left)
    index = await engines.index_for(db, EpisodeRefSettings(episode_id))
    assert {q.id for q in questions} <= {k for k in index._texts} and all(k > 0 for k in index._texts)
    arrivals = [e for e in publisher.events if isinstance(e, QuestionChanged)]
    assert len(arrivals) == len(forms) - 1
    assert sum(e.action == "submitted" for e in arrivals) == len(questions)


async def test_the_batch_decides_against_the_database(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The request checked a cached episode and a question it saw: the batch re-reads both."""
    await import_departments(db)
    episode = await make_episode(db)
    writer = IntakeWriter(sessionmaker, ModerationEngines(), RecordingPublisher())
    open_ref = EpisodeRef(episode.id, episode.slug, EpisodeStatus.OPEN)
    async with sessionmaker() as own:
        first = await writer.submit(own, open_ref, intake.SubmissionForm(text=DISTINCT[1]))
    question = await db.get(Question, first.question_id)
    assert question is not None
    question.status = QuestionStatus.REJECTED
    await db.commit()
    async with sessionmaker() as own:
        with pytest.raises(NotFound):
            await writer.submit(own, open_ref, intake.SubmissionForm(text="", join_question_id=question.id))
        # an automatic merge into a rejected question becomes a new question instead
        again = await writer.submit(own, open_ref, intake.SubmissionForm(text=DISTINCT[1]))
        assert again.question_id != question.id and not again.joined
    episode.status = EpisodeStatus.CLOSED
    await db.commit()
    async with sessionmaker() as own:
        with pytest.raises(Conflict):
            await writer.submit(own, open_ref, intake.SubmissionForm(text=DISTINCT[2]))
    await writer.close()
    assert await _count(db, Submission, Submission.episode_id == episode.id) == 2


async def test_a_failed_batch_is_retried_item_by_item(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracking code that is already taken fails the batch's insert: nothing is half-written, the
    provisional index entries are dropped, and every item is written on its own with a new code."""
    await import_departments(db)
    episode = await make_episode(db)
    episode_id = episode.id
    engines = ModerationEngines()
    publisher = RecordingPublisher()
    async with sessionmaker() as own:
        taken = await intake.submit(own, engines, publisher, episode, intake.SubmissionForm(text=DISTINCT[0]))
    codes = iter([taken.tracking_code, "DH-AAAAAA", "DH-BBBBBB", "DH-CCCCCC", "DH-DDDDDD", "DH-EEEEEE"])
    monkeypatch.setattr(intake, "new_tracking_code", lambda: next(codes))
    items = [
        intake.pending(episode, intake.SubmissionForm(text=t, idempotency_key=f"k{i}"))
        for i, t in enumerate(DISTINCT[1:4])
    ]
    async with sessionmaker() as own:
        await intake.write_batch(own, engines, publisher, items)
    results = [intake.outcome(i) for i in items]
    assert sorted(r.tracking_code for r in results) == ["DH-CCCCCC", "DH-DDDDDD", "DH-EEEEEE"]
    assert len({r.question_id for r in results}) == 3
    db.expire_all()
    assert await _count(db, Submission, Submission.episode_id == episode_id) == 4
    assert await _count(db, Question, Question.episode_id == episode_id) == 4
    index = await engines.index_for(db, EpisodeRefSettings(episode_id))
    assert all(k > 0 for k in index._texts) and len(index) == 4


async def test_catch_up_finds_other_workers_questions_below_our_own(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worker A indexes its own new question; a question worker B made earlier (a lower id) is still
    picked up by A's next catch-up."""
    monkeypatch.setattr(engines_module, "CATCH_UP_SECONDS", 0.0)
    await import_departments(db)
    episode = await make_episode(db)
    worker_a, worker_b = ModerationEngines(), ModerationEngines()
    publisher = RecordingPublisher()
    async with sessionmaker() as own:
        await worker_a.index_for(own, episode)
        b_item = intake.pending(episode, intake.SubmissionForm(text=DISTINCT[3]))
        a_item = intake.pending(episode, intake.SubmissionForm(text=DISTINCT[4]))
        # B writes first (lower id) but A's index does not look before A writes its own
        await intake.write_batch(own, worker_b, publisher, [b_item])
        monkeypatch.setattr(engines_module, "CATCH_UP_SECONDS", 3600.0)
        await intake.write_batch(own, worker_a, publisher, [a_item])
        monkeypatch.setattr(engines_module, "CATCH_UP_SECONDS", 0.0)
        index = await worker_a.index_for(own, episode)
    b_id, a_id = intake.outcome(b_item).question_id, intake.outcome(a_item).question_id
    assert b_id < a_id and b_id in index and a_id in index
    match = index.candidates(DISTINCT[3])[0]
    assert match.key == b_id


async def test_a_batch_mate_is_suggested_by_its_new_id(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await import_departments(db)
    episode = await make_episode(db)
    items = [
        intake.pending(episode, intake.SubmissionForm(text="Hẻm ở phường Tân Định ngập nặng khi mưa, xe cộ chết máy")),
        intake.pending(episode, intake.SubmissionForm(text="Hẻm ở phường Bàn Cờ ngập nặng khi mưa, xe cộ chết máy")),
    ]
    async with sessionmaker() as own:
        await intake.write_batch(own, ModerationEngines(), RecordingPublisher(), items)
    first, second = (intake.outcome(i) for i in items)
    question = await db.get(Question, second.question_id)
    assert question is not None and question.duplicate_suggestions == [[first.question_id, 50.0]]


async def test_an_item_that_fails_the_batch_fails_alone(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any failure (not only a constraint): the batch leaves no trace (no row, no provisional index
    entry), then each item is written on its own; only the one that fails is refused."""
    await import_departments(db)
    episode = await make_episode(db)
    episode_id = episode.id
    engines = ModerationEngines()
    items = [intake.pending(episode, intake.SubmissionForm(text=t)) for t in DISTINCT[:3]]
    real_wording = intake.public_wording

    def failing_wording(text: str) -> str:
        if text == DISTINCT[1]:
            raise RuntimeError("injected failure")
        return real_wording(text)

    monkeypatch.setattr(intake, "public_wording", failing_wording)
    publisher = RecordingPublisher()
    async with sessionmaker() as own:
        await intake.write_batch(own, engines, publisher, items)
    first, third = intake.outcome(items[0]), intake.outcome(items[2])
    with pytest.raises(InvalidInput):
        intake.outcome(items[1])
    index = await engines.index_for(db, EpisodeRefSettings(episode_id))
    assert sorted(index._texts) == sorted([first.question_id, third.question_id]), "no provisional key left"
    assert await _count(db, Submission, Submission.episode_id == episode_id) == 2
    assert await _count(db, AuditEvent, AuditEvent.action == "submission.create") == 2
    assert len(publisher.events) == 2


async def test_a_failed_batch_keeps_repeats_and_merges_right(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeat of a key in the batch follows its first again after the retry (one row, one code); a
    variant that had joined a batch-mate's new question still joins it; the bad item fails alone, and
    the question it had started provisionally is not joined by anyone."""
    await import_departments(db)
    episode = await make_episode(db)
    episode_id = episode.id
    engines = ModerationEngines()
    bad_text = DISTINCT[4]
    forms = [
        intake.SubmissionForm(text=FLOOD, idempotency_key="same"),
        intake.SubmissionForm(text=FLOOD, idempotency_key="same"),  # a double click
        intake.SubmissionForm(text=FLOOD_VARIANTS[1], idempotency_key="variant"),  # joins the first
        intake.SubmissionForm(text=bad_text, idempotency_key="bad"),
        intake.SubmissionForm(text=bad_text + " Xin cảm ơn.", idempotency_key="near-bad"),
    ]
    items = [intake.pending(episode, form) for form in forms]
    real_insert = intake._submission_row

    def failing_row(item: intake.PendingSubmission, question_id: int, now: Any) -> dict[str, Any]:
        if item.data.text == bad_text:
            raise RuntimeError("injected failure while writing")
        return real_insert(item, question_id, now)

    monkeypatch.setattr(intake, "_submission_row", failing_row)
    async with sessionmaker() as own:
        await intake.write_batch(own, engines, RecordingPublisher(), items)
    first, repeat, variant = (intake.outcome(i) for i in items[:3])
    assert repeat.tracking_code == first.tracking_code and repeat.existing
    assert variant.question_id == first.question_id and variant.joined
    with pytest.raises(InvalidInput):
        intake.outcome(items[3])
    near = intake.outcome(items[4])
    assert not near.joined, "the bad item's provisional question was dropped, not joined"
    db.expire_all()
    assert await _count(db, Submission, Submission.episode_id == episode_id) == 3
    flood = await db.get(Question, first.question_id)
    assert flood is not None and flood.submission_count == 2
    index = await engines.index_for(db, EpisodeRefSettings(episode_id))
    assert all(k > 0 for k in index._texts) and len(index) == 2


async def test_the_api_path_reads_an_open_episode_once_a_second_and_a_closed_one_every_time(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of API submissions a second must not each read the episode; one that is not accepting
    questions is read every time, so that re-opening it takes effect at once. One statement a read: the
    episode alone, not its departments and officials."""
    episode = await make_episode(db, slug="ky-api")
    writer = IntakeWriter(sessionmaker, ModerationEngines(), RecordingPublisher())
    statements: list[str] = []
    engine = sessionmaker.kw["bind"]

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)

    async def read() -> EpisodeRef:
        async with sessionmaker() as own:
            return await writer.episode(own, "ky-api")

    assert await read() == EpisodeRef(episode.id, "ky-api", EpisodeStatus.OPEN)
    assert len(statements) == 1 and "episode" in statements[0]
    assert await read() == EpisodeRef(episode.id, "ky-api", EpisodeStatus.OPEN)
    assert len(statements) == 1  # remembered

    # Past the second: read again; while one request reads, the others go on with what was remembered.
    monkeypatch.setattr(intake_writer_module, "EPISODE_CACHE_SECONDS", 0.0)
    both = await asyncio.gather(read(), read())
    assert both == [EpisodeRef(episode.id, "ky-api", EpisodeStatus.OPEN)] * 2
    assert len(statements) == 2

    episode.status = EpisodeStatus.CLOSED
    await db.commit()
    statements.clear()
    assert (await read()).status is EpisodeStatus.CLOSED
    monkeypatch.setattr(intake_writer_module, "EPISODE_CACHE_SECONDS", 60.0)
    assert (await read()).status is EpisodeStatus.CLOSED
    assert len(statements) == 2  # not remembered while closed
    episode.status = EpisodeStatus.OPEN
    await db.commit()
    assert (await read()).status is EpisodeStatus.OPEN  # re-opened: at once
    with pytest.raises(NotFound):
        await writer.episode(db, "khong-co")
    event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_refusals_decided_by_the_batch_are_told_in_each_requester_s_language(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The batch decides against the database (here: the episode closed meanwhile), in the writer's task;
    each citizen still reads the refusal in their own language, whoever's request started the writer."""
    episode = await make_episode(db, slug="ky-ngon-ngu")
    ref = EpisodeRef(episode.id, episode.slug, EpisodeStatus.OPEN)
    writer = IntakeWriter(sessionmaker, ModerationEngines(), RecordingPublisher())

    async def submit(locale: str, text: str) -> None:
        current_locale.set(locale)
        async with sessionmaker() as own:
            await writer.submit(own, ref, intake.SubmissionForm(text=text))

    await asyncio.create_task(submit("en", DISTINCT[0]))  # starts the writer
    episode.status = EpisodeStatus.CLOSED
    await db.commit()
    said = {}
    for locale, text in (("vi", DISTINCT[1]), ("en", DISTINCT[2])):
        with pytest.raises(Conflict) as refused:
            await asyncio.create_task(submit(locale, text))
        said[locale] = refused.value.message
    assert said == {
        "vi": "Kỳ phát sóng này hiện không nhận câu hỏi.",
        "en": "This episode is not accepting questions at the moment.",
    }
    await writer.close()


async def test_a_database_outage_is_told_in_the_requester_s_language(
    db: AsyncSession, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    episode = await make_episode(db, slug="ky-mat-ket-noi")
    ref = EpisodeRef(episode.id, episode.slug, EpisodeStatus.OPEN)
    unreachable = create_engine(f"sqlite+aiosqlite:///{tmp_path}")  # a directory: "unable to open database file"
    writer = IntakeWriter(create_sessionmaker(unreachable), ModerationEngines(), RecordingPublisher())

    async def submit(locale: str, text: str) -> str:
        current_locale.set(locale)
        with pytest.raises(Unavailable) as refused:
            await writer.submit(db, ref, intake.SubmissionForm(text=text))
        return refused.value.message

    english = await asyncio.create_task(submit("en", DISTINCT[0]))
    vietnamese = await asyncio.create_task(submit("vi", DISTINCT[1]))
    assert english == (
        "The system is briefly unavailable and could not confirm your question. Please try again in a few seconds."
    )
    assert vietnamese == (
        "Hệ thống đang tạm gián đoạn nên chưa xác nhận được câu hỏi của bạn. Vui lòng thử lại sau ít giây."
    )
    # what the operator on duty reads in the log
    warnings = [r.getMessage() for r in caplog.records if r.name == "qa_app.services.intake_writer"]
    assert [w.split(": OperationalError")[0] for w in warnings] == [
        "database unavailable: 1 submissions refused with 503"
    ] * 2
    assert all("unable to open database file" in w for w in warnings)
    await writer.close()
    await unreachable.dispose()


async def test_no_batch_is_larger_than_the_limit(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit bounds how long one batch holds the event loop and the connection."""
    await import_departments(db)
    episode = await make_episode(db, slug="ky-lo-nho")
    ref = EpisodeRef(episode.id, episode.slug, EpisodeStatus.OPEN)
    writer = IntakeWriter(sessionmaker, ModerationEngines(), RecordingPublisher())
    writer.MAX_BATCH = 3
    sizes: list[int] = []
    real_write_batch = intake.write_batch

    async def recorded(db: AsyncSession, engines: Any, publisher: Any, items: list[Any]) -> Any:
        sizes.append(len(items))
        return await real_write_batch(db, engines, publisher, items)

    monkeypatch.setattr(intake, "write_batch", recorded)

    async def one(text: str) -> intake.SubmissionResult:
        async with sessionmaker() as own:
            return await writer.submit(own, ref, intake.SubmissionForm(text=text))

    texts = [f"{text} (lượt {n})" for n in range(2) for text in DISTINCT] + FLOOD_VARIANTS
    results = await asyncio.gather(*(one(text) for text in texts))
    await writer.close()
    assert len(results) == len(texts) == sum(sizes)
    assert max(sizes) <= 3 and len(sizes) < len(texts)  # a burst is grouped, never beyond the limit
    # what the grouping saves, as the writer counts it
    assert (writer.batches_written, writer.submissions_written) == (len(sizes), len(texts))
    assert await _count(db, Submission, Submission.episode_id == episode.id) == len(texts)
