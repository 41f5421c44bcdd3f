"""JSON API for the hotline system, fanpage tools and studio control surfaces (``/api/v1``).

Bearer tokens from ``qa-app tokens create``; the public ``web`` channel needs none but is rate-limited.
Errors are JSON with a Vietnamese ``detail``; bad input never yields a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, JSONBody

from qa_app.i18n import gettext as _
from qa_app.models import Channel, Role, User
from qa_app.services import citizen_status, intake
from qa_app.services import episodes as episode_service
from qa_app.services.errors import NotFound
from qa_app.web.auth import client_ip
from qa_app.web.deps import Db, OptionalActor, RuntimeDep


@dataclass
class SubmissionIn:
    """A question sent by an integration or a citizen's app."""

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


@dataclass
class EpisodeOut:
    slug: str
    title: str
    theme: str
    status: str
    air_start: datetime | None
    air_end: datetime | None


@dataclass
class AnswerOut:
    body: str
    official_name: str
    official_title: str
    department: str
    published_at: datetime | None


@dataclass
class SubmissionStatusOut:
    tracking_code: str
    episode: str
    status: str
    status_text: str
    department: str | None
    question: str
    received_at: datetime
    answer: AnswerOut | None


class ApiController(Controller):
    path = "/"
    tags = ["intake"]  # noqa: RUF012

    @get("/episodes", name="api_list_episodes", summary="Episodes open for questions or on air")
    async def list_episodes(self, db: Db) -> list[EpisodeOut]:
        episodes = await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES)
        return [EpisodeOut(e.slug, e.title, e.theme, e.status.value, e.air_start, e.air_end) for e in episodes]

    @post(
        "/episodes/{slug:str}/submissions",
        name="api_create_submission",
        summary="Send a question",
        description=(
            "Public for channel `web` (rate-limited per IP and per contact); other channels need a bearer "
            "token of an operator or moderator account. `idempotency_key` makes retries safe."
        ),
        status_code=201,
    )
    async def create_submission(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        actor: OptionalActor,
        slug: FromPath[str],
        data: JSONBody[SubmissionIn],
    ) -> SubmissionOut:
        episode = await episode_service.get_episode_by_slug(db, slug)
        channel = (data.channel or (Channel.API.value if actor else Channel.WEB.value)).strip().lower()
        if channel != Channel.WEB.value and actor is None:
            raise NotAuthorizedException(_("A bearer token is needed for channels other than web."))
        staff: User | None = (
            actor if actor is not None and actor.role in (Role.OPERATOR, Role.MODERATOR, Role.ADMIN) else None
        )
        if actor is not None and staff is None:
            from qa_app.services.errors import PermissionDenied

            raise PermissionDenied(_("This token may not send questions."))
        if staff is None:
            contact = intake.normalize_contact(data.contact) if data.contact else None
            await intake.check_rate_limits(
                runtime.counter,
                ip=client_ip(request),
                contact=contact,
                per_ip=runtime.settings.submit_limit_per_ip,
                per_contact=runtime.settings.submit_limit_per_contact,
            )
        form = intake.SubmissionForm(
            text=data.text or "",
            name=data.name or "",
            ward_code=(data.ward or "") if (data.ward or "").isdigit() else "",
            ward_text="" if (data.ward or "").isdigit() else (data.ward or ""),
            contact=data.contact or "",
            consent_contact=data.consent,
            consent_name_on_air=data.consent_name_on_air,
            channel=channel,
            idempotency_key=data.idempotency_key or "",
        )
        result = await intake.submit(db, runtime.engines, runtime.publisher, episode, form, actor=staff)
        return SubmissionOut(result.tracking_code, result.question_id, result.status.value)

    @get("/submissions/{code:str}", name="api_submission_status", summary="Status and published answer")
    async def submission_status(self, db: Db, code: FromPath[str]) -> SubmissionStatusOut:
        status = await citizen_status.lookup(db, code[:32])
        if status is None:
            raise NotFound(_("No question has this tracking code."))
        answer = None
        if status.answer is not None:
            answer = AnswerOut(
                status.answer.body,
                status.answer.official_name,
                status.answer.official_title,
                status.answer.department_name,
                status.answer.published_at,
            )
        return SubmissionStatusOut(
            tracking_code=status.tracking_code,
            episode=status.episode.slug,
            status=status.status.value,
            status_text=_(status.status_message)
            % {"department": status.department_name or _("the responsible department")},
            department=status.department_name,
            question=status.public_text,
            received_at=status.received_at,
            answer=answer,
        )
