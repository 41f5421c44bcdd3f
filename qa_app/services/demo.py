"""``qa-app demo seed``: a realistic demo episode so that every screen has content. Idempotent."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import fold, mask_pii
from qa_app.models import (
    Answer,
    AnswerStatus,
    Channel,
    Commitment,
    Department,
    Episode,
    EpisodeOfficial,
    EpisodeStatus,
    PublicHoliday,
    Question,
    QuestionStatus,
    RejectReason,
    Role,
    RundownItem,
    Submission,
    User,
)
from qa_app.security import Passwords
from qa_app.services import audit
from qa_app.services import departments as department_service
from qa_app.services import users as user_service
from qa_app.services.tracking import new_tracking_code
from qa_app.services.wards import ward_by_name
from qa_app.timeutil import add_working_days, utcnow

DEMO_QUESTIONS = Path(__file__).resolve().parent.parent / "demo" / "questions.json"
DEMO_SLUG = "trach-nhiem-cong-vu-cai-cach-tthc"
DEMO_TITLE = "Dân hỏi – Chính quyền trả lời: Trách nhiệm công vụ – Cải cách thủ tục hành chính"
DEMO_THEME = "Trách nhiệm công vụ – Cải cách thủ tục hành chính"
DEMO_DESCRIPTION = (
    "Người dân gửi câu hỏi trước và trong giờ phát sóng qua biểu mẫu này, tổng đài, thư điện tử, thư tay "
    "hoặc fanpage của chương trình. Mỗi câu hỏi nhận một mã tra cứu để theo dõi. Câu hỏi chưa được trả lời "
    "trực tiếp sẽ được các sở, ngành, phường, xã trả lời bằng văn bản trong thời hạn quy định."
)

# (username, role, department code, display name)
DEMO_USERS = [
    ("quantri", Role.ADMIN, None, "Quản trị hệ thống"),
    ("bientap1", Role.MODERATOR, None, "Nguyễn Thị Thu Hà"),
    ("bientap2", Role.MODERATOR, None, "Trần Minh Khoa"),
    ("tongdai1", Role.OPERATOR, None, "Lê Thị Ngọc Ánh"),
    ("daodien", Role.PRODUCER, None, "Phạm Quốc Bảo"),
    ("canbo.xaydung", Role.OFFICER, "so-xay-dung", "Võ Thanh Tùng"),
    ("canbo.phuongxa", Role.OFFICER, "ubnd-phuong-xa", "Đặng Thị Mai"),
    ("canbo.congan", Role.OFFICER, "cong-an-tp", "Huỳnh Văn Lộc"),
]

DEMO_OFFICIALS = [
    ("Nguyễn Văn Hùng", "Giám đốc Sở Xây dựng", "so-xay-dung"),
    ("Trần Thị Bích Ngọc", "Phó Giám đốc Sở Nội vụ", "so-noi-vu"),
    ("Lê Quang Vinh", "Phó Giám đốc Công an Thành phố", "cong-an-tp"),
    ("Phạm Thị Lan", "Giám đốc Sở Y tế", "so-y-te"),
    ("Hoàng Minh Tâm", "Phó Giám đốc Sở Nông nghiệp và Môi trường", "so-nong-nghiep-moi-truong"),
]

# Fixed-date public holidays (Bộ luật Lao động 2019, Điều 112); lunar ones are added by admins per year.
FIXED_HOLIDAYS = [
    ((1, 1), "Tết Dương lịch"),
    ((4, 30), "Ngày Chiến thắng"),
    ((5, 1), "Ngày Quốc tế Lao động"),
    ((9, 1), "Quốc khánh (ngày liền kề)"),
    ((9, 2), "Quốc khánh"),
]

STATUS_STEPS = {
    "new": QuestionStatus.NEW,
    "routed": QuestionStatus.ROUTED,
    "answer_review": QuestionStatus.ANSWER_REVIEW,
    "ready": QuestionStatus.READY,
    "queued": QuestionStatus.QUEUED,
    "answered_on_air": QuestionStatus.ANSWERED_ON_AIR,
    "answered_in_writing": QuestionStatus.ANSWERED_IN_WRITING,
    "rejected": QuestionStatus.REJECTED,
}


@dataclass
class SeedReport:
    departments_created: int = 0
    episode_created: bool = False
    questions_created: int = 0
    submissions_created: int = 0
    users_created: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, password)


@dataclass(frozen=True)
class _Timeline:
    """The span from a question's arrival to the moment of seeding: its later steps are fractions of it."""

    start: datetime
    end: datetime

    def at(self, fraction: float) -> datetime:
        return self.start + (self.end - self.start) * fraction


