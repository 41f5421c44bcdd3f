"""Messages to citizens who consented to be contacted: a persistent outbox and its sender.

The outbox is written in the same transaction as the change that causes a message (a question
answered on air, published in writing, returned as out of scope; a commitment kept, dropped or past
its due date): ``enqueue`` adds one row per consenting citizen of the question and the caller commits.
It does not depend on the live events (those may be lost; the outbox may not).

``NotificationSender`` (started by the app) claims due rows, sends them, and records the outcome.

Delivery semantics: a row is claimed (status ``sending``, ``attempts + 1``, a lease) in its own
transaction before anything is sent; PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so that
several workers never claim the same row. After the send the row becomes ``sent``; a failure that
certainly delivered nothing (connection refused, a 4xx SMTP reply, an HTTP 5xx/429) is retried with
exponential back-off, a refusal for good (5xx SMTP, HTTP 4xx) fails at once. If the sender dies
between the claim and the result (``kill -9``), the lease runs out and:

- an SMS goes back to the queue with the *same* delivery id: the gateway contract is to drop a
  request whose ``id`` (also ``Idempotency-Key``) it has already accepted, so a retry never makes a
  second SMS;
- an e-mail becomes ``in_doubt`` and is never re-sent by itself: SMTP servers do not de-duplicate,
  and the server may have accepted it. An admin sees it and may send it again (same Message-ID).

So nothing is sent twice, and everything not caught mid-send is sent once, also after a crash.
Recipients are read from the submission at send time: an unsubscribe or the retention purge between
the enqueue and the send stops the message (the purge also cancels pending rows, see ``retention``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa_app import i18n
from qa_app.i18n import gettext as _
from qa_app.models import (
    Answer,
    Commitment,
    Department,
    Episode,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Question,
    Role,
    Submission,
    User,
)
from qa_app.services import audit
from qa_app.services.errors import Conflict, NotFound
from qa_app.services.permissions import ensure_role
from qa_app.settings import Settings
from qa_app.timeutil import format_date, utcnow

logger = logging.getLogger(__name__)

K, M = MessageKind, MessageStatus
BATCH = 20
MAX_AGE = timedelta(days=14)  # a message not sent by then is stale news: cancelled
MAX_BACKOFF = 3600.0
OPEN = (M.PENDING, M.SENDING)
SMTP_POLICY = policy.SMTP.clone(max_line_length=998)


# --- signed links (unsubscribe, commitment verdict) -------------------------------------------------


def _signature(secret: str, purpose: str, ids: Iterable[int]) -> str:
    message = f"{purpose}:{':'.join(str(i) for i in ids)}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:24]


def make_token(secret: str, purpose: str, *ids: int) -> str:
    """``12-34-<signature>``: the ids and an HMAC over them; the secret key never leaves the server."""
    return "-".join([*(str(i) for i in ids), _signature(secret, purpose, ids)])


def read_token(secret: str, purpose: str, token: str, count: int) -> tuple[int, ...] | None:
    """The ids of a token made by :func:`make_token`, or None when it was not signed by us."""
    parts = token.strip().split("-")
    if len(parts) != count + 1 or not all(p.isdigit() and len(p) <= 12 for p in parts[:-1]):
        return None
    ids = tuple(int(p) for p in parts[:-1])
    if not hmac.compare_digest(_signature(secret, purpose, ids), parts[-1]):
        return None
    return ids


def unsubscribe_path(secret: str, submission_id: int) -> str:
    return f"/ngung-nhan-tin/{make_token(secret, 'unsubscribe', submission_id)}"


def verdict_path(secret: str, commitment_id: int, submission_id: int) -> str:
    return f"/loi-hua/{make_token(secret, 'verdict', commitment_id, submission_id)}"


# --- the outbox -------------------------------------------------------------------------------------


def channel_of(contact: str) -> str:
    return "email" if "@" in contact else "sms"


def _insert(db: AsyncSession) -> Any:
    """An INSERT that can skip rows whose dedupe key is taken (both dialects spell it the same)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(OutboundMessage)


