"""A citizen on a phone-sized browser: finds the episode, sees similar questions while typing, joins one
or sends a new one, and looks the status up with the tracking code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from qa_app.events import RecordingPublisher
from qa_app.models import QuestionStatus
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.factories import import_departments, make_episode
from tests.live import LiveServer

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
EXISTING = "Xin hỏi làm lại căn cước cho người trên 60 tuổi có phải nộp lệ phí không, làm ở đâu?"


@pytest.fixture
def episode_with_question(live_server: LiveServer) -> LiveServer:
    async def work(db: Any) -> None:
        await import_departments(db)
        episode = await make_episode(db, title="Kỳ tháng Mười hai: Cải cách thủ tục", slug="ky-thang-12")
        result = await intake.submit(
            db,
            ModerationEngines(),
            RecordingPublisher(),
            episode,
            intake.SubmissionForm(text=EXISTING, idempotency_key="seed"),
        )
        from qa_app.models import Question

        question = await db.get(Question, result.question_id)
        question.status = QuestionStatus.ROUTED
        await db.commit()

    run_db(live_server.settings, work)
    return live_server


def test_citizen_joins_a_similar_question_then_sends_one(episode_with_question: LiveServer, page_factory: Any) -> None:
    server = episode_with_question
    page = page_factory(**PHONE)
    page.goto(server.url + "/")
    page.get_by_role("button", name="Gửi câu hỏi của bạn", exact=True).click()
    page.wait_for_url("**/ky/ky-thang-12")
    page.get_by_role("textbox", name="Câu hỏi của bạn").fill(
        "Người già trên 60 tuổi làm lại căn cước có mất lệ phí không?"
    )
    join = page.get_by_role("button", name="Tôi cũng muốn hỏi câu này")
    join.wait_for(timeout=5000)
    assert "căn cước cho người trên 60 tuổi" in page.locator("#similar-questions").inner_text()
    page.screenshot(path=str(ARTIFACTS / "citizen-similar-phone.png"), full_page=True)
    join.click()
    page.wait_for_url("**/tra-cuu/DH-*")
    code = page.locator(".tracking-code").inner_text().strip()
    assert code.startswith("DH-")
    assert "2 người dân" in page.content() or "Số người cùng hỏi" in page.content()

    # A new question with a ward found by its old name.
    page.goto(server.url + "/ky/ky-thang-12")
    page.get_by_role("textbox", name="Câu hỏi của bạn").fill(
        "Hẻm nhà tôi thường xuyên bị ngập sau mưa, đề nghị phường nạo vét cống thoát nước sớm."
    )
    page.get_by_label("Họ tên (không bắt buộc)").fill("Nguyễn Thị Hoa")
    page.get_by_label("Nhập tên mới hoặc tên cũ", exact=False).fill("Phường 12, Gò Vấp")
    page.get_by_role("radio", name="Phường An Hội Tây").wait_for(timeout=5000)
    page.get_by_label("Số điện thoại hoặc thư điện tử", exact=False).fill("0903 555 777")
    page.get_by_role("button", name="Gửi câu hỏi").click()
    # Contact without consent: refused with the typed text kept.
    expect(page.get_by_text("bạn cần đồng ý", exact=False)).to_be_visible()
    expect(page.get_by_role("textbox", name="Câu hỏi của bạn")).to_have_value(re.compile("^Hẻm nhà tôi"))
    page.get_by_label("Tôi đồng ý để Ban biên tập", exact=False).check()
    page.get_by_role("button", name="Gửi câu hỏi").click()
    page.wait_for_url("**/tra-cuu/DH-*")
    new_code = page.locator(".tracking-code").inner_text().strip()
    assert new_code != code
    page.screenshot(path=str(ARTIFACTS / "citizen-acknowledgement-phone.png"), full_page=True)
    assert "0903" not in page.content()

    # Looking the code up later.
    page.goto(server.url + "/tra-cuu")
    page.get_by_label("Mã tra cứu").fill(new_code.lower())
    page.get_by_role("button", name="Tra cứu").click()
    page.wait_for_url(f"**/tra-cuu/{new_code}")
    expect(page.get_by_text("Đã tiếp nhận", exact=False).first).to_be_visible()
