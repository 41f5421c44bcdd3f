"""Websockets read integers too: an impossible episode id in the path is refused like a missing page, and
an impossible page or card number in the moderation socket's query falls back to the first page."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from qa_app.events import RecordingPublisher
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer, login_cookies

pytestmark = pytest.mark.realtime
HOSTILE = ["-1", str(2**63), "99999999999999999999"]


async def test_sockets_bound_their_integers(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, slug="ky-socket")
    await intake.submit(
        db,
        ModerationEngines(),
        RecordingPublisher(),
        episode,
        intake.SubmissionForm(text="Xin hỏi lịch cắt điện khu vực phường Bến Thành tuần tới?"),
    )
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    headers = {"Cookie": cookie, "Origin": live_server.url}
    for value in HOSTILE:
        for path in (f"/ws/moderation/{value}", f"/ws/public/{value}", f"/ws/workspace/{value}"):
            with pytest.raises((InvalidStatus, ConnectionClosed)) as refused:
                async with websockets.connect(live_server.ws_url + path, additional_headers=headers) as ws:
                    await asyncio.wait_for(ws.recv(), 5)
            if isinstance(refused.value, ConnectionClosed):
                assert refused.value.rcvd is not None and refused.value.rcvd.code == 4404, (path, refused.value)
        for query in (f"page={value}", f"question={value}"):
            url = f"{live_server.ws_url}/ws/moderation/{episode.id}?status=all&{query}"
            async with websockets.connect(url, additional_headers=headers) as ws:
                snapshot = await asyncio.wait_for(ws.recv(), 5)
                assert 'id="queue"' in snapshot or "counters" in snapshot, (query, snapshot[:300])
    assert "unhandled error" not in live_server.log.read_text()
    assert "Traceback" not in live_server.log.read_text(), live_server.log.read_text()[-3000:]
