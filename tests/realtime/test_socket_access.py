"""Open sockets lose their stream when their access goes, whatever the client sends; and each audience's
socket carries only what that audience may see. Through a real server and ``websockets`` clients."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select, update
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from qa_app.events import RecordingPublisher
from qa_app.models import Department, Episode, EpisodeStatus, Role, User
from qa_app.services import broadcast
from qa_app.services import episodes as episode_service
from qa_app.services import users as user_service
from tests.factories import FAST_PASSWORDS, TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer, login_cookies

pytestmark = pytest.mark.realtime

QUESTION = "Tôi là Nguyễn Văn An, gọi 0912 345 678: hẻm 88 Nguyễn Trãi ngập sau mỗi cơn mưa, khi nào nạo vét cống?"
DEADLINE = 5.0  # seconds from the change to the close


def staff_socket(server: LiveServer, path: str, cookie: str) -> Any:
    return websockets.connect(server.ws_url + path, additional_headers={"Cookie": cookie, "Origin": server.url})


async def close_code_after(ws: ClientConnection, seconds: float = DEADLINE + 3) -> tuple[int | None, float]:
    """Keep the client chatty (a frame every 0.2 s, as a busy board) until the server closes the socket;
    the close code and how long it took (None if still open after ``seconds``)."""
    started = time.monotonic()

    async def chatter() -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send("ping")
                await asyncio.sleep(0.2)

    talking = asyncio.create_task(chatter())
    try:
        async with asyncio.timeout(seconds):
            async for _ in ws:
                pass
    except TimeoutError:
        return None, time.monotonic() - started
    except ConnectionClosed:
        pass
    finally:
        talking.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await talking
    return ws.close_code, time.monotonic() - started


async def test_deactivation_closes_a_chatty_moderators_socket(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    async with staff_socket(live_server, f"/ws/moderation/{episode.id}", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)  # the snapshot
        await user_service.deactivate_user(db, None, "moderator")
        code, waited = await close_code_after(ws)
    assert code == 4401 and waited < DEADLINE


async def test_a_password_reset_closes_the_users_sockets(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "operator", TEST_PASSWORD)
    async with staff_socket(live_server, f"/ws/workspace/{episode.id}", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        await user_service.reset_password(db, FAST_PASSWORDS, None, "operator", "mat-khau-moi-2026")
        code, waited = await close_code_after(ws)
    assert code == 4401 and waited < DEADLINE


async def test_logging_out_closes_the_sessions_sockets(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "producer", TEST_PASSWORD)
    async with staff_socket(live_server, f"/ws/producer/{episode.id}", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        token = cookie.split("qa_csrf=")[1].split(";")[0]
        async with httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": cookie}) as client:
            assert (await client.post("/logout", data={"_csrf_token": token})).status_code == 303
        code, waited = await close_code_after(ws)
    assert code == 4401 and waited < DEADLINE


async def test_a_role_change_closes_the_socket(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    async with staff_socket(live_server, f"/ws/moderation/{episode.id}", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        # No screen changes roles yet: whatever path does it (SQL by an admin), the socket follows.
        await db.execute(update(User).where(User.username == "moderator").values(role=Role.OPERATOR))
        await db.commit()
        code, waited = await close_code_after(ws)
    assert code == 4403 and waited < DEADLINE


async def test_moving_an_officer_to_another_department_closes_their_inbox(live_server: LiveServer, db: Any) -> None:
    staff = await make_staff(db)
    cookie = login_cookies(live_server, "officer_a", TEST_PASSWORD)
    other = await db.scalar(select(Department.id).where(Department.code == "so-y-te"))
    async with staff_socket(live_server, "/ws/department", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        await db.execute(update(User).where(User.id == staff["officer_a"].id).values(department_id=other))
        await db.commit()
        code, waited = await close_code_after(ws)
    assert code == 4403 and waited < DEADLINE


async def test_revoking_the_studio_link_closes_the_studio_screen(live_server: LiveServer, db: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    token = broadcast.studio_token(live_server.settings.secret_key, await db.get(Episode, episode.id))
    async with websockets.connect(f"{live_server.ws_url}/ws/studio/{episode.id}/{token}") as ws:
        await asyncio.wait_for(ws.recv(), 5)
        # Revoked from another process (no event reaches this server): the periodic re-check alone.
        await episode_service.revoke_studio_link(db, staff["producer"], RecordingPublisher(), episode.id)
        code, waited = await close_code_after(ws)
    assert code == 4403 and waited < DEADLINE


async def test_a_socket_keeps_its_stream_while_access_holds(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    cookie = login_cookies(live_server, "moderator", TEST_PASSWORD)
    async with staff_socket(live_server, f"/ws/moderation/{episode.id}", cookie) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        code, _ = await close_code_after(ws, seconds=5)
    assert code is None  # several re-checks passed, nothing changed, still open


async def _received(ws: ClientConnection, seconds: float) -> list[str]:
    messages: list[str] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            async for message in ws:
                messages.append(str(message))
    return messages


async def test_operators_and_producers_get_counters_but_no_moderation_card(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, slug="ky-the")
    path = f"/ws/workspace/{episode.id}"
    async with (
        staff_socket(live_server, path, login_cookies(live_server, "operator", TEST_PASSWORD)) as operator,
        staff_socket(live_server, path, login_cookies(live_server, "producer", TEST_PASSWORD)) as producer,
        staff_socket(
            live_server, f"/ws/moderation/{episode.id}", login_cookies(live_server, "moderator", TEST_PASSWORD)
        ) as moderator,
    ):
        for ws in (operator, producer, moderator):
            await asyncio.wait_for(ws.recv(), 5)
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            response = await client.post(
                "/api/v1/episodes/ky-the/submissions",
                json={"text": QUESTION, "contact": "0912 345 678", "consent": True, "idempotency_key": "the-1"},
            )
            assert response.status_code == 201, response.text
        seen = {name: await _received(ws, 2.5) for name, ws in [("operator", operator), ("producer", producer)]}
        board = await _received(moderator, 0.5)
    assert any("hẻm 88" in m or "qcard" in m for m in board)  # the card went out, to moderators
    for name, messages in seen.items():
        assert messages and all('id="status-counters"' in m for m in messages), name
        for message in messages:
            assert "qcard" not in message and "hẻm 88" not in message and "0912" not in message, name


async def test_public_socket_only_for_episodes_the_public_board_shows(live_server: LiveServer, db: Any) -> None:
    draft = await make_episode(db, slug="ky-nhap", status=EpisodeStatus.DRAFT)
    shown = await make_episode(db, slug="ky-mo")
    async with websockets.connect(f"{live_server.ws_url}/ws/public/{draft.id}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    async with websockets.connect(f"{live_server.ws_url}/ws/public/{draft.id + shown.id + 1000}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        assert (await client.get("/truc-tiep/ky-nhap")).status_code == 404
    async with websockets.connect(f"{live_server.ws_url}/ws/public/{shown.id}") as ws:
        assert 'id="on-air"' in str(await asyncio.wait_for(ws.recv(), 5))
