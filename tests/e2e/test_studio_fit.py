"""The studio screen always fits: a 2,000-character question on air never makes the page scroll, at
1920×1080 nor at 1280×720; the QR code to the question form is on screen and readable."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import Channel, Department, EpisodeOfficial, Question, QuestionStatus, Submission, User
from qa_app.services import broadcast
from qa_app.services import rundown as rundown_service
from qa_app.services.tracking import new_tracking_code
from qa_app.timeutil import utcnow
from tests.e2e.conftest import ARTIFACTS, run_db
from tests.factories import make_episode, make_staff
from tests.live import LiveServer

SENTENCE = (
    "Đoạn đường Nguyễn Hữu Cảnh trước cổng chung cư bị ngập sâu mỗi khi triều cường và mưa lớn, "
    "xe máy chết máy giữa đường, người dân phải lội nước về nhà, kiến nghị Sở Xây dựng cho biết lộ trình "
    "nâng cấp cống thoát nước và thời điểm hoàn thành. "
)
LONG = (SENTENCE * 12)[:2000]
TITLE = "Dân hỏi – Chính quyền trả lời: Trách nhiệm công vụ – Cải cách thủ tục hành chính và chống ngập đô thị"
SIZES = [(1920, 1080), (1280, 720)]


def _setup(server: LiveServer) -> str:
    """An episode with the 2,000-character question on air and three long ones next; the studio link."""

    async def work(db: Any) -> str:
        await make_staff(db)
        episode = await make_episode(db, title=TITLE, slug="chong-ngap")
        episode.theme = "Chống ngập và hạ tầng"
        department = await db.scalar(select(Department).where(Department.code == "so-xay-dung"))
        db.add(EpisodeOfficial(episode_id=episode.id, name="Nguyễn Văn Hùng", title="Giám đốc Sở Xây dựng"))
        questions = []
        for text in (LONG, LONG[:900], LONG[:600], LONG[:300]):
            question = Question(
                episode_id=episode.id,
                public_text=text,
                status=QuestionStatus.READY,
                department_id=department.id,
                submission_count=12,
                wording_reviewed_at=utcnow(),
            )
            db.add(question)
            await db.flush()
            db.add(
                Submission(
                    episode_id=episode.id,
                    question_id=question.id,
                    tracking_code=new_tracking_code(),
                    channel=Channel.WEB,
                    raw_text=text,
                )
            )
            questions.append(question)
        await db.commit()
        producer = await db.scalar(select(User).where(User.username == "producer"))
        for question in questions[1:]:
            await rundown_service.add(db, producer, RecordingPublisher(), episode.id, question.id)
        await rundown_service.put_on_air(db, producer, RecordingPublisher(), episode.id, questions[0].id)
        return f"/studio/{episode.id}/{broadcast.studio_token(server.settings.secret_key, episode)}"

    return run_db(server.settings, work)


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_studio_screen_fits_with_a_2000_character_question(
    live_server: LiveServer, page_factory: Any, width: int, height: int
) -> None:
    link = _setup(live_server)
    ARTIFACTS.mkdir(exist_ok=True)
    page = page_factory(viewport={"width": width, "height": height})
    problems = _watch(page)
    page.goto(live_server.url + link)
    page.locator(".studio-question", has_text="Nguyễn Hữu Cảnh").wait_for()
    page.wait_for_timeout(600)  # the socket connects and sends its snapshot (re-rendering the block)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollHeight, bodyScroll: document.body.scrollHeight,"
        " scrollWidth: document.documentElement.scrollWidth, inner: innerHeight, innerWidth: innerWidth})"
    )
    assert sizes["scroll"] == sizes["inner"] == height, sizes
    assert sizes["bodyScroll"] == height and sizes["scrollWidth"] == sizes["innerWidth"] == width, sizes

    # Everything that matters is inside the window, not cut off by the frame.
    for selector in (
        ".studio-head h1",
        ".studio-counters",
        ".studio-label",
        ".studio-question",
        ".studio-meta",
        ".studio-next li >> nth=2",
        ".studio-qr",
        ".studio-foot",
    ):
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
    # The meta line (department, official, count) is below the question, not hidden by the clamp.
    question = page.locator(".studio-question").bounding_box()
    meta = page.locator(".studio-meta").bounding_box()
    assert question and meta and meta["y"] >= question["y"] + question["height"] - 1
    assert "12 người dân cùng hỏi" in page.locator(".studio-asked").inner_text()
    # The question is readable from across the studio: at least 18 px at 720 lines.
    font = page.locator(".studio-question").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 18 * height / 720, font
    # The QR code: drawn on the server as SVG, big enough to scan, pointing at the question form.
    qr = page.locator(".studio-qr svg").bounding_box()
    assert qr and qr["width"] >= 120 * height / 1080, qr
    assert page.locator(".studio-qr").inner_text().strip().endswith("/ky/chong-ngap")
    assert page.locator("script:not([src])").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"studio-long-question-{width}x{height}.png"))
    assert problems == []


def test_qr_code_encodes_the_question_form_address() -> None:
    """The SVG segno draws is a real QR code of the address (decoded back from its modules)."""
    import segno

    from qa_app.web.onair import question_form_qr

    url = "https://hoidap.example.vn/ky/chong-ngap"
    svg = str(question_form_qr(url))
    assert svg.startswith('<svg aria-hidden="true"') and "<script" not in svg
    assert svg == str(question_form_qr(url))  # deterministic: the same screen after every reload
    expected = segno.make(url, error="m").svg_inline(
        scale=1, border=2, dark="#000", light="#fff", omitsize=True, svgclass="studio-qr-code"
    )
    assert svg.replace(' aria-hidden="true" focusable="false"', "") == expected
