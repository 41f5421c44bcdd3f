"""Citizen intake: every path (web form, "me too", operator desk, import, API) ends here.

``submit`` validates, stores the raw submission (NFC only), masks personal data for the public wording,
joins an existing question above the auto-merge threshold or creates a new one with its duplicate and
routing suggestions, commits, and only then indexes the question and tells the moderators' board.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import json
import logging
import re
import unicodedata
from collections import Counter as Tally
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import DuplicateIndex, Match, Prepared, Router, fold, mask_pii
from qa_app.availability import database_unavailable
from qa_app.events import Publisher, QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import (
    MAX_INT,
    AuditEvent,
    Channel,
    Department,
    Episode,
    EpisodeStatus,
    Question,
    QuestionStatus,
    Role,
    Submission,
    User,
)
from qa_app.security import Counter, address_bucket
from qa_app.services import audit
from qa_app.services.engines import ModerationEngines
from qa_app.services.episodes import ACCEPTING_STATUSES
from qa_app.services.errors import Conflict, DomainError, InvalidInput, NotFound, Throttled
from qa_app.services.permissions import ensure_role
from qa_app.services.tracking import new_tracking_code
from qa_app.services.wards import wards_by_code
from qa_app.services.wording import citizen_wording
from qa_app.timeutil import utcnow

logger = logging.getLogger(__name__)

MIN_TEXT, MAX_TEXT = 10, 2000
# Whose idempotency keys (besides "user:<id>" for an account): the public's, the command line's.
ANONYMOUS_SCOPE, TRUSTED_SCOPE = "", "cli"
MAX_NAME, MAX_CONTACT, MAX_WARD_TEXT = 128, 255, 255
CONSENT_VERSION = "2026-11"
# Questions a citizen may see as "already asked" and join: moderated, not rejected, still current.
PUBLIC_STATUSES = frozenset(
    {
        QuestionStatus.ROUTED,
        QuestionStatus.ANSWER_REVIEW,
        QuestionStatus.READY,
        QuestionStatus.QUEUED,
        QuestionStatus.ON_AIR,
        QuestionStatus.ANSWERED_ON_AIR,
        QuestionStatus.ANSWERED_IN_WRITING,
    }
)
# An automatic merge never joins a question that a moderator refused or emptied.
MERGEABLE_STATUSES = frozenset(QuestionStatus) - {QuestionStatus.REJECTED, QuestionStatus.MERGED}
STAFF_CHANNELS = frozenset(Channel) - {Channel.WEB}
# The batch writes with Core statements (many rows per statement), not the unit of work.
QUESTIONS = cast(Table, Question.__table__)
SUBMISSIONS = cast(Table, Submission.__table__)
AUDIT_EVENTS = cast(Table, AuditEvent.__table__)

PHONE_RE = re.compile(r"^(?:\+?84|0)(?:[35789]\d{8}|2\d{9})$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")


def consent_text() -> str:
    """What the citizen agrees to when leaving contact details (its hash is stored as evidence)."""
    return _(
        "I agree that the program's editorial team and the responsible agencies use my contact details "
        "only to contact me about this question, and that they are deleted 90 days after the answer is "
        "published."
    )


def consent_name_text() -> str:
    return _("I agree that my name may be read on air and shown with my question.")


@dataclass(frozen=True)
class SubmissionForm:
    """What arrives from any channel, before validation."""

    text: str
    name: str = ""
    ward_code: str = ""
    ward_text: str = ""
    contact: str = ""
    consent_contact: bool = False
    consent_name_on_air: bool = False
    channel: str = "web"
    idempotency_key: str = ""
    fingerprint: str | None = None
    received_at: datetime | None = None
    join_question_id: int | None = None


@dataclass(frozen=True)
class SubmissionResult:
    tracking_code: str
    question_id: int
    status: QuestionStatus
    joined: bool
    existing: bool = False  # an earlier identical request (idempotency key) answered again


@dataclass
class CleanSubmission:
    text: str
    name: str | None
    ward_code: str | None
    ward_text: str | None
    contact: str | None
    consent_contact: bool
    consent_name_on_air: bool
    channel: Channel
    idempotency_key: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _strip_format_chars(value: str) -> str:
    """Remove zero-width and bidi control characters (Unicode Cf) that can disguise a name."""
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cf")


# C0 controls other than tab, line feed and carriage return, DEL, the C1 controls, and lone surrogates
# (no database stores them; a JSON body can carry one as "\ud800"). NUL is among them, but question
# texts refuse it with a message instead (see text_problem): it usually means a broken client.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def strip_controls(value: str) -> str:
    """``value`` without the characters of :data:`CONTROL_CHARS` (invisible, or unstorable)."""
    return CONTROL_CHARS.sub("", value)


def nfc(value: str | None) -> str:
    """NFC, without control characters (NUL excepted: callers that refuse it look for it)."""
    return unicodedata.normalize("NFC", CONTROL_CHARS.sub(_keep_nul, value or ""))


def _keep_nul(match: re.Match[str]) -> str:
    return match.group() if match.group() == "\x00" else ""


def normalize_contact(value: str) -> str | None:
    """A phone number as ``0xxxxxxxxx`` or an e-mail in lower case; None when it is neither."""
    compact = re.sub(r"[\s.\-()]", "", value)
    if PHONE_RE.match(compact):
        digits = compact.lstrip("+")
        return "0" + digits[2:] if digits.startswith("84") else digits
    if EMAIL_RE.match(value.strip()):
        return value.strip().lower()
    return None


def text_problem(text: str, *, minimum: int = MIN_TEXT) -> str | None:
    """Why a question text is refused, in the user's language; None when it is acceptable."""
    if "\x00" in text:
        return _("The text contains an invalid character (NUL). Please retype it.")
    stripped = text.strip()
    if not stripped:
        return _("Please write your question.")
    if not any(ch.isalnum() for ch in stripped):
        return _("Your question needs words, not only symbols or emoji.")
    if len(stripped) < minimum:
        return _("Your question is too short (at least %(n)d characters).") % {"n": minimum}
    if len(stripped) > MAX_TEXT:
        return _("Your question is too long (at most 2,000 characters; now %(n)d).") % {"n": len(stripped)}
    return None


