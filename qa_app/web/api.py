"""JSON API for the hotline system, fanpage tools and studio control surfaces (``/api/v1``).

Bearer tokens from ``qa-app tokens create``; the public ``web`` channel needs none but is rate-limited.
Errors are JSON with a Vietnamese ``detail`` (:class:`ErrorOut`, see ``qa_app.web.errors``); bad input
never yields a 500. Every operation documents each status it can answer, and every time is UTC with its
offset: the OpenAPI schema is checked against the running server (tests/web/test_openapi_contract.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.models import MAX_INT, Channel, Role, User
from qa_app.runtime import Runtime
from qa_app.services import citizen_status, intake
from qa_app.services import episodes as episode_service
from qa_app.services import rundown as rundown_service
from qa_app.services.errors import NotFound, PermissionDenied
from qa_app.timeutil import as_utc
from qa_app.web.auth import client_ip, guess, runtime_of
from qa_app.web.deps import Db, OptionalActor, RuntimeDep


@dataclass
class ErrorOut:
    """Every error of the API: ``detail`` says what to do, in the caller's language (Vietnamese by default)."""

    error: str
    detail: str
    status: int
    errors: dict[str, str] | None = None  # what is wrong, by field (validation errors only)


_ERRORS = {
    400: "The body is not valid JSON, nests too deeply, or a field has the wrong type (`errors` by field)",
    401: "A bearer token is needed (or the one given is not valid)",
    403: "The token's account may not do this",
    404: "No such episode, question or tracking code",
    409: "The state does not allow it (episode not accepting, nothing on air…), or the idempotency key was "
    "already used by another caller or for another request",
    415: "The body must be sent as `application/json`",
    422: "A field is not acceptable (`errors` by field)",
    429: "Too many requests from this connection or with this contact: try again later",
    503: "The service is overloaded or its database is unreachable: send again in a few seconds",
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The documented error responses of an operation (always with 503: the database may be away)."""
    return {
        code: ResponseSpec(data_container=ErrorOut, description=_ERRORS[code], generate_examples=False)
        for code in (*codes, 503)
    }


def utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes (stored as UTC): every time leaves with its offset."""
    return as_utc(value) if value is not None else None


def _described(text: str) -> Meta:
    return Meta(description=text)


class SubmissionIn(Struct):
    """A question sent by an integration or a citizen's app. The rules that JSON Schema cannot say are
    checked by the intake and refused with 422 and a message by field."""

    text: Annotated[str, _described("The question: 10 to 2,000 characters, with words (not only symbols)")]
    name: Annotated[str | None, _described("The citizen's name, at most 128 characters")] = None
    ward: Annotated[str | None, _described("A ward or commune: its code (e.g. 26734) or its name")] = None
    contact: Annotated[str | None, _described("A Vietnamese phone number or an e-mail address; needs `consent`")] = None
    channel: Annotated[
        str | None,
        _described("web (default without a token), api (default with one), phone, email, letter, social, import"),
    ] = None
    consent: Annotated[bool, _described("The citizen agreed to how the contact details are used")] = False
    consent_name_on_air: bool = False
    idempotency_key: Annotated[
        str | None, _described("Makes retries safe (at most 64 characters; see the operation)")
    ] = None


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

    @get("/episodes", name="api_list_episodes", summary="Episodes open for questions or on air", responses=errors())
    async def list_episodes(self, db: Db) -> list[EpisodeOut]:
        episodes = await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES)
        return [
            EpisodeOut(e.slug, e.title, e.theme, e.status.value, utc(e.air_start), utc(e.air_end)) for e in episodes
        ]

    @post(
        "/episodes/{slug:str}/submissions",
        name="api_create_submission",
        summary="Send a question",
        description=(
            "Public for channel `web` (rate-limited per IP and per contact); other channels need a bearer "
            "token of an operator or moderator account. `idempotency_key` makes retries safe: the same caller "
            "sending the same request again gets the same tracking code; a key is an account's own (with a "
            "token) or, without one, bound to the request it first came with (409 otherwise)."
        ),
        status_code=201,
        responses=errors(400, 401, 403, 404, 409, 415, 422, 429),
        security=[{}, {"bearer": []}],  # a token is optional for the web channel
    )
    async def create_submission(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        data: JSONBody[SubmissionIn],
    ) -> SubmissionOut:
        # The busiest route on broadcast night takes its parts from the request instead of three
        # injected dependencies (Litestar resolves those in a task group: ~10 % of this handler).
        runtime = runtime_of(request)
        actor: User | None = request.scope.get("user")
        async with runtime.sessionmaker() as db:
            return await self._create_submission(request, db, runtime, actor, slug, data)

    async def _create_submission(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        runtime: Runtime,
        actor: User | None,
        slug: str,
        data: SubmissionIn,
    ) -> SubmissionOut:
        episode = await runtime.intake.episode(db, slug)
        channel = (data.channel or (Channel.API.value if actor else Channel.WEB.value)).strip().lower()
        if channel != Channel.WEB.value and actor is None:
            raise NotAuthorizedException(_("A bearer token is needed for channels other than web."))
        staff: User | None = (
            actor if actor is not None and actor.role in (Role.OPERATOR, Role.MODERATOR, Role.ADMIN) else None
        )
        if actor is not None and staff is None:
            raise PermissionDenied(_("This token may not send questions."))
        contact = intake.normalize_contact(data.contact) if data.contact else None
        if staff is None:
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
        result = await runtime.intake.submit(db, episode, form, actor=staff)
        if staff is None:
            await intake.count_accepted(
                runtime.counter, result, contact=contact, per_contact=runtime.settings.submit_limit_per_contact
            )
        return SubmissionOut(result.tracking_code, result.question_id, result.status.value)

    @get(
        "/submissions/{code:str}",
        name="api_submission_status",
        summary="Status and published answer",
        responses=errors(404, 429),
    )
    async def submission_status(
        self, request: Request[Any, Any, Any], db: Db, code: FromPath[str]
    ) -> SubmissionStatusOut:
        async with guess(request) as attempt:
            status = await citizen_status.lookup(db, code[:32])
            if status is None:
                await attempt.missed()
        if status is None:
            raise NotFound(_("No question has this tracking code."))
        answer = None
        if status.answer is not None:
            answer = AnswerOut(
                status.answer.body,
                status.answer.official_name,
                status.answer.official_title,
                status.answer.department_name,
                utc(status.answer.published_at),
            )
        return SubmissionStatusOut(
            tracking_code=status.tracking_code,
            episode=status.episode.slug,
            status=status.status.value,
            status_text=_(status.status_message)
            % {"department": status.department_name or _("the responsible department")},
            department=status.department_name,
            question=status.public_text,
            received_at=as_utc(status.received_at),
            answer=answer,
        )


