"""Studio and public sockets through a real server: the change on air arrives; no personal data ever does."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from qa_app.events import RecordingPublisher
from qa_app.models import Episode
from qa_app.services import broadcast, intake
from qa_app.services import moderation_actions as actions
from qa_app.services import users as user_service
from qa_app.services.engines import ModerationEngines
from tests.factories import make_episode, make_staff
from tests.live import LiveServer, refusal

pytestmark = pytest.mark.realtime
DELIVERY_BOUND = 2.0  # seconds from the producer's action to both screens
SECRETS = ("0912345678", "0912 345 678", "an.nguyen@example.vn", "88/12 Nguyễn Trãi", "Nguyễn Văn An")


async def test_on_air_change_reaches_studio_and_public_without_personal_data(live_server: LiveServer, db: Any) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db, title="Kỳ riêng tư", slug="ky-rieng-tu")
    engines = ModerationEngines()
    ctx = actions.ActionContext(db=db, actor=staff["moderator"], publisher=RecordingPublisher(), engines=engines)
    result = await intake.submit(
        db,
        engines,
        ctx.publisher,
        episode,
        intake.SubmissionForm(
            text="Tôi tên Nguyễn Văn An ở 88/12 Nguyễn Trãi, gọi 0912 345 678: vỉa hè bị lấn chiếm, ai xử lý?",
            name="Nguyễn Văn An",
            contact="an.nguyen@example.vn",
            consent_contact=True,
            idempotency_key="1",
        ),
    )
    await actions.route(ctx, result.question_id, "ubnd-phuong-xa")
    _, token = await user_service.create_api_token(db, None, "producer")
    fresh = await db.get(Episode, episode.id)
    studio_token = broadcast.studio_token(live_server.settings.secret_key, fresh)
    received: dict[str, list[str]] = {"studio": [], "public": []}
    async with (
        websockets.connect(f"{live_server.ws_url}/ws/studio/{episode.id}/{studio_token}") as studio,
        websockets.connect(f"{live_server.ws_url}/ws/public/{episode.id}") as public,
    ):
        received["studio"].append(str(await asyncio.wait_for(studio.recv(), 5)))
        received["public"].append(str(await asyncio.wait_for(public.recv(), 5)))
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            response = await client.post(
                "/api/v1/episodes/ky-rieng-tu/on-air",
                json={"question_id": result.question_id},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
        loop = asyncio.get_running_loop()
        started = loop.time()
        received["studio"].append(str(await asyncio.wait_for(studio.recv(), 5)))
        received["public"].append(str(await asyncio.wait_for(public.recv(), 5)))
        # The promise is "within a second"; five sessions share this machine's two cores, so the test
        # allows DELIVERY_BOUND: still far below the periodic re-sync that would hide a lost event.
        assert loop.time() - started < DELIVERY_BOUND
    assert 'id="studio-state"' in received["studio"][-1] and "vỉa hè bị lấn chiếm" in received["studio"][-1]
    assert 'id="on-air"' in received["public"][-1] and "vỉa hè bị lấn chiếm" in received["public"][-1]
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        pages = [
            (await client.get(f"/studio/{episode.id}/{studio_token}")).text,
            (await client.get("/truc-tiep/ky-rieng-tu")).text,
        ]
    for payload in received["studio"] + received["public"] + pages:
        for secret in SECRETS:
            assert secret not in payload, secret


async def test_revoked_studio_link_is_refused(live_server: LiveServer, db: Any) -> None:
    await make_staff(db)
    episode = await make_episode(db, title="Kỳ thu hồi", slug="ky-thu-hoi")
    token = broadcast.studio_token(live_server.settings.secret_key, episode)
    episode.studio_link_version += 1
    await db.commit()
    assert await refusal(f"{live_server.ws_url}/ws/studio/{episode.id}/{token}") == 4403
    # The link signed for the current version is served.
    await db.refresh(episode)
    fresh = broadcast.studio_token(live_server.settings.secret_key, episode)
    async with websockets.connect(f"{live_server.ws_url}/ws/studio/{episode.id}/{fresh}") as ws:
        assert 'id="studio-state"' in str(await asyncio.wait_for(ws.recv(), 5))