def clean(form: SubmissionForm, *, staff: bool) -> CleanSubmission:
    """Validate a submission form; raises InvalidInput with one Vietnamese message per field."""
    errors: dict[str, str] = {}
    text = nfc(form.text)
    minimum = 1 if form.join_question_id is not None and not text.strip() else MIN_TEXT
    if form.join_question_id is not None and not text.strip():
        text = ""
    elif problem := text_problem(text, minimum=minimum):
        errors["text"] = problem
    name = _strip_format_chars(nfc(form.name)).replace("\x00", "").strip()
    if len(name) > MAX_NAME:
        errors["name"] = _("The name is too long (at most %(n)d characters).") % {"n": MAX_NAME}
    contact_raw = _strip_format_chars(nfc(form.contact)).replace("\x00", "").strip()
    contact = None
    if contact_raw:
        contact = normalize_contact(contact_raw) if len(contact_raw) <= MAX_CONTACT else None
        if contact is None:
            errors["contact"] = _("Enter a phone number (e.g. 0903 123 456) or an e-mail address, or leave it empty.")
        elif not form.consent_contact:
            errors["consent_contact"] = _("To leave contact details, please agree to how they will be used.")
    ward_code = strip_controls(form.ward_code).strip() or None
    if ward_code and ward_code not in wards_by_code():
        errors["ward_code"] = _("Choose your ward or commune from the list.")
    ward_text = _strip_format_chars(strip_controls(nfc(form.ward_text))).strip()[:MAX_WARD_TEXT] or None
    if form.join_question_id is not None and not 1 <= form.join_question_id <= MAX_INT:
        errors["join_question_id"] = _("This question can no longer be joined. Please send your own question.")
    try:
        channel = Channel(strip_controls(form.channel).strip().lower() or "web")
    except ValueError:
        errors["channel"] = _("Unknown channel.")
        channel = Channel.OTHER
    if not staff and channel not in (Channel.WEB, Channel.API):
        errors["channel"] = _("Only staff and integrations may record other channels.")
    key = strip_controls(form.idempotency_key).strip()[:64] or None
    if errors:
        raise InvalidInput(errors)
    return CleanSubmission(
        text=text,
        name=name or None,
        ward_code=ward_code,
        ward_text=ward_text,
        contact=contact,
        consent_contact=bool(contact) and form.consent_contact,
        consent_name_on_air=form.consent_name_on_air and bool(name),
        channel=channel,
        idempotency_key=key,
    )


