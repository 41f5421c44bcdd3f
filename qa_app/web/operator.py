"""The operator desk: keyboard-fast entry of questions from the hotline, e-mail, letters and fanpage."""

from __future__ import annotations

import uuid
from typing import Any, cast

from litestar import Controller, Request, Response, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qa_app.i18n import gettext as _
from qa_app.models import Channel, Episode, Role, User
from qa_app.runtime import Runtime
from qa_app.services import bulk_import, import_uploads, importing, intake
from qa_app.services import episodes as episode_service
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


MAX_UPLOAD_BYTES = importing.MAX_BYTES
# The multipart body around the file: the form's few fields and the part headers.
MAX_UPLOAD_BODY = MAX_UPLOAD_BYTES + 64 * 1024
SHOWN_ROW_ERRORS = 200  # rows with errors listed on the page; the rest are counted


def import_reader(runtime: Runtime) -> import_uploads.ImportReader:
    """This worker's reader of uploads (threads of its own, two files at a time)."""
    reader = runtime.extras.get("import_reader")
    if reader is None:
        reader = runtime.extras["import_reader"] = import_uploads.ImportReader()
    return cast(import_uploads.ImportReader, reader)


def _preview(payload: bytes, chosen: dict[str, int | None] | None) -> tuple[Any, ...]:
    """In a reader thread: the stored file, the mapping (guessed unless chosen), good rows, row errors."""
    parsed = import_uploads.decode(payload)
    if chosen is None:
        mapping = importing.guess_mapping(parsed.headers, parsed.rows)
    else:
        width = len(parsed.headers)
        mapping = {name: (column if column is not None and column < width else None) for name, column in chosen.items()}
    if chosen is None and mapping.get("text") is None:
        return parsed, mapping, [], []  # the operator picks the column on the page
    rows, errors = importing.validate_rows(parsed, mapping)
    return parsed, mapping, rows, errors


def _busy() -> str:
    return _("The server is reading other files right now. Please try again in a few seconds.")


class ImportController(Controller):
    """Bulk import: upload, preview with column mapping and per-row errors, import the good rows.

    The file is read once, in a thread of its own (never on the event loop), when it is uploaded;
    the preview and the import use what was read, kept in the database (services/import_uploads.py)."""

    path = "/operator/import"
    guards = [requires(Role.OPERATOR, Role.MODERATOR)]  # noqa: RUF012

    async def _page(self, request: Request[Any, Any, Any], db: Db, **context: Any) -> Response[str]:
        status_code = context.pop("status_code", 200)
        headers = context.pop("headers", None)
        context.setdefault("episodes", await episode_service.list_episodes(db, episode_service.ACCEPTING_STATUSES))
        context.setdefault("error", None)
        context.setdefault("parsed", None)
        context.setdefault("report", None)
        context.setdefault("shown_errors", SHOWN_ROW_ERRORS)
        context.setdefault("max_upload_size", f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        context.setdefault("max_upload_rows", f"{importing.MAX_ROWS:,}".replace(",", "."))
        return render(
            request,
            "operator/import.html",
            {"fields": importing.FIELDS, **context},
            status_code=status_code,
            headers=headers,
        )

    @get("/", name="import_upload_form")
    async def upload_form(
        self, request: Request[Any, Any, Any], db: Db, episode: FromQuery[int | None] = None
    ) -> Response[str]:
        return await self._page(request, db, episode=await desk_episode(db, episode))

    @post("/", name="import_upload", request_max_body_size=MAX_UPLOAD_BODY)
    async def upload(self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep) -> Response[Any]:
        try:
            form = await request.form()
        except RequestEntityTooLarge:
            message = _("The file is too large: at most %(size)s per upload. Split it and import the parts one by one.")
            return await self._page(
                request,
                db,
                episode=await desk_episode(db, None),
                error=message % {"size": f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB"},
                status_code=413,
            )
        episode = await desk_episode(db, int_field(form, "episode_id"))
        upload = form.get("file")
        reader = import_reader(runtime)
        try:
            if episode is None:
                raise importing.ImportFileError(_("No episode is accepting questions."))
            if upload is None or isinstance(upload, str) or not upload.filename:
                raise importing.ImportFileError(_("Choose a CSV or XLSX file."))
            await db.commit()  # ends the read: SQLite's one connection must not wait for the parse
            try:
                payload, rows = await reader.read(upload.filename, upload.file)
            finally:
                await upload.close()
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=episode, error=exc.message, status_code=exc.status_code)
        except import_uploads.ImportBusy:
            return await self._page(
                request, db, episode=episode, error=_busy(), status_code=503, headers={"Retry-After": "10"}
            )
        token = await import_uploads.save(db, actor, episode, upload.filename, payload, rows)
        return Redirect(f"/operator/import/{token}", status_code=303)

    @staticmethod
    def _chosen_mapping(form: Any) -> dict[str, int | None]:
        """The columns chosen in the form (checked against the file's header when it is read)."""
        mapping: dict[str, int | None] = {}
        for name in importing.FIELDS:
            value = int_field(form, f"map_{name}")
            mapping[name] = value if value is not None and value >= 0 else None
        return mapping

    @get("/{token:str}", name="import_preview")
    async def preview(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        try:
            upload, payload = await import_uploads.load(db, token, actor)
            await db.commit()  # ends the read before the work in the thread
            parsed, mapping, rows, errors = await import_reader(runtime).run(_preview, payload, None)
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=None, error=exc.message, status_code=404)
        except import_uploads.ImportBusy:
            return await self._page(request, db, error=_busy(), status_code=503, headers={"Retry-After": "10"})
        episode = await episode_service.get_episode(db, upload.episode_id)
        return await self._page(
            request,
            db,
            episode=episode,
            parsed=parsed,
            meta={"filename": upload.filename},
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
            upload, payload = await import_uploads.load(db, token, actor)
            await db.commit()  # ends the read before the work in the thread
            chosen = self._chosen_mapping(form)
            parsed, mapping, rows, errors = await import_reader(runtime).run(_preview, payload, chosen)
        except importing.ImportFileError as exc:
            return await self._page(request, db, episode=None, error=exc.message, status_code=422)
        except import_uploads.ImportBusy:
            return await self._page(request, db, error=_busy(), status_code=503, headers={"Retry-After": "10"})
        meta = {"filename": upload.filename}
        episode_id = upload.episode_id
        episode = await episode_service.get_episode(db, episode_id)
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
        await import_uploads.forget(db, token)
        episode = await episode_service.get_episode(db, episode_id)
        return await self._page(request, db, episode=episode, report=report, meta=meta)
