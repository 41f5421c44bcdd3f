"""The department workspace: isolation between departments, the answer loop, re-routing, deadlines."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import (
    Answer,
    AnswerStatus,
    AuditEvent,
    Episode,
    Question,
    QuestionStatus,
    RerouteRequest,
    Submission,
)
from qa_app.services import intake
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff

BUILD = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ sau khi bỏ quận thì nộp hồ sơ ở đâu?"
HEALTH = "Bệnh viện quận cũ quá tải, người cao tuổi chờ khám bảo hiểm y tế cả buổi sáng, xin giải pháp."
GOOD = (
    "Hồ sơ cấp giấy phép xây dựng nhà ở riêng lẻ nộp tại UBND phường nơi có đất, qua bộ phận một cửa "
    "hoặc trực tuyến trên cổng dịch vụ công. Thời hạn giải quyết 15 ngày."
)


@pytest.fixture
async def routed(db: Any) -> dict[str, Any]:
    staff = await make_staff(db)
    episode = await make_episode(db, title="Kỳ đơn vị", slug="ky-don-vi")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    build = (
        await intake.submit(
            db,
            engines,
            ctx.publisher,
            episode,
            intake.SubmissionForm(
                text=BUILD, idempotency_key="1", contact="0903222333", consent_contact=True, name="Bà Tư"
            ),
        )
    ).question_id
    health = (
        await intake.submit(
            db, engines, ctx.publisher, episode, intake.SubmissionForm(text=HEALTH, idempotency_key="2")
        )
    ).question_id
    await actions.route(ctx, build, "so-xay-dung")
    await actions.route(ctx, health, "so-y-te")
    return {"episode": episode, "build": build, "health": health, "staff": staff}


async def test_officer_sees_only_own_department(client: AsyncTestClient[Litestar], routed: dict[str, Any]) -> None:
    await login(client, "officer_a")  # Sở Xây dựng
    inbox = (await client.get("/department")).text
    assert f"#{routed['build']}" in inbox and f"#{routed['health']}" not in inbox
    assert (await client.get(f"/department/questions/{routed['build']}")).status_code == 200
    assert (await client.get(f"/department/questions/{routed['health']}")).status_code == 404
    for path, data in [
        ("draft", {"body": GOOD}),
        ("submit", {"body": GOOD, "official_name": "A"}),
        ("reroute", {"reason": "Không thuộc thẩm quyền của sở"}),
        ("check", {"body": GOOD}),
    ]:
        response = await post_form(client, f"/department/questions/{routed['health']}/{path}", data)
        assert response.status_code == 404, path
    # Another department cannot be asked for by parameter either.
    assert f"#{routed['health']}" not in (await client.get("/department?department=so-y-te")).text


async def test_officer_never_sees_contact_details(client: AsyncTestClient[Litestar], routed: dict[str, Any]) -> None:
    await login(client, "officer_a")
    page = (await client.get(f"/department/questions/{routed['build']}")).text
    assert "0903222333" not in page and "Bà Tư" not in page and "giấy phép xây dựng" in page


async def test_answer_loop_with_return_and_approval(
    client: AsyncTestClient[Litestar], routed: dict[str, Any], db: Any, app: Litestar
) -> None:
    question_id = routed["build"]
    await login(client, "officer_a")
    autosave = await post_form(
        client,
        f"/department/questions/{question_id}/draft",
        {"body": "Đang soạn...", "commitment_what": ["Rà soát hồ sơ tồn"], "commitment_due": ["2026-12-31"]},
        headers={"HX-Request": "true"},
    )
    assert autosave.status_code == 200 and "Đã lưu nháp" in autosave.text
    assert "chưa đề cập" in autosave.text  # the match check warns on an answer about nothing
    refused = await post_form(client, f"/department/questions/{question_id}/submit", {"body": GOOD})
    assert refused.status_code == 422 and "lãnh đạo" in refused.text and GOOD[:30] in refused.text
    sent = await post_form(
        client,
        f"/department/questions/{question_id}/submit",
        {
            "body": GOOD,
            "official": "Nguyễn Văn Hùng|Giám đốc Sở Xây dựng",
            "commitment_what": ["Rà soát hồ sơ tồn", ""],
            "commitment_due": ["2026-12-31", ""],
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    answer = await db.scalar(select(Answer).where(Answer.question_id == question_id))
    question = await db.get(Question, question_id)
    assert answer.status is AnswerStatus.SUBMITTED and question.status is QuestionStatus.ANSWER_REVIEW
    assert answer.official_name == "Nguyễn Văn Hùng" and answer.match_check["ok"] is True
    assert [(c.what, c.due_date) for c in answer.commitments] == [("Rà soát hồ sơ tồn", date(2026, 12, 31))]

    await post_form(client, "/logout")
    await login(client, "moderator")
    await post_form(
        client,
        f"/moderation/answers/{answer.id}/review",
        {"decision": "return", "comment": "Bổ sung địa chỉ nộp trực tuyến."},
    )
    await post_form(client, "/logout")
    await login(client, "officer_a")
    page = (await client.get(f"/department/questions/{question_id}")).text
    assert "Bổ sung địa chỉ nộp trực tuyến." in page and "Ban biên tập trả lại" in page
    await post_form(
        client,
        f"/department/questions/{question_id}/submit",
        {
            "body": GOOD + "\n\n- Cổng: https://dichvucong.hochiminhcity.gov.vn",
            "official_name": "Nguyễn Văn Hùng",
            "official_title": "Giám đốc Sở Xây dựng",
        },
    )
    await post_form(client, "/logout")
    await login(client, "moderator")
    db.expire_all()
    answer = await db.scalar(select(Answer).where(Answer.question_id == question_id))
    assert answer.status is AnswerStatus.SUBMITTED
    await post_form(client, f"/moderation/answers/{answer.id}/review", {"decision": "approve"})
    published = await post_form(client, f"/moderation/questions/{question_id}/publish", follow_redirects=False)
    assert published.status_code == 303
    db.expire_all()
    question = await db.get(Question, question_id)
    assert question.status is QuestionStatus.ANSWERED_IN_WRITING and question.on_time is True
    actions_done = list(await db.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "answer")))
    assert actions_done == ["answer.submit", "answer.return", "answer.submit", "answer.approve", "answer.publish"]
    # The citizen's status page shows the answer, with its link rendered safely.
    code = await db.scalar(select(Submission.tracking_code).where(Submission.question_id == question_id))
    status = (await client.get(f"/tra-cuu/{code}")).text
    assert "Đã trả lời bằng văn bản" in status and "UBND phường nơi có đất" in status
    assert '<a href="https://dichvucong.hochiminhcity.gov.vn" rel="nofollow noopener noreferrer">' in status


async def test_reroute_request_and_decision(client: AsyncTestClient[Litestar], routed: dict[str, Any], db: Any) -> None:
    question_id = routed["health"]
    await login(client, "officer_b")  # Sở Y tế
    short = await post_form(client, f"/department/questions/{question_id}/reroute", {"reason": "không"})
    assert short.status_code == 422
    await post_form(
        client,
        f"/department/questions/{question_id}/reroute",
        {"reason": "Bệnh viện thuộc UBND phường quản lý sau sắp xếp", "suggested": "ubnd-phuong-xa"},
    )
    again = await post_form(
        client,
        f"/department/questions/{question_id}/reroute",
        {"reason": "Bệnh viện thuộc UBND phường quản lý sau sắp xếp"},
    )
    assert again.status_code == 409
    request = await db.scalar(select(RerouteRequest))
    await post_form(client, "/logout")
    await login(client, "moderator")
    detail = (await client.get(f"/moderation/questions/{question_id}")).text
    assert "Đơn vị đề nghị chuyển lại" in detail
    await post_form(
        client, f"/moderation/reroutes/{request.id}/decide", {"decision": "accept", "department": "ubnd-phuong-xa"}
    )
    db.expire_all()
    question = await db.get(Question, question_id)
    await db.refresh(request)
    assert question.department.code == "ubnd-phuong-xa" and request.status.value == "accepted"
    # Officer B no longer sees it.
    await post_form(client, "/logout")
    await login(client, "officer_b")
    assert (await client.get(f"/department/questions/{question_id}")).status_code == 404


async def test_due_date_skips_weekends_and_holidays(db: Any, routed: dict[str, Any]) -> None:
    from qa_app.models import PublicHoliday

    episode: Episode = routed["episode"]
    episode.answer_deadline_days = 3
    episode.air_start = None
    db.add(PublicHoliday(day=date(2026, 12, 31), name="Thử"))
    await db.commit()
    # Routed on Monday 28/12/2026: Tue 29, Wed 30, (Thu 31 holiday), Fri 1/1.
    assert await actions.due_date_for(db, episode, date(2026, 12, 28)) == date(2027, 1, 1)
    db.add(PublicHoliday(day=date(2027, 1, 1), name="Tết Dương lịch"))
    await db.commit()
    # ... skips Thu 31/12 and Fri 1/1, then the weekend, to Monday 4/1/2027.
    assert await actions.due_date_for(db, episode, date(2026, 12, 28)) == date(2027, 1, 4)


async def test_overdue_and_due_soon_views_and_a_late_answer(client: AsyncTestClient[Litestar], db: Any) -> None:
    from datetime import timedelta

    from qa_app.timeutil import to_local, utcnow

    staff = await make_staff(db)
    episode = await make_episode(db, title="Kỳ hạn trả lời", slug="ky-han")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    today = to_local(utcnow()).date()
    texts = {
        "late": "Xin hỏi bao giờ cấp phép sửa chữa nhà cũ ở hẻm 15 Bùi Viện, hồ sơ nộp đã ba tháng?",
        "soon": "Chung cư 24 Nguyễn Thái Học có nằm trong diện cải tạo, xây dựng lại năm nay không?",
        "later": "Đề nghị Sở cho biết quy định lát đá vỉa hè trước nhà dân trên tuyến đường Lê Lai?",
    }
    due = {"late": today - timedelta(days=3), "soon": today, "later": today + timedelta(days=30)}
    ids: dict[str, int] = {}
    for key, text in texts.items():
        asked = await intake.submit(db, engines, ctx.publisher, episode, intake.SubmissionForm(text=text))
        question = await actions.route(ctx, asked.question_id, "so-xay-dung")
        question.due_date = due[key]
        ids[key] = asked.question_id
    await db.commit()

    def rows(page: str) -> dict[int, str]:
        """Inbox rows: question id -> deadline class."""
        return {int(q): state for q, state in re.findall(r'<tr id="inbox-row-(\d+)" class="due-(\w*)"', page)}

    await login(client, "officer_a")
    inbox = (await client.get("/department")).text
    assert rows(inbox) == {ids["late"]: "overdue", ids["soon"]: "soon", ids["later"]: "ok"}
    assert re.search(r'class="counter counter-overdue"[^>]*>[^<]*<strong>1</strong>', inbox), inbox
    assert rows((await client.get("/department?due=overdue")).text) == {ids["late"]: "overdue"}
    assert rows((await client.get("/department?due=soon")).text) == {ids["soon"]: "soon"}

    # Answered after the due date: published late; the accountability figures count it so.
    for key in ("late", "later"):
        sent = await post_form(
            client,
            f"/department/questions/{ids[key]}/submit",
            {"body": GOOD, "official_name": "Nguyễn Văn Hùng", "official_title": "Giám đốc Sở Xây dựng"},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
    await post_form(client, "/logout")
    await login(client, "moderator")
    for key in ("late", "later"):
        answer = await db.scalar(select(Answer).where(Answer.question_id == ids[key]))
        await post_form(client, f"/moderation/answers/{answer.id}/review", {"decision": "approve"})
        published = await post_form(client, f"/moderation/questions/{ids[key]}/publish", follow_redirects=False)
        assert published.status_code == 303
    db.expire_all()
    on_time = {key: (await db.get(Question, ids[key])).on_time for key in ("late", "later")}
    assert on_time == {"late": False, "later": True}
    figures = (await client.get("/giai-trinh/ky-han/so-xay-dung")).text
    rate = re.search(r'data-figure="on_time_rate">([^<]*)<', figures)
    assert rate is not None and "50" in rate.group(1), figures


async def test_the_answer_check_endpoint_warns_while_writing_and_saves_nothing(
    client: AsyncTestClient[Litestar], routed: dict[str, Any], db: Any
) -> None:
    question_id = routed["build"]
    await login(client, "officer_a")
    url = f"/department/questions/{question_id}/check"
    headers = {"HX-Request": "true"}
    good = await post_form(client, url, {"body": GOOD}, headers=headers)
    assert good.status_code == 200 and good.text.strip().startswith('<div id="match-check">')
    assert "✓" in good.text and "notice-warn" not in good.text
    polite = "Cảm ơn ông bà đã quan tâm, chúng tôi sẽ xem xét."
    off_topic = await post_form(client, url, {"body": polite}, headers=headers)
    assert off_topic.status_code == 200 and "notice-warn" in off_topic.text and "✓" not in off_topic.text
    missing = re.search(r"</strong>\s*[^<]*:\s*([^<]+)</p>", off_topic.text)
    assert missing is not None and {"giấy", "phép", "xây", "dựng"} <= {
        term.strip() for term in missing.group(1).split(",")
    }, off_topic.text
    empty = await post_form(client, url, {"body": "   "}, headers=headers)
    assert empty.status_code == 200 and "notice-warn" not in empty.text and "✓" not in empty.text
    # Another department's question is not this officer's to check.
    other = await post_form(client, f"/department/questions/{routed['health']}/check", {"body": GOOD})
    assert other.status_code == 404 and "match-check" not in other.text  # as if it did not exist
    assert await db.scalar(select(Answer).where(Answer.question_id == question_id)) is None  # nothing saved