def public_wording(text: str) -> str:
    """The masked text that moderators start from and the public may see."""
    return _strip_format_chars(mask_pii(text).text).strip()


def contact_digest(contact: str) -> str:
    """Which contact, without the contact itself (counter keys, audit lines)."""
    return hashlib.sha256(contact.encode()).hexdigest()[:32]


async def check_rate_limits(
    counter: Counter, *, ip: str | None, contact: str | None, per_ip: tuple[int, int], per_contact: tuple[int, int]
) -> None:
    """Count this request against the per-IP window and check the contact's; Throttled when over.

    The contact's window only counts accepted submissions (:func:`count_accepted`): requests that
    name a citizen's phone but are refused must not use up that citizen's limit.
    """
    if ip is not None and await counter.hit(f"submit:ip:{address_bucket(ip)}", per_ip[1]) > per_ip[0]:
        raise Throttled(_("Too many questions from your connection. Please wait a few minutes and try again."))
    if contact is not None and await counter.get(_contact_key(contact)) >= per_contact[0]:
        raise Throttled(_("Too many questions with this contact. Please try again later."))


async def count_accepted(
    counter: Counter, result: SubmissionResult, *, contact: str | None, per_contact: tuple[int, int]
) -> None:
    """An accepted submission counts against its contact's window (a replayed one already did)."""
    if contact is not None and not result.existing:
        await counter.hit(_contact_key(contact), per_contact[1])


def _contact_key(contact: str) -> str:
    return f"submit:contact:{contact_digest(contact)}"  # no contact in keys


class Refusal(enum.Enum):
    """Why the batch refused an item; turned into a message in the requester's language."""

    NOT_ACCEPTING = "not_accepting"
    CANNOT_JOIN = "cannot_join"
    KEY_REUSED = "key_reused"
    UNSTORABLE = "unstorable"


def _refusal_error(refusal: Refusal) -> DomainError:
    if refusal is Refusal.NOT_ACCEPTING:
        return Conflict(_("This episode is not accepting questions at the moment."))
    if refusal is Refusal.KEY_REUSED:
        return Conflict(
            _(
                "This submission key (idempotency key) was already used for a different request. Reload the "
                "page (or use a new key) to send another question."
            )
        )
    if refusal is Refusal.UNSTORABLE:
        return InvalidInput(
            {"form": _("This question could not be stored. Please check what you wrote and send it again.")}
        )
    return NotFound(_("This question can no longer be joined. Please send your own question."))


class EpisodeLike(Protocol):
    """What submitting needs of an episode (an :class:`Episode` or a lighter reference)."""

    @property
    def id(self) -> int: ...
    @property
    def status(self) -> EpisodeStatus: ...


@dataclass(eq=False)
class PendingSubmission:
    """A validated submission on its way to the database: one item of a batch."""

    episode_id: int
    data: CleanSubmission
    actor: User | None
    staff: bool
    consent_hash: str | None
    scope: str = ""  # whose idempotency key: "user:<id>", ANONYMOUS_SCOPE or TRUSTED_SCOPE
    request_hash: str = ""  # what was asked with the key
    fingerprint: str | None = None
    received_at: datetime | None = None
    join_question_id: int | None = None
    # decided by the batch
    wording: str = ""
    matches: list[Match] = field(default_factory=list)
    target: int | None = None  # the question joined: its id, or a batch-mate's provisional key
    target_status: QuestionStatus = QuestionStatus.NEW
    department_code: str | None = None
    provisional: int | None = None  # a new question's key in the duplicate index until it has an id
    routes: list[list[Any]] = field(default_factory=list)
    followers: list[PendingSubmission] = field(default_factory=list)  # same key, same batch
    result: SubmissionResult | None = None
    refusal: Refusal | None = None
    error: Exception | None = None  # the database failed while writing it (not the item's fault)

    @property
    def key(self) -> tuple[int, str] | None:
        """The idempotency key in its episode (whoever's it is)."""
        return (self.episode_id, self.data.idempotency_key) if self.data.idempotency_key else None

    def reset(self) -> None:
        """Forget what a failed attempt decided (the item is then written on its own)."""
        self.wording, self.matches, self.target, self.provisional, self.routes = "", [], None, None, []
        self.target_status, self.department_code, self.refusal = QuestionStatus.NEW, None, None
        self.followers, self.result, self.error = [], None, None


