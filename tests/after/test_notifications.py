"""Messages to consenting citizens: the outbox written with the change, sent over a real SMTP server
and a real HMAC-checking SMS gateway, retried, never twice, never after the purge or an unsubscribe."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from qa_app.db import create_engine, create_sessionmaker
from qa_app.events import RecordingPublisher
from qa_app.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Question,
    QuestionStatus,
    RejectReason,
    Submission,
)
from qa_app.services import intake, notifications, retention, rundown
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from qa_app.settings import Settings
from qa_app.timeutil import utcnow
from tests.after.servers import GATEWAY_SECRET, body_of, sms_gateway, smtp_server
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff

EMAIL, PHONE, OTHER_EMAIL = "an.tran@example.vn", "0903 111 222", "binh@example.vn"


@dataclass
class Asked:
    question_id: int
    episode_id: int
    codes: list[str]  # email, phone, no contact
    staff: dict[str, Any]


async def ask(db: Any) -> Asked:
    """One question asked by three citizens: e-mail (consents), phone (consents), no contact; another
    question by a fourth citizen who consents (never concerned)."""
    staff = await make_staff(db)
    episode = await make_episode(db, title="Kỳ thông báo", slug="ky-thong-bao")
    engines, publisher = ModerationEngines(), RecordingPublisher()
    first = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text="Khi nào sửa xong cầu Kênh Tẻ đang xuống cấp nghiêm trọng?",
            contact=EMAIL,
            consent_contact=True,
            idempotency_key="n1",
        ),
    )
    codes = [first.tracking_code]
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=engines)
    await actions.route(ctx, first.question_id, "so-xay-dung")  # citizens join routed questions only
    for key, contact in (("n2", PHONE), ("n3", "")):
        joined = await intake.submit(
            db,
            engines,
            publisher,
            episode,
            intake.SubmissionForm(
                text="",
                contact=contact,
                consent_contact=bool(contact),
                idempotency_key=key,
                join_question_id=first.question_id,
            ),
        )
        codes.append(joined.tracking_code)
    await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text="Học phí năm học tới của trường công lập có tăng không ạ?",
            contact=OTHER_EMAIL,
            consent_contact=True,
            idempotency_key="n4",
        ),
    )
    question = await db.get(Question, first.question_id)
    db.add(
        Answer(
            question_id=question.id,
            department_id=question.department_id,
            body="Cầu sẽ sửa xong trong quý 3.",
            official_name="Nguyễn Văn Hùng",
            status=AnswerStatus.APPROVED,
        )
    )
    question.status = QuestionStatus.READY
    await db.commit()
    return Asked(first.question_id, episode.id, codes, staff)


async def answer_on_air(db: Any, asked: Asked) -> None:
    producer = asked.staff["producer"]
    await rundown.put_on_air(db, producer, RecordingPublisher(), asked.episode_id, asked.question_id)
    await rundown.mark_answered(db, producer, RecordingPublisher(), asked.episode_id)


def with_transports(settings: Settings, smtp_port: int | None = None, gateway_url: str | None = None) -> Settings:
    return replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else None,
        smtp_from="dan-hoi@hdnd.example.vn",
        sms_webhook_url=gateway_url,
        sms_webhook_secret=GATEWAY_SECRET,
        public_url="https://danhoi.example.vn",
        notify_retry_seconds=0.05,
        notify_timeout_seconds=5,
    )


async def drain(sender: notifications.NotificationSender, rounds: int = 40) -> None:
    """Run the sender until nothing is waiting (retries included)."""
    for _ in range(rounds):
        await sender.run_once()
        async with sender._sessionmaker() as db:
            waiting = await db.scalar(
                select(OutboundMessage.id).where(
                    OutboundMessage.status.in_([MessageStatus.PENDING, MessageStatus.SENDING])
                )
            )
        if waiting is None:
            return
        await asyncio.sleep(0.06)


@pytest.fixture
async def sessionmaker(settings: Settings) -> Any:
    engine = create_engine(settings.database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def outbox(db: Any) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id).execution_options(populate_existing=True)
    return list(await db.scalars(query))


async def test_answered_on_air_writes_one_message_per_consenting_citizen_in_the_same_commit(db: Any) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    rows = await outbox(db)
    assert sorted((m.kind.value, m.channel, m.status.value) for m in rows) == [
        ("answered_on_air", "email", "pending"),
        ("answered_on_air", "sms", "pending"),
    ]
    subs = {s.id: s for s in await db.scalars(select(Submission))}
    assert {subs[m.submission_id].tracking_code for m in rows} == set(asked.codes[:2])
    assert len({m.delivery_id for m in rows}) == 2
    # The same cause again adds nothing (the dedupe key), whoever repeats it.
    question = await db.get(Question, asked.question_id)
    assert await notifications.enqueue(db, MessageKind.ANSWERED_ON_AIR, question) == 2
    await db.commit()
    assert len(await outbox(db)) == 2


async def test_a_failed_change_leaves_no_message(db: Any) -> None:
    asked = await ask(db)
    await rundown.put_on_air(db, asked.staff["producer"], RecordingPublisher(), asked.episode_id, asked.question_id)
    question = await db.get(Question, asked.question_id)
    await notifications.enqueue(db, MessageKind.ANSWERED_ON_AIR, question)
    await db.rollback()  # the change that would have caused the message did not commit
    assert await outbox(db) == []


async def test_sender_delivers_over_smtp_and_the_signed_gateway(db: Any, settings: Settings, sessionmaker: Any) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    with smtp_server() as smtp, sms_gateway() as gateway:
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port, gateway.url))
        await drain(sender)
        await sender.close()
    assert smtp.recipients == [EMAIL]
    mail = smtp.messages[0]
    text = body_of(mail)
    assert f"https://danhoi.example.vn/tra-cuu/{asked.codes[0]}" in text
    assert "đã được trả lời trên sóng" in text and "Ngừng nhận tin: https://danhoi.example.vn/ngung-nhan-tin/" in text
    assert "Câu hỏi của bạn đã được trả lời trên sóng" in str(mail["Subject"])
    assert mail["List-Unsubscribe"].startswith("<https://danhoi.example.vn/ngung-nhan-tin/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    rows = {m.channel: m for m in await outbox(db)}
    assert mail["Message-ID"] == f"<{rows['email'].delivery_id}@hdnd.example.vn>"
    assert gateway.bad_signatures == 0
    [sms] = gateway.delivered.values()
    assert sms["to"] == "0903111222" and sms["id"] == rows["sms"].delivery_id
    assert sms["idempotency_key"] == rows["sms"].delivery_id and asked.codes[1] in sms["text"]
    assert all(m.status is MessageStatus.SENT and m.attempts == 1 and m.body for m in rows.values())


async def test_gateway_refuses_a_wrong_signature(db: Any, settings: Settings, sessionmaker: Any) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    with sms_gateway(secret="another-secret-entirely-0123456789") as gateway:
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, None, gateway.url))
        await sender.run_once()
        await sender.close()
    assert gateway.bad_signatures == 1 and gateway.delivered == {}
    [sms] = [m for m in await outbox(db) if m.channel == "sms"]
    assert sms.status is MessageStatus.FAILED and "401" in (sms.last_error or "")


async def test_failing_smtp_is_retried_then_succeeds_without_duplicates(
    db: Any, settings: Settings, sessionmaker: Any
) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    with smtp_server() as smtp:
        smtp.refuse = 2  # 451 twice, then accepted
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port))
        await drain(sender)
        await sender.close()
    assert smtp.attempts == 3 and len(smtp.messages) == 1 and smtp.recipients == [EMAIL]
    [mail] = [m for m in await outbox(db) if m.channel == "email"]
    assert mail.status is MessageStatus.SENT and mail.attempts == 3
    assert "451" in (mail.last_error or "")  # the history of the failure stays visible


async def test_smtp_down_then_up_sends_once(db: Any, settings: Settings, sessionmaker: Any) -> None:
    from tests.live import free_port

    asked = await ask(db)
    await answer_on_air(db, asked)
    port = free_port()
    sender = notifications.NotificationSender(sessionmaker, with_transports(settings, port))
    await sender.run_once()  # connection refused: back to the queue
    [mail] = [m for m in await outbox(db) if m.channel == "email"]
    assert (
        mail.status is MessageStatus.PENDING and mail.attempts == 1 and "connection" in (mail.last_error or "").lower()
    )
    with smtp_server(port) as smtp:
        await asyncio.sleep(0.1)
        await drain(sender)
    await sender.close()
    assert len(smtp.messages) == 1


async def test_permanent_refusal_fails_and_an_admin_sends_it_again(
    client: AsyncTestClient[Litestar], db: Any, settings: Settings, sessionmaker: Any
) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    with smtp_server() as smtp:
        smtp.refuse, smtp.refusal = 1, "550 5.1.1 No such user"
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port))
        await drain(sender)
        [mail] = [m for m in await outbox(db) if m.channel == "email"]
        assert mail.status is MessageStatus.FAILED and mail.attempts == 1 and "550" in (mail.last_error or "")
        await login(client, "admin")
        page = await client.get("/admin/notifications?status=failed")
        assert page.status_code == 200 and "5.1.1 No such user" in page.text and "an.tran@example.vn" not in page.text
        assert "a***@example.vn" in page.text
        response = await post_form(client, f"/admin/notifications/{mail.id}/send-again", follow_redirects=False)
        assert response.status_code == 303
        await drain(sender)
        await sender.close()
    assert len(smtp.messages) == 1
    [mail] = [m for m in await outbox(db) if m.channel == "email"]
    assert mail.status is MessageStatus.SENT
    assert await db.scalar(select(AuditEvent.id).where(AuditEvent.action == "notifications.send_again"))
    client.cookies.clear()
    await login(client, "moderator")
    assert (await client.get("/admin/notifications")).status_code == 403


async def test_nothing_is_sent_after_the_retention_purge(db: Any, settings: Settings, sessionmaker: Any) -> None:
    asked = await ask(db)
    await answer_on_air(db, asked)
    report = await retention.purge_expired(db, None, now=utcnow() + timedelta(days=91))
    assert report.purged == 3
    assert {m.status for m in await outbox(db)} == {MessageStatus.CANCELLED}
    with smtp_server() as smtp, sms_gateway() as gateway:
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port, gateway.url))
        await drain(sender)
        # A message enqueued for a purged submission (a race) is cancelled by the sender itself.
        await db.execute(update(OutboundMessage).values(status=MessageStatus.PENDING))
        await db.commit()
        await drain(sender)
        await sender.close()
    assert smtp.messages == [] and gateway.requests == []
    assert {m.status for m in await outbox(db)} == {MessageStatus.CANCELLED}


async def test_one_click_unsubscribe_stops_every_message_to_that_contact(
    client: AsyncTestClient[Litestar], db: Any, settings: Settings, sessionmaker: Any
) -> None:
    asked = await ask(db)
    email_submission = await db.scalar(select(Submission).where(Submission.tracking_code == asked.codes[0]))
    path = notifications.unsubscribe_path(settings.secret_key, email_submission.id)
    page = await client.get(path)
    assert page.status_code == 200 and "Ngừng nhận mọi tin nhắn" in page.text
    assert await outbox(db) == []  # opening the link (a mail scanner does) changes nothing
    # RFC 8058: the mail client posts without cookies or CSRF token; the signed path is enough.
    client.cookies.clear()
    response = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "không nhận thêm tin nhắn" in response.text
    await answer_on_air(db, asked)
    assert [m.channel for m in await outbox(db)] == ["sms"]  # the e-mail citizen gets nothing more
    forged = path.rsplit("-", 1)[0] + "-" + "0" * 24
    assert (await client.post(forged)).status_code == 404
    assert (await client.get(forged)).status_code == 404
    with smtp_server() as smtp:
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port))
        await drain(sender)
        await sender.close()
    assert smtp.messages == []


async def test_out_of_scope_rejection_tells_the_citizen(db: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db, slug="ky-ngoai-pham-vi")
    engines, publisher = ModerationEngines(), RecordingPublisher()
    result = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text="Tôi muốn hỏi về kết quả trận bóng đá tối qua ạ",
            contact=EMAIL,
            consent_contact=True,
            idempotency_key="x",
        ),
    )
    spam = await intake.submit(
        db,
        engines,
        publisher,
        episode,
        intake.SubmissionForm(
            text="Mua bán sim số đẹp giá rẻ liên hệ ngay hôm nay",
            contact=OTHER_EMAIL,
            consent_contact=True,
            idempotency_key="y",
        ),
    )
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=engines)
    await actions.reject(ctx, result.question_id, RejectReason.OFF_TOPIC.value)
    await actions.reject(ctx, spam.question_id, RejectReason.SPAM.value)  # spam is not told anything
    assert [(m.kind.value, m.question_id) for m in await outbox(db)] == [("out_of_scope", result.question_id)]


async def test_a_sender_killed_mid_send_never_sends_twice(db: Any, settings: Settings, sessionmaker: Any) -> None:
    """A claim whose sender died: the SMS is retried with the same delivery id (the gateway drops the
    repeat), the e-mail is held as uncertain (SMTP cannot drop a repeat) until an admin decides."""
    asked = await ask(db)
    await answer_on_air(db, asked)
    with smtp_server() as smtp, sms_gateway() as gateway:
        config = with_transports(settings, smtp.port, gateway.url)
        dead = notifications.NotificationSender(sessionmaker, config)
        async with sessionmaker() as session:
            claimed = await dead._claim(session, utcnow())
        assert len(claimed) == 2
        # The dead sender had got the SMS out before dying: the gateway holds it under its id.
        [sms_row] = [m for m in await outbox(db) if m.channel == "sms"]
        gateway.delivered[sms_row.delivery_id] = {"id": sms_row.delivery_id, "to": "0903111222", "text": "…"}
        await db.execute(update(OutboundMessage).values(lease_until=utcnow() - timedelta(seconds=1)))
        await db.commit()
        alive = notifications.NotificationSender(sessionmaker, config)
        await drain(alive)
        await alive.close()
        await dead.close()
    rows = {m.channel: m for m in await outbox(db)}
    assert rows["sms"].status is MessageStatus.SENT and rows["sms"].attempts == 2
    assert [r["id"] for r in gateway.requests] == [sms_row.delivery_id] and len(gateway.delivered) == 1
    assert rows["email"].status is MessageStatus.IN_DOUBT and smtp.messages == []


async def test_concurrent_senders_claim_disjoint_messages(db: Any, settings: Settings, sessionmaker: Any) -> None:
    """Several workers (FOR UPDATE SKIP LOCKED on PostgreSQL): each message is sent exactly once."""
    asked = await ask(db)
    question = await db.get(Question, asked.question_id)
    for index in range(30):
        await notifications.enqueue(db, MessageKind.ANSWERED_ON_AIR, question, variant=str(index))
    await db.commit()
    with smtp_server() as smtp, sms_gateway() as gateway:
        config = with_transports(settings, smtp.port, gateway.url)
        senders = [notifications.NotificationSender(sessionmaker, config) for _ in range(3)]
        await asyncio.gather(*(drain(s) for s in senders))
        for s in senders:
            await s.close()
    assert len(smtp.messages) == 30 and len(gateway.requests) == 30 and len(gateway.delivered) == 30
    assert {m.status for m in await outbox(db)} == {MessageStatus.SENT}


async def test_a_message_never_tried_in_14_days_is_cancelled_not_sent(
    db: Any, settings: Settings, sessionmaker: Any
) -> None:
    """E.g. SMS enqueued while no gateway was configured: once one is, two-week-old news is not sent."""
    asked = await ask(db)
    await answer_on_air(db, asked)
    await db.execute(update(OutboundMessage).values(created_at=utcnow() - timedelta(days=15)))
    await db.commit()
    with smtp_server() as smtp:
        sender = notifications.NotificationSender(sessionmaker, with_transports(settings, smtp.port))
        await drain(sender)
        await sender.close()
    assert smtp.messages == []
    assert {(m.status, m.last_error) for m in await outbox(db)} == {
        (MessageStatus.CANCELLED, "not sent within 14 days: too old to send")
    }
