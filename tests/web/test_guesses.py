"""Tracking and rating codes cannot be guessed at speed: wrong codes are limited per address, right ones never."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from qa_app.app import create_app
from qa_app.models import Question, QuestionStatus
from qa_app.services.guesses import GuessLimiter
from qa_app.services.tracking import new_tracking_code
from tests.conftest import post_form
from tests.factories import import_departments, make_episode
from tests.web.served import served

QUESTION = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ sau khi bỏ cấp quận thì nộp hồ sơ ở đâu?"
LIMIT = 5


@pytest.fixture
def app(settings: Any) -> Litestar:
    return create_app(replace(settings, guess_limit_per_ip=(LIMIT, 600)))


@pytest.fixture
async def code(client: AsyncTestClient[Litestar], db: Any) -> str:
    """A citizen's real tracking code."""
    await import_departments(db)
    await make_episode(db, slug="ky-ma")
    await client.get("/ky/ky-ma")
    response = await post_form(
        client, "/ky/ky-ma/gui-cau-hoi", {"text": QUESTION, "idempotency_key": "ma-1"}, follow_redirects=False
    )
    match = re.match(r"/tra-cuu/(DH-[A-Z0-9]{6})", response.headers["location"])
    assert match
    return match.group(1)


def wrong_codes(count: int, right: str) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        candidate = new_tracking_code()
        if candidate != right and candidate not in codes:
            codes.append(candidate)
    return codes


async def test_a_citizen_looking_up_their_code_never_notices(client: AsyncTestClient[Litestar], code: str) -> None:
    for _ in range(4 * LIMIT):
        assert (await client.get(f"/tra-cuu/{code}")).status_code == 200
        assert (await client.get(f"/api/v1/submissions/{code}")).status_code == 200


async def test_wrong_tracking_codes_are_limited_per_address(client: AsyncTestClient[Litestar], code: str) -> None:
    guesses = wrong_codes(LIMIT + 1, code)
    statuses = [(await client.get(f"/tra-cuu/{guess}")).status_code for guess in guesses]
    assert statuses == [404] * LIMIT + [429]
    refused = await client.get(f"/tra-cuu/{new_tracking_code()}")
    assert refused.status_code == 429 and "Đã nhập sai mã quá nhiều lần" in refused.text
    # One budget for the page and the API.
    api = await client.get(f"/api/v1/submissions/{new_tracking_code()}")
    assert api.status_code == 429 and "Đã nhập sai mã quá nhiều lần" in api.json()["detail"]


async def test_wrong_codes_through_the_api_are_limited(client: AsyncTestClient[Litestar], code: str) -> None:
    statuses = [
        (await client.get(f"/api/v1/submissions/{guess}")).status_code for guess in wrong_codes(LIMIT + 2, code)
    ]
    assert statuses == [404] * LIMIT + [429] * 2


async def test_wrong_rating_codes_are_limited_per_address(
    client: AsyncTestClient[Litestar], code: str, db: Any
) -> None:
    question = await db.scalar(select(Question.id))
    await db.execute(update(Question).values(status=QuestionStatus.ANSWERED_ON_AIR))
    await db.commit()
    # Each guess is a different code: the per-code limit alone never stopped this.
    statuses = []
    for guess in wrong_codes(LIMIT + 1, code):
        response = await post_form(client, f"/danh-gia/{question}", {"code": guess, "score": "3"})
        statuses.append(response.status_code)
    assert statuses == [422] * LIMIT + [429]
    assert "Đã nhập sai mã quá nhiều lần" in response.text


async def test_a_burst_of_guesses_at_once_does_not_slip_past_the_limit(settings: Any, db: Any) -> None:
    app = create_app(replace(settings, guess_limit_per_ip=(LIMIT, 600)))
    async with served(app) as client:
        responses = await asyncio.gather(*(client.get(f"/tra-cuu/{guess}") for guess in wrong_codes(60, "")))
    statuses = Counter(r.status_code for r in responses)
    # Misses are counted after the look-up; a few look-ups per address run at once, hence the slack.
    assert statuses[404] <= LIMIT + GuessLimiter.IN_FLIGHT_PER_ADDRESS - 1, statuses
    assert statuses[404] + statuses[429] == 60
