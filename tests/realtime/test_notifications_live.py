"""Notifications through a real server: the studio control API marks a question answered and every
consenting citizen of it gets exactly one message, also when the server is killed (kill -9) between
the commit and the send, or in the middle of the send."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from qa_app.models import MessageStatus, OutboundMessage
from qa_app.services import rundown
from qa_app.services import users as user_service
from qa_app.settings import Settings
from tests.after.servers import GATEWAY_SECRET, body_of, sms_gateway, smtp_server
from tests.after.test_notifications import EMAIL, ask
from tests.live import LiveServer, free_port, server_env

pytestmark = pytest.mark.realtime


def configured(
    settings: Settings, *, smtp_port: int | None = None, gateway_url: str | None = None, **extra: Any
) -> Settings:
    return replace(
        settings,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}" if smtp_port else None,
        smtp_from="dan-hoi@hdnd.example.vn",
        sms_webhook_url=gateway_url,
        sms_webhook_secret=GATEWAY_SECRET,
        public_url="https://danhoi.example.vn",
        notify_poll_seconds=0.3,
        notify_retry_seconds=0.5,
        **extra,
    )


class Servers:
    """Servers started by a test, stopped (or already killed) at its end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path, self.started = tmp_path, []

    def start(self, settings: Settings, name: str) -> LiveServer:
        port = free_port()
        server = LiveServer(
            settings=settings, port=port, env=server_env(settings, port), log=self.tmp_path / f"{name}.log"
        )
        server.start()
        self.started.append(server)
        return server


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    group = Servers(tmp_path)
    yield group
    for server in group.started:
        server.stop()


async def on_air(db: Any) -> tuple[Any, str]:
    asked = await ask(db)
    from qa_app.events import RecordingPublisher

    await rundown.put_on_air(db, asked.staff["producer"], RecordingPublisher(), asked.episode_id, asked.question_id)
    _, token = await user_service.create_api_token(db, None, "producer", "bàn điều khiển")
    return asked, token


def done(server: LiveServer, token: str) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/episodes/ky-thong-bao/on-air/done",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "idle"


async def rows(db: Any) -> list[OutboundMessage]:
    query = select(OutboundMessage).order_by(OutboundMessage.id).execution_options(populate_existing=True)
    return list(await db.scalars(query))


async def wait_until(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def test_answered_on_air_sends_one_message_to_each_consenting_citizen(
    db: Any, settings: Settings, servers: Servers
) -> None:
    asked, token = await on_air(db)
    with smtp_server() as smtp, sms_gateway() as gateway:
        server = servers.start(configured(settings, smtp_port=smtp.port, gateway_url=gateway.url), "app")
        started = time.monotonic()
        done(server, token)
        smtp.wait_for(1, timeout=60)
        gateway.wait_for(1, timeout=60)
        elapsed = time.monotonic() - started
        await asyncio.sleep(3)  # nothing more comes
        assert elapsed < 60
        assert smtp.recipients == [EMAIL] and len(smtp.messages) == 1
        assert asked.codes[0] in body_of(smtp.messages[0])
        assert len(gateway.requests) == 1 and [m["to"] for m in gateway.delivered.values()] == ["0903111222"]
        assert gateway.bad_signatures == 0
    assert {(m.channel, m.status) for m in await rows(db)} == {
        ("email", MessageStatus.SENT),
        ("sms", MessageStatus.SENT),
    }
    print(f"answered on air -> both messages delivered in {elapsed:.1f} s")


async def test_killed_between_commit_and_send_sends_once_after_restart(
    db: Any, settings: Settings, servers: Servers
) -> None:
    _asked, token = await on_air(db)
    port = free_port()  # the SMTP server is down while the first server runs
    config = configured(settings, smtp_port=port)
    first = servers.start(config, "first")
    done(first, token)
    first.kill()  # kill -9: the change is committed, the message is not sent
    [waiting] = [m for m in await rows(db) if m.channel == "email"]
    assert waiting.status in (MessageStatus.PENDING, MessageStatus.SENDING) and waiting.sent_at is None
    with smtp_server(port) as smtp:
        servers.start(config, "second")
        smtp.wait_for(1, timeout=60)
        await asyncio.sleep(3)
        assert smtp.recipients == [EMAIL] and len(smtp.messages) == 1
    [sent] = [m for m in await rows(db) if m.channel == "email"]
    assert sent.status is MessageStatus.SENT and sent.delivery_id == waiting.delivery_id


async def test_killed_in_the_middle_of_an_sms_sends_it_once(db: Any, settings: Settings, servers: Servers) -> None:
    """The gateway got the request, the server died before hearing back: the restarted server
    retries with the same delivery id and the gateway does not send a second SMS."""
    import threading

    _asked, token = await on_air(db)
    with sms_gateway() as gateway:
        gateway.hold = threading.Event()
        config = configured(settings, gateway_url=gateway.url, notify_timeout_seconds=2.0)
        first = servers.start(config, "first")
        done(first, token)
        assert await asyncio.to_thread(gateway.received.wait, 60)
        first.kill()  # mid-send
        hold, gateway.hold = gateway.hold, None
        hold.set()
        servers.start(config, "second")

        async def sent() -> bool:
            return any(m.channel == "sms" and m.status is MessageStatus.SENT for m in await rows(db))

        await wait_until(sent, seconds=60)
        await asyncio.sleep(2)
        ids = [r["id"] for r in gateway.requests]
        assert len(ids) == 2 and len(set(ids)) == 1  # one retry, same id
        assert len(gateway.delivered) == 1  # one SMS to the citizen
    [sms] = [m for m in await rows(db) if m.channel == "sms"]
    assert sms.attempts == 2
