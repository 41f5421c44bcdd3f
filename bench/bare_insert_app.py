"""The ceiling for ``bench/submissions.py``: a bare Litestar app that only stores a submission.

One POST handler on the same path and JSON body as ``/api/v1/episodes/{slug}/submissions``: it
inserts the same two rows a new question needs (a ``question`` and a ``submission``, with the app's
own models) in one transaction and answers 201 with the same JSON shape. Same engine as the app
(``qa_app.db.create_engine``: WAL, ``synchronous=FULL``, one pooled connection), same uvicorn command.

Left out on purpose (this is what the measured app adds on top): episode look-up, rate limits,
validation, idempotency look-up, duplicate index, routing, personal-data masking, the audit row,
the live event, middleware (sessions, CSRF, locale, security headers).

Served by ``python -m uvicorn bare_insert_app:create_from_env --factory --app-dir bench`` with
``BENCH_DATABASE_URL`` (a migrated database) and ``BENCH_EPISODE_ID`` (an existing episode).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from litestar import Litestar, get, post
from litestar.params import FromPath, JSONBody

from qa_app.db import create_engine, create_sessionmaker
from qa_app.models import Channel, Question, QuestionStatus, Submission
from qa_app.services.tracking import new_tracking_code
from qa_app.timeutil import utcnow


@dataclass
class SubmissionIn:
    """The same body as ``qa_app.web.api.SubmissionIn``."""

    text: str
    name: str | None = None
    ward: str | None = None
    contact: str | None = None
    channel: str | None = None
    consent: bool = False
    consent_name_on_air: bool = False
    idempotency_key: str | None = None


@dataclass
class SubmissionOut:
    tracking_code: str
    question_id: int
    status: str


def create_from_env() -> Litestar:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    sessionmaker = create_sessionmaker(engine)
    episode_id = int(os.environ["BENCH_EPISODE_ID"])

    @post("/api/v1/episodes/{slug:str}/submissions", status_code=201)
    async def create_submission(slug: FromPath[str], data: JSONBody[SubmissionIn]) -> SubmissionOut:
        now = utcnow()
        ward = data.ward or ""
        async with sessionmaker() as db:
            question = Question(
                episode_id=episode_id,
                public_text=data.text,
                search_text=data.text.lower(),
                status=QuestionStatus.NEW,
                submission_count=1,
                ward_code=ward if ward.isdigit() else None,
                duplicate_suggestions=[],
                route_suggestions=[],
                created_at=now,
                updated_at=now,
            )
            db.add(question)
            await db.flush()
            submission = Submission(
                episode_id=episode_id,
                question_id=question.id,
                original_question_id=question.id,
                channel=Channel.WEB,
                tracking_code=new_tracking_code(),
                name=data.name,
                ward_code=ward if ward.isdigit() else None,
                ward_text=None if ward.isdigit() else (ward or None),
                contact=data.contact,
                consent_contact=bool(data.contact) and data.consent,
                consent_name_on_air=data.consent_name_on_air,
                raw_text=data.text,
                received_at=now,
                idempotency_key=data.idempotency_key,
            )
            db.add(submission)
            await db.commit()
            return SubmissionOut(submission.tracking_code, question.id, question.status.value)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def dispose() -> None:
        await engine.dispose()

    return Litestar(route_handlers=[create_submission, healthz], on_shutdown=[dispose])
