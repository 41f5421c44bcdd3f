"""``kill -9`` of a real server in the middle of a submission load, on the run's database (SQLite in the
SQLite run, PostgreSQL in the PostgreSQL + Redis run): every acknowledged tracking code is stored exactly
once, nothing is half-written, and sending again what was in flight stores it once."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from qa_app.models import AuditEvent, Question, Submission
from tests.factories import make_episode
from tests.faults.clients import api_submit, server, until, web_submit

SLUG = "ky-kill"
PLACES = ["chợ Bến Thành", "cầu Thủ Thiêm", "công viên Tao Đàn", "bến xe Miền Tây", "sân bay Tân Sơn Nhất"]
ISSUES = ["ngập nước", "kẹt xe", "thiếu đèn chiếu sáng", "rác thải bừa bãi", "lấn chiếm vỉa hè", "tiếng ồn ban đêm"]


@dataclass
class Sent:
    key: str
    text: str
    web: bool
    status: int | None = None
    code: str | None = None


async def _send(http: httpx.AsyncClient, item: Sent) -> None:
    if item.web:
        response = await web_submit(http, SLUG, item.text, item.key)
        found = re.search(r"DH-[A-Z0-9]{6}", response.headers.get("location", ""))
        item.code = found.group(0) if response.status_code == 303 and found else None
    else:
        response = await api_submit(http, SLUG, item.text, item.key)
        item.code = response.json().get("tracking_code") if response.status_code == 201 else None
    item.status = response.status_code


async def test_kill_9_mid_load_keeps_every_acknowledged_submission_exactly_once(
    settings: Any, db: Any, tmp_path: Path
) -> None:
    await make_episode(db, title="Kỳ kill -9", slug=SLUG)
    app = server(settings, tmp_path / "server.log", QA_SUBMIT_LIMIT_PER_IP="1000000/600")
    app.start()
    sent: list[Sent] = []
    killed = asyncio.Event()

    async def citizen(n: int) -> None:
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
            await http.get(f"/ky/{SLUG}")
            i = 0
            while not killed.is_set():
                i += 1
                place, issue = PLACES[(n + i) % len(PLACES)], ISSUES[(n * 7 + i) % len(ISSUES)]
                item = Sent(
                    f"k{n}-{i}", f"Đề nghị xử lý tình trạng {issue} tại {place}, phản ánh số {n}-{i}.", i % 4 == 0
                )
                sent.append(item)
                try:
                    await _send(http, item)
                except httpx.HTTPError:
                    return  # the server is gone: this one was in flight

    load = [asyncio.create_task(citizen(n)) for n in range(8)]
    await until(lambda: sum(1 for s in sent if s.code) >= 80, 30, "80 acknowledged submissions")
    app.kill()  # SIGKILL: no shutdown, no flush, whatever was in flight is cut
    killed.set()
    await asyncio.gather(*load)
    acknowledged = [s for s in sent if s.code]
    in_flight = [s for s in sent if s.status is None]
    assert len(acknowledged) >= 80 and in_flight, (len(acknowledged), len(in_flight))
    assert all(s.status in (201, 303) for s in sent if s.status is not None)

    app.start()  # the same database, a new process
    try:
        codes = {s.code for s in acknowledged}
        assert len(codes) == len(acknowledged)
        stored = dict(
            (
                await db.execute(
                    select(Submission.tracking_code, func.count())
                    .where(Submission.tracking_code.in_(codes))
                    .group_by(Submission.tracking_code)
                )
            ).all()
        )
        assert {code: stored.get(code) for code in codes} == dict.fromkeys(codes, 1)
        # Nothing half-written: each submission has its question and its audit line, each question's
        # count of voices matches its submissions.
        submissions = await db.scalar(select(func.count(Submission.id)))
        audited = await db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "submission.create"))
        assert audited == submissions
        voices = dict(
            (await db.execute(select(Submission.question_id, func.count()).group_by(Submission.question_id))).all()
        )
        counts = dict((await db.execute(select(Question.id, Question.submission_count))).all())
        assert voices == {qid: n for qid, n in counts.items() if n}, "submission_count matches the submissions"
        async with httpx.AsyncClient(base_url=app.url, timeout=10) as http:
            for item in acknowledged[:5]:
                assert (await http.get(f"/api/v1/submissions/{item.code}")).status_code == 200
            # What was in flight may or may not have landed: sending it again stores it exactly once.
            await http.get(f"/ky/{SLUG}")
            for item in in_flight:
                await _send(http, item)
                assert item.status in (201, 303) and item.code
            for item in acknowledged[:10]:
                before = item.code
                await _send(http, item)
                assert item.code == before  # the retry of an acknowledged one gets the same code
        db.expire_all()
        keys = [s.key for s in sent]
        per_key = dict(
            (
                await db.execute(
                    select(Submission.idempotency_key, func.count())
                    .where(Submission.idempotency_key.in_(keys))
                    .group_by(Submission.idempotency_key)
                )
            ).all()
        )
        assert all(per_key.get(key) == 1 for key in keys), {k: v for k, v in per_key.items() if v != 1}
    finally:
        app.stop()
