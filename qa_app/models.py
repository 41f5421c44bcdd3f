"""The domain model (DESIGN §2) as typed SQLAlchemy 2 models.

The schema is created only by the Alembic migrations in ``qa_app/migrations``; a test checks that the
migrations and these models agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from qa_app.timeutil import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; BigInteger ids elsewhere.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The largest integer every integer column of both databases holds (PostgreSQL INTEGER): what input
# from outside may carry as an id, a version or a count (ids never come near it).
MAX_INT = 2**31 - 1


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time: stored as UTC, always read back tz-aware in UTC, on every database.

    SQLite keeps no offset: without this a local time (20:00 in Ho Chi Minh City) was written as its
    wall-clock digits and read back as 20:00 UTC. A naive value is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if not isinstance(value, datetime):
            return value  # None, or a value the database compares as it is
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # SQLAlchemy reads this class attribute; it is never mutated.
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Role(enum.StrEnum):
    OPERATOR = "operator"
    MODERATOR = "moderator"
    OFFICER = "officer"
    PRODUCER = "producer"
    ADMIN = "admin"


class EpisodeStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    LIVE = "live"
    CLOSED = "closed"
    ARCHIVED = "archived"


class QuestionStatus(enum.StrEnum):
    NEW = "new"
    ROUTED = "routed"
    ANSWER_REVIEW = "answer_review"
    READY = "ready"
    QUEUED = "queued"
    ON_AIR = "on_air"
    ANSWERED_ON_AIR = "answered_on_air"
    ANSWERED_IN_WRITING = "answered_in_writing"
    REJECTED = "rejected"
    MERGED = "merged"


class Channel(enum.StrEnum):
    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"
    LETTER = "letter"
    SOCIAL = "social"
    IMPORT = "import"
    API = "api"
    OTHER = "other"


class RejectReason(enum.StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    OFF_TOPIC = "off_topic"
    NOT_A_QUESTION = "not_a_question"
    DUPLICATE_REJECTED = "duplicate_rejected"
    OTHER = "other"


class AnswerStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"


class CommitmentStatus(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"  # the department says it is done; a moderator has not accepted it yet
    DONE = "done"
    OVERDUE = "overdue"
    DROPPED = "dropped"


class Verdict(enum.StrEnum):
    """A citizen's answer to "Lời hứa này đã được thực hiện chưa?"."""

    YES = "yes"
    NOT_YET = "not_yet"
    PARTLY = "partly"


class MessageKind(enum.StrEnum):
    ANSWERED_ON_AIR = "answered_on_air"
    ANSWER_PUBLISHED = "answer_published"
    OUT_OF_SCOPE = "out_of_scope"
    COMMITMENT_DONE = "commitment_done"
    COMMITMENT_DROPPED = "commitment_dropped"
    COMMITMENT_CHECK = "commitment_check"  # the due date passed: "has it been done?"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry, or refused for good
    IN_DOUBT = "in_doubt"  # an e-mail whose sender died mid-send: never re-sent by itself
    CANCELLED = "cancelled"  # consent withdrawn, unsubscribed, purged, or too old


class RerouteStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def _str_enum(enum_cls: type[enum.StrEnum], length: int = 32) -> Any:
    """Enum stored as its value in a plain VARCHAR: portable, readable and migration-friendly."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def as_catalogue_entry(self) -> dict[str, Any]:
        """The shape of ``departments.json`` that ``moderation.Router`` reads."""
        return {
            "code": self.code,
            "name": self.name,
            "short": self.short_name,
            "description": self.description,
            "keywords": list(self.keywords or []),
        }


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_str_enum(Role, 16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    department: Mapped[Department | None] = relationship(lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    # sha256 of the token: a bearer token is a long random secret, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class EpisodeDepartment(Base):
    __tablename__ = "episode_department"

    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)


class Episode(Base):
    __tablename__ = "episode"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(96), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    theme: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    air_start: Mapped[datetime | None]
    air_end: Mapped[datetime | None]
    status: Mapped[EpisodeStatus] = mapped_column(_str_enum(EpisodeStatus, 16), default=EpisodeStatus.DRAFT)
    answer_deadline_days: Mapped[int] = mapped_column(Integer, default=10)
    auto_merge_threshold: Mapped[float | None]
    suggest_threshold: Mapped[float | None]
    filler_phrases: Mapped[list[Any]] = mapped_column(default=list)
    on_air_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("question.id", use_alter=True, ondelete="SET NULL")
    )
    on_air_since: Mapped[datetime | None]
    # Bumped to revoke every studio-screen link signed before.
    studio_link_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    departments: Mapped[list[Department]] = relationship(
        secondary="episode_department", lazy="selectin", order_by="Department.name"
    )
    officials: Mapped[list[EpisodeOfficial]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="EpisodeOfficial.id"
    )


class EpisodeOfficial(Base):
    """An official who appears on air for a department in this episode."""

    __tablename__ = "episode_official"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255), default="")

    department: Mapped[Department | None] = relationship(lazy="joined")


class Question(Base):
    """The moderated unit: one per group of duplicate submissions."""

    __tablename__ = "question"
    __table_args__ = (
        Index("ix_question_episode_status", "episode_id", "status"),
        Index("ix_question_episode_department", "episode_id", "department_id"),
        # The moderation queue's orderings (migration 0002); all-descending orders scan them backwards.
        Index("ix_question_queue_priority", "episode_id", "priority", "created_at", "id"),
        Index("ix_question_queue_status_priority", "episode_id", "status", "priority", "created_at", "id"),
        Index("ix_question_queue_created", "episode_id", "created_at", "id"),
        Index("ix_question_department_due", "department_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    public_text: Mapped[str] = mapped_column(Text)
    # Folded (no diacritics, lower case) copy of public_text for accent-insensitive search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuestionStatus] = mapped_column(_str_enum(QuestionStatus, 24), default=QuestionStatus.NEW)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due_date: Mapped[date | None] = mapped_column(Date)
    submission_count: Mapped[int] = mapped_column(Integer, default=0)
    ward_code: Mapped[str | None] = mapped_column(String(8))
    duplicate_suggestions: Mapped[list[Any]] = mapped_column(default=list)
    route_suggestions: Mapped[list[Any]] = mapped_column(default=list)
    reject_reason: Mapped[RejectReason | None] = mapped_column(_str_enum(RejectReason, 24))
    reject_note: Mapped[str | None] = mapped_column(Text)
    # What the moderator told the department when routing (the latest note given; migration 0008).
    routing_note: Mapped[str | None] = mapped_column(Text)
    # A short wording a moderator wrote for the studio screen, read instead of a long public wording
    # (migration 0009); None: the studio shows the public wording, scaled and clamped.
    on_air_text: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    answered_by_official: Mapped[str | None] = mapped_column(String(255))
    on_time: Mapped[bool | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    routed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # When a moderator saved or approved the public wording (migration 0004); until then citizen-facing
    # views hide every name-like sequence and digit run in it (services/wording.py).
    wording_reviewed_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Submission(Base):
    """What one citizen sent; never altered except NFC normalisation and the retention purge."""

    __tablename__ = "submission"
    __table_args__ = (
        # A key belongs to its caller (an account, or the anonymous public); the key comes first so
        # that the anonymous path's look-up across callers uses this index too.
        UniqueConstraint(
            "episode_id", "idempotency_key", "idempotency_scope", name="uq_submission_episode_idempotency_scope"
        ),
        UniqueConstraint("episode_id", "fingerprint", name="uq_submission_episode_fingerprint"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    # The question this submission created or first joined: split and undo restore it.
    original_question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    channel: Mapped[Channel] = mapped_column(_str_enum(Channel, 16))
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str | None] = mapped_column(String(128))
    ward_code: Mapped[str | None] = mapped_column(String(8))
    ward_text: Mapped[str | None] = mapped_column(String(255))
    contact: Mapped[str | None] = mapped_column(String(255))
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_name_on_air: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_text_hash: Mapped[str | None] = mapped_column(String(64))
    consented_at: Mapped[datetime | None]
    raw_text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # Whose key: "user:<id>" for staff and integrations, "" for the anonymous public, "cli" for the command line.
    idempotency_scope: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # What was asked with the key (a digest of the cleaned submission): a repeat must ask the same.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    contact_purged_at: Mapped[datetime | None]
    # The citizen used the unsubscribe link: no message is sent to this contact any more.
    notifications_stopped_at: Mapped[datetime | None]


class Answer(Base):
    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    official_name: Mapped[str] = mapped_column(String(128), default="")
    official_title: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    match_check: Mapped[dict[str, Any] | None]
    status: Mapped[AnswerStatus] = mapped_column(_str_enum(AnswerStatus, 16), default=AnswerStatus.DRAFT)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]

    department: Mapped[Department] = relationship(lazy="joined")
    commitments: Mapped[list[Commitment]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Commitment.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Commitment(Base):
    """A promise made in an answer (what will be done, by when) and its follow-up."""

    __tablename__ = "commitment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answer.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[CommitmentStatus] = mapped_column(_str_enum(CommitmentStatus, 16), default=CommitmentStatus.PENDING)
    # What the department shows as done (a text or a link), with its claim.
    evidence: Mapped[str | None] = mapped_column(Text)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    claimed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)  # why a claim was not accepted
    drop_reason: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    # When the citizens were asked whether it was kept (once, after the due date).
    verdict_requested_at: Mapped[datetime | None]


class CommitmentVerdict(Base):
    """One citizen's verdict on a commitment made to them (they may change it)."""

    __tablename__ = "commitment_verdict"
    __table_args__ = (
        UniqueConstraint("commitment_id", "submission_id", name="uq_commitment_verdict_commitment_submission"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"))
    verdict: Mapped[Verdict] = mapped_column(_str_enum(Verdict, 16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboundMessage(Base):
    """The persistent outbox: one message to one consenting citizen, written in the transaction of the
    change that causes it and sent by ``services/notifications.NotificationSender``.

    The recipient is read from the submission when the message is sent (so a purge or an unsubscribe
    in between stops it); what was sent is kept in ``subject``/``body`` for the admins."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(_str_enum(MessageKind, 32))
    channel: Mapped[str] = mapped_column(String(8))  # "email" or "sms"
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitment.id", ondelete="SET NULL"))
    # One message per cause and citizen, whatever retries or repeated requests happen.
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    # Stable across retries: the SMS gateway drops a repeat, the e-mail carries it as its Message-ID.
    delivery_id: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[MessageStatus] = mapped_column(_str_enum(MessageStatus, 16), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # failed, in doubt or cancelled


class RerouteRequest(Base):
    """An officer's "không thuộc thẩm quyền" with a reason; a moderator decides."""

    __tablename__ = "reroute_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    from_department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[RerouteStatus] = mapped_column(_str_enum(RerouteStatus, 16), default=RerouteStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)


class RundownItem(Base):
    __tablename__ = "rundown_item"
    __table_args__ = (UniqueConstraint("episode_id", "question_id", name="uq_rundown_item_episode_question"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    position: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(Base):
    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PublicHoliday(Base):
    """Days skipped when counting working-day deadlines."""

    __tablename__ = "public_holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class AuditEvent(Base):
    """Append-only record of every state change: who, what, before/after, when."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_label: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episode.id"), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)


class ImportUpload(Base):
    """An operator's upload, read once and kept parsed between the preview and the import.

    In the database, not in a worker's memory or ``var/``: every worker on every host reads it
    (the preview and the import may reach different workers). Expires; see ``services/import_uploads.py``."""

    __tablename__ = "import_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the random token in the URL
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episode.id"))
    filename: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes of ``payload``
    payload: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed JSON lines (ParsedFile)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
