"""Citizen intake: every path (web form, "me too", operator desk, import, API) ends here.

``submit`` validates, stores the raw submission (NFC only), masks personal data for the public wording,
joins an existing question above the auto-merge threshold or creates a new one with its duplicate and
routing suggestions, commits, and only then indexes the question and tells the moderators' board.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import fold, mask_pii
from qa_app.events import Publisher, QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import Channel, Episode, Question, QuestionStatus, Role, Submission, User
from qa_app.security import Counter
from qa_app.services import audit
from qa_app.services.engines import ModerationEngines
from qa_app.services.episodes import ACCEPTING_STATUSES
from qa_app.services.errors import Conflict, InvalidInput, NotFound, Throttled
from qa_app.services.permissions import ensure_role
from qa_app.services.tracking import new_tracking_code
from qa_app.services.wards import wards_by_code
from qa_app.timeutil import utcnow

MIN_TEXT, MAX_TEXT = 10, 2000
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


def nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "")


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
    minimum = 1 if form.join_question_id and not text.strip() else MIN_TEXT
    if form.join_question_id and not text.strip():
        text = ""
    elif problem := text_problem(text, minimum=minimum):
        errors["text"] = problem
    name = _strip_format_chars(nfc(form.name)).strip()
    if "\x00" in name:
        errors["name"] = _("The name contains an invalid character.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("The name is too long (at most %(n)d characters).") % {"n": MAX_NAME}
    contact_raw = _strip_format_chars(nfc(form.contact)).strip()
    contact = None
    if contact_raw:
        contact = normalize_contact(contact_raw) if len(contact_raw) <= MAX_CONTACT else None
        if contact is None:
            errors["contact"] = _("Enter a phone number (e.g. 0903 123 456) or an e-mail address, or leave it empty.")
        elif not form.consent_contact:
            errors["consent_contact"] = _("To leave contact details, please agree to how they will be used.")
    ward_code = form.ward_code.strip() or None
    if ward_code and ward_code not in wards_by_code():
        errors["ward_code"] = _("Choose your ward or commune from the list.")
    ward_text = _strip_format_chars(nfc(form.ward_text)).strip()[:MAX_WARD_TEXT] or None
    try:
        channel = Channel(form.channel or "web")
    except ValueError:
        errors["channel"] = _("Unknown channel.")
        channel = Channel.OTHER
    if not staff and channel not in (Channel.WEB, Channel.API):
        errors["channel"] = _("Only staff and integrations may record other channels.")
    key = form.idempotency_key.strip()[:64] or None
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


async def check_rate_limits(
    counter: Counter, *, ip: str | None, contact: str | None, per_ip: tuple[int, int], per_contact: tuple[int, int]
) -> None:
    """Count this submission against the per-IP and per-contact windows; Throttled when over."""
    if ip is not None and await counter.hit(f"submit:ip:{ip}", per_ip[1]) > per_ip[0]:
        raise Throttled(_("Too many questions from your connection. Please wait a few minutes and try again."))
    if contact is not None:
        key = hashlib.sha256(contact.encode()).hexdigest()[:32]  # no contact details in Redis keys
        if await counter.hit(f"submit:contact:{key}", per_contact[1]) > per_contact[0]:
            raise Throttled(_("Too many questions with this contact. Please try again later."))


async def _existing(db: AsyncSession, episode_id: int, key: str | None, fingerprint: str | None) -> Submission | None:
    if key:
        found = await db.scalar(
            select(Submission).where(Submission.episode_id == episode_id, Submission.idempotency_key == key)
        )
        if found is not None:
            return found
    if fingerprint:
        return await db.scalar(
            select(Submission).where(Submission.episode_id == episode_id, Submission.fingerprint == fingerprint)
        )
    return None


async def _result_for(db: AsyncSession, submission: Submission) -> SubmissionResult:
    question = await db.get(Question, submission.question_id)
    assert question is not None
    joined = submission.original_question_id != question.id or question.submission_count > 1
    return SubmissionResult(submission.tracking_code, question.id, question.status, joined, existing=True)


async def submit(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    episode: Episode,
    form: SubmissionForm,
    *,
    actor: User | None = None,
    trusted: bool = False,
) -> SubmissionResult:
    """Record one submission; acknowledged (returned) only after the commit.

    ``actor`` is the operator or integration account entering it (None for citizens); ``trusted``
    marks the command line, which may record any channel without an account.
    """
    staff = actor is not None or trusted
    if actor is not None:
        ensure_role(actor, Role.OPERATOR, Role.MODERATOR)
    if episode.status not in ACCEPTING_STATUSES:
        raise Conflict(_("This episode is not accepting questions at the moment."))
    data = clean(form, staff=staff)
    episode_id = episode.id  # a rollback below expires the instance
    # End the read transaction that loaded the episode: SQLite has one connection, and the CPU-bound part
    # below (masking, duplicate look-up, routing) must not keep other requests from writing meanwhile.
    await db.commit()
    # No look-up of the idempotency key first: the unique constraint catches a repeat (see below), so
    # the common case costs one round trip less.
    index = await engines.index_for(db, episode)
    joined_question: Question | None = None
    suggestions: list[list[Any]] = []
    if form.join_question_id is not None:
        joined_question = await db.get(Question, form.join_question_id)
        if (
            joined_question is None
            or joined_question.episode_id != episode.id
            or joined_question.status not in (PUBLIC_STATUSES if not staff else MERGEABLE_STATUSES)
        ):
            raise NotFound(_("This question can no longer be joined. Please send your own question."))
    else:
        matches = index.candidates(data.text, limit=5)
        best = matches[0] if matches else None
        if best is not None and best.score >= index.auto_merge_threshold:
            candidate = await db.get(Question, cast(int, best.key))
            if candidate is not None and candidate.status in MERGEABLE_STATUSES:
                joined_question = candidate
        suggestions = [
            [cast(int, m.key), round(m.score, 1)] for m in matches if joined_question is None or m is not best
        ]

    now = utcnow()
    submission = Submission(
        episode_id=episode.id,
        channel=data.channel,
        tracking_code=new_tracking_code(),
        name=data.name,
        ward_code=data.ward_code,
        ward_text=data.ward_text,
        contact=data.contact,
        consent_contact=data.consent_contact,
        consent_name_on_air=data.consent_name_on_air,
        consent_version=CONSENT_VERSION if data.consent_contact or data.consent_name_on_air else None,
        consent_text_hash=_consent_hash(data) if data.consent_contact or data.consent_name_on_air else None,
        consented_at=now if data.consent_contact or data.consent_name_on_air else None,
        raw_text=data.text,
        received_at=form.received_at or now,
        idempotency_key=data.idempotency_key,
        fingerprint=form.fingerprint,
        entered_by_id=actor.id if actor else None,
    )
    created: Question | None = None
    # Read before the commit: nothing needs to be loaded again afterwards.
    status = joined_question.status if joined_question is not None else QuestionStatus.NEW
    department_code = joined_question.department.code if joined_question and joined_question.department else None
    if joined_question is not None:
        submission.question_id = joined_question.id
        submission.original_question_id = joined_question.id
        # A plain UPDATE: a new voice must not bump the version and refuse a moderator's edit.
        await db.execute(
            update(Question)
            .where(Question.id == joined_question.id)
            .values(submission_count=Question.submission_count + 1)
            .execution_options(synchronize_session=False)
        )
        question_id = joined_question.id
    else:
        router = await engines.router(db)
        wording = public_wording(data.text)
        created = Question(
            episode_id=episode.id,
            public_text=wording,
            search_text=fold(wording),
            status=QuestionStatus.NEW,
            submission_count=1,
            ward_code=data.ward_code,
            duplicate_suggestions=suggestions,
            route_suggestions=[[r.code, round(r.confidence, 3)] for r in router.rank(data.text, limit=3)],
            created_at=now,
            updated_at=now,
        )
        db.add(created)
        await db.flush()
        submission.question_id = created.id
        submission.original_question_id = created.id
        question_id = created.id
    db.add(submission)
    try:
        await db.flush()
    except IntegrityError:
        # The same idempotency key or import row committed meanwhile (a double click): answer with it.
        await db.rollback()
        again = await _existing(db, episode_id, data.idempotency_key, form.fingerprint)
        if again is None:
            raise
        return await _result_for(db, again)
    audit.record(
        db,
        actor,
        "submission.create",
        "submission",
        submission.id,
        episode_id=episode.id,
        after={
            "question_id": question_id,
            "channel": data.channel.value,
            "joined": joined_question is not None,
            "explicit_join": form.join_question_id is not None,
        },
    )
    await db.commit()

    if created is not None:
        engines.indexed(episode.id, created.id, created.public_text)
    await publisher.publish(
        QuestionChanged(
            episode_id=episode.id,
            question_id=question_id,
            action="joined" if joined_question is not None else "submitted",
            department_code=department_code,
        )
    )
    return SubmissionResult(submission.tracking_code, question_id, status, joined=joined_question is not None)


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


async def similar_public_questions(
    db: AsyncSession,
    engines: ModerationEngines,
    episode: Episode,
    text: str,
    limit: int = 5,
    statuses: frozenset[QuestionStatus] = PUBLIC_STATUSES,
) -> list[SimilarQuestion]:
    """What citizens see while typing: the closest moderated questions of this episode.

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
    return [SimilarQuestion(questions[cast(int, m.key)], m.score) for m in matches if cast(int, m.key) in questions][
        :limit
    ]


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