def pending(
    episode: EpisodeLike, form: SubmissionForm, *, actor: User | None = None, trusted: bool = False
) -> PendingSubmission:
    """Check permission, the episode and the form, in the requester's language (raises DomainError).

    ``actor`` is the operator or integration account entering it (None for citizens); ``trusted``
    marks the command line, which may record any channel without an account."""
    staff = actor is not None or trusted
    if actor is not None:
        ensure_role(actor, Role.OPERATOR, Role.MODERATOR)
    if episode.status not in ACCEPTING_STATUSES:
        raise _refusal_error(Refusal.NOT_ACCEPTING)
    data = clean(form, staff=staff)
    return PendingSubmission(
        episode_id=episode.id,
        data=data,
        actor=actor,
        staff=staff,
        scope=f"user:{actor.id}" if actor is not None else (TRUSTED_SCOPE if trusted else ANONYMOUS_SCOPE),
        request_hash=request_hash(data, form.join_question_id),
        # hashed here: the consent text is the one shown in this requester's language
        consent_hash=_consent_hash(data) if data.consent_contact or data.consent_name_on_air else None,
        fingerprint=form.fingerprint,
        received_at=form.received_at,
        join_question_id=form.join_question_id,
    )


def request_hash(data: CleanSubmission, join_question_id: int | None) -> str:
    """A digest of what a submission asks (cleaned, so that a retry of the same request matches)."""
    asked = [
        data.text,
        data.name,
        data.ward_code,
        data.ward_text,
        data.contact,
        data.consent_contact,
        data.consent_name_on_air,
        data.channel.value,
        join_question_id,
    ]
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode()).hexdigest()


def outcome(item: PendingSubmission) -> SubmissionResult:
    """The item's result once its batch is written; raises its refusal (in the caller's language), or
    the database's error when the database failed."""
    if item.error is not None:
        raise item.error
    if item.refusal is not None:
        raise _refusal_error(item.refusal)
    assert item.result is not None, "the batch did not decide this item"
    return item.result


async def submit(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    episode: EpisodeLike,
    form: SubmissionForm,
    *,
    actor: User | None = None,
    trusted: bool = False,
) -> SubmissionResult:
    """Record one submission with ``db``; acknowledged (returned) only after the commit.

    The web and API paths go through :class:`qa_app.services.intake_writer.IntakeWriter`, which
    writes whatever arrived meanwhile in one batch; imports and the command line use this."""
    item = pending(episode, form, actor=actor, trusted=trusted)
    await write_batch(db, engines, publisher, [item])
    return outcome(item)


async def write_batch(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    items: list[PendingSubmission],
    *,
    attempts: int = 3,
) -> None:
    """Write validated submissions (of any episodes) in one transaction: one commit, one fsync
    for a burst. Each item gets its ``result`` or its ``refusal``.

    1. Read what decides: which episodes still accept questions, which idempotency keys and import
       fingerprints are already stored (those items get the stored answer; a repeat within the
       batch follows its first).
    2. Without holding the connection (SQLite has one): mask, look up duplicates and route. Each
       item sees the batch's earlier new questions, indexed under provisional keys, so a burst of
       the same question makes one question, not many.
    3. In one transaction: check the joined questions, insert the new questions, count the new
       voices (a plain UPDATE: a new voice must not bump the version a moderator holds), insert
       the submissions and their audit rows, commit.
    4. Give the provisional index entries their ids; tell the boards.

    When anything fails before the commit, nothing of the attempt stays (rollback, provisional index
    entries dropped) and every item is written again on its own: one bad item cannot fail the others.
    An item that fails alone is refused; when the database itself is away, every item gets its error.
    """
    try:
        fresh, episodes = await _read_phase(db, items)
        if fresh:
            await _write(db, engines, publisher, fresh, episodes)
    except Exception as exc:
        with contextlib.suppress(Exception):
            await db.rollback()  # _write rolled back already; a failed read leaves a transaction too
        if database_unavailable(exc):
            raise
        if len(items) > 1:
            logger.warning("a batch of %d submissions failed (%r): writing them one by one", len(items), exc)
            await _one_by_one(db, engines, publisher, items, max(attempts - 1, 1))
            return
        item = items[0]
        item.reset()
        if isinstance(exc, IntegrityError) and attempts > 1:
            # A key or an import row committed meanwhile by another worker, or (very rarely) a
            # tracking code taken: the next attempt reads the first and draws a new code.
            await write_batch(db, engines, publisher, [item], attempts=attempts - 1)
            return
        logger.error("a submission could not be stored", exc_info=exc)
        item.refusal = Refusal.UNSTORABLE
        return
    for item in items:
        for follower in item.followers:
            follower.refusal, follower.error = item.refusal, item.error
            if item.result is not None:
                follower.result = replace(item.result, existing=True)


