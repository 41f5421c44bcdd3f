"""Times: stored in UTC, read back tz-aware on every database, shown at Ho Chi Minh City's wall clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from qa_app.models import Answer, AnswerStatus, Episode, Question, QuestionStatus, Role, Submission
from qa_app.services import demo
from qa_app.services import users as user_service
from tests.conftest import login
from tests.factories import FAST_PASSWORDS, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture
async def seeded(db: Any) -> Episode:
    await demo.seed(db, FAST_PASSWORDS)
    await make_user(db, "admin", Role.ADMIN)
    episode = await db.scalar(select(Episode).where(Episode.slug == demo.DEMO_SLUG))
    assert episode is not None
    return episode


async def test_demo_airs_saturday_at_20_local_and_is_stored_in_utc(seeded: Episode, db: Any) -> None:
    db.expire_all()
    episode = await db.scalar(select(Episode).where(Episode.slug == demo.DEMO_SLUG))
    assert episode.air_start.tzinfo is not None and episode.air_start.utcoffset() == timedelta(0)
    local = episode.air_start.astimezone(HCM)
    assert (local.weekday(), local.hour, local.minute) == (5, 20, 0)
    assert episode.air_start.hour == 13  # 20:00 +07:00


async def test_home_page_and_admin_form_read_20_00(seeded: Episode, client: AsyncTestClient[Litestar], db: Any) -> None:
    local = seeded.air_start.astimezone(HCM)
    home = await client.get("/")
    assert home.status_code == 200
    assert f"{local:%d/%m/%Y} 20:00" in home.text
    assert "03:00" not in home.text
    await login(client, "admin")
    form = await client.get(f"/admin/episodes/{seeded.id}")
    assert form.status_code == 200
    assert re.search(rf'id="air_start"[^>]*value="{local:%Y-%m-%d}T20:00"', form.text), form.text
    assert re.search(rf'id="air_end"[^>]*value="{local:%Y-%m-%d}T21:00"', form.text)


async def test_demo_history_is_never_in_the_future(seeded: Episode, db: Any) -> None:
    now = datetime.now(UTC)
    stamps: list[datetime] = []
    for question in await db.scalars(select(Question)):
        stamps += [
            t for t in (question.created_at, question.routed_at, question.answered_at, question.published_at) if t
        ]
    for answer in await db.scalars(select(Answer)):
        stamps += [t for t in (answer.submitted_at, answer.approved_at, answer.published_at) if t]
        assert answer.submitted_at is not None
        assert answer.approved_at is None or answer.submitted_at <= answer.approved_at
    stamps += list(await db.scalars(select(Submission.received_at)))
    assert len(stamps) > 200
    assert all(t.tzinfo is not None for t in stamps)
    assert max(stamps) <= now
    written = await db.scalar(select(Answer).where(Answer.status == AnswerStatus.PUBLISHED))
    question = await db.get(Question, written.question_id)
    assert question.routed_at < written.submitted_at < written.approved_at < written.published_at <= now


def _datetimes(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _datetimes(v)]
    if isinstance(value, list):
        return [s for v in value for s in _datetimes(v)]
    return [value] if isinstance(value, str) and ISO_DATETIME.match(value) else []


async def test_every_api_time_leaves_in_utc_with_its_offset(
    seeded: Episode, client: AsyncTestClient[Litestar], db: Any
) -> None:
    _, token = await user_service.create_api_token(db, None, "admin", "studio")
    written = await db.scalar(
        select(Submission)
        .join(Question, Submission.question_id == Question.id)
        .where(Question.status == QuestionStatus.ANSWERED_IN_WRITING)
    )
    schema = (await client.get("/api/schema/openapi.json")).json()
    values = {"slug": demo.DEMO_SLUG, "code": written.tracking_code}
    found: list[str] = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
        response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, (url, response.text)
        found += _datetimes(response.json())
    # air_start, air_end, received_at and the answer's published_at at least
    assert len(found) >= 4, found
    for value in found:
        parsed = datetime.fromisoformat(value)
        assert parsed.utcoffset() == timedelta(0), value
    episodes = (await client.get("/api/v1/episodes")).json()
    assert [e["air_start"][11:16] for e in episodes if e["title"] == demo.DEMO_TITLE] == ["13:00"]
