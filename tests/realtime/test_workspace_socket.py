"""The staff websocket through a real server: Origin check, login, snapshot, live updates."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from qa_app.events import EpisodeChanged
from qa_app.services import episodes as episode_service
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer, login_cookies

pytestmark = pytest.mark.realtime

# A handshake closed before it is accepted becomes HTTP 403; after accepting, our 44xx codes.
REFUSED = {403, 4401, 4403}


async def _closed_code(server: LiveServer, path: str, headers: dict[str, str]) -> int | None:
    """Connect and return the close code the server sent (None if it kept the socket open)."""
    try:
        async with websockets.connect(server.ws_url + path, additional_headers=headers, open_timeout=5) as ws:
            try:
                await asyncio.wait_for(ws.recv(), timeout=2)
            except TimeoutError:
                return None
            await asyncio.wait_for(ws.recv(), timeout=2)
            return None
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_foreign_or_missing_origin_is_refused(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    path = f"/ws/workspace/{episode.id}"
    assert await _closed_code(live_server, path, {"Cookie": cookie, "Origin": "https://evil.example"}) in REFUSED
    assert await _closed_code(live_server, path, {"Cookie": cookie}) in REFUSED


async def test_anonymous_is_refused(live_server: LiveServer, db: Any) -> None:
    episode = await make_episode(db)
    code = await _closed_code(live_server, f"/ws/workspace/{episode.id}", {"Origin": live_server.url})
    assert code in REFUSED


async def test_snapshot_then_live_counters(live_server: LiveServer, db: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    async with websockets.connect(f"{live_server.ws_url}/ws/workspace/{episode.id}", additional_headers=headers) as ws:
        snapshot = await asyncio.wait_for(ws.recv(), timeout=5)
        assert 'id="status-counters"' in snapshot and 'hx-swap-oob="true"' in snapshot
        # A change made through the admin screen of the same server reaches the socket.
        admin_cookie = login_cookies(live_server, "admin", TEST_PASSWORD)
        async with httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": admin_cookie}) as client:
            token = admin_cookie.split("qa_csrf=")[1].split(";")[0]
            response = await client.post(
                f"/admin/episodes/{episode.id}/status", data={"status": "live", "_csrf_token": token}
            )
            assert response.status_code in (200, 303)
        update = await asyncio.wait_for(ws.recv(), timeout=5)
        assert 'id="status-counters"' in update
    assert staff["moderator"].role.value == "moderator"


async def test_officer_socket_is_bound_to_the_department(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "officer_a", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    async with websockets.connect(f"{live_server.ws_url}/ws/workspace/{episode.id}", additional_headers=headers) as ws:
        snapshot = await asyncio.wait_for(ws.recv(), timeout=5)
        assert 'data-department="so-xay-dung"' in snapshot


async def test_recording_publisher_sees_events_after_commit(db: Any) -> None:
    from qa_app.events import RecordingPublisher

    episode = await make_episode(db)
    publisher = RecordingPublisher()
    await episode_service.change_status(db, None, publisher, episode.id, "live")
    assert publisher.events == [EpisodeChanged(episode_id=episode.id)]
