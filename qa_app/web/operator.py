"""The operator desk: keyboard-fast entry of questions from the hotline, e-mail, letters and fanpage."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qa_app.i18n import gettext as _
from qa_app.models import Channel, Episode, Role, User
from qa_app.services import bulk_import, importing, intake
from qa_app.services import episodes as episode_service
from qa_app.services.bulk_import import UploadStore
from qa_app.services.errors import DomainError, InvalidInput
from qa_app.services.wards import wards_by_code
from qa_app.web.auth import requires
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.forms import clean_text, field, int_field
from qa_app.web.intake import submission_form
from qa_app.web.rendering import render

DESK_CHANNELS = [Channel.PHONE, Channel.EMAIL, Channel.LETTER, Channel.SOCIAL, Channel.OTHER]


async def desk_episode(db: Any, episode_id: int | None) -> Episode | None:
    """The episode the desk records into: the one asked for, else the live or open one."""
    if episode_id:
        return await episode_service.get_episode(db, episode_id)
    episodes = await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES)
    live = [e for e in episodes if e.status.value == "live"]
    chosen = live or episodes
    return chosen[0] if chosen else None


class OperatorController(Controller):
    path = "/operator"
    guards = [requires(Role.OPERATOR, Role.MODERATOR)]  # noqa: RUF012

    async def _desk(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        actor: User,
        episode: Episode | None,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        result: intake.SubmissionResult | None = None,
        block: str | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        values = dict(values or {})
        values["idempotency_key"] = (
            uuid.uuid4().hex if result or not values.get("idempotency_key") else values["idempotency_key"]
        )
        accepting = await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES)
        entered = await intake.submissions_entered_by(db, actor, episode.id) if episode else []
        return render(
            request,
            "operator/desk.html",
            {
                "episode": episode,
                "episodes": accepting,
                "values": values,
                "errors": errors or {},
                "result": result,
                "entered": entered,
                "channels": DESK_CHANNELS,
                "consent_text": intake.consent_text(),
                "consent_name_text": intake.consent_name_text(),
                "chosen_ward": wards_by_code().get(values.get("ward_code", "")),
            },
            block=block,
            status_code=status_code,
        )

    @get("/", name="operator_desk")
    async def show_desk(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, episode: FromQuery[int | None] = None
    ) -> Response[str]:
        return await self._desk(request, db, actor, await desk_episode(db, episode), values={"channel": "phone"})

    @post("/submissions", name="operator_submit")
    async def submit(self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep) -> Response[str]:
        form = await request.form()
        episode = await desk_episode(db, int_field(form, "episode_id"))
        values = {k: clean_text(v) for k, v in form.items() if k != "_csrf_token"}
        block = "desk" if request.headers.get("hx-request") else None
        if episode is None:
            return await self._desk(
                request,
                db,
                actor,
                None,
                values=values,
                errors={"form": _("No episode is accepting questions.")},
                block=block,
                status_code=409,
            )
        episode_id = episode.id  # read before a rollback expires the instance
        try:
            result = await runtime.intake.submit(db, episode, submission_form(form), actor=actor)
        except DomainError as exc:
            await db.rollback()
            episode = await episode_service.get_episode(db, episode_id)
            errors = exc.errors if isinstance(exc, InvalidInput) else {"form": exc.message}
            return await self._desk(
                request, db, actor, episode, values=values, errors=errors, block=block, status_code=exc.status_code
            )
        # Keep the channel for the next caller; clear the rest.
        return await self._desk(
            request, db, actor, episode, values={"channel": values.get("channel", "phone")}, result=result, block=block
        )

    @get("/similar", name="operator_similar")
    async def similar(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        episode: FromQuery[int],
        text: FromQuery[str] = "",
    ) -> Response[str]:
        """Duplicate suggestions for the operator, unmoderated questions included."""
        current = await episode_service.get_episode(db, episode)
        similar = await intake.similar_public_questions(
            db, runtime.engines, current, text[: intake.MAX_TEXT], statuses=intake.MERGEABLE_STATUSES
        )
        return render(request, "operator/desk.html", {"episode": current, "similar": similar}, block="desk_similar")


MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def upload_store(runtime: Any) -> UploadStore:
    return UploadStore(runtime.settings.var_dir / "imports")


class ImportController(Controller):
    """Bulk import: upload, preview with column mapping and per-row errors, import the good rows."""

    path = "/operator/import"
    guards = [requires(Role.OPERATOR, Role.MODERATOR)]  # noqa: RUF012

    async def _page(self, request: Request[Any, Any, Any], db: Db, **context: Any) -> Response[str]:
        status_code = context.pop("status_code", 200)
        context.setdefault("episodes", await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES))
        context.setdefault("error", None)
        context.setdefault("parsed", None)
        context.setdefault("report", None)
        return render(request, "operator/import.html", {"fields": importing.FIELDS, **context}, status_code=status_code)

    @get("/", name="import_upload_form")
    async def upload_form(
        self, request: Request[Any, Any, Any], db: Db, episode: FromQuery[int | None] = None
    ) -> Response[str]:
        return await self._page(request, db, episode=await desk_episode(db, episode))

    @post("/", name="import_upload")
    async def upload(self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep) -> Response[Any]:
        form = await request.form()
        episode = await desk_episode(db, int_field(form, "episode_id"))
        upload = form.get("file")
        try:
            if episode is None:
                raise importing.ImportFileError(_("No episode is accepting questions."))
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise importing.ImportFileError(_("Choose a CSV or XLSX file."))
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            importing.parse_file(upload.filename, data, max_bytes=MAX_UPLOAD_BYTES)
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=episode, error=exc.message, status_code=422)
        token = upload_store(runtime).save(actor.id, episode.id, upload.filename, data)
        return Redirect(f"/operator/import/{token}", status_code=303)

    def _mapping(self, form: Any, parsed: importing.ParsedFile) -> dict[str, int | None]:
        if form is None:
            return importing.guess_mapping(parsed.headers, parsed.rows)
        mapping: dict[str, int | None] = {}
        for name in importing.FIELDS:
            value = int_field(form, f"map_{name}")
            mapping[name] = value if value is not None and 0 <= value < len(parsed.headers) else None
        return mapping

    async def _load(self, runtime: Any, token: str, actor: User) -> tuple[dict[str, Any], importing.ParsedFile]:
        meta, data = upload_store(runtime).load(token, actor.id)
        return meta, importing.parse_file(meta["filename"], data, max_bytes=MAX_UPLOAD_BYTES)

    @get("/{token:str}", name="import_preview")
    async def preview(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        try:
            meta, parsed = await self._load(runtime, token, actor)
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=None, error=exc.message, status_code=404)
        mapping = self._mapping(None, parsed)
        rows, errors = importing.validate_rows(parsed, mapping) if mapping.get("text") is not None else ([], [])
        episode = await episode_service.get_episode(db, meta["episode_id"])
        return await self._page(
            request,
            db,
            episode=episode,
            parsed=parsed,
            meta=meta,
            token=token,
            mapping=mapping,
            good=len(rows),
            row_errors=errors,
            channel="import",
        )

    @post("/{token:str}", name="import_run")
    async def run_import(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        form = await request.form()
        try:
            meta, parsed = await self._load(runtime, token, actor)
            mapping = self._mapping(form, parsed)
            rows, errors = importing.validate_rows(parsed, mapping)
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=None, error=exc.message, status_code=422)
        episode = await episode_service.get_episode(db, meta["episode_id"])
        channel = field(form, "channel") or "import"
        if form.get("action") == "preview":
            return await self._page(
                request,
                db,
                episode=episode,
                parsed=parsed,
                meta=meta,
                token=token,
                mapping=mapping,
                good=len(rows),
                row_errors=errors,
                channel=channel,
            )
        report = await bulk_import.import_rows(
            db, runtime.engines, runtime.publisher, episode, rows, actor=actor, default_channel=channel
        )
        report.errors = sorted(errors + report.errors, key=lambda e: e.line)
        upload_store(runtime).delete(token)
        episode = await episode_service.get_episode(db, meta["episode_id"])
        return await self._page(request, db, episode=episode, report=report, meta=meta)
