"""Safe merge and undo through the real app: a merge is confirmed with the target shown, offered by one key
only above the episode's suggestion confidence; every merge, reject, route and split can be taken back
from its toast, and the undo restores the same question (id, submissions, counts)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import (
    Answer,
    AnswerStatus,
    Channel,
    Department,
    Episode,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Question,
    QuestionStatus,
    Submission,
)
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.conftest import login, post_form, toast_region, toast_texts
from tests.factories import make_episode, make_staff

HX = {"HX-Request": "true"}
FLOOD = "Đường Nguyễn Hữu Cảnh ngập nặng mỗi khi mưa lớn, khi nào thành phố chống ngập dứt điểm?"
FLOOD_AGAIN = "Hẻm 42 khu phố 3 phường Thạnh Mỹ Tây ngập sau mỗi cơn mưa, có nạo vét cống không?"
NOTARY = "Xin hỏi làm bản sao công chứng giấy tờ ở phường có mất phí không, mất bao lâu?"
UNDO_RE = re.compile(r'hx-post="/moderation/history/(\d+)/undo"')


async def submit(db: Any, episode: Episode, text: str, key: str, **fields: Any) -> int:
    result = await intake.submit(
        db,
        ModerationEngines(),
        RecordingPublisher(),
        episode,
        intake.SubmissionForm(text=text, idempotency_key=key, **fields),
    )
    return int(result.question_id)


async def fresh(db: Any, question_id: int) -> Question:
    db.expire_all()
    question = await db.get(Question, question_id)
    assert question is not None
    return question


async def submissions_of(db: Any, question_id: int) -> list[int]:
    return sorted(await db.scalars(select(Submission.id).where(Submission.question_id == question_id)))


@pytest.fixture
async def night(client: AsyncTestClient[Litestar], db: Any) -> dict[str, Any]:
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ gộp an toàn", slug="ky-gop-an-toan")
    episode_id = episode.id
    target = await submit(db, episode, FLOOD, "t1")
    source = await submit(db, episode, FLOOD_AGAIN, "s1", contact="0903111222", consent_contact=True)
    unrelated = await submit(db, episode, NOTARY, "n1")
    # A second voice on the target, so that counts show what moved.
    question = await fresh(db, target)
    db.add(
        Submission(
            episode_id=episode_id, question_id=target, channel=Channel.PHONE, tracking_code="T-SECOND", raw_text=FLOOD
        )
    )
    question.submission_count = 2
    await db.commit()
    assert len({target, source, unrelated}) == 3
    # What the duplicate index found, made explicit: the flood question, and a weak unrelated match.
    question = await fresh(db, source)
    question.duplicate_suggestions = [[target, 72.0], [unrelated, 36.0]]
    await db.commit()
    await login(client, "moderator")
    return {"episode_id": episode_id, "target": target, "source": source, "unrelated": unrelated}


async def test_merge_is_confirmed_then_undone_to_the_same_question(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    source, target = night["source"], night["target"]
    moved = await submissions_of(db, source)
    card = await client.get(f"/moderation/questions/{source}/card", headers=HX)
    assert f'data-merge="{target}"' in card.text  # a suggestion above the confidence setting

    confirm = await client.get(f"/moderation/questions/{source}/merge?target_id={target}", headers=HX)
    assert confirm.status_code == 200 and "<html" not in confirm.text
    assert "Nguyễn Hữu Cảnh ngập nặng" in confirm.text and f'name="target_id" value="{target}"' in confirm.text

    version = (await fresh(db, source)).version
    merged = await post_form(
        client,
        f"/moderation/questions/{source}/merge",
        {"target_id": target, "version": version},
        headers=HX,
    )
    assert merged.status_code == 200
    assert f"Đã gộp #{source} vào #{target}" in merged.text
    event_id = int(UNDO_RE.search(merged.text).group(1))  # type: ignore[union-attr]
    assert (await fresh(db, source)).status is QuestionStatus.MERGED
    assert (await fresh(db, target)).submission_count == 3

    undone = await post_form(client, f"/moderation/history/{event_id}/undo", headers=HX)
    assert undone.status_code == 200 and f"Đã hoàn tác: #{source}" in undone.text
    restored = await fresh(db, source)
    assert restored.status is QuestionStatus.NEW and restored.merged_into_id is None
    assert restored.submission_count == 1 and await submissions_of(db, source) == moved
    assert (await fresh(db, target)).submission_count == 2
    again = await post_form(client, f"/moderation/history/{event_id}/undo", headers=HX)
    assert "đã được hoàn tác" in again.text  # once only


async def test_the_undo_toast_goes_to_the_one_toast_region(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    """One live region for every toast: the merge's answer adds its undo toast to ``#toasts`` out of band
    (plain toasts there stay), and the undo's answer is a plain toast that takes the undo toast's place."""
    source, target = night["source"], night["target"]
    for path in ("/moderation", f"/moderation/questions/{source}"):
        page = (await client.get(path)).text
        assert page.count('role="status"') == 1 and "toast-region" not in page, path
        assert 'id="toasts" class="toasts" role="status" aria-live="polite"' in page

    version = (await fresh(db, source)).version
    merged = await post_form(
        client, f"/moderation/questions/{source}/merge", {"target_id": target, "version": version}, headers=HX
    )
    assert merged.status_code == 200 and "toast-region" not in merged.text
    assert re.findall(r'hx-swap-oob="([^"]*)"', merged.text) == ["beforeend:#toasts"]  # added, not replacing
    oob = merged.text.split('hx-swap-oob="beforeend:#toasts">', 1)[1]
    assert toast_texts(oob) == [f"Đã gộp #{source} vào #{target}."]
    assert len(UNDO_RE.findall(merged.text)) == 1 and 'data-toast-ms="10000"' in oob  # time to press "u"
    undo_form = oob.split("<form", 1)[1].split(">", 1)[0]
    assert 'hx-target="closest .toast"' in undo_form and 'hx-swap="outerHTML"' in undo_form
    event_id = int(UNDO_RE.search(oob).group(1))  # type: ignore[union-attr]

    undone = await post_form(client, f"/moderation/history/{event_id}/undo", headers=HX)
    assert undone.status_code == 200 and "<html" not in undone.text
    assert toast_texts(undone.text) == [f"Đã hoàn tác: #{source} trở lại như trước."]
    assert "data-undo" not in undone.text and 'data-toast-ms="6000"' in undone.text


async def test_one_key_merge_only_above_the_episodes_confidence(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    episode = await db.get(Episode, night["episode_id"])
    episode.suggest_threshold = 80.0
    await db.commit()
    card = await client.get(f"/moderation/questions/{night['source']}/card", headers=HX)
    assert "data-merge=" not in card.text and 'data-key="m"' not in card.text
    episode.suggest_threshold = 70.0
    await db.commit()
    card = await client.get(f"/moderation/questions/{night['source']}/card", headers=HX)
    assert card.text.count("data-merge=") == 1 and f'data-merge="{night["target"]}"' in card.text


async def test_merged_submissions_go_back_by_undoing_the_merge_on_the_target(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    source, target = night["source"], night["target"]
    await post_form(
        client,
        f"/moderation/questions/{source}/merge",
        {"target_id": target, "version": (await fresh(db, source)).version},
        headers=HX,
    )
    page = await client.get(f"/moderation/questions/{target}")
    assert f"Hoàn tác gộp: trả về #{source}" in page.text
    event_id = int(re.search(r'action="/moderation/history/(\d+)/undo"', page.text).group(1))  # type: ignore[union-attr]
    back = await post_form(client, f"/moderation/history/{event_id}/undo", follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/moderation/questions/{source}"
    assert (await fresh(db, source)).status is QuestionStatus.NEW


async def test_route_and_reject_are_undone_from_their_toast(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    question_id = night["unrelated"]
    routed = await post_form(
        client,
        f"/moderation/questions/{question_id}/route",
        {"department": "so-tu-phap", "version": (await fresh(db, question_id)).version},
        headers=HX,
    )
    assert "Đã chuyển #" in routed.text and 'role="status"' not in routed.text  # the region is the page's
    undone = await post_form(client, f"/moderation/history/{UNDO_RE.search(routed.text).group(1)}/undo", headers=HX)  # type: ignore[union-attr]
    assert "Đã hoàn tác" in undone.text
    question = await fresh(db, question_id)
    assert question.status is QuestionStatus.NEW and question.department_id is None
    assert question.routed_at is None and question.due_date is None

    # Off topic: the citizen would be told; undone within the toast's time, the message is cancelled.
    source = night["source"]
    rejected = await post_form(
        client,
        f"/moderation/questions/{source}/reject",
        {"reason": "off_topic", "version": (await fresh(db, source)).version},
        headers=HX,
    )
    assert "Đã từ chối" in rejected.text
    message = await db.scalar(select(OutboundMessage).where(OutboundMessage.question_id == source))
    assert message is not None and message.kind is MessageKind.OUT_OF_SCOPE and message.status is MessageStatus.PENDING
    await post_form(client, f"/moderation/history/{UNDO_RE.search(rejected.text).group(1)}/undo", headers=HX)  # type: ignore[union-attr]
    assert (await fresh(db, source)).status is QuestionStatus.NEW
    await db.refresh(message)
    assert message.status is MessageStatus.CANCELLED


async def test_an_undo_is_refused_once_someone_changed_the_question(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    question_id = night["unrelated"]
    routed = await post_form(
        client,
        f"/moderation/questions/{question_id}/route",
        {"department": "so-tu-phap", "version": (await fresh(db, question_id)).version},
        headers=HX,
    )
    event_id = UNDO_RE.search(routed.text).group(1)  # type: ignore[union-attr]
    await post_form(
        client,
        f"/moderation/questions/{question_id}/priority",
        {"priority": 2, "version": (await fresh(db, question_id)).version},
        headers=HX,
    )
    refused = await post_form(client, f"/moderation/history/{event_id}/undo", headers=HX)
    assert "không thể tự động hoàn tác" in refused.text
    assert (await fresh(db, question_id)).status is QuestionStatus.ROUTED


async def test_an_answer_is_approved_or_returned_from_the_queue_card(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    ids = []
    department_id = await db.scalar(select(Department.id).where(Department.code == "so-xay-dung"))
    for key in ("target", "unrelated"):
        question = await fresh(db, night[key])
        question.status = QuestionStatus.ANSWER_REVIEW
        question.department_id = department_id
        answer = Answer(
            question_id=question.id,
            department_id=department_id,
            body=f"Trả lời cho câu {question.id}: thành phố sẽ làm ngay trong tháng.",
            status=AnswerStatus.SUBMITTED,
        )
        db.add(answer)
        await db.flush()
        ids.append((question.id, answer.id, answer.version))
    await db.commit()
    board = await client.get(f"/moderation?episode={night['episode_id']}")
    assert board.text.count('data-acts="answer priority edit') == 2 and "Câu trả lời chờ duyệt" in board.text

    (first, first_answer, first_version), (second, second_answer, second_version) = ids
    approved = await post_form(
        client,
        f"/moderation/answers/{first_answer}/review",
        {"decision": "approve", "version": first_version},
        headers=HX,
    )
    assert approved.status_code == 200 and f'id="question-card-{first}"' in approved.text
    assert "status-ready" in approved.text and f"Đã duyệt câu trả lời cho #{first}" in approved.text
    refused = await post_form(
        client,
        f"/moderation/answers/{second_answer}/review",
        {"decision": "return", "version": second_version},
        headers=HX,
    )
    assert refused.status_code == 422 and "status-answer_review" in refused.text  # a comment is needed
    returned = await post_form(
        client,
        f"/moderation/answers/{second_answer}/review",
        {"decision": "return", "comment": "Nêu rõ thời hạn.", "version": second_version},
        headers=HX,
    )
    assert "status-routed" in returned.text and f"Đã trả lại đơn vị câu trả lời cho #{second}" in returned.text


async def test_controls_that_do_not_apply_are_not_shown(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    acts: dict[str, str] = {}
    for status in (QuestionStatus.ROUTED, QuestionStatus.ANSWERED_ON_AIR, QuestionStatus.REJECTED):
        question = await fresh(db, night["unrelated"])
        question.status = status
        await db.commit()
        card = (await client.get(f"/moderation/questions/{question.id}/card", headers=HX)).text
        found = re.search(r'data-acts="([^"]*)"', card)
        acts[status.value] = found.group(1) if found else ""
    assert "route" not in acts["routed"] and "reject" in acts["routed"]
    assert acts["answered_on_air"] == ""
    assert acts["rejected"] == "reopen"


async def test_the_question_page_works_without_javascript(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    """The card's controls are built by app.js; the question page also has them as plain forms."""
    question_id = night["unrelated"]
    page = (await client.get(f"/moderation/questions/{question_id}")).text
    plain = page.split("<noscript>", 1)[1].split("</noscript>", 1)[0]
    assert f'action="/moderation/questions/{question_id}/route"' in plain and 'name="_csrf_token"' in plain
    version = (await fresh(db, question_id)).version
    routed = await post_form(
        client,
        f"/moderation/questions/{question_id}/route",
        {"department": "so-tu-phap", "version": version},
        headers={"Referer": f"http://testserver.local/moderation/questions/{question_id}"},
        follow_redirects=False,
    )
    assert routed.status_code == 303
    assert (await fresh(db, question_id)).status is QuestionStatus.ROUTED


async def test_a_split_shows_its_undo_on_the_page_it_lands_on(
    client: AsyncTestClient[Litestar], night: dict[str, Any], db: Any
) -> None:
    target = night["target"]
    second = await db.scalar(select(Submission.id).where(Submission.tracking_code == "T-SECOND"))
    split = await post_form(client, f"/moderation/submissions/{second}/split", follow_redirects=False)
    assert split.status_code == 303
    page = await client.get(split.headers["location"])
    region = toast_region(page.text)  # the page's one live region, like every other toast
    assert "Đã tách thành câu hỏi mới #" in region
    event_id = UNDO_RE.search(region).group(1)  # type: ignore[union-attr]
    await post_form(client, f"/moderation/history/{event_id}/undo", headers=HX)
    assert second in await submissions_of(db, target)  # back in the same question
    assert (await fresh(db, target)).submission_count == 2