async def _one_by_one(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    items: list[PendingSubmission],
    attempts: int,
) -> None:
    """Each item in a transaction of its own; a repeat (of a key or a file row) finds its first stored."""
    for item in items:
        item.reset()
    for n, item in enumerate(items):
        try:
            await write_batch(db, engines, publisher, [item], attempts=attempts)
        except Exception as exc:  # the database is away: the rest would wait for it in vain
            for rest in items[n:]:
                rest.error = exc
            return


async def _read_phase(
    db: AsyncSession, items: list[PendingSubmission]
) -> tuple[list[PendingSubmission], dict[int, Any]]:
    """Refuse items of episodes that stopped accepting, answer repeats; the rest, one per key, and
    the matching settings of their episodes."""
    accepting = {
        row.id: row
        for row in await db.execute(
            select(Episode.id, Episode.auto_merge_threshold, Episode.suggest_threshold, Episode.filler_phrases).where(
                Episode.id.in_({i.episode_id for i in items}), Episode.status.in_(ACCEPTING_STATUSES)
            )
        )
    }
    live = []
    for item in items:
        if item.episode_id in accepting:
            live.append(item)
        else:
            item.refusal = Refusal.NOT_ACCEPTING
    # Stored under the same key (by any caller) or the same import row.
    by_key: dict[tuple[int, str], list[tuple[str, str | None, SubmissionResult]]] = {}
    by_print: dict[tuple[int, str], SubmissionResult] = {}
    conditions = []
    for episode_id in {i.episode_id for i in live}:
        keys = {i.data.idempotency_key for i in live if i.episode_id == episode_id and i.data.idempotency_key}
        prints = {i.fingerprint for i in live if i.episode_id == episode_id and i.fingerprint}
        if keys:
            conditions.append(and_(Submission.episode_id == episode_id, Submission.idempotency_key.in_(keys)))
        if prints:
            conditions.append(and_(Submission.episode_id == episode_id, Submission.fingerprint.in_(prints)))
    if conditions:
        rows = await db.execute(
            select(
                Submission.episode_id,
                Submission.idempotency_key,
                Submission.idempotency_scope,
                Submission.request_hash,
                Submission.fingerprint,
                Submission.tracking_code,
                Submission.question_id,
                Submission.original_question_id,
                Question.status,
                Question.submission_count,
            )
            .join(Question, Question.id == Submission.question_id)
            .where(or_(*conditions))
        )
        for row in rows:
            joined = row.original_question_id != row.question_id or row.submission_count > 1
            result = SubmissionResult(row.tracking_code, row.question_id, row.status, joined, existing=True)
            if row.idempotency_key:
                by_key.setdefault((row.episode_id, row.idempotency_key), []).append(
                    (row.idempotency_scope, row.request_hash, result)
                )
            if row.fingerprint:
                by_print[(row.episode_id, row.fingerprint)] = result
    fresh: list[PendingSubmission] = []
    key_leaders: dict[tuple[int, str], dict[str, PendingSubmission]] = {}  # key -> scope -> first item
    print_leaders: dict[tuple[int, str], PendingSubmission] = {}
    for item in live:
        key = item.key
        printed = (item.episode_id, item.fingerprint) if item.fingerprint else None
        if key is not None and key in by_key:
            decided = _repeat_of_stored(item, by_key[key])
            if decided is not None:
                item.result, item.refusal = decided
                continue
        if printed is not None and printed in by_print:
            item.result = by_print[printed]
            continue
        if key is not None and key in key_leaders:
            leader = key_leaders[key].get(item.scope)
            if leader is not None and leader.request_hash == item.request_hash:
                leader.followers.append(item)
                continue
            if leader is not None or item.scope == ANONYMOUS_SCOPE:
                item.refusal = Refusal.KEY_REUSED
                continue
        if printed is not None and printed in print_leaders:
            print_leaders[printed].followers.append(item)
            continue
        if key is not None:
            key_leaders.setdefault(key, {})[item.scope] = item
        if printed is not None:
            print_leaders[printed] = item
        fresh.append(item)
    return fresh, accepting


