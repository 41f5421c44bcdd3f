"""Two moderators on a real server: each sees the other's actions live; a race gives one success and one
clear refusal; a reconnect gets a fresh snapshot."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from qa_app.events import RecordingPublisher
from qa_app.models import Role
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.factories import TEST_PASSWORD, make_episode, make_staff, make_user
from tests.live import LiveServer, login_cookies, refusal

pytestmark = pytest.mark.realtime


async def _receive_until(ws: Any, needle: str, seconds: float = 5.0) -> str:
    async def loop() -> str:
        while True:
            message = await ws.recv()
            if needle in message:
                return str(message)

    return await asyncio.wait_for(loop(), seconds)


def _csrf(cookie: str) -> str:
    return cookie.split("qa_csrf=")[1].split(";")[0]


async def test_two_moderators_see_each_other_and_race(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    await make_user(db, "moderator2", Role.MODERATOR)
    episode = await make_episode(db, title="Kỳ trực tiếp", slug="ky-truc-tiep")
    texts = [
        "Xin hỏi khi nào sửa xong cầu Kênh Tẻ, xe tải nặng có được qua không?",
        "Rác thải sinh hoạt ở hẻm 45 không được thu gom đã ba ngày, đề nghị xử lý.",
    ]
    ids = [
        (
            await intake.submit(
                db,
                ModerationEngines(),
                RecordingPublisher(),
                episode,
                intake.SubmissionForm(text=t, idempotency_key=str(n)),
            )
        ).question_id
        for n, t in enumerate(texts)
    ]
    first = login_cookies(live_server, "moderator", TEST_PASSWORD)
    second = login_cookies(live_server, "moderator2", TEST_PASSWORD)
    url = f"{live_server.ws_url}/ws/moderation/{episode.id}?status=all"
    async with (
        websockets.connect(url, additional_headers={"Cookie": first, "Origin": live_server.url}) as ws1,
        websockets.connect(url, additional_headers={"Cookie": second, "Origin": live_server.url}) as ws2,
    ):
        for ws in (ws1, ws2):
            snapshot = await asyncio.wait_for(ws.recv(), 5)
            assert f'id="question-card-{ids[0]}"' in snapshot and 'id="queue-body"' in snapshot
        async with httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": first, "HX-Request": "true"}) as one:
            response = await one.post(
                f"/moderation/questions/{ids[0]}/route",
                data={"department": "so-xay-dung", "version": "1", "_csrf_token": _csrf(first)},
            )
            assert response.status_code == 200
        # The other moderator's board gets the routed card.
        update = await _receive_until(ws2, f'id="question-card-{ids[0]}"')
        assert "status-routed" in update and 'hx-swap-oob="true"' in update

        # Both act on the same card at the same version: one success, one clear refusal.
        async with httpx.AsyncClient(base_url=live_server.url, headers={"HX-Request": "true"}) as client:
            results = await asyncio.gather(
                client.post(
                    f"/moderation/questions/{ids[1]}/route",
                    headers={"Cookie": first},
                    data={"department": "so-nong-nghiep-moi-truong", "version": "1", "_csrf_token": _csrf(first)},
                ),
                client.post(
                    f"/moderation/questions/{ids[1]}/reject",
                    headers={"Cookie": second},
                    data={"reason": "off_topic", "version": "1", "_csrf_token": _csrf(second)},
                ),
            )
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 409], [r.text[:300] for r in results]
        refusal = next(r for r in results if r.status_code == 409)
        assert "vừa được người khác thay đổi" in refusal.text
        # A new submission appears on both boards at its place in the list (newest first).
        async with httpx.AsyncClient(base_url=live_server.url) as citizen:
            created = await citizen.post(
                f"/api/v1/episodes/{episode.slug}/submissions",
                json={"text": "Xin hỏi lịch tiêm chủng mở rộng cho trẻ tại trạm y tế phường?"},
            )
            assert created.status_code == 201
        question_id = created.json()["question_id"]
        for ws in (ws1, ws2):
            arrival = await _receive_until(ws, f'id="question-card-{question_id}"')
            assert 'hx-swap-oob="afterbegin:#queue-list"' in arrival

    # Reconnecting gives the current state from the database.
    async with websockets.connect(url, additional_headers={"Cookie": second, "Origin": live_server.url}) as ws:
        snapshot = await asyncio.wait_for(ws.recv(), 5)
        assert f'id="question-card-{question_id}"' in snapshot


async def test_officer_cannot_open_the_board_socket(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    url = f"{live_server.ws_url}/ws/moderation/{episode.id}"
    for role, code in (("officer_a", 4403), ("operator", 4403), ("producer", 4403)):
        cookie = login_cookies(live_server, role, TEST_PASSWORD)
        assert await refusal(url, {"Cookie": cookie, "Origin": live_server.url}) == code, role
    assert await refusal(url, {"Origin": live_server.url}) == 4401  # not logged in
