"""A PostgreSQL cluster of the test's own is stopped and started under a steady submission load.

What must hold (issue 11, finding 3): while it is down every request answers 503 with Retry-After (never
500); every 201 or 303 is a stored submission (no false acknowledgement); the same server recovers by
itself (no restart); connected screens stay open and show the current state afterwards; a screen that
connects during the outage is told to try again later (1013), which the browser's socket does.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from qa_app.db import create_engine, create_sessionmaker
from qa_app.migrate import upgrade_async
from qa_app.models import Question, QuestionStatus, Submission
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.faults.clients import Screen, api_submit, running, server, until, web_submit
from tests.faults.procs import PostgresCluster
from tests.live import login_cookies

SLUG = "ky-pg-sap"
TOPICS = [
    "đèn giao thông ở ngã tư gần trường tiểu học hay bị hỏng",
    "cống thoát nước khu dân cư bị nghẹt mỗi khi mưa lớn",
    "thời gian cấp giấy chứng nhận quyền sử dụng đất quá lâu",
    "xe tải chạy vào nội đô giờ cao điểm gây kẹt xe",
    "công viên trong phường bị lấn chiếm làm bãi giữ xe",
    "tiếng ồn từ quán karaoke sau mười giờ đêm",
]


@dataclass
class Outcome:
    status: int
    code: str | None
    retry_after: str | None
    at: float


@pytest.fixture
def pg_settings(postgres_run: None, settings: Any, pg_cluster: PostgresCluster) -> Any:
    return replace(settings, database_url=pg_cluster.url("qa"))


async def _create_database(cluster: PostgresCluster) -> None:
    engine = create_async_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text("CREATE DATABASE qa"))
    await engine.dispose()


async def test_a_database_restart_under_load_answers_503_never_500_and_never_a_false_201(
    pg_settings: Any, pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    settings = pg_settings
    await _create_database(pg_cluster)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    async with create_sessionmaker(engine)() as db:
        await make_staff(db)
        episode = await make_episode(db, title="Kỳ cơ sở dữ liệu sập", slug=SLUG)
    await engine.dispose()

    app = server(settings, tmp_path / "server.log", QA_SUBMIT_LIMIT_PER_IP="1000000/600")
    outcomes: list[Outcome] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def citizen(n: int, http: httpx.AsyncClient) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            key = f"c{n}-{i}"
            body = f"Xin hỏi về việc {TOPICS[(n + i) % len(TOPICS)]}, mã {key}, đề nghị thành phố xử lý."
            try:
                if i % 3:
                    response = await api_submit(http, SLUG, body, key)
                    code = response.json().get("tracking_code") if response.status_code == 201 else None
                else:
                    response = await web_submit(http, SLUG, body, key)
                    found = re.search(r"DH-[A-Z0-9]{6}", response.headers.get("location", ""))
                    code = found.group(0) if response.status_code == 303 and found else None
            except httpx.HTTPError as exc:  # the server must answer: a dropped connection is a failure too
                outcomes.append(Outcome(-1, repr(exc), None, loop.time()))
                continue
            outcomes.append(Outcome(response.status_code, code, response.headers.get("retry-after"), loop.time()))
            await asyncio.sleep(0.02)

    with running(app):
        pid = app.process.pid if app.process else None
        cookie = login_cookies(app, "moderator", TEST_PASSWORD)
        board = Screen(f"{app.ws_url}/ws/moderation/{episode.id}", {"Cookie": cookie, "Origin": app.url})
        public = Screen(f"{app.ws_url}/ws/public/{episode.id}")
        clients = [httpx.AsyncClient(base_url=app.url, timeout=30) for _ in range(6)]
        for http in clients:
            await http.get(f"/ky/{SLUG}")  # the CSRF cookie, as a browser has it from the page
        async with board.open(), public.open():
            await until(lambda: bool(board.messages and public.messages), 5, "snapshots")
            load = [asyncio.create_task(citizen(n, http)) for n, http in enumerate(clients)]
            await asyncio.sleep(1.5)

            await asyncio.to_thread(pg_cluster.stop)
            down = loop.time()
            async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
                health = await http.get("/healthz")
                assert health.status_code == 503 and health.json()["database"] == "unreachable"
                page = await http.get(f"/ky/{SLUG}")
                assert page.status_code == 503 and "thử lại sau ít giây" in page.text
            late = Screen(f"{app.ws_url}/ws/public/{episode.id}")
            with contextlib.suppress(Exception):
                async with late.open():
                    await until(lambda: late.closed is not None, 5, "a socket opened during the outage closes")
            assert late.closed == 1013  # "try again later": htmx's socket reconnects by itself
            await asyncio.sleep(2.5)

            await asyncio.to_thread(pg_cluster.start)
            up = loop.time()
            await asyncio.sleep(4)
            stop.set()
            await asyncio.gather(*load)
            for http in clients:
                await http.aclose()
            await asyncio.sleep(1)  # the last arrivals reach the screens
            # The public screen stays open through the outage. The board reads its own filtered list on each
            # event, so it may instead have closed with 1013 ("try again later") when a read failed: htmx
            # reconnects such a socket by itself, and so does this test (as a browser would).
            assert public.closed is None
            assert board.closed in (None, 1013), board.closed
            if board.closed == 1013:
                board = Screen(board.url, board.headers)
                async with board.open():
                    await until(lambda: board.saw('id="board-counters"'), 5, "the board's snapshot after reconnecting")
        assert app.process is not None and app.process.pid == pid and app.process.poll() is None  # never restarted

    statuses = [o.status for o in outcomes]
    assert all(s in (201, 303, 503) for s in statuses), sorted(set(statuses))  # no 500, no dropped connection
    refused = [o for o in outcomes if o.status == 503]
    assert refused, "the outage was seen"
    assert all(o.retry_after and o.retry_after.isdigit() for o in refused)
    assert any(o.status in (201, 303) and o.at > up for o in outcomes), "submissions succeed again, no restart"
    assert any(o.status in (201, 303) and o.at < down for o in outcomes)
    acknowledged = [o.code for o in outcomes if o.status in (201, 303)]
    assert all(acknowledged) and len(set(acknowledged)) == len(acknowledged)
    engine = create_engine(settings.database_url)
    async with create_sessionmaker(engine)() as db:
        stored = dict(
            (await db.execute(select(Submission.tracking_code, func.count()).group_by(Submission.tracking_code))).all()
        )
        new_questions = await db.scalar(select(func.count(Question.id)).where(Question.status == QuestionStatus.NEW))
    await engine.dispose()
    missing = [code for code in acknowledged if stored.get(code) != 1]
    assert not missing, f"acknowledged but not stored exactly once: {missing}"
    # The board that stayed open shows what the database holds (events that could not be rendered while
    # it was down are made good by a re-sync: tests/web/test_live_resync.py).
    counters = [m for _, m in board.messages if 'id="board-counters"' in m]
    assert re.search(rf'status-new".*?<strong>{new_questions}</strong>', counters[-1], re.S)