def _repeat_of_stored(
    item: PendingSubmission, stored: list[tuple[str, str | None, SubmissionResult]]
) -> tuple[SubmissionResult | None, Refusal | None] | None:
    """What a stored submission with the item's idempotency key decides: the stored answer when the
    same caller asked the same; a refusal when the key is another caller's or asked something else;
    None when the key is free for this caller.

    Each account has keys of its own, so that nobody can take an integration's next key before it;
    the anonymous public shares one space, where a key also may not be one an account used."""
    for scope, asked, result in stored:
        if scope == item.scope:
            # a row stored before requests were hashed answers any repeat of its key
            same = asked is None or asked == item.request_hash
            return (result, None) if same else (None, Refusal.KEY_REUSED)
    if item.scope == ANONYMOUS_SCOPE:
        return None, Refusal.KEY_REUSED
    return None


async def _write(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    items: list[PendingSubmission],
    episodes: dict[int, Any],
) -> None:
    """Decide and write ``items`` in one transaction (see :func:`write_batch`); raises, with nothing
    left behind, when anything fails before the commit. Nothing after the commit raises."""
    indexes = {
        episode_id: await engines.index_for(db, episodes[episode_id]) for episode_id in {i.episode_id for i in items}
    }
    router = await engines.router(db)
    # End the read transaction: the CPU-bound part below must not keep others from the connection.
    await db.commit()

    now = utcnow()
    batch_keys: set[int] = set()  # provisional keys of this batch's new questions
    try:
        for n, item in enumerate(items):
            index = indexes[item.episode_id]
            item.wording = public_wording(item.data.text) if item.data.text else ""
            if item.join_question_id is not None:
                # validated (1..MAX_INT) by clean(); checked again: a negative id is a provisional key
                if not 1 <= item.join_question_id <= MAX_INT:
                    item.refusal = Refusal.CANNOT_JOIN
                    continue
                item.target = item.join_question_id
            else:
                prepared = index.prepare(item.wording)
                # a provisional key is a batch-mate's, or a leftover of a failed batch (never joined)
                item.matches = [m for m in index.candidates(prepared, limit=5) if _usable(m, batch_keys)]
                best = item.matches[0] if item.matches else None
                if best is not None and best.score >= index.auto_merge_threshold:
                    item.target = cast(int, best.key)
                else:
                    _make_new(engines, index, router, item, prepared)
                    batch_keys.add(cast(int, item.provisional))
            if n % 8 == 7:
                await asyncio.sleep(0)  # a long burst must not stall the other requests for long
        await _check_targets(db, engines, indexes, router, items)
        writing = [i for i in items if i.refusal is None]
        created = [i for i in writing if i.target is None]
        voices = Tally(i.target for i in writing if i.target is not None)
        ids: dict[int, int] = {}  # provisional key -> question id
        if created:
            inserted = await db.execute(
                insert(QUESTIONS).returning(QUESTIONS.c.id, sort_by_parameter_order=True),
                [_question_row(i, 1 + voices[cast(int, i.provisional)], now) for i in created],
            )
            ids = dict(zip((cast(int, i.provisional) for i in created), inserted.scalars(), strict=True))
            await _relink_suggestions(db, created, ids)
        if more := [{"question_id_": t, "voices_": n} for t, n in voices.items() if t is not None and t > 0]:
            await db.execute(
                update(QUESTIONS)
                .where(QUESTIONS.c.id == bindparam("question_id_"))
                .values(submission_count=QUESTIONS.c.submission_count + bindparam("voices_")),
                more,
            )
        question_ids = [_question_id(i, ids) for i in writing]
        rows = [_submission_row(i, q, now) for i, q in zip(writing, question_ids, strict=True)]
        if rows:
            inserted = await db.execute(
                insert(SUBMISSIONS).returning(SUBMISSIONS.c.id, sort_by_parameter_order=True), rows
            )
            submission_ids = list(inserted.scalars())
            await db.execute(
                insert(AUDIT_EVENTS),
                [
                    audit.row(
                        i.actor,
                        "submission.create",
                        "submission",
                        submission_id,
                        episode_id=i.episode_id,
                        after={
                            "question_id": question_id,
                            "channel": i.data.channel.value,
                            "joined": i.target is not None,
                            "explicit_join": i.join_question_id is not None,
                        },
                    )
                    for i, submission_id, question_id in zip(writing, submission_ids, question_ids, strict=True)
                ],
            )
        await db.commit()
    except BaseException:
        await _undo(db, engines, indexes, items)
        raise

    # Committed: from here on nothing may raise (the caller would write the items again).
    for item, row, question_id in zip(writing, rows, question_ids, strict=True):
        item.result = SubmissionResult(row["tracking_code"], question_id, item.target_status, item.target is not None)
    for item in created:
        index = indexes[item.episode_id]
        try:
            engines.adopt(index, cast(int, item.provisional), ids[cast(int, item.provisional)])
        except Exception:
            logger.exception("could not re-key a new question in the duplicate index; rebuilding it")
            engines.forget_episode(item.episode_id)
    for item, question_id in zip(writing, question_ids, strict=True):
        try:
            await publisher.publish(
                QuestionChanged(
                    episode_id=item.episode_id,
                    question_id=question_id,
                    action="joined" if item.target is not None else "submitted",
                    department_code=item.department_code,
                )
            )
        except Exception:  # the boards re-sync; the submission is stored
            logger.exception("could not tell the boards about question %s", question_id)


