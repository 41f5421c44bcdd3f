"""Defence in depth (issue 14, item 7), end to end through HTTP: a name and a run of digits that the masker
leaves in a citizen's wording never reach the citizen-facing views — the "already asked?" suggestions, the
tracking page of a citizen who joined the question, the public board, the studio screen and the rating
page — until a moderator saved or approved the wording; then the approved wording is shown as written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from moderation import mask_pii
from qa_app.models import Answer, AnswerStatus, AuditEvent, Episode, Question, QuestionStatus, Submission
from qa_app.services import broadcast
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff

# "Lê Mai" (a name without a cue) and "4471" (four digits after "mã") are what the masker cannot be sure of.
NAME, DIGITS = "Lê Mai", "4471"
TEXT = (
    f"Hồ sơ xin phép sửa nhà mã {DIGITS} của gia đình {NAME} nộp từ tháng 9 ở phường Tân Định, "
    "đến nay chưa có kết quả. Xin hỏi còn phải chờ bao lâu?"
)
JOIN_TEXT = "hồ sơ xin phép sửa nhà nộp ở phường Tân Định chưa có kết quả"


@pytest.fixture
async def episode(db: Any) -> Episode:
    await make_staff(db)
    return await make_episode(db, title="Kỳ cấp phép", slug="ky-cap-phep")


async def _citizen_asks(client: AsyncTestClient[Litestar], text: str, key: str, **fields: Any) -> str:
    await client.get("/ky/ky-cap-phep")
    response = await post_form(
        client, "/ky/ky-cap-phep/gui-cau-hoi", {"text": text, "idempotency_key": key, **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text[:500]
    match = re.match(r"/tra-cuu/(DH-[A-Z0-9]{6})", response.headers["location"])
    assert match
    return match.group(1)


def _hidden(page: str) -> bool:
    return NAME not in page and DIGITS not in page


async def _on_air(client: AsyncTestClient[Litestar], db: Any, episode_id: int, question_id: int) -> None:
    """The department's answer is approved (set up directly); the producer puts the question on air."""
    db.expire_all()
    question = await db.get(Question, question_id)
    db.add(
        Answer(
            question_id=question_id,
            department_id=question.department_id,
            body="Hồ sơ đang được thẩm định, sẽ có kết quả trong 10 ngày.",
            official_name="Trần Văn Bảy",
            official_title="Phó Giám đốc Sở Xây dựng",
            status=AnswerStatus.APPROVED,
        )
    )
    question.status = QuestionStatus.READY
    await db.commit()
    await login(client, "producer")
    response = await post_form(client, f"/producer/{episode_id}/on-air", {"question_id": question_id})
    assert response.status_code < 400
    await post_form(client, "/logout")


