"""A citizen whose question was grouped with others: their own words, a plain word that N people asked
the same and the answer is for all of them, and nobody's name in the answer (tracking page, API, board)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from moderation.addressed import mask_addressees
from qa_app.models import Answer, AnswerStatus, Department, Question, QuestionStatus
from qa_app.timeutil import utcnow
from tests.conftest import login, post_form
from tests.factories import make_episode, make_staff
from tests.web.test_moderation import submit

FIRST = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ nộp ở đâu sau khi bỏ quận?"
SECOND = (
    "Tôi là Trần Thị Lan, số điện thoại 0908 765 432. Cho hỏi giấy phép xây dựng nhà riêng lẻ bây giờ "
    "nộp hồ sơ ở phường hay ở Sở Xây dựng?"
)
ANSWER = (
    "Chào ông Nguyễn Văn Bình, Sở Xây dựng trả lời như sau: từ ngày 01/7/2025 hồ sơ cấp phép xây dựng nhà ở "
    "riêng lẻ nộp tại Ủy ban nhân dân phường. Ông Bình có thể nộp trực tuyến qua Cổng dịch vụ công."
)


@pytest.fixture
async def grouped(client: AsyncTestClient[Litestar], db: Any) -> dict[str, Any]:
    """Two citizens, the second merged into the first by a moderator, a written answer published to the first."""
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ gộp", slug="ky-gop")
    slug = episode.slug
    first = await submit(db, episode, FIRST, "a", name="Nguyễn Văn Bình")
    second = await submit(db, episode, SECOND, "b", name="Trần Thị Lan")
    await login(client, "moderator")
    source = await db.get(Question, second.question_id)
    merged = await post_form(
        client,
        f"/moderation/questions/{second.question_id}/merge",
        {"target_id": first.question_id, "version": source.version},
        headers={"HX-Request": "true"},
    )
    assert merged.status_code == 200, merged.text
    await client.post("/logout", data={"_csrf_token": client.cookies.get("qa_csrf") or ""})
    client.cookies.clear()
    db.expire_all()
    department_id = await db.scalar(select(Department.id).where(Department.code == "so-xay-dung"))
    question = await db.get(Question, first.question_id)
    now = utcnow()
    question.department_id = department_id
    question.status = QuestionStatus.ANSWERED_IN_WRITING
    question.routed_at = question.answered_at = question.published_at = now
    question.wording_reviewed_at = now
    db.add(
        Answer(
            question_id=question.id,
            department_id=department_id,
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
    return {"first": first.tracking_code, "second": second.tracking_code, "slug": slug}


async def test_merged_citizen_sees_own_words_and_that_the_answer_is_for_all(
    client: AsyncTestClient[Litestar], grouped: dict[str, Any]
) -> None:
    page = await client.get(f"/tra-cuu/{grouped['second']}")
    assert page.status_code == 200
    text = page.text
    assert (
        "2 người đã hỏi cùng một nội dung" in text and "câu trả lời bên dưới dành cho tất cả mọi người đã hỏi" in text
    )
    own = text.split('class="own-words">', 1)[1].split("</blockquote>", 1)[0]
    assert "Cho hỏi giấy phép xây dựng nhà riêng lẻ bây giờ" in own  # their own words, not the other's
    assert "0908" not in text and "765 432" not in text and "Trần Thị Lan" not in text  # masked
    group = text.split('class="group-wording">', 1)[1].split("</blockquote>", 1)[0]
    assert "sau khi bỏ quận" in group
    # the answer is there, addressed to nobody by name
    assert "hồ sơ cấp phép xây dựng nhà ở riêng lẻ nộp tại" in text
    assert "Nguyễn Văn Bình" not in text and "Ông Bình" not in text
    assert "Chào ông [họ tên]" in text and "Nguyễn Văn Hùng" in text  # the official still signs


async def test_first_asker_also_told_of_the_group_and_no_name_anywhere_public(
    client: AsyncTestClient[Litestar], grouped: dict[str, Any]
) -> None:
    page = await client.get(f"/tra-cuu/{grouped['first']}")
    assert "2 người đã hỏi cùng một nội dung" in page.text and "Trần Thị Lan" not in page.text
    assert "sau khi bỏ quận" in page.text.split('class="own-words">', 1)[1]
    board = await client.get(f"/truc-tiep/{grouped['slug']}")
    assert board.status_code == 200 and "hồ sơ cấp phép xây dựng" in board.text
    assert "Nguyễn Văn Bình" not in board.text and "Ông Bình" not in board.text
    api = await client.get(f"/api/v1/submissions/{grouped['second']}")
    assert api.status_code == 200
    body = api.json()["answer"]["body"]
    assert body.startswith("Chào ông [họ tên], Sở Xây dựng") and "Bình" not in body


async def test_a_question_of_one_keeps_its_single_wording(client: AsyncTestClient[Litestar], db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ đơn", slug="ky-don")
    alone = await submit(db, episode, FIRST, "x")
    page = await client.get(f"/tra-cuu/{alone.tracking_code}")
    assert "người đã hỏi cùng một nội dung" not in page.text and 'class="own-words"' not in page.text
    assert "sau khi bỏ quận" in page.text


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("Chào ông Nguyễn Văn Bình, Sở trả lời:", [], "Chào ông [họ tên], Sở trả lời:"),
        ("Kính gửi bà Đặng Thị Ánh và những người cùng hỏi", [], "Kính gửi bà [họ tên] và những người cùng hỏi"),
        ("Thưa chị Lan, anh Bình hỏi", ["Lê Văn Bình"], "Thưa chị [họ tên], anh [họ tên] hỏi"),
        ("Theo trần thị lan thì", ["Trần Thị Lan"], "Theo [họ tên] thì"),
        # an official quoted, a street named after a person, a greeting without a name: kept
        ("Ông Nguyễn Văn Hùng, Giám đốc Sở, cho biết", [], "Ông Nguyễn Văn Hùng, Giám đốc Sở, cho biết"),
        ("tuyến cống đường Nguyễn Hữu Cảnh", ["Nguyễn Văn Bình"], "tuyến cống đường Nguyễn Hữu Cảnh"),
        ("chào anh ạ, cảm ơn", [], "chào anh ạ, cảm ơn"),
        ("Bình Thạnh có kế hoạch", ["Lê Văn Bình"], "Bình Thạnh có kế hoạch"),
    ],
)
def test_mask_addressees(text: str, names: list[str], expected: str) -> None:
    assert mask_addressees(text, names) == expected