def _usable(match: Match, batch_keys: set[int]) -> bool:
    key = cast(int, match.key)
    return key > 0 or key in batch_keys


def _make_new(
    engines: ModerationEngines,
    index: DuplicateIndex,
    router: Router,
    item: PendingSubmission,
    prepared: Prepared | None = None,
) -> None:
    """The item starts a new question: indexed at once (under a provisional key) and routed."""
    item.target = None
    item.provisional = engines.provisional_key()
    index.add(item.provisional, item.wording, prepared)
    # the masked wording: the words the router learns from (and prepared just above, see match_pair)
    item.routes = [[r.code, round(r.confidence, 3)] for r in router.rank(item.wording, limit=3)]


async def _check_targets(
    db: AsyncSession,
    engines: ModerationEngines,
    indexes: dict[int, DuplicateIndex],
    router: Router,
    items: list[PendingSubmission],
) -> None:
    """Joined questions must still exist in the episode and take voices: a citizen's "me too" is
    refused otherwise; an automatic merge becomes a new question instead."""
    wanted = {i.target for i in items if i.target is not None and i.target > 0}
    if not wanted:
        return
    found = {
        row.id: row
        for row in await db.execute(
            select(Question.id, Question.episode_id, Question.status, Department.code)
            .outerjoin(Department, Department.id == Question.department_id)
            .where(Question.id.in_(wanted))
        )
    }
    for item in items:
        if item.target is None or item.target < 0:
            continue
        row = found.get(item.target)
        if item.join_question_id is not None:
            allowed = MERGEABLE_STATUSES if item.staff else PUBLIC_STATUSES
            if row is None or row.episode_id != item.episode_id or row.status not in allowed:
                item.refusal = Refusal.CANNOT_JOIN
                continue
        elif row is None or row.status not in MERGEABLE_STATUSES:
            _make_new(engines, indexes[item.episode_id], router, item)
            continue
        item.target_status, item.department_code = row.status, row.code


async def _relink_suggestions(db: AsyncSession, created: list[PendingSubmission], ids: dict[int, int]) -> None:
    """Suggestions that named a batch-mate by its provisional key get its id (a rare second write)."""
    updates = [
        {"question_id_": ids[cast(int, i.provisional)], "suggestions_": _suggestions(i, ids)}
        for i in created
        if any(cast(int, m.key) < 0 for m in i.matches)
    ]
    if updates:
        await db.execute(
            update(QUESTIONS)
            .where(QUESTIONS.c.id == bindparam("question_id_"))
            .values(duplicate_suggestions=bindparam("suggestions_", type_=QUESTIONS.c.duplicate_suggestions.type)),
            updates,
        )


