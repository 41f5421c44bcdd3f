"""The per-contact limit counts accepted questions only: nobody can use up a citizen's limit with junk."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from qa_app.app import create_app
from tests.conftest import post_form
from tests.factories import import_departments, make_episode

QUESTION = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ sau khi bỏ cấp quận thì nộp hồ sơ ở đâu?"
PHONE = "0912 000 111"


@pytest.fixture
def app(settings: Any) -> Litestar:
    return create_app(replace(settings, submit_limit_per_contact=(2, 3600)))


@pytest.fixture
async def episode(db: Any) -> None:
    await import_departments(db)
    await make_episode(db, slug="ky-han-muc")


async def send(client: AsyncTestClient[Litestar], text: str, key: str, contact: str = PHONE) -> Any:
    return await post_form(
        client,
        "/ky/ky-han-muc/gui-cau-hoi",
        {"text": text, "idempotency_key": key, "contact": contact, "consent_contact": "on"},
        follow_redirects=False,
    )


async def test_refused_web_requests_naming_a_phone_do_not_count(
    client: AsyncTestClient[Litestar], episode: None
) -> None:
    await client.get("/ky/ky-han-muc")
    for n in range(5):  # someone else, sending junk in the citizen's name
        assert (await send(client, "ngắn", f"rac-{n}")).status_code == 422
    assert (await send(client, QUESTION, "that-1")).status_code == 303
    assert (await send(client, QUESTION + " Xin cảm ơn.", "that-2", "+84912000111")).status_code == 303
    # Accepted ones still count: the third is one too many.
    third = await send(client, "Đường Nguyễn Văn Linh hay ngập khi triều cường, bao giờ có đê bao?", "that-3")
    assert third.status_code == 429


async def test_refused_api_requests_naming_a_phone_do_not_count(
    client: AsyncTestClient[Litestar], episode: None
) -> None:
    url = "/api/v1/episodes/ky-han-muc/submissions"
    for n in range(5):
        junk = await client.post(
            url, json={"text": "ngắn", "contact": PHONE, "consent": True, "idempotency_key": f"r{n}"}
        )
        assert junk.status_code == 422
    accepted = await client.post(
        url, json={"text": QUESTION, "contact": PHONE, "consent": True, "idempotency_key": "a"}
    )
    assert accepted.status_code == 201
    # The same request again (a retry) is answered again and not counted twice.
    again = await client.post(url, json={"text": QUESTION, "contact": PHONE, "consent": True, "idempotency_key": "a"})
    assert again.status_code == 201
    other = "Đường Nguyễn Văn Linh hay ngập khi triều cường, bao giờ có đê bao?"
    second = await client.post(url, json={"text": other, "contact": PHONE, "consent": True, "idempotency_key": "b"})
    assert second.status_code == 201
