"""Moderation actions without a visible result say what they did: in the htmx answer's HX-Trigger, or after
a redirect on the next page (once). (Route, reject, merge and split bring the same toast with an undo, into
the same region: tests/web/test_safe_merge.py.)"""

from __future__ import annotations

import json
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.models import Answer, AnswerStatus, Department, Question, QuestionStatus
from tests.conftest import post_form, toast_region, toast_texts
from tests.web.test_moderation import board, version_of  # noqa: F401 - the fixture is shared

HTMX = {"HX-Request": "true"}


def toast_of(response: Any) -> str:
    return str(json.loads(response.headers["HX-Trigger"])["qa:toast"]["message"])


def toasts_on(page: str) -> list[str]:
    return toast_texts(toast_region(page))


async def test_htmx_actions_answer_with_a_toast(
    client: AsyncTestClient[Litestar],
    board: dict[str, Any],  # noqa: F811
    db: Any,
) -> None:
    first, second, _third = board["ids"]
    saved = await post_form(
        client,
        f"/moderation/questions/{first}/wording",
        {"text": "Thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ nộp ở đâu?", "version": await version_of(db, first)},
        headers=HTMX,
    )
    assert saved.status_code == 200 and toast_of(saved) == f"Đã lưu nội dung câu hỏi #{first}."
    approved = await post_form(
        client,
        f"/moderation/questions/{second}/approve-wording",
        {"version": await version_of(db, second)},
        headers=HTMX,
    )
    assert approved.status_code == 200 and toast_of(approved) == f"Đã duyệt nội dung câu hỏi #{second}."
    # A refusal says why in the card, not with a cheerful toast.
    stale = await post_form(
        client, f"/moderation/questions/{first}/wording", {"text": "Nội dung khác hẳn.", "version": 0}, headers=HTMX
    )
    assert stale.status_code == 409 and "HX-Trigger" not in stale.headers


async def test_a_redirected_action_shows_its_toast_on_the_next_page_once(
    client: AsyncTestClient[Litestar],
    board: dict[str, Any],  # noqa: F811
    db: Any,
) -> None:
    question_id = board["ids"][0]
    question = await db.get(Question, question_id)
    department = await db.scalar(select(Department).where(Department.code == "so-xay-dung"))
    question.department_id = department.id
    question.status = QuestionStatus.ANSWER_REVIEW
    answer = Answer(question_id=question_id, department_id=department.id, body="Nộp tại UBND phường.")
    answer.status = AnswerStatus.SUBMITTED
    db.add(answer)
    await db.commit()
    response = await post_form(
        client, f"/moderation/answers/{answer.id}/review", {"decision": "approve"}, follow_redirects=False
    )
    assert response.status_code == 303
    page = (await client.get(response.headers["location"])).text
    assert toasts_on(page) == ["Đã duyệt câu trả lời."]
    assert toasts_on((await client.get(f"/moderation/questions/{question_id}")).text) == []
