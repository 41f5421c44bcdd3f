"""Several workers: a routing decision made in one teaches the others' routers, once."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import RecordingPublisher
from qa_app.services import engines as engines_module
from qa_app.services import intake
from qa_app.services import moderation_actions as actions
from qa_app.services.engines import ModerationEngines
from tests.factories import make_episode, make_staff

TEXTS = [
    "Chó thả rông không rọ mõm ở công viên, trẻ em sợ bị cắn",
    "Nuôi chó không tiêm phòng dại, thả rông ngoài đường cả ngày",
]


async def test_routing_decisions_reach_every_worker_once(db: AsyncSession, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = await make_staff(db)
    episode = await make_episode(db)
    worker_a, worker_b = ModerationEngines(), ModerationEngines()
    publisher = RecordingPublisher()
    questions = [
        (await intake.submit(db, worker_a, publisher, episode, intake.SubmissionForm(text=t))).question_id
        for t in TEXTS
    ]
    router_a, router_b = await worker_a.router(db), await worker_b.router(db)
    assert router_a is not router_b
    before_a, before_b = dict(router_a._examples), dict(router_b._examples)

    ctx_b = actions.ActionContext(db=db, actor=staff["moderator"], publisher=publisher, engines=worker_b)
    for question_id in questions:
        await actions.route(ctx_b, question_id, "so-nong-nghiep-moi-truong")

    monkeypatch.setattr(engines_module, "ROUTER_CATCH_UP_SECONDS", 0.0)
    for _ in range(3):  # repeated catch-ups (overlapping windows) learn each decision once
        await worker_a.router(db)
        await worker_b.router(db)
    code = "so-nong-nghiep-moi-truong"
    assert router_a._examples[code] == before_a[code] + 2, "worker A learned B's decisions"
    assert router_b._examples[code] == before_b[code] + 2, "worker B learned its own decisions once"
    # and a new worker starts from the database with the same knowledge
    assert (await ModerationEngines().router(db))._examples[code] == router_a._examples[code]