def _next_broadcast(now: datetime, tz: str) -> datetime:
    """Next Saturday 20:00 local time, at least three days away (so the episode is open for questions)."""
    local = now.astimezone(ZoneInfo(tz))
    day = local.date() + timedelta(days=3)
    while day.weekday() != 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(20, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


async def seed(
    db: AsyncSession,
    passwords: Passwords,
    *,
    tz: str = "Asia/Ho_Chi_Minh",
    questions_path: Path = DEMO_QUESTIONS,
    seed_value: int = 20261129,
) -> SeedReport:
    """Create what is missing of the demo; never changes what exists (passwords included)."""
    report = SeedReport()
    created, _updated = await department_service.import_catalogue(db, None, department_service.load_catalogue())
    report.departments_created = created
    departments = {d.code: d for d in await db.scalars(select(Department))}
    await _seed_holidays(db)

    for username, role, department_code, display_name in DEMO_USERS:
        if await db.scalar(select(User.id).where(User.username == username)):
            continue
        password = user_service.generate_password()
        await user_service.create_user(
            db,
            passwords,
            None,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            department_code=department_code,
        )
        report.users_created.append((username, role.value, password))

    episode = await db.scalar(select(Episode).where(Episode.slug == DEMO_SLUG))
    if episode is None:
        air_start = _next_broadcast(utcnow(), tz)
        episode = Episode(
            slug=DEMO_SLUG,
            title=DEMO_TITLE,
            theme=DEMO_THEME,
            description=DEMO_DESCRIPTION,
            air_start=air_start,
            air_end=air_start + timedelta(minutes=60),
            status=EpisodeStatus.OPEN,
            answer_deadline_days=10,
            filler_phrases=[],
        )
        episode.departments = list(departments.values())
        for name, title, code in DEMO_OFFICIALS:
            episode.officials.append(EpisodeOfficial(name=name, title=title, department_id=departments[code].id))
        db.add(episode)
        await db.flush()
        audit.record(
            db,
            None,
            "episode.create",
            "episode",
            episode.id,
            episode_id=episode.id,
            after={"slug": DEMO_SLUG, "demo": True},
        )
        await db.commit()
        report.episode_created = True
        q, s = await _seed_questions(db, episode, departments, questions_path, random.Random(seed_value))
        report.questions_created, report.submissions_created = q, s
    return report


async def _seed_holidays(db: AsyncSession) -> None:
    existing = set(await db.scalars(select(PublicHoliday.day)))
    this_year = utcnow().year
    for year in (this_year, this_year + 1):
        for (month, day), name in FIXED_HOLIDAYS:
            if date(year, month, day) not in existing:
                db.add(PublicHoliday(day=date(year, month, day), name=name))
    await db.commit()


async def _seed_questions(
    db: AsyncSession, episode: Episode, departments: dict[str, Department], path: Path, rng: random.Random
) -> tuple[int, int]:
    items: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))  # noqa: ASYNC240 - CLI only
    holidays = set(await db.scalars(select(PublicHoliday.day)))
    officers = {u.department_id: u for u in await db.scalars(select(User).where(User.role == Role.OFFICER))}
    now = utcnow()
    questions: list[Question] = []
    submissions = 0
    position = 0
    for item in items:
        received = now - timedelta(minutes=rng.randint(5, 7 * 24 * 60))
        contact = item.get("contact")
        submission = Submission(
            episode_id=episode.id,
            channel=Channel(item.get("channel") or "web"),
            tracking_code=new_tracking_code(),
            name=item.get("name"),
            ward_text=item.get("ward"),
            contact=contact,
            ward_code=ward.code if (ward := ward_by_name(item.get("ward") or "")) else None,
            consent_contact=bool(contact),
            consent_name_on_air=bool(item.get("name")) and rng.random() < 0.5,
            consent_version="demo" if contact else None,
            consented_at=received if contact else None,
            raw_text=item["text"],
            received_at=received,
        )
        duplicate_of = item.get("duplicate_of")
        if duplicate_of is not None and duplicate_of < len(questions):
            question = questions[duplicate_of]
            question.submission_count += 1
            submission.question_id = question.id
            submission.original_question_id = question.id
            db.add(submission)
            submissions += 1
            questions.append(question)
            continue
        public_text = mask_pii(item["text"]).text
        department = departments.get(item.get("department") or "")
        status = STATUS_STEPS.get(item.get("status", "new"), QuestionStatus.NEW)
        question = Question(
            episode_id=episode.id,
            public_text=public_text,
            search_text=fold(public_text),
            status=status,
            priority=int(item.get("priority") or 0),
            submission_count=1,
            created_at=received,
            updated_at=received,
            route_suggestions=[[department.code, 0.8]] if department else [],
            duplicate_suggestions=[],
            ward_code=submission.ward_code,
        )
        # Every later step falls between the arrival and now, so nothing is dated in the future.
        timeline = _Timeline(received, now)
        if status is not QuestionStatus.NEW and status is not QuestionStatus.REJECTED and department is not None:
            question.department_id = department.id
            question.routed_at = timeline.at(0.2)
            question.wording_reviewed_at = question.routed_at  # the demo's moderators read what they routed
            question.due_date = add_working_days(question.routed_at.date(), episode.answer_deadline_days, holidays)
        if status is QuestionStatus.REJECTED:
            question.reject_reason = RejectReason(item.get("reject_reason") or "other")
        db.add(question)
        await db.flush()
        submission.question_id = question.id
        submission.original_question_id = question.id
        db.add(submission)
        submissions += 1
        answer_data = item.get("answer")
        if (
            answer_data
            and department is not None
            and status
            in {
                QuestionStatus.ANSWER_REVIEW,
                QuestionStatus.READY,
                QuestionStatus.QUEUED,
                QuestionStatus.ANSWERED_ON_AIR,
                QuestionStatus.ANSWERED_IN_WRITING,
            }
        ):
            answer = _answer(answer_data, question, department, officers.get(department.id), status, timeline)
            db.add(answer)
            if status is QuestionStatus.ANSWERED_IN_WRITING:
                question.answered_at = question.published_at = answer.published_at
                question.on_time = bool(
                    question.due_date and answer.published_at and answer.published_at.date() <= question.due_date
                )
            if status is QuestionStatus.ANSWERED_ON_AIR:
                question.answered_at = timeline.at(0.9)
                question.answered_by_official = answer.official_name
        if status is QuestionStatus.QUEUED:
            position += 1
            db.add(RundownItem(episode_id=episode.id, question_id=question.id, position=position))
        questions.append(question)
    await db.commit()
    return len({q.id for q in questions}), submissions


def _answer(
    data: dict[str, Any],
    question: Question,
    department: Department,
    author: User | None,
    status: QuestionStatus,
    timeline: _Timeline,
) -> Answer:
    answer_status = {
        QuestionStatus.ANSWER_REVIEW: AnswerStatus.SUBMITTED,
        QuestionStatus.ANSWERED_IN_WRITING: AnswerStatus.PUBLISHED,
    }.get(status, AnswerStatus.APPROVED)
    submitted = timeline.at(0.5)
    answer = Answer(
        question_id=question.id,
        department_id=department.id,
        author_id=author.id if author else None,
        official_name=data.get("official_name", ""),
        official_title=data.get("official_title", ""),
        body=data.get("body", ""),
        status=answer_status,
        submitted_at=submitted,
        approved_at=timeline.at(0.65) if answer_status is not AnswerStatus.SUBMITTED else None,
        published_at=timeline.at(0.8) if answer_status is AnswerStatus.PUBLISHED else None,
    )
    for commitment in data.get("commitments") or []:
        answer.commitments.append(
            Commitment(
                what=commitment.get("what", ""),
                due_date=(submitted + timedelta(days=int(commitment.get("due_in_days") or 30))).date(),
            )
        )
    return answer
