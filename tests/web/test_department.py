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
    Department,
    Episode,
    EpisodeOfficial,
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
            "official_name": "Nguyễn Văn Hùng",
            "official_title": "Giám đốc Sở Xây dựng",
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


async def _version(db: Any, question_id: int) -> int:
    db.expire_all()
    return int(await db.scalar(select(Question.version).where(Question.id == question_id)))


async def test_routing_note_reaches_the_department_and_follows_a_reroute(
    client: AsyncTestClient[Litestar], routed: dict[str, Any], db: Any
) -> None:
    question_id = routed["health"]  # routed to Sở Y tế without a note
    await login(client, "moderator")
    note = "Người dân hỏi về bệnh viện quận cũ: xin trả lời cả giờ khám ngoài giờ hành chính."
    routed_again = await post_form(
        client,
        f"/moderation/questions/{question_id}/route",
        {"department": "so-y-te", "note": note, "version": await _version(db, question_id)},
        headers={"HX-Request": "true"},
    )
    assert routed_again.status_code == 200, routed_again.text
    await post_form(client, "/logout")
    await login(client, "officer_b")  # Sở Y tế
    page = (await client.get(f"/department/questions/{question_id}")).text
    assert "Ghi chú của ban biên tập" in page and note in page
    inbox = (await client.get("/department")).text
    row = inbox.split(f'id="inbox-row-{question_id}"', 1)[1].split("</tr>", 1)[0]
    assert note[:60] in row
    # The officer asks for re-routing; the moderator sends it to Sở Xây dựng with a new note.
    await post_form(
        client,
        f"/department/questions/{question_id}/reroute",
        {"reason": "Thuộc thẩm quyền quản lý xây dựng bệnh viện"},
    )
    await post_form(client, "/logout")
    await login(client, "moderator")
    request = await db.scalar(select(RerouteRequest).where(RerouteRequest.question_id == question_id))
    later = "Chuyển Sở Xây dựng: trả lời về tiến độ xây bệnh viện mới."
    await post_form(
        client,
        f"/moderation/reroutes/{request.id}/decide",
        {"decision": "accept", "department": "so-xay-dung", "note": later},
    )
    await post_form(client, "/logout")
    await login(client, "officer_a")  # Sở Xây dựng
    page = (await client.get(f"/department/questions/{question_id}")).text
    assert later in page and note not in page
    assert later[:60] in (await client.get("/department")).text
    db.expire_all()
    assert (await db.get(Question, question_id)).routing_note == later


@pytest.fixture
async def officials(routed: dict[str, Any], db: Any) -> dict[str, int]:
    """Officials of the episode: Sở Xây dựng's director, Sở Y tế's director, and one tied to no department."""
    departments = {d.code: d.id for d in await db.scalars(select(Department))}
    episode_id = routed["episode"].id
    rows = {
        "own": EpisodeOfficial(
            episode_id=episode_id,
            name="Nguyễn Văn Hùng",
            title="Giám đốc Sở Xây dựng",
            department_id=departments["so-xay-dung"],
        ),
        "other": EpisodeOfficial(
            episode_id=episode_id, name="Phạm Thị Lan", title="Giám đốc Sở Y tế", department_id=departments["so-y-te"]
        ),
        "free": EpisodeOfficial(episode_id=episode_id, name="Lê Minh Châu", title="Phó Chủ tịch UBND Thành phố"),
    }
    db.add_all(rows.values())
    await db.commit()
    return {key: row.id for key, row in rows.items()}


async def test_officials_offered_are_the_departments_own(
    client: AsyncTestClient[Litestar], routed: dict[str, Any], officials: dict[str, int]
) -> None:
    await login(client, "officer_a")
    page = (await client.get(f"/department/questions/{routed['build']}")).text
    select_html = page.split('<select id="official"', 1)[1].split("</select>", 1)[0]
    assert "Nguyễn Văn Hùng" in select_html and "Lê Minh Châu" in select_html
    assert "Phạm Thị Lan" not in select_html


@pytest.mark.parametrize(
    "fields",
    [
        {"official": "{other}"},  # another department's leader, picked by id (a crafted form)
        {"official_name": "Phạm Thị Lan", "official_title": "Giám đốc Sở Y tế"},  # typed
        {"official_name": "bà pham thi lan"},  # typed with a courtesy word, no accents
    ],
)
async def test_another_departments_leader_is_refused_and_the_form_kept(
    client: AsyncTestClient[Litestar],
    routed: dict[str, Any],
    officials: dict[str, int],
    db: Any,
    fields: dict[str, str],
) -> None:
    question_id = routed["build"]
    await login(client, "officer_a")
    data = {key: value.format(**officials) for key, value in fields.items()}
    refused = await post_form(
        client,
        f"/department/questions/{question_id}/submit",
        {"body": GOOD, "commitment_what": ["Rà soát hồ sơ tồn"], "commitment_due": ["2026-12-31"], **data},
    )
    assert refused.status_code == 422
    assert "Phạm Thị Lan là lãnh đạo của Sở Y tế" in refused.text and "không thuộc Sở Xây dựng" in refused.text
    assert GOOD[:40] in refused.text and 'value="Rà soát hồ sơ tồn"' in refused.text  # nothing typed is lost
    db.expire_all()
    question = await db.get(Question, question_id)
    assert question.status is QuestionStatus.ROUTED
    assert await db.scalar(select(Answer.status).where(Answer.question_id == question_id)) is None


@pytest.mark.parametrize(
    ("key", "name", "title"),
    [
        ("own", "Nguyễn Văn Hùng", "Giám đốc Sở Xây dựng"),
        ("free", "Lê Minh Châu", "Phó Chủ tịch UBND Thành phố"),
    ],
)
async def test_own_official_from_the_list_answers(
    client: AsyncTestClient[Litestar],
    routed: dict[str, Any],
    officials: dict[str, int],
    db: Any,
    key: str,
    name: str,
    title: str,
) -> None:
    question_id = routed["build"]
    await login(client, "officer_a")
    sent = await post_form(
        client,
        f"/department/questions/{question_id}/submit",
        {"body": GOOD, "official": str(officials[key])},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    answer = await db.scalar(select(Answer).where(Answer.question_id == question_id))
    assert (answer.official_name, answer.official_title, answer.status) == (name, title, AnswerStatus.SUBMITTED)


async def test_a_name_typed_by_hand_is_accepted(
    client: AsyncTestClient[Litestar], routed: dict[str, Any], officials: dict[str, int], db: Any
) -> None:
    await login(client, "officer_a")
    sent = await post_form(
        client,
        f"/department/questions/{routed['build']}/submit",
        {"body": GOOD, "official_name": "Trần Quốc Tuấn", "official_title": "Phó Giám đốc Sở Xây dựng"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    answer = await db.scalar(select(Answer).where(Answer.question_id == routed["build"]))
    assert answer.official_name == "Trần Quốc Tuấn"