@dataclass
class RundownEntryOut:
    question_id: int
    position: int
    status: str
    skipped: bool
    text: str
    department: str | None
    citizens: int
    official: str | None


class OnAirIn(Struct):
    # a Struct, not a dataclass: Litestar documents a Struct field's bounds in the schema
    question_id: Annotated[int, Meta(ge=1, le=MAX_INT)]


@dataclass
class OnAirOut:
    episode: str
    on_air_question_id: int | None
    status: str


def _producer(actor: User | None) -> User:
    if actor is None:
        raise NotAuthorizedException(_("A producer's bearer token is needed."))
    if actor.role not in (Role.PRODUCER, Role.ADMIN):
        raise PermissionDenied(_("This token may not control the studio."))
    return actor


def requires_producer_token(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """A guard: who may control the studio is decided before the body is read (401 before 400)."""
    _producer(connection.scope.get("user"))


class StudioControlController(Controller):
    """The studio control surface: the same services as the producer's screen, the same events."""

    path = "/episodes/{slug:str}"
    tags = ["studio control"]  # noqa: RUF012
    security = [{"bearer": []}]  # noqa: RUF012
    guards = [requires_producer_token]  # noqa: RUF012

    async def _state(self, db: Any, episode_id: int, slug: str) -> OnAirOut:
        from qa_app.models import Episode

        episode = await db.get(Episode, episode_id)
        return OnAirOut(
            slug,
            episode.on_air_question_id if episode else None,
            "on_air" if episode and episode.on_air_question_id else "idle",
        )

    @get(
        "/rundown",
        name="api_rundown",
        summary="The rundown in order, with the question on air",
        responses=errors(401, 403, 404),
    )
    async def rundown(self, db: Db, actor: OptionalActor, slug: FromPath[str]) -> list[RundownEntryOut]:
        _producer(actor)
        episode = await episode_service.get_episode_by_slug(db, slug)
        result = []
        for entry in await rundown_service.entries(db, episode.id):
            answer = entry.answer
            result.append(
                RundownEntryOut(
                    question_id=entry.question.id,
                    position=entry.item.position,
                    status=entry.question.status.value,
                    skipped=entry.item.skipped,
                    text=entry.question.public_text,
                    department=entry.question.department.name if entry.question.department else None,
                    citizens=entry.question.submission_count,
                    official=(answer.official_name or None) if answer else entry.question.answered_by_official,
                )
            )
        return result

    @post(
        "/on-air",
        name="api_put_on_air",
        summary="Put a question on air",
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 415),
    )
    async def put_on_air(
        self, db: Db, runtime: RuntimeDep, actor: OptionalActor, slug: FromPath[str], data: JSONBody[OnAirIn]
    ) -> OnAirOut:
        producer = _producer(actor)
        episode = await episode_service.get_episode_by_slug(db, slug)
        episode_id = episode.id
        await rundown_service.put_on_air(db, producer, runtime.publisher, episode_id, data.question_id)
        return await self._state(db, episode_id, slug)

    @post(
        "/on-air/next",
        name="api_next_on_air",
        summary="Mark the question on air answered, put the next on air",
        status_code=200,
        responses=errors(401, 403, 404, 409),
    )
    async def next_on_air(self, db: Db, runtime: RuntimeDep, actor: OptionalActor, slug: FromPath[str]) -> OnAirOut:
        producer = _producer(actor)
        episode = await episode_service.get_episode_by_slug(db, slug)
        episode_id = episode.id
        await rundown_service.next_on_air(db, producer, runtime.publisher, episode_id)
        return await self._state(db, episode_id, slug)

    @post(
        "/on-air/done",
        name="api_done_on_air",
        summary="Mark the question on air answered",
        status_code=200,
        responses=errors(401, 403, 404, 409),
    )
    async def done_on_air(self, db: Db, runtime: RuntimeDep, actor: OptionalActor, slug: FromPath[str]) -> OnAirOut:
        producer = _producer(actor)
        episode = await episode_service.get_episode_by_slug(db, slug)
        episode_id = episode.id
        await rundown_service.mark_answered(db, producer, runtime.publisher, episode_id)
        return await self._state(db, episode_id, slug)