def _suggestions(item: PendingSubmission, ids: dict[int, int] | None = None) -> list[list[Any]]:
    out = []
    for m in item.matches:
        key = cast(int, m.key)
        if key < 0:
            if ids is None or key not in ids:
                continue
            key = ids[key]
        out.append([key, round(m.score, 1)])
    return out


def _question_id(item: PendingSubmission, ids: dict[int, int]) -> int:
    if item.target is None:
        return ids[cast(int, item.provisional)]
    return ids[item.target] if item.target < 0 else item.target


def _question_row(item: PendingSubmission, submission_count: int, now: datetime) -> dict[str, Any]:
    return {
        "episode_id": item.episode_id,
        "public_text": item.wording,
        "search_text": fold(item.wording),
        "status": QuestionStatus.NEW,
        "submission_count": submission_count,
        "ward_code": item.data.ward_code,
        "duplicate_suggestions": _suggestions(item),
        "route_suggestions": item.routes,
        "created_at": now,
        "updated_at": now,
    }


def _submission_row(item: PendingSubmission, question_id: int, now: datetime) -> dict[str, Any]:
    data = item.data
    consented = item.consent_hash is not None
    return {
        "episode_id": item.episode_id,
        "question_id": question_id,
        "original_question_id": question_id,
        "channel": data.channel,
        "tracking_code": new_tracking_code(),
        "name": data.name,
        "ward_code": data.ward_code,
        "ward_text": data.ward_text,
        "contact": data.contact,
        "consent_contact": data.consent_contact,
        "consent_name_on_air": data.consent_name_on_air,
        "consent_version": CONSENT_VERSION if consented else None,
        "consent_text_hash": item.consent_hash,
        "consented_at": now if consented else None,
        "raw_text": data.text,
        "received_at": item.received_at or now,
        "idempotency_key": data.idempotency_key,
        "idempotency_scope": item.scope,
        "request_hash": item.request_hash or None,
        "fingerprint": item.fingerprint,
        "entered_by_id": item.actor.id if item.actor else None,
    }


async def _undo(
    db: AsyncSession, engines: ModerationEngines, indexes: dict[int, DuplicateIndex], items: list[PendingSubmission]
) -> None:
    with contextlib.suppress(Exception):
        await db.rollback()
    for item in items:
        if item.provisional is not None:
            engines.discard(indexes[item.episode_id], item.provisional)


def _consent_hash(data: CleanSubmission) -> str:
    shown = []
    if data.consent_contact:
        shown.append(consent_text())
    if data.consent_name_on_air:
        shown.append(consent_name_text())
    return hashlib.sha256("\n".join(shown).encode()).hexdigest()


@dataclass(frozen=True)
class SimilarQuestion:
    question: Question
    score: float
    text: str  # what a citizen may see of the wording (services/wording.py); staff read question.public_text


async def similar_public_questions(
    db: AsyncSession,
    engines: ModerationEngines,
    episode: Episode,
    text: str,
    limit: int = 5,
    statuses: frozenset[QuestionStatus] = PUBLIC_STATUSES,
) -> list[SimilarQuestion]:
    """What citizens see while typing: the closest moderated questions of this episode, each with the
    wording a citizen may see (hidden more strictly until a moderator reviewed it).

    Operators pass ``MERGEABLE_STATUSES`` to see unmoderated questions too.
    """
    text = nfc(text).strip()
    if len(text) < MIN_TEXT or "\x00" in text:
        return []
    index = await engines.index_for(db, episode)
    matches = index.candidates(text, limit=limit * 3)
    if not matches:
        return []
    questions = {
        q.id: q
        for q in await db.scalars(
            select(Question).where(Question.id.in_([cast(int, m.key) for m in matches]), Question.status.in_(statuses))
        )
    }
    found = [questions[cast(int, m.key)] for m in matches if cast(int, m.key) in questions][:limit]
    scores = {m.key: m.score for m in matches}
    return [SimilarQuestion(q, scores[q.id], citizen_wording(q)) for q in found]


async def submissions_entered_by(db: AsyncSession, actor: User, episode_id: int, limit: int = 30) -> list[Submission]:
    """An operator's running list of what they entered in this episode, newest first."""
    return list(
        await db.scalars(
            select(Submission)
            .where(Submission.entered_by_id == actor.id, Submission.episode_id == episode_id)
            .order_by(Submission.id.desc())
            .limit(limit)
        )
    )
