"""In Chromium at real sizes: a citizen whose question was grouped (phone) and an officer reading the routing
note and refused another department's leader (desk). No console error; screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import Answer, AnswerStatus, Department, EpisodeOfficial, Question, QuestionStatus
from qa_app.services import intake
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from qa_app.timeutil import utcnow
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.e2e.test_accountability import watched
from tests.e2e.test_foundation_screens import log_in
from tests.factories import make_episode, make_staff
from tests.live import LiveServer

FIRST = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ nộp ở đâu sau khi bỏ quận?"
SECOND = (
    "Tôi là Trần Thị Lan, số điện thoại 0908 765 432. Cho hỏi giấy phép xây dựng nhà riêng lẻ bây giờ "
    "nộp hồ sơ ở phường hay ở Sở Xây dựng?"
)
THIRD = "Hẻm 42 đường Lê Văn Sỹ ngập sau mỗi cơn mưa lớn, khi nào Sở Xây dựng nạo vét cống thoát nước?"
ANSWER = (
    "Chào ông Nguyễn Văn Bình, Sở Xây dựng trả lời như sau: từ ngày 01/7/2025 hồ sơ cấp phép xây dựng nhà ở "
    "riêng lẻ nộp tại Ủy ban nhân dân phường, hoặc trực tuyến qua Cổng dịch vụ công."
)
NOTE = "Ưu tiên: khu vực này ngập ba tuần liền, xin nêu rõ ngày nạo vét."
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1440, "height": 900}}


def _arrange(server: LiveServer) -> dict[str, Any]:
    async def work(db: Any) -> dict[str, Any]:
        staff = await make_staff(db)
        episode = await make_episode(db, title="Kỳ gộp câu hỏi", slug="ky-gop")
        episode_id = episode.id
        engines, publisher = ModerationEngines(), RecordingPublisher()

        async def ask(text: str, key: str, name: str | None) -> intake.SubmissionResult:
            form = intake.SubmissionForm(text=text, idempotency_key=key, name=name)
            return await intake.submit(db, engines, publisher, episode, form)

        first = await ask(FIRST, "a", "Nguyễn Văn Bình")
        second = await ask(SECOND, "b", "Trần Thị Lan")
        third = await ask(THIRD, "c", None)
        ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=engines)
        await actions.merge(ctx, second.question_id, first.question_id)
        await actions.route(ctx, first.question_id, "so-xay-dung")
        await actions.route(ctx, third.question_id, "so-xay-dung", note=NOTE)
        departments = {d.code: d.id for d in await db.scalars(select(Department))}
        db.add_all(
            [
                EpisodeOfficial(
                    episode_id=episode_id,
                    name="Nguyễn Văn Hùng",
                    title="Giám đốc Sở Xây dựng",
                    department_id=departments["so-xay-dung"],
                ),
                EpisodeOfficial(
                    episode_id=episode_id,
                    name="Phạm Thị Lan",
                    title="Giám đốc Sở Y tế",
                    department_id=departments["so-y-te"],
                ),
            ]
        )
        question = await db.get(Question, first.question_id)
        now = utcnow()
        question.status = QuestionStatus.ANSWERED_IN_WRITING
        question.answered_at = question.published_at = question.wording_reviewed_at = now
        db.add(
            Answer(
                question_id=question.id,
                department_id=departments["so-xay-dung"],
                official_name="Nguyễn Văn Hùng",
                official_title="Giám đốc Sở Xây dựng",
                body=ANSWER,
                status=AnswerStatus.PUBLISHED,
                submitted_at=now,
                approved_at=now,
                published_at=now,
            )
        )
        await db.commit()
        return {"second": second.tracking_code, "third": third.question_id}

    return run_db(server.settings, work)


def test_grouped_citizen_on_a_phone_and_officer_at_a_desk(live_server: LiveServer, page_factory: Any) -> None:
    known = _arrange(live_server)
    ARTIFACTS.mkdir(exist_ok=True)

    citizen = page_factory(**PHONE)
    problems = watched(citizen)
    citizen.goto(live_server.url + f"/tra-cuu/{known['second']}")
    notice = citizen.locator(".grouped-notice")
    assert "2 người đã hỏi cùng một nội dung" in notice.inner_text()
    assert "nộp hồ sơ ở phường hay ở Sở Xây dựng" in citizen.locator(".own-words").inner_text()
    text = citizen.locator("main").inner_text()
    assert "Nguyễn Văn Bình" not in text and "Trần Thị Lan" not in text and "0908" not in text
    assert "Chào ông [họ tên]" in text
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    citizen.screenshot(path=str(ARTIFACTS / "tracking-grouped-phone.png"), full_page=True)

    officer = page_factory(**DESK)
    problems += watched(officer)
    log_in(officer, live_server, "officer_a")
    officer.goto(live_server.url + "/department")
    assert NOTE[:40] in officer.locator(f"#inbox-row-{known['third']}").inner_text()
    officer.goto(live_server.url + f"/department/questions/{known['third']}")
    assert NOTE in officer.locator(".routing-note").inner_text()
    options = officer.locator("#official option").all_inner_texts()
    assert any("Nguyễn Văn Hùng" in o for o in options) and not any("Phạm Thị Lan" in o for o in options)
    body = "Sở Xây dựng sẽ nạo vét cống hẻm 42 đường Lê Văn Sỹ trong tuần tới và nâng mặt đường trước mùa mưa."
    officer.get_by_role("textbox", name="Câu trả lời").fill(body)
    officer.locator("#official_name").fill("Phạm Thị Lan")
    officer.get_by_role("button", name="Gửi duyệt").click()
    error = officer.locator("#official_name-error")
    error.wait_for()
    assert "Phạm Thị Lan là lãnh đạo của Sở Y tế" in error.inner_text()
    assert officer.get_by_role("textbox", name="Câu trả lời").input_value() == body  # nothing lost
    officer.screenshot(path=str(ARTIFACTS / "department-official-refused-1440.png"), full_page=True)
    officer.locator("#official_name").fill("")
    officer.locator("#official").select_option(label="Nguyễn Văn Hùng — Giám đốc Sở Xây dựng")
    officer.get_by_role("button", name="Gửi duyệt").click()
    officer.wait_for_url("**sent=1")
    assert problems == []
