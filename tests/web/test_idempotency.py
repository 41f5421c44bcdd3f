"""Idempotency keys belong to their caller (issue 11, finding 7).

An account's keys are its own; the anonymous public shares one space in which a key also binds what
was sent with it. A retry of the same request gets its own tracking code again; a reused key with
another caller or another body gets 409, never someone else's code.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from qa_app.app import create_app
from qa_app.models import Role, Submission
from qa_app.services import users as user_service
from qa_app.settings import Settings
from tests.factories import import_departments, make_episode, make_user
from tests.web.serving import serving

URL = "/api/v1/episodes/ky-khoa/submissions"
CALL = {"text": "Xin hỏi lệ phí cấp đổi giấy phép lái xe hạng B là bao nhiêu?", "channel": "phone"}
OTHER = {"text": "Tuyến xe buýt số 150 chạy thưa quá, có tăng chuyến buổi tối không?"}


@pytest.fixture
async def bearer(db: Any) -> dict[str, dict[str, str]]:
    await import_departments(db)
    await make_episode(db, slug="ky-khoa")
    await make_user(db, "tongdai1", Role.OPERATOR)
    await make_user(db, "tongdai2", Role.OPERATOR)
    _, first = await user_service.create_api_token(db, None, "tongdai1", "hotline 1")
    _, second = await user_service.create_api_token(db, None, "tongdai2", "hotline 2")
    return {"tongdai1": {"Authorization": f"Bearer {first}"}, "tongdai2": {"Authorization": f"Bearer {second}"}}


async def _count(db: Any) -> int:
    db.expire_all()
    return int(await db.scalar(select(func.count(Submission.id))) or 0)


async def test_an_anonymous_caller_never_gets_an_operators_code(
    client: AsyncTestClient[Litestar], bearer: dict[str, dict[str, str]], db: Any
) -> None:
    call = await client.post(URL, json={**CALL, "idempotency_key": "call-1001"}, headers=bearer["tongdai1"])
    assert call.status_code == 201, call.text
    code = call.json()["tracking_code"]
    for body in ({**CALL, "channel": "web"}, OTHER):
        response = await client.post(URL, json={**body, "idempotency_key": "call-1001"})
        assert response.status_code == 409, response.text
        assert code not in response.text and "tracking_code" not in response.json()
        assert "đã được dùng" in response.json()["detail"]
    assert await _count(db) == 1


async def test_the_same_caller_retrying_gets_its_own_code_again(
    client: AsyncTestClient[Litestar], bearer: dict[str, dict[str, str]], db: Any
) -> None:
    sent = {**CALL, "idempotency_key": "call-1002"}
    first = await client.post(URL, json=sent, headers=bearer["tongdai1"])
    again = await client.post(URL, json=sent, headers=bearer["tongdai1"])
    assert first.status_code == again.status_code == 201
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    # the same key with another question, by the same account: refused, nothing stored
    changed = await client.post(URL, json={**OTHER, "idempotency_key": "call-1002"}, headers=bearer["tongdai1"])
    assert changed.status_code == 409 and first.json()["tracking_code"] not in changed.text
    # the public, the same: a retry is answered, another body with the key is refused
    public = {**OTHER, "idempotency_key": "app-7"}
    one, two = await client.post(URL, json=public), await client.post(URL, json=public)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    other = await client.post(URL, json={**OTHER, "text": OTHER["text"] + " Cảm ơn.", "idempotency_key": "app-7"})
    assert other.status_code == 409 and one.json()["tracking_code"] not in other.text
    assert await _count(db) == 2


async def test_each_account_has_keys_of_its_own_and_nobody_can_take_them_first(
    client: AsyncTestClient[Litestar], bearer: dict[str, dict[str, str]], db: Any
) -> None:
    """A stranger who sends the hotline's next key first does not block the hotline, nor does another
    integration using the same numbering."""
    squatted = await client.post(URL, json={**OTHER, "idempotency_key": "call-2000"})
    assert squatted.status_code == 201
    mine = await client.post(URL, json={**CALL, "idempotency_key": "call-2000"}, headers=bearer["tongdai1"])
    theirs = await client.post(URL, json={**CALL, "idempotency_key": "call-2000"}, headers=bearer["tongdai2"])
    assert mine.status_code == theirs.status_code == 201
    codes = {r.json()["tracking_code"] for r in (squatted, mine, theirs)}
    assert len(codes) == 3
    assert await _count(db) == 3


async def test_the_web_form_key_binds_the_question(
    client: AsyncTestClient[Litestar], bearer: dict[str, dict[str, str]], db: Any
) -> None:
    """A double click is answered with the first code; the same (reloaded-less) form sending another
    question is told to reload, keeping what was typed."""
    from tests.conftest import post_form

    await client.get("/ky/ky-khoa")
    form = {"text": CALL["text"], "idempotency_key": "form-1"}
    first = await post_form(client, "/ky/ky-khoa/gui-cau-hoi", form, follow_redirects=False)
    second = await post_form(client, "/ky/ky-khoa/gui-cau-hoi", form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    other = await post_form(client, "/ky/ky-khoa/gui-cau-hoi", {**form, "text": OTHER["text"]})
    assert other.status_code == 409 and "tải lại trang" in other.text and OTHER["text"] in other.text
    assert await _count(db) == 1


async def test_concurrent_reuse_in_one_batch(settings: Settings, bearer: dict[str, dict[str, str]], db: Any) -> None:
    """Sent at once (the same batch): identical requests share one code, a different body is refused,
    and the operator's request with the same key is its own."""
    app = create_app(settings)
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        same = {**OTHER, "idempotency_key": "burst-1"}
        changed = {**OTHER, "text": OTHER["text"] + " Xin cảm ơn.", "idempotency_key": "burst-1"}
        operator = {**CALL, "idempotency_key": "burst-1"}
        requests = [http.post(URL, json=same) for _ in range(4)] + [http.post(URL, json=changed)]
        requests.append(http.post(URL, json=operator, headers=bearer["tongdai1"]))
        responses = await asyncio.gather(*requests)
    statuses = [r.status_code for r in responses]
    accepted = [r for r in responses[:5] if r.status_code == 201]
    assert statuses[5] == 201 and sorted(statuses[:5]) in ([201, 201, 201, 201, 409], [201, 409, 409, 409, 409])
    assert len({r.json()["tracking_code"] for r in accepted}) == 1
    assert responses[5].json()["tracking_code"] != accepted[0].json()["tracking_code"]
    assert await _count(db) == 2