async def enqueue(
    db: AsyncSession, kind: MessageKind, question: Question, *, commitment_id: int | None = None, variant: str = ""
) -> int:
    """Add one message per citizen of ``question`` who consented and still holds a contact; the
    caller commits it with the change. A repeat of the same cause adds nothing (``dedupe_key``)."""
    reachable = await db.execute(
        select(Submission.id, Submission.contact).where(
            Submission.question_id == question.id,
            Submission.consent_contact.is_(True),
            Submission.contact.is_not(None),
            Submission.contact_purged_at.is_(None),
            Submission.notifications_stopped_at.is_(None),
        )
    )
    rows = []
    now = utcnow()
    for submission_id, contact in reachable.all():
        assert contact is not None  # filtered above
        cause = f"c{commitment_id}" if commitment_id else f"q{question.id}"
        rows.append(
            {
                "kind": kind,
                "channel": channel_of(contact),
                "episode_id": question.episode_id,
                "question_id": question.id,
                "submission_id": submission_id,
                "commitment_id": commitment_id,
                "dedupe_key": f"{kind.value}:{cause}:{submission_id}{':' + variant if variant else ''}"[:160],
                "delivery_id": uuid.uuid4().hex,
                "status": M.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    if rows:
        await db.execute(_insert(db).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return len(rows)


async def cancel_for_submissions(db: AsyncSession, submission_ids: list[int], reason: str) -> None:
    """Cancel what is still waiting for these submissions (purge, erasure, unsubscribe); the caller commits."""
    if submission_ids:
        await db.execute(
            update(OutboundMessage)
            .where(OutboundMessage.submission_id.in_(submission_ids), OutboundMessage.status == M.PENDING)
            .values(status=M.CANCELLED, closed_at=utcnow(), last_error=reason)
            .execution_options(synchronize_session=False)
        )


async def stop_for(db: AsyncSession, secret: str, token: str) -> int | None:
    """The one-click unsubscribe: no more messages to this contact (every submission holding it).

    Returns how many submissions were concerned (0 when the contact is already gone), None for a bad link."""
    ids = read_token(secret, "unsubscribe", token, 1)
    if ids is None:
        return None
    submission = await db.get(Submission, ids[0])
    if submission is None:
        return None
    if submission.contact is None:
        return 0
    from qa_app.services.intake import contact_digest

    contact = submission.contact
    ids_of_contact = list(
        await db.scalars(
            select(Submission.id).where(Submission.contact == contact, Submission.notifications_stopped_at.is_(None))
        )
    )
    now = utcnow()
    if ids_of_contact:
        await db.execute(
            update(Submission)
            .where(Submission.id.in_(ids_of_contact))
            .values(notifications_stopped_at=now)
            .execution_options(synchronize_session=False)
        )
    await cancel_for_submissions(db, [submission.id, *ids_of_contact], "unsubscribed")
    audit.record(
        db,
        None,
        "notifications.unsubscribe",
        "submission",
        submission.id,
        episode_id=submission.episode_id,
        after={"contact": contact_digest(contact), "submissions": len(ids_of_contact)},
    )
    await db.commit()
    return max(1, len(ids_of_contact))


# --- what admins see --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    message: OutboundMessage
    recipient: str  # masked
    tracking_code: str


def mask_contact(contact: str | None) -> str:
    if not contact:
        return "—"
    if "@" in contact:
        local, _sep, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{contact[:2]}xx xxx {contact[-3:]}"


async def outbox_counts(db: AsyncSession) -> dict[str, int]:
    rows = await db.execute(select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status))
    return {MessageStatus(status).value: int(n) for status, n in rows.all()}


async def outbox(db: AsyncSession, actor: User, *, status: str = "", limit: int = 200) -> list[OutboxRow]:
    """The latest messages with their outcome (recipients masked): for admins."""
    ensure_role(actor)  # admins only
    query = (
        select(OutboundMessage, Submission.contact, Submission.tracking_code)
        .join(Submission, Submission.id == OutboundMessage.submission_id)
        .order_by(OutboundMessage.id.desc())
        .limit(limit)
    )
    if status in {s.value for s in MessageStatus}:
        query = query.where(OutboundMessage.status == MessageStatus(status))
    return [OutboxRow(m, mask_contact(contact), code) for m, contact, code in (await db.execute(query)).all()]


async def send_again(db: AsyncSession, actor: User, message_id: int) -> OutboundMessage:
    """An admin puts a failed or in-doubt message back in the queue (same delivery id)."""
    ensure_role(actor, Role.ADMIN)
    message = await db.get(OutboundMessage, message_id)
    if message is None:
        raise NotFound(_("No such message."))
    if message.status not in (M.FAILED, M.IN_DOUBT):
        raise Conflict(_("Only a failed or uncertain message can be sent again."))
    before = message.status.value
    message.status = M.PENDING
    message.next_attempt_at = utcnow()
    message.closed_at = None
    audit.record(
        db,
        actor,
        "notifications.send_again",
        "outbound_message",
        message.id,
        episode_id=message.episode_id,
        before={"status": before},
        after={"status": "pending"},
    )
    await db.commit()
    return message


# --- transports ---------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A delivery attempt that did not go through.

    ``outcome`` is "retry" (nothing was delivered: try again later), "failed" (refused for good) or
    "in_doubt" (it may have been delivered: never re-sent automatically)."""

    def __init__(self, message: str, outcome: str = "retry") -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    text: str
    delivery_id: str
    unsubscribe_url: str


class Transport(Protocol):
    channel: str

    async def send(self, message: Outgoing) -> None: ...

    async def close(self) -> None: ...


class SmtpTransport:
    """E-mail through an SMTP server (aiosmtplib)."""

    channel = "email"

    def __init__(self, url: str, sender: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.hostname = parts.hostname or "localhost"
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = parts.scheme == "smtp+starttls"
        self.port = parts.port or (465 if self.use_tls else 587 if self.start_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = sender
        self.domain = sender.rpartition("@")[2] or "localhost"
        self.timeout = timeout

    def build(self, message: Outgoing) -> EmailMessage:
        # No header folding: CPython's folder drops the space between two encoded words of a long
        # Vietnamese subject ("trả lờitrên sóng"). One encoded word stays within RFC 5322's 998.
        email = EmailMessage(policy=SMTP_POLICY)
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        # The same id at every attempt: a mail client shows one message even if a copy came twice.
        email["Message-ID"] = f"<{message.delivery_id}@{self.domain}>"
        email["Auto-Submitted"] = "auto-generated"
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        email.set_content(message.text, charset="utf-8")
        return email

    async def send(self, message: Outgoing) -> None:
        import aiosmtplib

        try:
            await aiosmtplib.send(
                # Flattened here: aiosmtplib would re-fold the headers with the default SMTP policy.
                self.build(message).as_bytes(policy=SMTP_POLICY),
                sender=self.sender,
                recipients=[message.to],
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, ConnectionError) as exc:
            raise DeliveryError(f"SMTP connection: {exc}") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            outcome = "failed" if codes and all(code >= 500 for code in codes) else "retry"
            raise DeliveryError(f"SMTP refused the recipient: {codes}", outcome) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # An explicit reply: nothing was accepted. 4xx is "try later", 5xx is "never".
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}", "failed" if exc.code >= 500 else "retry") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Cut off mid-conversation: the server may have taken the message.
            raise DeliveryError(f"SMTP interrupted: {exc!r}", "in_doubt") from exc

    async def close(self) -> None:
        return None


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """``X-QA-Signature``: HMAC-SHA256 over ``timestamp.body`` (the timestamp stops replays)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SmsTransport:
    """SMS or Zalo through an HTTP gateway: POST JSON ``{to, text, id}``, HMAC-signed.

    The gateway must treat ``id`` (also sent as ``Idempotency-Key``) as the message's identity and
    accept a repeat without sending it again."""

    channel = "sms"

    def __init__(self, url: str, secret: str, timeout: float) -> None:
        import httpx

        self.url, self.secret = url, secret
        self._client = httpx.AsyncClient(timeout=timeout)

    async def send(self, message: Outgoing) -> None:
        import httpx

        body = json.dumps({"to": message.to, "text": message.text, "id": message.delivery_id}, ensure_ascii=False)
        raw = body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.delivery_id,
            "X-QA-Timestamp": timestamp,
            "X-QA-Signature": sign_webhook(self.secret, timestamp, raw),
        }
        try:
            response = await self._client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:  # safe to retry: the gateway drops a repeated id
            raise DeliveryError(f"gateway: {exc!r}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise DeliveryError(f"gateway HTTP {response.status_code}")
        if response.status_code >= 400:
            raise DeliveryError(f"gateway refused: HTTP {response.status_code} {response.text[:200]}", "failed")

    async def close(self) -> None:
        await self._client.aclose()


def transports_for(settings: Settings) -> dict[str, Transport]:
    transports: dict[str, Transport] = {}
    if settings.smtp_url:
        transports["email"] = SmtpTransport(settings.smtp_url, settings.smtp_from, settings.notify_timeout_seconds)
    if settings.sms_webhook_url:
        transports["sms"] = SmsTransport(
            settings.sms_webhook_url, settings.sms_webhook_secret, settings.notify_timeout_seconds
        )
    return transports


# --- what the message says -------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Context:
    message: OutboundMessage
    submission: Submission
    question: Question
    episode: Episode
    commitment: Commitment | None
    department: str


def compose(settings: Settings, ctx: Context) -> tuple[str, str]:
    """Subject and text of a message, in Vietnamese (the citizens' language), with its links."""
    token = i18n.current_locale.set("vi")
    try:
        return _compose(settings, ctx)
    finally:
        i18n.current_locale.reset(token)


def _compose(settings: Settings, ctx: Context) -> tuple[str, str]:
    base = settings.public_url
    code = ctx.submission.tracking_code
    link = f"{base}/tra-cuu/{code}"
    values: dict[str, Any] = {"code": code, "episode": ctx.episode.title, "department": ctx.department or "—"}
    commitment = ctx.commitment
    if commitment is not None:
        values["what"] = _short(commitment.what, 90)
        values["due"] = format_date(commitment.due_date)
        values["verdict"] = base + verdict_path(settings.secret_key, commitment.id, ctx.submission.id)
        values["reason"] = _short(commitment.drop_reason or "", 120)
    kind = ctx.message.kind
    if kind is K.ANSWERED_ON_AIR:
        subject = _("Your question was answered on air")
        text = _("Your question (code %(code)s) was answered on air in “%(episode)s”. Read the answer and rate it:")
    elif kind is K.ANSWER_PUBLISHED:
        subject = _("The written answer to your question is published")
        text = _("%(department)s has published its written answer to your question (code %(code)s). Read it:")
    elif kind is K.OUT_OF_SCOPE:
        subject = _("Your question is outside the program's scope")
        text = _(
            "Your question (code %(code)s) is outside what this program can answer, so it was not accepted. Details:"
        )
    elif kind is K.COMMITMENT_DONE:
        subject = _("A promise made to you is reported kept")
        text = _(
            "%(department)s reports that it kept its promise “%(what)s” (question %(code)s). "
            "Has it really been done? Tell us with one click: %(verdict)s — the question:"
        )
    elif kind is K.COMMITMENT_DROPPED:
        subject = _("A promise made to you was dropped")
        text = _("%(department)s dropped its promise “%(what)s” (question %(code)s). Reason: %(reason)s. More:")
    else:
        subject = _("Has this promise been kept?")
        text = _(
            "“%(what)s” was promised by %(department)s for %(due)s (question %(code)s). "
            "Has this promise been kept? Answer with one click: %(verdict)s — the question:"
        )
    brand = _("Citizens ask – the Government answers")
    stop = _("Stop these messages: %(link)s") % {
        "link": base + unsubscribe_path(settings.secret_key, ctx.submission.id)
    }
    body = f"[{brand}] {text % values} {link}\n{stop}"
    return f"{brand}: {subject}", body


# --- the sender ----------------------------------------------------------------------------------------


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: doubling, capped, with jitter."""
    base = settings.notify_retry_seconds * 2 ** max(0, attempts - 1)
    jitter = 1 + (int.from_bytes(os.urandom(2), "big") / 65535) * 0.2
    return min(MAX_BACKOFF, base * jitter)


class NotificationSender:
    """Sends the outbox in the background (every worker may run one: claims never overlap)."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        transports: dict[str, Transport] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.settings = settings
        self.transports = transports if transports is not None else transports_for(settings)
        self.worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=settings.notify_timeout_seconds * 3 + 5)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.transports:
            self._task = asyncio.create_task(self._run(), name="notifications")

    async def _run(self) -> None:
        while True:
            handled = 0
            try:
                handled = await self.run_once()
            except Exception:  # a database hiccup: the next round tries again
                logger.exception("notification round failed")
            if handled < BATCH:
                await asyncio.sleep(self.settings.notify_poll_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for transport in self.transports.values():
            await transport.close()

    async def run_once(self) -> int:
        """One round: recover dead claims, cancel stale rows, claim and send a batch; how many were claimed."""
        now = utcnow()
        async with self._sessionmaker() as db:
            await self._recover(db, now)
            ids = await self._claim(db, now)
        for message_id in ids:
            await self._deliver(message_id)
        return len(ids)

    async def _recover(self, db: AsyncSession, now: datetime) -> None:
        expired = and_(OutboundMessage.status == M.SENDING, OutboundMessage.lease_until < now)
        await db.execute(
            update(OutboundMessage)
            .where(expired, OutboundMessage.channel != "email")
            .values(
                status=M.PENDING,
                claimed_by=None,
                lease_until=None,
                next_attempt_at=now,
                last_error="the sender stopped mid-send; retried with the same delivery id",
            )
        )
        await db.execute(
            update(OutboundMessage)
            .where(expired, OutboundMessage.channel == "email")
            .values(
                status=M.IN_DOUBT,
                closed_at=now,
                lease_until=None,
                last_error="the sender stopped mid-send: the e-mail may have gone out; not re-sent by itself",
            )
        )
        # Never tried in 14 days (no transport for its channel): stale news. Retries end within hours,
        # and a message an admin sends again has been tried, so neither is cancelled here.
        await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.status == M.PENDING,
                OutboundMessage.attempts == 0,
                OutboundMessage.created_at < now - MAX_AGE,
            )
            .values(status=M.CANCELLED, closed_at=now, last_error="not sent within 14 days: too old to send")
        )
        await db.commit()

    async def _claim(self, db: AsyncSession, now: datetime) -> list[int]:
        ids = list(
            await db.scalars(
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.status == M.PENDING,
                    OutboundMessage.next_attempt_at <= now,
                    OutboundMessage.channel.in_(list(self.transports)),
                )
                .order_by(OutboundMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            await db.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids), OutboundMessage.status == M.PENDING)
                .values(
                    status=M.SENDING,
                    claimed_by=self.worker_id,
                    lease_until=now + self.lease,
                    attempts=OutboundMessage.attempts + 1,
                )
            )
        await db.commit()
        return ids

    async def _context(self, db: AsyncSession, message: OutboundMessage) -> Context | None:
        submission = await db.get(Submission, message.submission_id)
        question = await db.get(Question, message.question_id)
        episode = await db.get(Episode, question.episode_id) if question else None
        if submission is None or question is None or episode is None:
            return None
        commitment = await db.get(Commitment, message.commitment_id) if message.commitment_id else None
        department = ""
        if commitment is not None:
            answer = await db.get(Answer, commitment.answer_id)
            dep = await db.get(Department, answer.department_id) if answer else None
            department = dep.name if dep else ""
        elif question.department_id:
            dep = await db.get(Department, question.department_id)
            department = dep.name if dep else ""
        return Context(message, submission, question, episode, commitment, department)

    async def _finish(self, db: AsyncSession, message_id: int, **values: Any) -> None:
        """Record the outcome, only if this worker still holds the claim."""
        await db.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == message_id,
                OutboundMessage.status == M.SENDING,
                OutboundMessage.claimed_by == self.worker_id,
            )
            .values(lease_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        await db.commit()

    async def _deliver(self, message_id: int) -> None:
        async with self._sessionmaker() as db:
            message = await db.get(OutboundMessage, message_id)
            if message is None or message.claimed_by != self.worker_id or message.status is not M.SENDING:
                return
            ctx = await self._context(db, message)
            submission = ctx.submission if ctx else None
            now = utcnow()
            if (
                ctx is None
                or submission is None
                or not submission.contact
                or not submission.consent_contact
                or submission.contact_purged_at is not None
                or submission.notifications_stopped_at is not None
            ):
                await self._finish(
                    db, message_id, status=M.CANCELLED, closed_at=now, last_error="no consent or contact"
                )
                return
            subject, text = compose(self.settings, ctx)
            transport = self.transports[message.channel]
            outgoing = Outgoing(
                to=submission.contact,
                subject=subject,
                text=text,
                delivery_id=message.delivery_id,
                unsubscribe_url=self.settings.public_url + unsubscribe_path(self.settings.secret_key, submission.id),
            )
            attempts = message.attempts
            await db.commit()  # no transaction stays open while the network is waited on
            try:
                await asyncio.wait_for(transport.send(outgoing), timeout=self.settings.notify_timeout_seconds * 2)
            except DeliveryError as exc:
                await self._failed(db, message_id, attempts, exc.outcome, str(exc))
                return
            except TimeoutError:
                outcome = "in_doubt" if message.channel == "email" else "retry"
                await self._failed(db, message_id, attempts, outcome, "timed out")
                return
            await self._finish(db, message_id, status=M.SENT, sent_at=utcnow(), subject=subject[:255], body=text)

    async def _failed(self, db: AsyncSession, message_id: int, attempts: int, outcome: str, error: str) -> None:
        now = utcnow()
        logger.warning("notification %d: %s (%s)", message_id, error, outcome)
        if outcome == "retry" and attempts < self.settings.notify_max_attempts:
            await self._finish(
                db,
                message_id,
                status=M.PENDING,
                claimed_by=None,
                next_attempt_at=now + timedelta(seconds=backoff(self.settings, attempts)),
                last_error=error[:1000],
            )
        else:
            status = M.IN_DOUBT if outcome == "in_doubt" else M.FAILED
            await self._finish(db, message_id, status=status, closed_at=now, last_error=error[:1000])
