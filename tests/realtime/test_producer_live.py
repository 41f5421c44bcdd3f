"""The producer's rundown through a real server: reordering (drag and drop sends the whole order, the
keyboard moves one item) reaches the producers' socket, which only producers and admins may open."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from qa_app.events import RecordingPublisher
from qa_app.models import RundownItem
from qa_app.services import intake, rundown
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from tests.factories import TEST_PASSWORD, make_episode, make_staff
from tests.live import LiveServer, login_cookies, refusal

pytestmark = pytest.mark.realtime

QUESTIONS = [
    "Xin hỏi bao giờ nạo vét xong kênh Tàu Hủ đoạn qua phường Chánh Hưng?",
    "Đề nghị cho biết lộ trình cấm xe máy trên đường Nguyễn Huệ vào cuối tuần?",
    "Phường có kế hoạch lắp camera giám sát rác thải ở hẻm 120 Lý Thường Kiệt không?",
]


def order(html: str) -> list[int]:
    """The rundown items of a fragment, top to bottom."""
    return [int(n) for n in re.findall(r'data-item="(\d+)"', html)]


async def _next_rundown(ws: Any) -> str:
    async with asyncio.timeout(5):
        while True:
            message = str(await ws.recv())
            if 'id="rundown"' in message:
                return message


async def test_reordering_reaches_the_producers_socket(live_server: LiveServer, db: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db, slug="ky-thu-tu")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    for text in QUESTIONS:
        asked = await intake.submit(db, engines, ctx.publisher, episode, intake.SubmissionForm(text=text))
        await actions.route(ctx, asked.question_id, "so-xay-dung")
        await rundown.add(db, staff["producer"], ctx.publisher, episode.id, asked.question_id)
    items = list(await db.scalars(select(RundownItem.id).order_by(RundownItem.position)))
    assert len(items) == 3

    url = f"{live_server.ws_url}/ws/producer/{episode.id}"
    producer = login_cookies(live_server, "producer", TEST_PASSWORD)
    token = producer.split("qa_csrf=")[1].split(";")[0]
    async with (
        websockets.connect(url, additional_headers={"Cookie": producer, "Origin": live_server.url}) as ws,
        httpx.AsyncClient(base_url=live_server.url, headers={"Cookie": producer}) as http,
    ):
        snapshot = await _next_rundown(ws)
        assert 'hx-swap-oob="true"' in snapshot and order(snapshot) == items

        # Drag and drop: the whole new order.
        reversed_order = items[::-1]
        response = await http.post(
            f"/producer/{episode.id}/order", data={"order": ",".join(map(str, reversed_order)), "_csrf_token": token}
        )
        assert response.status_code == 303, response.text
        assert order(await _next_rundown(ws)) == reversed_order

        # The keyboard: the last one up by one.
        response = await http.post(f"/producer/{episode.id}/rundown/{items[0]}/up", data={"_csrf_token": token})
        assert response.status_code == 303, response.text
        expected = [items[2], items[0], items[1]]
        assert order(await _next_rundown(ws)) == expected

        # An order made before a colleague's change (an item missing) is refused and changes nothing.
        stale = await http.post(
            f"/producer/{episode.id}/order", data={"order": f"{items[0]},{items[1]}", "_csrf_token": token}
        )
        assert stale.status_code == 422 and order(stale.text) == expected
    db.expire_all()
    assert list(await db.scalars(select(RundownItem.id).order_by(RundownItem.position))) == expected


async def test_only_producers_and_admins_open_the_producers_socket(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db)
    url = f"{live_server.ws_url}/ws/producer/{episode.id}"
    for role in ("moderator", "operator", "officer_a"):
        cookie = login_cookies(live_server, role, TEST_PASSWORD)
        assert await refusal(url, {"Cookie": cookie, "Origin": live_server.url}) == 4403, role
    assert await refusal(url, {"Origin": live_server.url}) == 4401
    admin = login_cookies(live_server, "admin", TEST_PASSWORD)
    async with websockets.connect(url, additional_headers={"Cookie": admin, "Origin": live_server.url}) as ws:
        assert 'id="rundown"' in await _next_rundown(ws)
