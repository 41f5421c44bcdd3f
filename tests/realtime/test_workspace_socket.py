"""The staff websocket through a real server: Origin check, login, snapshot, live updates."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
import websockets

from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import HANDSHAKE_REFUSED, LiveServer, login_cookies, refusal

pytestmark = pytest.mark.realtime


def counters(html: str) -> dict[str, int]:
    """The status counters of a dashboard fragment: {"new": 0, "routed": 2, ...}."""
    found = re.findall(r'class="counter status-(\w+)">\s*<dt>.*?</dt>\s*<dd>(\d+)</dd>', html, re.DOTALL)
    return {status: int(count) for status, count in found}


async def test_foreign_or_missing_origin_is_refused_at_the_handshake(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    url = f"{live_server.ws_url}/ws/workspace/{episode.id}"
    assert await refusal(url, {"Cookie": cookie, "Origin": "https://evil.example"}) == HANDSHAKE_REFUSED
    assert await refusal(url, {"Cookie": cookie}) == HANDSHAKE_REFUSED
    # The same cookie from our own origin is served: the refusals above were for the origin.
    async with websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": live_server.url}) as ws:
        assert 'id="status-counters"' in str(await asyncio.wait_for(ws.recv(), timeout=5))


async def test_anonymous_is_told_to_log_in(live_server: LiveServer, db: Any) -> None:
    episode = await make_episode(db)
    assert await refusal(f"{live_server.ws_url}/ws/workspace/{episode.id}", {"Origin": live_server.url}) == 4401


async def test_snapshot_then_live_counters(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, slug="ky-dem")
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    async with websockets.connect(f"{live_server.ws_url}/ws/workspace/{episode.id}", additional_headers=headers) as ws:
        snapshot = str(await asyncio.wait_for(ws.recv(), timeout=5))
        assert 'id="status-counters"' in snapshot and 'hx-swap-oob="true"' in snapshot
        assert counters(snapshot)["new"] == 0
        # A citizen's question, sent to the same server, changes the count on the open socket.
        async with httpx.AsyncClient(base_url=live_server.url) as citizen:
            response = await citizen.post(
                "/api/v1/episodes/ky-dem/submissions",
                json={"text": "Xin hỏi khi nào phường Bến Thành sửa đèn đường hẻm 12 Lê Lợi bị hỏng?"},
            )
            assert response.status_code == 201, response.text
        update = str(await asyncio.wait_for(ws.recv(), timeout=5))
        assert 'id="status-counters"' in update and 'hx-swap-oob="true"' in update
        assert counters(update)["new"] == 1


async def test_officer_socket_is_bound_to_the_department(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "officer_a", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    async with websockets.connect(f"{live_server.ws_url}/ws/workspace/{episode.id}", additional_headers=headers) as ws:
        snapshot = await asyncio.wait_for(ws.recv(), timeout=5)
        assert 'data-department="so-xay-dung"' in snapshot
