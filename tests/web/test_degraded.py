"""Redis or the database does not answer: through the real HTTP stack, never a 500.

Redis "down" here is a port where nothing listens (refused at once) or a listener that never answers
(the time limits must hold); the database "down" is a PostgreSQL URL on such a port, or a SQLite file
whose write lock another connection holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from qa_app.app import create_app
from qa_app.events import RecordingPublisher
from qa_app.models import Episode, Submission
from tests.conftest import login, post_form
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import free_port

TEXT_WEB = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ sau khi bỏ cấp quận thì nộp hồ sơ ở đâu?"
TEXT_API = "Tuyến xe buýt số 150 bị cắt giảm chuyến buổi tối, đề nghị Sở Xây dựng tăng chuyến cho người lao động."
TRY_AGAIN = "thử lại sau ít giây"


def dead_redis_url() -> str:
    """A port where nothing listens: every connection is refused, as when Redis was killed."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
async def episode(db: Any) -> Episode:
    await make_staff(db)
    return await make_episode(db, title="Kỳ Redis vắng", slug="ky-redis")


@contextlib.asynccontextmanager
async def _client(settings: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        yield client


async def test_citizens_and_staff_keep_working_while_redis_is_down(settings_factory: Any, episode: Episode) -> None:
    settings = settings_factory(redis_url=dead_redis_url())
    async with _client(settings) as client:
        assert (await client.get("/")).status_code == 200
        assert (await client.get("/ky/ky-redis")).status_code == 200
        web = await post_form(
            client, "/ky/ky-redis/gui-cau-hoi", {"text": TEXT_WEB, "idempotency_key": "web-1"}, follow_redirects=False
        )
        assert web.status_code == 303, web.text
        assert (await client.get(web.headers["location"])).status_code == 200
        api = await client.post("/api/v1/episodes/ky-redis/submissions", json={"text": TEXT_API})
        assert api.status_code == 201, api.text
        # Staff log in (the session lives in this worker while Redis is away) and work.
        response = await login(client, "moderator", TEST_PASSWORD)
        assert response.status_code == 303, response.text
        board = await client.get(f"/moderation/?episode={episode.id}")
        assert board.status_code == 200 and "Tuyến xe buýt" in board.text  # with presence, which lives in Redis
        assert (await client.get("/workspace/")).status_code == 200
        health = await client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}


async def test_limits_while_redis_is_down_submissions_stay_open_logins_count_stricter(
    settings_factory: Any, episode: Episode
) -> None:
    # Two workers: each counts in its own memory, a failed login weighs 2 so the pair allows what one Redis did.
    settings = settings_factory(
        redis_url=dead_redis_url(), workers=2, login_max_failures_per_account=4, submit_limit_per_ip=(3, 600)
    )
    async with _client(settings) as client:
        url = "/api/v1/episodes/ky-redis/submissions"
        statuses = [(await client.post(url, json={"text": f"{TEXT_API} Lần {n}."})).status_code for n in range(4)]
        assert statuses == [201, 201, 201, 429]  # counted in this worker, never refused for want of Redis
        attempts = [(await login(client, "moderator", "sai-mat-khau")).status_code for _ in range(3)]
        assert attempts[:2] == [422, 422] and attempts[2] == 429


async def test_a_redis_that_never_answers_costs_a_bounded_wait(settings_factory: Any, episode: Episode) -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept, never answer

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = settings_factory(redis_url=f"redis://127.0.0.1:{port}/0")
    try:
        async with _client(settings) as client:
            async with asyncio.timeout(20):  # a hang fails here instead of blocking the suite
                health = await client.get("/healthz")
                page = await client.get("/ky/ky-redis")
                api = await client.post("/api/v1/episodes/ky-redis/submissions", json={"text": TEXT_API})
            assert health.status_code == 200 and health.json()["redis"] == "unreachable"
            assert page.status_code == 200 and api.status_code == 201
    finally:
        server.close()


async def test_database_down_answers_503_with_retry_after_as_page_fragment_and_json(settings_factory: Any) -> None:
    # Nothing listens on port 1: the connection is refused, as while the database server restarts.
    broken = settings_factory(database_url="postgresql+asyncpg://postgres@127.0.0.1:1/qa")
    async with _client(broken) as client:
        page = await client.get("/")
        assert page.status_code == 503 and page.headers["retry-after"].isdigit()
        assert page.headers["content-type"].startswith("text/html") and TRY_AGAIN in page.text
        fragment = await client.get("/ky/ky-redis", headers={"HX-Request": "true"})
        assert fragment.status_code == 503 and fragment.headers["retry-after"].isdigit()
        assert fragment.headers["hx-retarget"] == "#alerts" and TRY_AGAIN in fragment.text
        assert "<html" not in fragment.text
        status = await client.get("/api/v1/submissions/DH-ABCDEF")
        submit = await client.post("/api/v1/episodes/ky-redis/submissions", json={"text": TEXT_API})
        for response in (status, submit):
            assert response.status_code == 503 and response.headers["retry-after"].isdigit()
            assert response.json()["status"] == 503 and TRY_AGAIN in response.json()["detail"]


async def test_a_locked_database_refuses_submissions_with_503_publishes_nothing_and_the_writer_goes_on(
    settings: Any, episode: Episode, db: Any
) -> None:
    if not settings.is_sqlite:
        pytest.skip("a SQLite write lock held by another connection")
    publisher = RecordingPublisher()
    app = create_app(settings, publisher=publisher)
    path = make_url(settings.database_url).database
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await client.get("/ky/ky-redis")
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process writing: the app's writes wait, then give up
        try:
            web = await post_form(
                client, "/ky/ky-redis/gui-cau-hoi", {"text": TEXT_WEB, "idempotency_key": "k-1"}, follow_redirects=False
            )
            api = await client.post(
                "/api/v1/episodes/ky-redis/submissions", json={"text": TEXT_API, "idempotency_key": "k-2"}
            )
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert web.status_code == 503 and web.headers["retry-after"].isdigit()
        assert TRY_AGAIN in web.text and TEXT_WEB in web.text  # the form comes back with the text
        assert api.status_code == 503 and TRY_AGAIN in api.json()["detail"]
        assert publisher.events == []  # nothing was committed, so nothing was announced
        # The writer is still running: the same requests again are stored, once.
        again = await post_form(
            client, "/ky/ky-redis/gui-cau-hoi", {"text": TEXT_WEB, "idempotency_key": "k-1"}, follow_redirects=False
        )
        assert again.status_code == 303 and re.search(r"/tra-cuu/DH-", again.headers["location"])
        api_again = await client.post(
            "/api/v1/episodes/ky-redis/submissions", json={"text": TEXT_API, "idempotency_key": "k-2"}
        )
        assert api_again.status_code == 201
        assert len(publisher.events) == 2
    assert await db.scalar(select(func.count(Submission.id))) == 2
