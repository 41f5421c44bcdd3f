"""On air: the rundown, one question on air, the studio screen link, the public board, ratings, the control API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import AuditEvent, Episode, Question, QuestionStatus, Submission
from qa_app.services import intake
from qa_app.services import moderation_actions as actions
from qa_app.services import rundown as rundown_service
from qa_app.services import users as user_service
from qa_app.services.engines import ModerationEngines
from tests.conftest import login, post_form
from tests.factories import make_answer, make_episode, make_staff

PII_PHONE, PII_MAIL, PII_ADDRESS = "0909876543", "nguoidan.an@example.vn", "142/3 Lê Văn Sỹ"
TEXTS = [
    f"Tôi ở {PII_ADDRESS}, sđt {PII_PHONE}: hẻm nhà tôi ngập mỗi lần mưa, khi nào cải tạo cống thoát nước?",
    "Xin hỏi thủ tục cấp đổi giấy phép lái xe quá hạn bây giờ làm ở đâu, có làm trực tuyến được không?",
    "Học sinh lớp 10 trường công lập năm học tới có được miễn học phí như năm nay không?",
]


@pytest.fixture
async def show(db: Any) -> dict[str, Any]:
    staff = await make_staff(db)
    episode = await make_episode(db, title="Kỳ trực tiếp", slug="ky-truc-tiep")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    ids = []
    for number, text in enumerate(TEXTS):
        result = await intake.submit(
            db,
            engines,
            ctx.publisher,
            episode,
            intake.SubmissionForm(
                text=text, idempotency_key=str(number), contact=PII_MAIL, consent_contact=True, name="Nguyễn Văn An"
            ),
        )
        await actions.route(ctx, result.question_id, "so-xay-dung")
        ids.append(result.question_id)
    await make_answer(db, ids[0], body="Thành phố sẽ cải tạo cống.")
    _, token = await user_service.create_api_token(db, None, "producer", "bàn điều khiển")
    _, operator_token = await user_service.create_api_token(db, None, "operator", "tổng đài")
    return {"episode": episode, "episode_id": episode.id, "ids": ids, "token": token, "operator_token": operator_token}


async def status_of(db: Any, question_id: int) -> QuestionStatus:
    db.expire_all()
    return (await db.get(Question, question_id)).status


async def test_rundown_and_one_question_on_air(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    episode_id, (first, second, third) = show["episode_id"], show["ids"]
    await login(client, "producer")
    page = (await client.get(f"/producer?episode={episode_id}")).text
    assert "Câu hỏi có thể đưa vào kịch bản" in page and f'value="{first}"' in page
    for question_id in (first, second, third):
        response = await post_form(client, f"/producer/{episode_id}/rundown", {"question_id": question_id})
        assert response.status_code in (200, 303)
    assert await status_of(db, first) is QuestionStatus.QUEUED
    await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": first})
    await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": second})
    # Only one question is on air: the first went back to the rundown.
    assert await status_of(db, second) is QuestionStatus.ON_AIR
    assert await status_of(db, first) is QuestionStatus.QUEUED
    await post_form(client, f"/producer/{episode_id}/on-air/done", {"official": "Trần Thị B, Phó Giám đốc"})
    assert await status_of(db, second) is QuestionStatus.ANSWERED_ON_AIR
    assert (await db.get(Question, second)).answered_by_official == "Trần Thị B, Phó Giám đốc"
    # Next: the first queued item goes on air.
    await post_form(client, f"/producer/{episode_id}/on-air/next")
    assert await status_of(db, first) is QuestionStatus.ON_AIR
    await post_form(client, f"/producer/{episode_id}/on-air/pull")
    assert await status_of(db, first) is QuestionStatus.QUEUED
    items = {e.question.id: e.item.id for e in await rundown_service.entries(db, episode_id)}
    await post_form(client, f"/producer/{episode_id}/rundown/{items[third]}/up")
    await post_form(client, f"/producer/{episode_id}/rundown/{items[first]}/remove")
    assert await status_of(db, first) is QuestionStatus.READY  # its approved answer is still there
    actions_logged = list(
        await db.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("onair")).order_by(AuditEvent.id))
    )
    assert actions_logged == ["onair.put", "onair.put", "onair.done", "onair.put", "onair.pull"]


async def test_studio_link_no_login_revocable_and_no_personal_data(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    episode_id, first = show["episode_id"], show["ids"][0]
    await login(client, "producer")
    await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": first})
    page = (await client.get(f"/producer?episode={episode_id}")).text
    link = re.search(r'href="(/studio/\d+/[0-9a-f]+)"', page).group(1)
    await post_form(client, "/logout")
    screen = await client.get(link)
    assert screen.status_code == 200
    assert "Đang lên sóng" in screen.text or "On air" in screen.text
    assert "hẻm nhà tôi ngập" in screen.text and "Giám đốc Sở Xây dựng" in screen.text
    for secret in (PII_PHONE, PII_MAIL, PII_ADDRESS, "Nguyễn Văn An"):
        assert secret not in screen.text
    assert (await client.get(link[:-3] + "000")).status_code == 404
    await login(client, "producer")
    await post_form(client, f"/producer/{episode_id}/studio-link/revoke")
    assert (await client.get(link)).status_code == 404


async def test_public_board_search_filter_rating_and_privacy(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    episode_id, (first, second, _third) = show["episode_id"], show["ids"]
    await login(client, "producer")
    await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": first})
    await post_form(client, f"/producer/{episode_id}/on-air/done")
    await post_form(client, "/logout")
    board = (await client.get("/truc-tiep/ky-truc-tiep")).text
    assert "hẻm nhà tôi ngập" in board and "Thành phố sẽ cải tạo cống." in board
    for secret in (PII_PHONE, PII_MAIL, PII_ADDRESS, "Nguyễn Văn An"):
        assert secret not in board
    found = (
        await client.get(
            "/truc-tiep/ky-truc-tiep",
            params={"q": "cong thoat nuoc"},
            headers={"HX-Request": "true", "HX-Target": "answers"},
        )
    ).text
    assert "hẻm nhà tôi ngập" in found and "<html" not in found
    assert "hẻm nhà tôi" not in (await client.get("/truc-tiep/ky-truc-tiep", params={"department": "so-y-te"})).text
    # Rating: by a tracking code of this question, once.
    code = await db.scalar(select(Submission.tracking_code).where(Submission.question_id == first))
    other = await db.scalar(select(Submission.tracking_code).where(Submission.question_id == second))
    assert (await client.get(f"/danh-gia/{second}")).status_code == 404  # not answered yet
    wrong = await post_form(client, f"/danh-gia/{first}", {"code": other, "score": "3"})
    assert wrong.status_code == 422 and "không thuộc" in wrong.text
    ok = await post_form(client, f"/danh-gia/{first}", {"code": code.lower(), "score": "2", "comment": "Cảm ơn"})
    assert ok.status_code == 200 and "Xin cảm ơn" in ok.text
    again = await post_form(client, f"/danh-gia/{first}", {"code": code, "score": "1"})
    assert again.status_code == 422 and "đã đánh giá" in again.text


async def test_written_answer_after_the_broadcast(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    first = show["ids"][0]
    await login(client, "moderator")
    await post_form(client, f"/moderation/questions/{first}/publish")
    assert await status_of(db, first) is QuestionStatus.ANSWERED_IN_WRITING
    code = await db.scalar(select(Submission.tracking_code).where(Submission.question_id == first))
    status = (await client.get(f"/tra-cuu/{code}")).text
    assert "Đã trả lời bằng văn bản" in status and "Thành phố sẽ cải tạo cống." in status
    assert "Thành phố sẽ cải tạo cống." in (await client.get("/truc-tiep/ky-truc-tiep")).text


async def test_studio_control_api(client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any) -> None:
    first, second, _third = show["ids"]
    headers = {"Authorization": f"Bearer {show['token']}"}
    await login(client, "producer")
    await post_form(client, f"/producer/{show['episode_id']}/rundown", {"question_id": first})
    await post_form(client, f"/producer/{show['episode_id']}/rundown", {"question_id": second})
    rundown = await client.get("/api/v1/episodes/ky-truc-tiep/rundown", headers=headers)
    assert rundown.status_code == 200 and [e["question_id"] for e in rundown.json()] == [first, second]
    on_air = await client.post("/api/v1/episodes/ky-truc-tiep/on-air", json={"question_id": second}, headers=headers)
    assert on_air.status_code == 200 and on_air.json()["on_air_question_id"] == second
    done = await client.post("/api/v1/episodes/ky-truc-tiep/on-air/done", headers=headers)
    assert done.json()["on_air_question_id"] is None and await status_of(db, second) is QuestionStatus.ANSWERED_ON_AIR
    nxt = await client.post("/api/v1/episodes/ky-truc-tiep/on-air/next", headers=headers)
    assert nxt.json()["on_air_question_id"] == first
    empty = await client.post("/api/v1/episodes/ky-truc-tiep/on-air/next", headers=headers)
    assert empty.status_code == 409 and empty.json()["detail"]
    forbidden = await client.post(
        "/api/v1/episodes/ky-truc-tiep/on-air/done", headers={"Authorization": f"Bearer {show['operator_token']}"}
    )
    assert forbidden.status_code == 403
    assert (await client.post("/api/v1/episodes/ky-truc-tiep/on-air/done")).status_code == 401
    episode = await db.get(Episode, show["episode_id"])
    await db.refresh(episode)
    assert episode.on_air_question_id is None


async def test_live_regions_never_carry_their_own_socket(
    client: AsyncTestClient[Litestar], show: dict[str, Any]
) -> None:
    """A region swapped by a live fragment must not hold `ws-connect`: the swapped-in copy would open another
    socket, whose snapshot would swap again, forever."""
    await login(client, "producer")
    page = (await client.get(f"/producer?episode={show['episode_id']}")).text
    rundown_tag = re.search(r'<div id="rundown"[^>]*>', page).group(0)
    assert "ws-connect" not in rundown_tag and 'ws-connect="/ws/producer/' in page


async def test_producer_is_told_when_the_studio_screen_cuts_a_long_wording(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    episode_id, (first, second, _third) = show["episode_id"], show["ids"]
    long = await db.get(Question, second)
    long.public_text = ("Đường ngập nặng sau mỗi cơn mưa, xin cho biết lộ trình chống ngập. " * 30)[:1500]
    await db.commit()
    await login(client, "producer")
    for question_id in (first, second):
        await post_form(client, f"/producer/{episode_id}/rundown", {"question_id": question_id})
    page = (await client.get(f"/producer?episode={episode_id}")).text
    assert page.count('class="meta studio-cut"') == 1
    assert "Nội dung dài (1500 ký tự): màn hình trường quay chỉ hiện 900 ký tự đầu" in page


async def test_a_short_studio_wording_is_read_on_air_instead_of_a_long_one(
    client: AsyncTestClient[Litestar], show: dict[str, Any], db: Any
) -> None:
    episode_id, first = show["episode_id"], show["ids"][0]
    question = await db.get(Question, first)
    long = ("Hẻm nhà tôi ngập nặng sau mỗi cơn mưa, nước tràn vào nhà, xin cho biết lộ trình cải tạo cống. " * 20)[
        :1800
    ]
    short = "Khi nào cải tạo cống thoát nước cho hẻm ngập sau mỗi cơn mưa?"
    await login(client, "moderator")
    url = f"/moderation/questions/{first}/wording"

    # Too long for the screen: refused in Vietnamese, nothing saved.
    refused = await post_form(
        client,
        url,
        {"text": long, "on_air_text": "x" * 301, "version": str(question.version)},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "tối đa 300 ký tự" in refused.text
    db.expire_all()
    question = await db.get(Question, first)
    assert question.on_air_text is None and question.public_text != long

    saved = await post_form(
        client, url, {"text": long, "on_air_text": f"  {short}  ", "version": str(question.version)}
    )
    assert saved.status_code < 400
    db.expire_all()
    question = await db.get(Question, first)
    assert (question.public_text, question.on_air_text) == (long, short)
    # The card's quick edit has no such field: it keeps the short wording.
    await post_form(client, url, {"text": long + " Xin cảm ơn.", "version": str(question.version)})
    db.expire_all()
    question = await db.get(Question, first)
    assert question.on_air_text == short
    page = (await client.get(f"/moderation/questions/{first}")).text
    assert f">{short}</textarea>" in page
    await post_form(client, "/logout")

    await login(client, "producer")
    await post_form(client, f"/producer/{episode_id}/rundown", {"question_id": first})
    rundown = (await client.get(f"/producer?episode={episode_id}")).text
    assert 'class="meta studio-cut"' not in rundown  # nothing will be cut: the short wording is read
    await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": first})
    link = re.search(r'href="(/studio/\d+/[0-9a-f]+)"', (await client.get(f"/producer?episode={episode_id}")).text)
    assert link
    screen = (await client.get(link.group(1))).text
    assert short in screen and long[:200] not in screen
    # The public board still shows the full public wording.
    board = (await client.get("/truc-tiep/ky-truc-tiep")).text
    assert long[:200] in board

    # Emptied: the studio reads the public wording again (scaled and cut).
    await post_form(client, "/logout")
    await login(client, "moderator")
    db.expire_all()
    version = (await db.get(Question, first)).version
    emptied = await post_form(client, url, {"text": long, "on_air_text": "", "version": str(version)})
    assert emptied.status_code < 400
    db.expire_all()
    assert (await db.get(Question, first)).on_air_text is None
