"""The moderation queue at a staff screen's real size (1440×900): compact (at least 8 cards in view), the
one-key merge shows its target first and can be undone from the toast (the same question comes back),
and the keyboard stays on its card after an action. Every toast, with an undo or not, is in the page's one
live region (#toasts)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from qa_app.events import RecordingPublisher
from qa_app.models import Question
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.e2e.test_foundation_screens import log_in
from tests.e2e.test_live_lists import STAFF, card_ids, connected, watched
from tests.factories import make_episode, make_staff
from tests.live import LiveServer

TEXTS = [
    "Đường Nguyễn Hữu Cảnh ngập nặng mỗi khi mưa lớn, khi nào thành phố chống ngập dứt điểm?",
    "Xin hỏi làm bản sao công chứng giấy tờ ở phường có mất phí không, mất bao lâu?",
    "Trạm xe buýt trước chợ Bến Thành bị dời đi đâu, người già đi lại rất khó khăn.",
    "Học phí năm học mới của trường công lập có tăng không, phụ huynh cần chuẩn bị gì?",
    "Đèn đường trên đường Lê Văn Việt hư cả tháng nay chưa sửa, buổi tối rất nguy hiểm.",
    "Cấp đổi căn cước cho người già không đi lại được thì cán bộ có đến tận nhà không?",
    "Rác thải sinh hoạt ở hẻm 45 không được thu gom đã ba ngày, đề nghị xử lý sớm giúp dân.",
    "Xin hỏi lịch tiêm chủng mở rộng cho trẻ tại trạm y tế phường trong tháng này như thế nào?",
    "Công trình metro số 2 khi nào xong, mặt bằng trên đường Cách Mạng Tháng Tám bị rào lâu quá.",
    "Bảo hiểm y tế hộ gia đình năm nay đóng ở đâu, có được đóng trực tuyến qua ứng dụng không?",
    "Vỉa hè đường Phan Xích Long bị lấn chiếm buôn bán, người đi bộ phải xuống lòng đường.",
    "Hẻm 42 khu phố 3 phường Thạnh Mỹ Tây ngập sau mỗi cơn mưa, có nạo vét cống không?",
]


@pytest.fixture
def desk(live_server: LiveServer) -> tuple[LiveServer, list[int]]:
    async def work(db: Any) -> list[int]:
        await make_staff(db)
        episode = await make_episode(db, title="Kỳ bàn biên tập", slug="ky-ban-bien-tap")
        ids = [
            (
                await intake.submit(
                    db,
                    ModerationEngines(),
                    RecordingPublisher(),
                    episode,
                    intake.SubmissionForm(text=text, idempotency_key=f"k{n}", ward_text="Phường Thạnh Mỹ Tây"),
                )
            ).question_id
            for n, text in enumerate(TEXTS)
        ]
        # What the duplicate index found, made explicit: the alley flooding is close to the avenue's
        # (72, above the default confidence of 35), the notary question only weakly (20).
        alley = await db.get(Question, ids[-1])
        alley.duplicate_suggestions = [[ids[0], 72.0]]
        notary = await db.get(Question, ids[1])
        notary.duplicate_suggestions = [[ids[0], 20.0]]
        await db.commit()
        return ids

    return live_server, run_db(live_server.settings, work)


def fully_visible(page: Any) -> int:
    return int(
        page.evaluate(
            "Array.from(document.querySelectorAll('#queue-list .qcard')).filter(c => {"
            " const r = c.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }).length"
        )
    )


def focused_card(page: Any) -> int | None:
    value = page.evaluate("document.activeElement && document.activeElement.dataset.question || null")
    return int(value) if value else None


def test_compact_queue_safe_merge_with_undo_and_kept_focus(
    desk: tuple[LiveServer, list[int]], page_factory: Any
) -> None:
    server, ids = desk
    problems: list[str] = []
    page = watched(page_factory, problems, **STAFF)
    log_in(page, server, "moderator")
    page.goto(server.url + "/moderation")
    connected(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "moderation-queue-1440.png"))
    assert fully_visible(page) >= 8, f"{fully_visible(page)} cards in view"

    # A weak suggestion offers no one-key merge: "m" does nothing.
    page.locator(f"#question-card-{ids[1]}").focus()
    page.keyboard.press("m")
    page.wait_for_timeout(300)
    assert not page.locator("#confirm-dialog").is_visible()

    # "m" on the alley question shows the target's wording first; Enter confirms.
    alley, avenue = ids[-1], ids[0]
    page.locator(f"#question-card-{alley}").focus()
    page.keyboard.press("m")
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible", timeout=5000)
    assert "Nguyễn Hữu Cảnh ngập nặng" in dialog.inner_text() and f"#{avenue}" in dialog.inner_text()
    page.screenshot(path=str(ARTIFACTS / "moderation-merge-confirm.png"))
    page.keyboard.press("Enter")
    toast = page.get_by_role("status").filter(has_text=f"Đã gộp #{alley} vào #{avenue}")
    toast.wait_for(timeout=5000)
    assert toast.get_by_role("button", name="Hoàn tác").is_visible()
    page.locator(f"#question-card-{alley}").wait_for(state="detached", timeout=5000)  # merged: out of the list
    assert "2 người dân" in page.locator(f"#question-card-{avenue}").inner_text()
    page.screenshot(path=str(ARTIFACTS / "moderation-undo-toast.png"))

    # "u" undoes it: the same question comes back with its own citizen, the target's count goes back.
    page.keyboard.press("u")
    page.get_by_role("status").filter(has_text=f"Đã hoàn tác: #{alley}").wait_for(timeout=5000)
    page.locator(f"#queue-list #question-card-{alley}").wait_for(timeout=5000)
    page.locator(f"#question-card-{avenue}", has_text="1 người dân").wait_for(timeout=5000)

    # After "p" on a card, "j" goes on from there, not back to the top.
    order = card_ids(page)
    third = order[2]
    page.locator(f"#question-card-{third}").focus()
    page.keyboard.press("p")
    page.locator(f"#question-card-{third}.priority-1").wait_for(timeout=5000)
    page.wait_for_timeout(500)  # the live update that moves the card up
    page.keyboard.press("j")
    now = focused_card(page)
    assert now is not None and now != card_ids(page)[0], (order, card_ids(page), now)
    assert order.index(now) > 2 or now == third  # below where the moderator was

    # The question page: the same card, whole, with its controls.
    page.goto(server.url + f"/moderation/questions/{ids[0]}")
    page.locator(f"#question-card-{ids[0]} select[name=department]").wait_for(timeout=5000)
    page.screenshot(path=str(ARTIFACTS / "moderation-question-1440.png"))
    assert problems == []


def test_every_toast_is_in_the_one_region_and_u_undoes_the_latest(
    desk: tuple[LiveServer, list[int]], page_factory: Any
) -> None:
    server, ids = desk
    problems: list[str] = []
    page = watched(page_factory, problems, **STAFF)
    log_in(page, server, "moderator")
    page.goto(server.url + "/moderation")
    connected(page)
    toasts = page.locator("#toasts .toast")
    undo_toasts = page.locator("#toasts .toast:has([data-undo])")
    expect(page.locator("#toasts")).to_have_attribute("role", "status")
    expect(page.locator("#toast-region, .toast-region")).to_have_count(0)

    # A plain confirmation (the htmx answer's HX-Trigger) lands in the region, for 6 seconds.
    page.locator(f"#question-card-{ids[2]}").focus()
    page.keyboard.press("w")
    approved = toasts.filter(has_text=f"Đã duyệt nội dung câu hỏi #{ids[2]}.")
    expect(approved).to_have_count(1)
    expect(approved).to_have_attribute("data-toast-ms", "6000")

    # An action that can be taken back: its toast, with the undo, in the same region, for 10 seconds.
    rejected = page.locator(f"#question-card-{ids[3]}")
    rejected.focus()
    page.keyboard.press("x")
    rejected.locator("details.reject button[type=submit]").click()
    expect(undo_toasts).to_have_count(1)
    expect(undo_toasts).to_contain_text(f"Đã từ chối #{ids[3]}.")
    expect(undo_toasts).to_have_attribute("data-toast-ms", "10000")

    # The next one replaces it: "u" can only reach the latest action.
    alley, avenue = ids[-1], ids[0]
    page.locator(f"#question-card-{alley}").focus()
    page.keyboard.press("m")
    page.locator("#confirm-dialog").wait_for(state="visible", timeout=5000)
    page.keyboard.press("Enter")
    expect(undo_toasts.filter(has_text=f"Đã gộp #{alley} vào #{avenue}")).to_have_count(1)
    expect(undo_toasts).to_have_count(1)
    expect(undo_toasts.get_by_role("button", name="Hoàn tác")).to_be_visible()
    page.locator(f"#question-card-{alley}").wait_for(state="detached", timeout=5000)

    # "u": the merge is undone, and the answer takes the undo toast's place (a plain toast, 6 seconds).
    page.keyboard.press("u")
    undone = toasts.filter(has_text=f"Đã hoàn tác: #{alley}")
    expect(undone).to_have_count(1)
    expect(undo_toasts).to_have_count(0)
    expect(undone).to_have_attribute("data-toast-ms", "6000")
    page.locator(f"#queue-list #question-card-{alley}").wait_for(timeout=5000)
    expect(page.locator(f"#queue-list #question-card-{ids[3]}")).to_have_count(0)  # still rejected
    # ... and it goes by itself, like every toast.
    expect(toasts).to_have_count(0, timeout=10000)
    assert problems == []
