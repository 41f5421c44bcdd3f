"""Officers' inbox socket: live when a question is routed to them; another department's channel is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from qa_app.events import RecordingPublisher
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer, login_cookies, refusal

pytestmark = pytest.mark.realtime


async def test_routed_question_reaches_the_officer_live(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ đơn vị trực tiếp", slug="ky-don-vi-truc-tiep")
    question_id = (
        await intake.submit(
            db,
            ModerationEngines(),
            RecordingPublisher(),
            episode,
            intake.SubmissionForm(
                text="Cầu Bình Lợi cũ xuống cấp, khi nào sửa lan can cho người đi bộ?", idempotency_key="k"
            ),
        )
    ).question_id
    officer = login_cookies(live_server, "officer_a", TEST_PASSWORD)
    moderator = login_cookies(live_server, "moderator", TEST_PASSWORD)
    async with websockets.connect(
        f"{live_server.ws_url}/ws/department", additional_headers={"Cookie": officer, "Origin": live_server.url}
    ) as ws:
        # Two frames: the counters, then the rows (a table row cannot share a fragment with them).
        counters = await asyncio.wait_for(ws.recv(), 5)
        snapshot = await asyncio.wait_for(ws.recv(), 5)
        assert 'id="inbox-counters"' in counters
        assert snapshot.startswith('<tbody id="inbox-rows"') and f"inbox-row-{question_id}" not in snapshot
        token = moderator.split("qa_csrf=")[1].split(";")[0]
        async with httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": moderator}) as client:
            response = await client.post(
                f"/moderation/questions/{question_id}/route",
                data={"department": "so-xay-dung", "version": "1", "_csrf_token": token},
            )
            assert response.status_code in (200, 303)

        async def wait_for_row() -> str:
            while True:
                message = str(await ws.recv())
                if f'id="inbox-row-{question_id}"' in message:
                    return message

        message = await asyncio.wait_for(wait_for_row(), 5)
        assert message.startswith('<tbody hx-swap-oob="afterbegin:#inbox-rows">') and "Cầu Bình Lợi" in message


async def test_officer_cannot_subscribe_to_another_department(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    cookie = login_cookies(live_server, "officer_a", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    assert await refusal(f"{live_server.ws_url}/ws/department?department=so-y-te", headers) == 4403
    moderator = {"Cookie": login_cookies(live_server, "moderator", TEST_PASSWORD), "Origin": live_server.url}
    assert await refusal(f"{live_server.ws_url}/ws/department", moderator) == 4403
    assert await refusal(f"{live_server.ws_url}/ws/department", {"Origin": live_server.url}) == 4401
    # Their own department, asked for by name or not, is served.
    for query in ("?department=so-xay-dung", ""):
        async with websockets.connect(f"{live_server.ws_url}/ws/department{query}", additional_headers=headers) as ws:
            # The snapshot comes as frames (counters, then the rows: a <tr> must not share a frame).
            frames = [str(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            assert any('id="inbox-rows"' in frame for frame in frames), frames
