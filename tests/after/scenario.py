"""An episode with known figures, built through the services (the clock passed in where it matters).

Broadcast Tuesday 28/4/2026 19:30–20:30 (ICT); written answers are due 3 working days after it.
30/4 and 1/5 are public holidays and 2–3/5 a weekend, so the due date is Tuesday 5/5 (without them it
would be Friday 1/5): a written answer published on Monday 4/5 is on time, one on 6/5 is late.

  Q1 (Sở Xây dựng)  3 submissions (one merged in)  answered on air      commitment C1 kept (claimed, accepted)
  Q2 (Sở Xây dựng)  2 submissions                  in writing 4/5 (on time)  C2 due 10/5, not kept: overdue
  Q3 (Sở Y tế)      1 submission                   in writing 6/5 (late)     C3 due 2099 (pending), C5 claimed
  Q4 (Sở Y tế)      1 submission                   answered on air      C4 dropped
  Q5 (Sở Y tế)      1 submission                   routed, no answer: overdue
  Q6 (Sở Xây dựng)  1 letter                       answer in review (its commitment C6 is not made yet): overdue
  Q7                1 submission                   rejected as out of scope
  Q8                1 submission                   new
Ratings 3, 2 (Q1), 1 (Q2), 2 (Q3), 3 (Q4). Verdicts on C1: yes, partly; on C2: not yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.models import Commitment, Episode, EpisodeStatus, Question, RejectReason, User
from qa_app.security import MemoryCounter
from qa_app.services import answers, commitments, holidays, intake, notifications, ratings, rundown
from qa_app.services import episodes as episode_service
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from tests.factories import make_staff

ICT = ZoneInfo("Asia/Ho_Chi_Minh")
SLUG = "ky-giai-trinh"
W1, W2 = "27460", "26732"  # Phường An Lạc, Đặc khu Côn Đảo
NAMES = ("Nguyễn Thị Lan", "Trần Văn Bình", "Lê Hoàng Nam", "Phạm Thu Hà")
CONTACTS = ("lan.nguyen@example.vn", "0903123456", "nam.le@example.vn", "0912345678")
PHONE_IN_TEXT = "0987 654 321"


def local(text: str) -> datetime:
    """``dd/mm HH:MM`` of 2026 in Ho Chi Minh City time, as UTC."""
    return datetime.strptime(f"2026/{text}", "%Y/%d/%m %H:%M").replace(tzinfo=ICT).astimezone(UTC)


@dataclass
class Scenario:
    episode: Episode
    staff: dict[str, User]
    q: dict[str, int] = field(default_factory=dict)  # "Q1" -> question id
    codes: dict[str, str] = field(default_factory=dict)  # "A1" -> tracking code
    submissions: dict[str, int] = field(default_factory=dict)  # "A1" -> submission id
    c: dict[str, int] = field(default_factory=dict)  # "C1" -> commitment id
    secret: str = ""


# What every page and export must show for the episode (see the module docstring).
EXPECTED: dict[str, Any] = {
    "submissions": 11,
    "questions": 8,
    "rejected": 1,
    "answered_on_air": 2,
    "answered_in_writing": 2,
    "pending": 3,
    "due": 4,
    "on_time": 1,
    "late": 1,
    "open_overdue": 2,
    "on_time_rate": "25 %",
    "ratings": 5,
    "rating_average": "2,20",
    "satisfied_rate": "80 %",
    "commitments": {"made": 5, "done": 1, "claimed": 1, "pending": 1, "overdue": 1, "dropped": 1},
    "verdicts": {"yes": 1, "partly": 1, "not_yet": 1},
    "median_hours": "68,1",  # routing to approval: 0.83, 0.5, 135.33, 220 hours
}
EXPECTED_DEPARTMENTS: dict[str, dict[str, Any]] = {
    "so-xay-dung": {
        "submissions": 6,
        "questions": 3,
        "answered_on_air": 1,
        "answered_in_writing": 1,
        "pending": 1,
        "on_time": 1,
        "late": 0,
        "open_overdue": 1,
        "due": 2,
        "on_time_rate": "50 %",
        "ratings": 3,
        "rating_average": "2,00",
        "commitments": {"made": 2, "done": 1, "overdue": 1},
    },
    "so-y-te": {
        "submissions": 3,
        "questions": 3,
        "answered_on_air": 1,
        "answered_in_writing": 1,
        "pending": 1,
        "on_time": 0,
        "late": 1,
        "open_overdue": 1,
        "due": 2,
        "on_time_rate": "0 %",
        "ratings": 2,
        "rating_average": "2,50",
        "commitments": {"made": 3, "pending": 1, "claimed": 1, "dropped": 1},
    },
}
# Submissions per channel and distinct questions (key: (submissions, questions)).
EXPECTED_CHANNELS = {"web": (6, 5), "phone": (2, 2), "email": (1, 1), "letter": (1, 1), "social": (1, 1)}
EXPECTED_WARDS = {W1: (3, 2), W2: (2, 1), "": (6, 6)}
# Half-hour bins from 17:30 to 22:00, plus before and after the window.
EXPECTED_ARRIVALS = [
    ("17:30", 0),
    ("18:00", 1),
    ("18:30", 0),
    ("19:00", 0),
    ("19:30", 4),
    ("20:00", 1),
    ("20:30", 0),
    ("21:00", 1),
    ("21:30", 0),
    ("22:00", 0),
]
EXPECTED_ARRIVALS_BEFORE, EXPECTED_ARRIVALS_AFTER = 3, 1

TEXTS = {
    "A1": f"Hẻm 142 Lê Văn Sỹ ngập sâu mỗi khi mưa lớn, gọi tôi số {PHONE_IN_TEXT}: khi nào nạo vét cống thoát nước?",
    "A2": "Cống thoát nước hẻm 142 Lê Văn Sỹ bị tắc, mưa là ngập, bao giờ thành phố nạo vét?",
    "A3": "Khi nào thành phố nạo vét cống thoát nước ở hẻm 142 Lê Văn Sỹ để hết ngập?",
    "B1": "Đường Nguyễn Văn Linh đoạn qua cầu Kênh Tẻ tối om vì đèn chiếu sáng hỏng nhiều tháng nay.",
    "B2": "Đèn đường Nguyễn Văn Linh gần cầu Kênh Tẻ hư lâu rồi, ai chịu trách nhiệm sửa chữa?",
    "C1": "Bệnh viện quận thiếu thuốc điều trị tiểu đường cho người có bảo hiểm y tế, xin hỏi cách giải quyết?",
    "D1": "Trạm y tế phường An Lạc chỉ có một bác sĩ, người dân phải chờ rất lâu để khám bệnh.",
    "E1": "Xin hỏi lịch tiêm vắc xin sởi cho trẻ dưới 5 tuổi ở trạm y tế phường năm nay thế nào?",
    "F1": "Công trình xây dựng trái phép trên đất nông nghiệp ở xã Bình Lợi vẫn chưa bị xử lý dù đã báo.",
    "G1": "Đội bóng đá yêu thích của tôi thi đấu quá tệ mùa này, xin chương trình cho ý kiến.",
    "H1": "Xin hỏi thủ tục đăng ký thường trú cho con mới sinh hiện nay cần những giấy tờ gì?",
}
# key: (channel, received, ward, name index or None, contact index or None)
SENDERS: dict[str, tuple[str, str, str, int | None, int | None]] = {
    "A1": ("web", "28/04 18:10", W1, 0, 0),
    "A2": ("phone", "28/04 19:40", W1, 1, 1),
    "A3": ("web", "28/04 19:45", "", None, None),
    "B1": ("web", "28/04 17:20", W2, 2, 2),
    "B2": ("email", "28/04 20:05", W2, None, None),
    "C1": ("phone", "25/04 09:00", W1, 3, 3),
    "D1": ("web", "28/04 19:35", "", None, None),
    "E1": ("web", "28/04 19:50", "", None, None),
    "F1": ("letter", "26/04 10:00", "", None, None),
    "G1": ("web", "28/04 21:00", "", None, None),
    "H1": ("social", "29/04 08:00", "", None, None),
}


async def build(db: AsyncSession, secret: str) -> Scenario:
    staff = await make_staff(db)
    admin, moderator, producer = staff["admin"], staff["moderator"], staff["producer"]
    await holidays.add_holiday(db, admin, "2026-04-30", "Ngày Giải phóng miền Nam, thống nhất đất nước")
    await holidays.add_holiday(db, admin, "2026-05-01", "Ngày Quốc tế Lao động")
    episode = await episode_service.create_episode(
        db,
        None,
        episode_service.EpisodeForm(
            title="Kỳ tháng 4: Ngập nước và y tế cơ sở",
            slug=SLUG,
            theme="Trách nhiệm công vụ",
            air_start=local("28/04 19:30"),
            air_end=local("28/04 20:30"),
            answer_deadline_days=3,
        ),
    )
    episode.status = EpisodeStatus.LIVE
    await db.commit()
    scenario = Scenario(episode=episode, staff=staff, secret=secret)
    engines, publisher = ModerationEngines(), RecordingPublisher()
    question_of = {}
    for key, (channel, received, ward, name, contact) in SENDERS.items():
        result = await intake.submit(
            db,
            engines,
            publisher,
            episode,
            intake.SubmissionForm(
                text=TEXTS[key],
                channel=channel,
                received_at=local(received),
                ward_code=ward,
                name=NAMES[name] if name is not None else "",
                contact=CONTACTS[contact] if contact is not None else "",
                consent_contact=contact is not None,
                idempotency_key=f"scenario-{key}",
            ),
            trusted=True,
        )
        scenario.codes[key] = result.tracking_code
        question_of[key] = result.question_id
    from sqlalchemy import select

    from qa_app.models import Submission

    for key, code in scenario.codes.items():
        scenario.submissions[key] = int(
            await db.scalar(select(Submission.id).where(Submission.tracking_code == code)) or 0
        )
    ctx = actions.ActionContext(db=db, actor=moderator, publisher=publisher, engines=engines)
    # Duplicates: whatever intake joined automatically, the scenario wants A1+A2+A3, B1+B2 together.
    for key, target in (("A2", "A1"), ("A3", "A1"), ("B2", "B1")):
        now_in = {
            k: int(await db.scalar(select(Submission.question_id).where(Submission.id == scenario.submissions[k])) or 0)
            for k in (key, target)
        }
        if now_in[key] != now_in[target]:
            await actions.merge(ctx, now_in[key], now_in[target])
        question_of[key] = question_of[target] = now_in[target]
    letters = {"Q1": "A1", "Q2": "B1", "Q3": "C1", "Q4": "D1", "Q5": "E1", "Q6": "F1", "Q7": "G1", "Q8": "H1"}
    scenario.q = {name: question_of[key] for name, key in letters.items()}
    assert len(set(scenario.q.values())) == 8, "each scenario question must stay distinct"
    q = scenario.q

    for name, department, routed in (
        ("Q1", "so-xay-dung", "28/04 18:30"),
        ("Q2", "so-xay-dung", "28/04 17:40"),
        ("Q3", "so-y-te", "27/04 10:00"),
        ("Q4", "so-y-te", "28/04 19:40"),
        ("Q5", "so-y-te", "28/04 21:00"),
        ("Q6", "so-xay-dung", "27/04 09:00"),
    ):
        await actions.route(ctx, q[name], department, now=local(routed))
    await actions.reject(ctx, q["Q7"], RejectReason.OFF_TOPIC.value, note="Không thuộc chủ đề của kỳ này.")

    def officer_ctx(officer: str) -> answers.Ctx:
        return answers.Ctx(db=db, actor=staff[officer], publisher=publisher, engines=engines)

    async def answer(name: str, officer: str, lines: list[tuple[str, date]]) -> int:
        form = answers.AnswerForm(
            body="Sở đã tiếp nhận và trả lời như sau: " + "nội dung trả lời chi tiết cho người dân. " * 3,
            official_name="Nguyễn Văn Hùng" if officer == "officer_a" else "Trần Thị Mai",
            official_title="Phó Giám đốc",
            commitments=tuple(answers.CommitmentLine(what, due) for what, due in lines),
        )
        submitted = await answers.submit_answer(officer_ctx(officer), q[name], form)
        return submitted.id

    a1 = await answer("Q1", "officer_a", [("Nạo vét toàn bộ tuyến cống hẻm 142 Lê Văn Sỹ", date(2026, 5, 15))])
    a4 = await answer("Q4", "officer_b", [("Bổ sung một bác sĩ cho trạm y tế phường An Lạc", date(2026, 5, 12))])
    a2 = await answer(
        "Q2", "officer_a", [("Thay toàn bộ đèn chiếu sáng hỏng trên đường Nguyễn Văn Linh", date(2026, 5, 10))]
    )
    a3 = await answer(
        "Q3",
        "officer_b",
        [
            ("Xây dựng kho thuốc dự trữ của thành phố", date(2099, 12, 31)),
            ("Cấp bổ sung thuốc tiểu đường cho bệnh viện quận", date(2026, 5, 8)),
        ],
    )
    await answer("Q6", "officer_a", [("Cưỡng chế công trình sai phép ở xã Bình Lợi", date(2026, 5, 20))])

    await actions.review_answer(ctx, a1, approve=True, now=local("28/04 19:20"))
    await rundown.put_on_air(db, producer, publisher, episode.id, q["Q1"])
    await rundown.mark_answered(db, producer, publisher, episode.id, now=local("28/04 19:55"))
    await actions.review_answer(ctx, a4, approve=True, now=local("28/04 20:10"))
    await rundown.put_on_air(db, producer, publisher, episode.id, q["Q4"])
    await rundown.mark_answered(db, producer, publisher, episode.id, now=local("28/04 20:15"))
    await actions.review_answer(ctx, a2, approve=True, now=local("04/05 09:00"))
    await answers.publish_answer(answers.Ctx(db, moderator, publisher, engines), q["Q2"], now=local("04/05 10:00"))
    await actions.review_answer(ctx, a3, approve=True, now=local("06/05 14:00"))
    await answers.publish_answer(answers.Ctx(db, moderator, publisher, engines), q["Q3"], now=local("06/05 15:00"))
    episode.status = EpisodeStatus.CLOSED
    await db.commit()

    for key, answer_id in (("C1", a1), ("C4", a4), ("C2", a2)):
        scenario.c[key] = int(await db.scalar(select(Commitment.id).where(Commitment.answer_id == answer_id)) or 0)
    c3, c5 = list(await db.scalars(select(Commitment.id).where(Commitment.answer_id == a3).order_by(Commitment.id)))
    scenario.c["C3"], scenario.c["C5"] = c3, c5

    await commitments.claim_done(
        db, staff["officer_a"], scenario.c["C1"], "Đã nạo vét xong ngày 12/5: https://example.vn/anh"
    )
    await commitments.review_claim(db, moderator, scenario.c["C1"], accept=True)
    await commitments.drop(db, moderator, scenario.c["C4"], "Thành phố chưa tuyển được bác sĩ cho trạm y tế phường.")
    await commitments.claim_done(db, staff["officer_b"], scenario.c["C5"], "Đã cấp 2.000 hộp thuốc ngày 7/5.")
    await commitments.sweep(db, now=local("01/06 08:00"))

    for key, commitment, verdict in (("A1", "C1", "yes"), ("A2", "C1", "partly"), ("B1", "C2", "not_yet")):
        token = notifications.make_token(secret, "verdict", scenario.c[commitment], scenario.submissions[key])
        await commitments.record_verdict(db, secret, token, verdict)

    counter = MemoryCounter()
    for key, question, score in (
        ("A1", "Q1", "3"),
        ("A2", "Q1", "2"),
        ("B1", "Q2", "1"),
        ("C1", "Q3", "2"),
        ("D1", "Q4", "3"),
    ):
        await ratings.rate(db, counter, q[question], scenario.codes[key], score, "")
    scenario.episode = await db.get(Episode, episode.id, populate_existing=True)  # type: ignore[assignment]
    assert scenario.episode is not None
    for name in ("Q5", "Q6"):
        question = await db.get(Question, q[name], populate_existing=True)
        assert question is not None and question.due_date == date(2026, 5, 5), (name, question)
    return scenario
