"""Every role walked through the night at its real screen size, on one server with a known episode
(tests/after/scenario.py: questions in every state, answers, commitments, ratings).

Any console error, page error, failed request, unexpected error status or ``htmx:oobErrorNoTarget``
fails the walk, and axe-core must find no serious or critical violation on any screen it visits.
Screenshots: ``test-artifacts/walk-<role>-<screen>.png``."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from qa_app.events import RecordingPublisher
from qa_app.models import Question, QuestionStatus
from qa_app.services import intake, notifications
from qa_app.services.engines import ModerationEngines
from qa_app.settings import Settings
from tests.after import scenario
from tests.e2e.conftest import run_db
from tests.e2e.test_foundation_screens import log_in
from tests.e2e.walk import Walk
from tests.factories import make_episode
from tests.live import LiveServer, server_env

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1440, "height": 900}}
TONIGHT = "chong-ngap-do-thi"  # open for questions, beside the scenario's aired episode
TONIGHT_QUESTIONS = [
    "Hẻm 51 Lê Văn Sỹ cứ mưa lớn là ngập, xin hỏi khi nào thành phố nạo vét cống thoát nước?",
    "Đèn đường trên đường Phạm Văn Đồng hư nhiều ngày, buổi tối rất nguy hiểm cho người đi xe máy.",
    # The longest question a citizen may send: the screens must still read well.
    ("Kính gửi chương trình, tôi xin phản ánh tình trạng ngập kéo dài ở khu dân cư. " * 25)[:2000],
]


class Night:
    def __init__(self, server: LiveServer, built: scenario.Scenario) -> None:
        self.server = server
        self.q = built.q
        self.codes = built.codes
        self.episode_id = built.episode.id
        secret = server.settings.secret_key
        self.verdict_token = notifications.make_token(secret, "verdict", built.c["C2"], built.submissions["B1"])
        self.unsubscribe_token = notifications.make_token(secret, "unsubscribe", built.submissions["A1"])


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, worker_tag: str) -> Iterator[Night]:
    """One server and one episode for the whole walk (each role reads it; what a role changes is its own)."""
    root = tmp_path_factory.mktemp("walk")
    shutil.copyfile(sqlite_template, root / "qa.sqlite3")
    settings = Settings(
        environment="test",
        database_url=f"sqlite+aiosqlite:///{root / 'qa.sqlite3'}",
        redis_url=None,
        redis_prefix=f"qa-test-{worker_tag}-{uuid.uuid4().hex[:6]}",
        secret_key="test-secret-key-" + "w" * 32,
        var_dir=root / "var",
        argon2_time_cost=1,
        argon2_memory_cost=1024,
    ).resolved()

    async def work(db: Any) -> scenario.Scenario:
        built = await scenario.build(db, settings.secret_key)
        tonight = await make_episode(db, title="Kỳ tháng 12: Chống ngập đô thị", slug=TONIGHT)
        for number, text in enumerate(TONIGHT_QUESTIONS):
            form = intake.SubmissionForm(text=text, idempotency_key=f"walk-{number}")
            result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), tonight, form)
            if number == 0:  # routed: the public sees it among similar questions
                question = await db.get(Question, result.question_id)
                question.status = QuestionStatus.ROUTED
                await db.commit()
        return built

    built = run_db(settings, work)
    from tests.live import free_port

    port = free_port()
    server = LiveServer(settings=settings, port=port, env=server_env(settings, port), log=root / "server.log")
    server.start()
    try:
        yield Night(server, built)
    finally:
        server.stop()


def walker(page_factory: Any, night: Night, name: str, **options: Any) -> Walk:
    return Walk(page_factory(**options), night.server.url, name)


def test_citizen_on_a_phone(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "citizen", **PHONE)
    page = walk.page
    walk.visit("/", "home")
    walk.visit(f"/ky/{TONIGHT}", "ask")
    box = page.get_by_role("textbox", name="Câu hỏi của bạn")
    box.fill("Hẻm 51 Lê Văn Sỹ ngập khi mưa lớn, bao giờ nạo vét cống thoát nước?")
    expect(page.locator("#similar-questions li").first).to_be_visible()
    walk.check("ask-similar")
    # Sent with a contact but no consent: refused, the reason shown, what was typed kept.
    page.get_by_label("Số điện thoại hoặc thư điện tử", exact=False).fill("0903 555 777")
    with walk.allowing(400, 422):
        page.get_by_role("button", name="Gửi câu hỏi").click()
        expect(page.locator("#consent_contact-error")).to_be_visible()
    walk.check("ask-refused")
    page.get_by_label("Tôi đồng ý để Ban biên tập", exact=False).check()
    page.get_by_role("button", name="Gửi câu hỏi").click()
    page.wait_for_url("**/tra-cuu/DH-*")
    walk.check("acknowledgement")
    walk.visit("/tra-cuu", "tracking-form")
    walk.visit(f"/tra-cuu/{night.codes['A3']}", "tracking-merged")
    walk.visit(f"/tra-cuu/{night.codes['C1']}", "tracking-answered")
    walk.visit(f"/truc-tiep/{scenario.SLUG}", "board")
    walk.visit(f"/giai-trinh/{scenario.SLUG}", "accountability")
    walk.visit(f"/danh-gia/{night.q['Q2']}?ma={night.codes['B1']}", "rating")
    walk.visit(f"/loi-hua/{night.verdict_token}", "verdict")
    walk.visit(f"/ngung-nhan-tin/{night.unsubscribe_token}", "unsubscribe")
    walk.visit("/login", "login")
    walk.finish()


def test_moderator_at_the_desk(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "moderator", **DESK)
    page = walk.page
    walk.visit("/login", "login")
    log_in(page, night.server, "moderator")
    walk.check("workspace")
    walk.visit("/moderation", "queue")
    walk.visit("/moderation?status=all", "queue-all")
    walk.visit(f"/moderation/questions/{night.q['Q1']}", "question-answered")
    walk.visit(f"/moderation/questions/{night.q['Q6']}", "question-in-review")
    page.get_by_role("button", name="Duyệt", exact=True).click()  # a redirect: the toast comes with the page
    expect(page.get_by_role("status").filter(has_text="Đã duyệt câu trả lời.")).to_be_visible()
    walk.check("answer-approved", full_page=False)
    walk.visit(f"/moderation/questions/{night.q['Q8']}", "question-new")
    page.get_by_label("Nội dung người dân", exact=False).fill("Thủ tục đăng ký thường trú cho con mới sinh cần gì?")
    page.get_by_role("button", name="Lưu nội dung").click()  # htmx: the toast comes in HX-Trigger
    expect(page.get_by_role("status").filter(has_text=f"Đã lưu nội dung câu hỏi #{night.q['Q8']}.")).to_be_visible()
    walk.check("wording-saved", full_page=False)
    walk.visit("/moderation/settings", "settings")
    walk.visit("/moderation/commitments", "commitments")
    walk.visit("/reports", "reports")
    walk.visit(f"/reports/{scenario.SLUG}", "report")
    walk.visit("/operator", "operator-desk")
    walk.finish()


def test_operator_takes_calls(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "operator", **DESK)
    page = walk.page
    log_in(page, night.server, "operator")
    walk.check("workspace")
    walk.visit("/operator", "desk")
    page.get_by_role("textbox", name="Câu hỏi (theo lời người dân)").fill(
        "Người gọi hỏi: chợ tạm trên đường Nguyễn Thị Minh Khai khi nào được dời đi để thông đường?"
    )
    page.get_by_role("button", name="Ghi nhận câu hỏi").click()
    expect(page.get_by_text("Đọc mã tra cứu cho người dân:")).to_be_visible()
    walk.check("call-recorded")
    walk.visit("/operator/import", "import")
    walk.finish()


def test_officer_answers(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "officer", **DESK)
    page = walk.page
    log_in(page, night.server, "officer_b")
    walk.check("workspace")
    walk.visit("/department", "inbox")
    walk.visit(f"/department/questions/{night.q['Q5']}", "question")
    walk.visit("/department/commitments", "commitments")
    walk.finish()


def test_producer_runs_the_show(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "producer", **DESK)
    page = walk.page
    log_in(page, night.server, "producer")
    walk.check("workspace")
    walk.visit("/producer", "rundown")
    link = page.locator("a[href^='/studio/']").first.get_attribute("href")
    page.get_by_role("button", name="Thêm vào kịch bản").first.click()
    page.get_by_role("button", name="Đưa lên sóng").first.click()
    expect(page.locator(".rundown-item.status-on_air")).to_have_count(1)
    walk.check("rundown-on-air")
    walk.visit("/reports", "reports")
    walk.finish()
    for size in ({"width": 1920, "height": 1080}, {"width": 1280, "height": 720}):
        studio = walker(page_factory, night, f"studio-{size['width']}x{size['height']}", viewport=size)
        studio.visit(str(link), "screen")
        studio.finish()


def test_admin_sets_up(night: Night, page_factory: Any) -> None:
    walk = walker(page_factory, night, "admin", **DESK)
    page = walk.page
    log_in(page, night.server, "admin")
    walk.check("workspace")
    walk.visit("/admin/episodes", "episodes")
    walk.visit("/admin/episodes/new", "episode-new")
    walk.visit(f"/admin/episodes/{night.episode_id}", "episode-edit")
    walk.visit("/admin/departments", "departments")
    walk.visit("/admin/departments/1", "department-edit")
    walk.visit("/admin/users", "users")
    walk.visit("/admin/holidays", "holidays")
    walk.visit("/admin/personal-data", "personal-data")
    walk.visit("/admin/notifications", "notifications")
    walk.visit("/admin/audit", "audit")
    walk.finish()


def test_citizen_pastes_too_long_a_question(night: Night, page_factory: Any) -> None:
    """5,000 characters pasted on a phone: told at once by how much, nothing cut; sent anyway, the server
    refuses in Vietnamese with the whole text kept, and the phone is taken to the field and its error."""
    walk = walker(page_factory, night, "citizen-long", **PHONE)
    page = walk.page
    walk.visit(f"/ky/{TONIGHT}", "ask")
    counter = page.locator("#text-count")
    expect(counter).to_contain_text("0 / 2000 ký tự")
    long_text = ("Nước ngập ngang gối ở hẻm 51 sau mỗi cơn mưa, xin hỏi bao giờ nạo vét cống? " * 70)[:5000]
    box = page.get_by_role("textbox", name="Câu hỏi của bạn")
    box.click()
    page.keyboard.insert_text(long_text)  # as a paste: one input event
    expect(counter).to_contain_text("5000 / 2000 ký tự")
    expect(counter.get_by_role("status")).to_have_text(
        "Dài quá 3000 ký tự: vui lòng rút gọn trước khi gửi. Chưa có chữ nào bị cắt bỏ."
    )
    assert len(box.input_value()) == 5000
    walk.check("ask-too-long", full_page=False)
    page.get_by_label("Họ tên (không bắt buộc)").fill("Trần Thị Mai")
    with walk.allowing(422):
        page.get_by_role("button", name="Gửi câu hỏi").click()
        expect(page.locator("#text-error")).to_contain_text("Câu hỏi quá dài")
    assert len(box.input_value()) == 5000, "the refused text must come back whole"
    expect(box).to_be_focused()
    expect(box).to_be_in_viewport()
    expect(page.locator("#text-error")).to_be_in_viewport()
    expect(counter.get_by_role("status")).to_contain_text("Dài quá 3000 ký tự")
    walk.check("ask-too-long-refused", full_page=False)
    # Shortened to the limit: the warning goes, and it is accepted.
    box.fill(long_text[:2000])
    expect(counter.get_by_role("status")).to_have_text("")
    page.get_by_role("button", name="Gửi câu hỏi").click()
    page.wait_for_url("**/tra-cuu/DH-*")
    walk.finish()