async def test_a_name_and_digits_never_reach_citizens_before_review_then_the_approved_wording_does(
    client: AsyncTestClient[Litestar], db: Any, episode: Episode, settings: Any
) -> None:
    episode_id = episode.id
    code = await _citizen_asks(client, TEXT, "first")
    question = await db.scalar(select(Question))
    question_id = question.id
    # the masker itself is unsure of both: only the defence in depth hides them
    assert NAME in question.public_text and DIGITS in question.public_text == mask_pii(TEXT).text
    await login(client, "moderator")
    routed = await post_form(
        client, f"/moderation/questions/{question.id}/route", {"department": "so-xay-dung", "version": "1"}
    )
    assert routed.status_code == 200
    card = (await client.get(f"/moderation/questions/{question.id}/card")).text
    assert '<mark class="pii-unsure"' in card and f">{NAME}</mark>" in card and f">{DIGITS}</mark>" in card
    assert re.search(r'data-acts="[^"]*\bwording\b', card)  # the card offers "approve the wording"
    await post_form(client, "/logout")

    # "Already asked?" while another citizen types, then that citizen joins the question
    suggestions = (await client.get("/ky/ky-cap-phep/cau-hoi-tuong-tu", params={"text": JOIN_TEXT})).text
    assert f'name="join_question_id" value="{question.id}"' in suggestions and _hidden(suggestions)
    assert "[tên]" in suggestions and "[số]" in suggestions
    joined = await _citizen_asks(client, "", "join", join_question_id=str(question.id))
    for tracking_code in (code, joined):
        assert _hidden((await client.get(f"/tra-cuu/{tracking_code}")).text)

    # the public board and the studio screen while it is on air, and the rating page once answered
    await _on_air(client, db, episode_id, question_id)
    board = (await client.get("/truc-tiep/ky-cap-phep")).text
    assert "phường Tân Định" in board and _hidden(board)
    db.expire_all()
    episode = await db.get(Episode, episode_id)
    studio = (await client.get(f"/studio/{episode_id}/{broadcast.studio_token(settings.secret_key, episode)}")).text
    assert "phường Tân Định" in studio and _hidden(studio)
    await login(client, "producer")
    await post_form(client, f"/producer/{episode_id}/on-air/done")
    await post_form(client, "/logout")
    assert _hidden((await client.get(f"/danh-gia/{question_id}")).text)
    assert _hidden((await client.get("/truc-tiep/ky-cap-phep")).text)
    # nor does the board's search reveal which question holds the hidden name or number (typed with or
    # without accents); the words it shows are still found
    for probe in (NAME, "le mai", DIGITS):
        found = (await client.get("/truc-tiep/ky-cap-phep", params={"q": probe})).text
        assert f"/danh-gia/{question_id}" not in found, probe
    found = (await client.get("/truc-tiep/ky-cap-phep", params={"q": "tan dinh"})).text
    assert f"/danh-gia/{question_id}" in found

    # a moderator reads it and approves it: citizens now see the wording as written
    await login(client, "moderator")
    db.expire_all()
    version = (await db.get(Question, question_id)).version
    approved = await post_form(
        client, f"/moderation/questions/{question_id}/approve-wording", {"version": str(version)}
    )
    assert approved.status_code == 200 and f'id="question-card-{question_id}"' in approved.text
    assert not re.search(r'data-acts="[^"]*\bwording\b', approved.text)
    await post_form(client, "/logout")
    wording = mask_pii(TEXT).text
    assert wording in (await client.get("/truc-tiep/ky-cap-phep")).text
    found = (await client.get("/truc-tiep/ky-cap-phep", params={"q": "le mai"})).text
    assert f"/danh-gia/{question_id}" in found  # reviewed: the wording as written is searchable
    assert wording in (await client.get(f"/tra-cuu/{joined}")).text
    assert wording in (await client.get(f"/danh-gia/{question_id}")).text
    events = list(await db.scalars(select(AuditEvent).where(AuditEvent.action == "question.approve_wording")))
    assert [e.entity_id for e in events] == [question_id]


async def test_saving_the_wording_approves_it_exactly_as_written(
    client: AsyncTestClient[Litestar], db: Any, episode: Episode
) -> None:
    code = await _citizen_asks(client, TEXT, "saved")
    question = await db.scalar(select(Question))
    question_id = question.id
    assert _hidden((await client.get(f"/tra-cuu/{code}")).text)
    edited = "Hồ sơ xin phép sửa nhà nộp từ tháng 9/2025 ở phường Tân Định vẫn chưa có kết quả, phải chờ bao lâu?"
    await login(client, "moderator")
    response = await post_form(
        client, f"/moderation/questions/{question_id}/wording", {"text": edited, "version": str(question.version)}
    )
    assert response.status_code == 200
    await post_form(client, "/logout")
    # a year is a run of four digits: hidden before review, shown once the moderator saved the wording
    assert edited in (await client.get(f"/tra-cuu/{code}")).text


async def test_a_question_split_off_is_unreviewed_again(
    client: AsyncTestClient[Litestar], db: Any, episode: Episode
) -> None:
    await _citizen_asks(client, TEXT, "a")
    question = await db.scalar(select(Question))
    question_id = question.id
    await login(client, "moderator")
    await post_form(client, f"/moderation/questions/{question_id}/route", {"department": "so-xay-dung"})
    await post_form(client, f"/moderation/questions/{question_id}/approve-wording")
    second = await _citizen_asks(client, "", "b", join_question_id=str(question_id))
    submission = await db.scalar(select(Submission).where(Submission.tracking_code == second))
    await post_form(client, f"/moderation/submissions/{submission.id}/split")
    db.expire_all()
    created = await db.scalar(select(Question).where(Question.id != question_id))
    assert created is not None and created.wording_reviewed_at is None
    assert (await db.get(Question, question_id)).wording_reviewed_at is not None
