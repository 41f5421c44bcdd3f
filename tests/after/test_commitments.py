"""Commitments followed until kept: the department's list, claims, the moderators' decisions, the
overdue sweep, and the citizens' one-click verdicts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.models import AuditEvent, Commitment, CommitmentStatus, CommitmentVerdict, MessageKind, OutboundMessage
from qa_app.services import commitments, notifications
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.settings import Settings
from tests.after import scenario as sc
from tests.conftest import login, post_form, toast_region, toast_texts


@pytest.fixture
async def known(db: Any, settings: Settings) -> sc.Scenario:
    return await sc.build(db, settings.secret_key)


async def status(db: Any, commitment_id: int) -> CommitmentStatus:
    query = select(Commitment.status).where(Commitment.id == commitment_id).execution_options(populate_existing=True)
    return CommitmentStatus(await db.scalar(query))


async def test_department_sees_its_overdue_promises_and_claims_one(
    client: AsyncTestClient[Litestar], known: sc.Scenario, db: Any
) -> None:
    await login(client, "officer_a")
    inbox = await client.get("/department")
    assert "1 cam kết trên sóng đã quá hạn" in inbox.text
    page = await client.get("/department/commitments")
    assert page.status_code == 200
    assert "Thay toàn bộ đèn chiếu sáng hỏng" in page.text and "Nạo vét toàn bộ tuyến cống" in page.text
    assert "Bổ sung một bác sĩ" not in page.text  # another department's promise
    assert "Cưỡng chế công trình sai phép" not in page.text  # its answer is still in review: not made yet
    assert 'class="commitment-card state-overdue"' in page.text
    overdue_only = await client.get("/department/commitments?show=overdue")
    assert overdue_only.text.count('class="commitment-card') == 1
    c2 = known.c["C2"]
    refused = await post_form(client, f"/department/commitments/{c2}/claim", {"evidence": "ok"})
    assert refused.status_code == 422
    response = await post_form(
        client,
        f"/department/commitments/{c2}/claim",
        {"evidence": "Đã thay 120 bóng đèn ngày 3/6"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert await status(db, c2) is CommitmentStatus.CLAIMED
    other = await post_form(client, f"/department/commitments/{known.c['C4']}/claim", {"evidence": "Đã làm xong rồi"})
    assert other.status_code == 404  # another department's: not even its existence


async def toasts_on(client: AsyncTestClient[Litestar]) -> list[str]:
    return toast_texts(toast_region((await client.get("/moderation/commitments")).text))


async def test_moderator_accepts_or_sends_back_a_claim_and_drops_with_a_reason(
    client: AsyncTestClient[Litestar], known: sc.Scenario, db: Any
) -> None:
    await login(client, "moderator")
    page = await client.get("/moderation/commitments")
    assert page.status_code == 200 and page.text.index("state-claimed") < page.text.index("state-overdue")
    c5 = known.c["C5"]
    refused = await post_form(client, f"/moderation/commitments/{c5}/review", {"decision": "refuse"})
    assert refused.status_code == 422  # a note is needed to send it back
    sent_back = await post_form(
        client,
        f"/moderation/commitments/{c5}/review",
        {"decision": "refuse", "note": "Thiếu biên bản giao nhận"},
        follow_redirects=False,
    )
    assert sent_back.status_code == 303
    assert await status(db, c5) is CommitmentStatus.PENDING  # shown overdue: its date has passed
    c2 = known.c["C2"]
    await commitments.claim_done(db, known.staff["officer_a"], c2, "Đã thay 120 bóng đèn")
    before = len(list(await db.scalars(select(OutboundMessage.id).where(OutboundMessage.commitment_id == c2))))
    accepted = await post_form(
        client, f"/moderation/commitments/{c2}/review", {"decision": "accept"}, follow_redirects=False
    )
    assert accepted.status_code == 303 and await status(db, c2) is CommitmentStatus.DONE
    assert await toasts_on(client) == ["Đã trả lại báo cáo cho đơn vị.", "Đã xác nhận cam kết được thực hiện."]
    assert await toasts_on(client) == []  # once
    kinds = list(
        await db.scalars(
            select(OutboundMessage.kind).where(OutboundMessage.commitment_id == c2).order_by(OutboundMessage.id)
        )
    )
    assert len(kinds) == before + 1 and kinds[-1] is MessageKind.COMMITMENT_DONE  # B1 consented
    short = await post_form(client, f"/moderation/commitments/{known.c['C3']}/drop", {"reason": "không"})
    assert short.status_code == 422
    dropped = await post_form(
        client,
        f"/moderation/commitments/{known.c['C3']}/drop",
        {"reason": "Dự án kho thuốc đã chuyển sang Bộ Y tế"},
        follow_redirects=False,
    )
    assert dropped.status_code == 303 and await status(db, known.c["C3"]) is CommitmentStatus.DROPPED
    assert await toasts_on(client) == ["Đã ghi nhận hủy cam kết."]  # said on the page the redirect opens
    again = await post_form(client, f"/moderation/commitments/{known.c['C3']}/drop", {"reason": "Một lần nữa cho chắc"})
    assert again.status_code == 409
    actions = set(await db.scalars(select(AuditEvent.action).where(AuditEvent.action.like("commitment.%"))))
    assert {
        "commitment.claim",
        "commitment.accept",
        "commitment.refuse",
        "commitment.drop",
        "commitment.overdue",
    } <= actions


async def test_sweep_marks_overdue_and_asks_the_citizens_once(known: sc.Scenario, db: Any) -> None:
    asked = list(
        await db.scalars(
            select(OutboundMessage.commitment_id).where(OutboundMessage.kind == MessageKind.COMMITMENT_CHECK)
        )
    )
    # C2 (overdue; B1 consented) and C5 (claimed past its date; C1's citizen consented) were asked once each.
    assert sorted(asked) == sorted([known.c["C2"], known.c["C5"]])
    report = await commitments.sweep(db, now=sc.local("02/06 08:00"))
    assert (report.overdue, report.asked) == (0, 0)
    assert await status(db, known.c["C2"]) is CommitmentStatus.OVERDUE
    assert await status(db, known.c["C3"]) is CommitmentStatus.PENDING  # due in 2099


async def test_citizen_answers_the_promise_question_with_one_click(
    client: AsyncTestClient[Litestar], known: sc.Scenario, db: Any, settings: Settings
) -> None:
    path = notifications.verdict_path(settings.secret_key, known.c["C2"], known.submissions["B2"])
    page = await client.get(path)
    assert page.status_code == 200
    assert "Cam kết này đã được thực hiện chưa?" in page.text and "Thay toàn bộ đèn chiếu sáng" in page.text
    for name in sc.NAMES:
        assert name not in page.text
    response = await post_form(client, path, {"verdict": "partly"})
    assert response.status_code == 200 and "ý kiến đã được ghi nhận" in response.text
    response = await post_form(client, path, {"verdict": "not_yet"})  # changing one's mind updates, not adds
    rows = list(await db.scalars(select(CommitmentVerdict).where(CommitmentVerdict.commitment_id == known.c["C2"])))
    assert sorted(r.verdict.value for r in rows) == ["not_yet", "not_yet"]
    assert (await post_form(client, path, {"verdict": "maybe"})).status_code == 422
    # A token for a citizen of another question, or a forged one, opens nothing.
    foreign = notifications.verdict_path(settings.secret_key, known.c["C2"], known.submissions["C1"])
    assert (await client.get(foreign)).status_code == 404
    assert (await client.get(path[:-3] + "000")).status_code == 404
    assert (await client.get("/loi-hua/1-2")).status_code == 404


async def test_claims_and_decisions_need_the_right_role(known: sc.Scenario, db: Any) -> None:
    with pytest.raises(NotFound):
        await commitments.claim_done(db, known.staff["officer_b"], known.c["C2"], "Đã làm xong hết rồi")
    from qa_app.services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        await commitments.review_claim(db, known.staff["officer_b"], known.c["C5"], accept=True)
    with pytest.raises(Conflict):
        await commitments.review_claim(db, known.staff["moderator"], known.c["C2"], accept=True)
    with pytest.raises(InvalidInput):
        await commitments.drop(db, known.staff["moderator"], known.c["C2"], "ngắn")
    assert (
        commitments.state(Commitment(status=CommitmentStatus.PENDING, due_date=date(2026, 5, 1)), date(2026, 5, 2))
        is CommitmentStatus.OVERDUE
    )
