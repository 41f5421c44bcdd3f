"""Admin screens: episodes, departments, users, audit trail."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import select

from qa_app.i18n import gettext as _
from qa_app.models import AuditEvent, EpisodeStatus, PublicHoliday, Role
from qa_app.services import departments as department_service
from qa_app.services import episodes as episode_service
from qa_app.services import holidays as holiday_service
from qa_app.services import retention
from qa_app.services import users as user_service
from qa_app.services.errors import InvalidInput
from qa_app.timeutil import parse_local_datetime
from qa_app.web.auth import requires_admin
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.forms import checkbox, field, int_field, int_list
from qa_app.web.rendering import render

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _episode_form(form: Any, tz: str) -> episode_service.EpisodeForm:
    errors: dict[str, str] = {}
    times = {}
    for name in ("air_start", "air_end"):
        try:
            times[name] = parse_local_datetime(field(form, name), tz)
        except ValueError:
            errors[name] = _("Use the format dd/mm/yyyy HH:MM.")
            times[name] = None
    deadline = int_field(form, "answer_deadline_days")
    if deadline is None:
        errors["answer_deadline_days"] = _("Enter a number of working days.")
    if errors:
        raise InvalidInput(errors)
    return episode_service.EpisodeForm(
        title=field(form, "title"),
        theme=field(form, "theme"),
        description=field(form, "description"),
        slug=field(form, "slug"),
        air_start=times["air_start"],
        air_end=times["air_end"],
        answer_deadline_days=deadline or 0,
        department_ids=tuple(int_list(form, "department_ids")),
    )


class AdminController(Controller):
    path = "/admin"
    guards = [requires_admin]  # noqa: RUF012

    @get("/", name="admin_home", sync_to_thread=False)
    def admin_home(self) -> Redirect:
        return Redirect("/admin/episodes")

    # --- episodes -------------------------------------------------------------------------------

    @get("/episodes", name="list_episodes")
    async def list_episodes(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        episodes = await episode_service.list_episodes(db)
        return render(request, "admin/episodes.html", {"episodes": episodes})

    async def _episode_page(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        episode_id: FromPath[int] | None,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        saved: FromQuery[bool] = False,
    ) -> Response[str]:
        episode = await episode_service.get_episode(db, episode_id) if episode_id else None
        departments = await department_service.list_departments(db, active_only=True)
        return render(
            request,
            "admin/episode_form.html",
            {
                "episode": episode,
                "departments": departments,
                "values": values,
                "errors": errors or {},
                "statuses": list(EpisodeStatus),
                "transitions": episode_service.TRANSITIONS,
                "saved": saved,
            },
            status_code=status_code,
        )

    @get("/episodes/new", name="new_episode")
    async def new_episode(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        return await self._episode_page(request, db, None)

    @post("/episodes", name="create_episode")
    async def create_episode(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep
    ) -> Response[Any]:
        form = await request.form()
        try:
            episode = await episode_service.create_episode(db, actor, _episode_form(form, runtime.settings.timezone))
        except InvalidInput as exc:
            await db.rollback()
            return await self._episode_page(request, db, None, values=dict(form), errors=exc.errors, status_code=422)
        return Redirect(f"/admin/episodes/{episode.id}?saved=1", status_code=303)

    @get("/episodes/{episode_id:int}", name="edit_episode")
    async def edit_episode(
        self, request: Request[Any, Any, Any], db: Db, episode_id: FromPath[int], saved: FromQuery[bool] = False
    ) -> Response[str]:
        return await self._episode_page(request, db, episode_id, saved=saved)

    @post("/episodes/{episode_id:int}", name="update_episode")
    async def update_episode(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, episode_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            await episode_service.update_episode(
                db, actor, runtime.publisher, episode_id, _episode_form(form, runtime.settings.timezone)
            )
        except InvalidInput as exc:
            await db.rollback()
            return await self._episode_page(
                request, db, episode_id, values=dict(form), errors=exc.errors, status_code=422
            )
        return Redirect(f"/admin/episodes/{episode_id}?saved=1", status_code=303)

    @post("/episodes/{episode_id:int}/status", name="change_episode_status")
    async def change_episode_status(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, episode_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        await episode_service.change_status(db, actor, runtime.publisher, episode_id, field(form, "status"))
        return Redirect(f"/admin/episodes/{episode_id}?saved=1", status_code=303)

    @post("/episodes/{episode_id:int}/officials", name="add_official")
    async def add_official(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, episode_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            await episode_service.add_official(
                db,
                actor,
                episode_id,
                name=field(form, "official_name"),
                title=field(form, "official_title"),
                department_id=int_field(form, "official_department"),
            )
        except InvalidInput as exc:
            await db.rollback()
            return await self._episode_page(request, db, episode_id, errors=exc.errors, status_code=422)
        return Redirect(f"/admin/episodes/{episode_id}#officials", status_code=303)

    @post("/episodes/{episode_id:int}/officials/{official_id:int}/delete", name="remove_official")
    async def remove_official(
        self, db: Db, actor: Actor, episode_id: FromPath[int], official_id: FromPath[int]
    ) -> Redirect:
        await episode_service.remove_official(db, actor, episode_id, official_id)
        return Redirect(f"/admin/episodes/{episode_id}#officials", status_code=303)

    # --- departments ----------------------------------------------------------------------------

    @get("/departments", name="list_departments")
    async def list_departments(
        self, request: Request[Any, Any, Any], db: Db, imported: FromQuery[str | None] = None
    ) -> Response[str]:
        departments = await department_service.list_departments(db)
        return render(
            request, "admin/departments.html", {"departments": departments, "imported": imported, "errors": {}}
        )

    @post("/departments/import", name="import_departments")
    async def import_departments(self, request: Request[Any, Any, Any], db: Db, actor: Actor) -> Response[Any]:
        form = await request.form()
        upload = form.get("file")
        try:
            if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
                entries = department_service.load_catalogue()
            else:
                raw = await upload.read(MAX_IMPORT_BYTES + 1)
                if len(raw) > MAX_IMPORT_BYTES:
                    raise InvalidInput({"file": _("The file is larger than 2 MB.")})
                try:
                    data = json.loads(raw.decode("utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise InvalidInput({"file": _("The file is not a valid departments JSON file.")}) from exc
                entries = department_service.parse_catalogue(data)
            created, updated = await department_service.import_catalogue(db, actor, entries)
        except InvalidInput as exc:
            await db.rollback()
            departments = await department_service.list_departments(db)
            return render(
                request,
                "admin/departments.html",
                {"departments": departments, "imported": None, "errors": exc.errors},
                status_code=422,
            )
        return Redirect(f"/admin/departments?imported={created}-{updated}", status_code=303)

    @get("/departments/{department_id:int}", name="edit_department")
    async def edit_department(
        self, request: Request[Any, Any, Any], db: Db, department_id: FromPath[int]
    ) -> Response[str]:
        department = await department_service.get_department(db, department_id)
        return render(request, "admin/department_form.html", {"department": department, "errors": {}})

    @post("/departments/{department_id:int}", name="update_department")
    async def update_department(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, department_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            await department_service.update_department(
                db,
                actor,
                department_id,
                name=field(form, "name"),
                short_name=field(form, "short_name"),
                description=field(form, "description"),
                keywords=[k for k in field(form, "keywords").replace("\n", ",").split(",")],
                active=checkbox(form, "active"),
            )
        except InvalidInput as exc:
            await db.rollback()
            department = await department_service.get_department(db, department_id)
            return render(
                request, "admin/department_form.html", {"department": department, "errors": exc.errors}, status_code=422
            )
        return Redirect("/admin/departments", status_code=303)

    # --- users ----------------------------------------------------------------------------------

    async def _users_page(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        notice: str | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        return render(
            request,
            "admin/users.html",
            {
                "users": await user_service.list_users(db),
                "departments": await department_service.list_departments(db, active_only=True),
                "roles": list(Role),
                "errors": errors or {},
                "values": values or {},
                "notice": notice,
            },
            status_code=status_code,
        )

    @get("/users", name="list_users")
    async def list_users(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        return await self._users_page(request, db)

    @post("/users", name="create_user")
    async def create_user(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep
    ) -> Response[str]:
        form = await request.form()
        password = field(form, "password") or user_service.generate_password()
        try:
            user = await user_service.create_user(
                db,
                runtime.passwords,
                actor,
                username=field(form, "username"),
                password=password,
                role=field(form, "role"),
                display_name=field(form, "display_name"),
                department_code=field(form, "department") or None,
            )
        except InvalidInput as exc:
            await db.rollback()
            return await self._users_page(request, db, errors=exc.errors, values=dict(form), status_code=422)
        notice = _("Account %(username)s created. Password (shown once): %(password)s") % {
            "username": user.username,
            "password": password,
        }
        return await self._users_page(request, db, notice=notice)

    @post("/users/{user_id:int}/deactivate", name="deactivate_user")
    async def deactivate_user(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, user_id: FromPath[int]
    ) -> Response[str]:
        user = await user_service.get_user(db, user_id)
        try:
            await user_service.deactivate_user(db, actor, user.username if user else "")
        except InvalidInput as exc:
            await db.rollback()
            return await self._users_page(request, db, errors=exc.errors, status_code=422)
        return await self._users_page(request, db, notice=_("Account deactivated."))

    @post("/users/{user_id:int}/activate", name="activate_user")
    async def activate_user(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, user_id: FromPath[int]
    ) -> Response[str]:
        user = await user_service.get_user(db, user_id)
        await user_service.activate_user(db, actor, user.username if user else "")
        return await self._users_page(request, db, notice=_("Account reactivated."))

    @post("/users/{user_id:int}/reset-password", name="reset_password")
    async def reset_password(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, user_id: FromPath[int]
    ) -> Response[str]:
        user = await user_service.get_user(db, user_id)
        user, password = await user_service.reset_password(db, runtime.passwords, actor, user.username if user else "")
        notice = _("New password for %(username)s (shown once): %(password)s") % {
            "username": user.username,
            "password": password,
        }
        return await self._users_page(request, db, notice=notice)

    # --- public holidays (skipped in working-day deadlines) -------------------------------------------

    async def _holidays_page(
        self, request: Request[Any, Any, Any], db: Any, *, errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Response[str]:
        days = list(await db.scalars(select(PublicHoliday).order_by(PublicHoliday.day.desc())))
        return render(
            request, "admin/holidays.html", {"holidays": days, "errors": errors or {}}, status_code=status_code
        )

    @get("/holidays", name="list_holidays")
    async def list_holidays(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        return await self._holidays_page(request, db)

    @post("/holidays", name="add_holiday")
    async def add_holiday(self, request: Request[Any, Any, Any], db: Db, actor: Actor) -> Response[Any]:
        form = await request.form()
        try:
            await holiday_service.add_holiday(db, actor, field(form, "day"), field(form, "name"))
        except InvalidInput as exc:
            await db.rollback()
            return await self._holidays_page(request, db, errors=exc.errors, status_code=422)
        return Redirect("/admin/holidays", status_code=303)

    @post("/holidays/{day:str}/delete", name="delete_holiday")
    async def delete_holiday(self, db: Db, actor: Actor, day: FromPath[str]) -> Redirect:
        await holiday_service.delete_holiday(db, actor, day)
        return Redirect("/admin/holidays", status_code=303)

    # --- personal data retention -------------------------------------------------------------------

    async def _personal_data_page(
        self, request: Request[Any, Any, Any], db: Any, status_code: int = 200, **context: Any
    ) -> Response[str]:
        context.setdefault("errors", {})
        return render(
            request,
            "admin/personal_data.html",
            {"overview": await retention.overview(db), **context},
            status_code=status_code,
        )

    @get("/personal-data", name="personal_data")
    async def personal_data(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        done: FromQuery[int | None] = None,
        erased: FromQuery[int | None] = None,
    ) -> Response[str]:
        return await self._personal_data_page(request, db, done=done, erased=erased)

    @post("/personal-data/purge", name="purge_personal_data")
    async def purge_personal_data(self, db: Db, actor: Actor) -> Redirect:
        report = await retention.purge_expired(db, actor)
        return Redirect(f"/admin/personal-data?done={report.purged}", status_code=303)

    # A citizen's request: what is held under their phone or e-mail (POST: no contact in URLs or logs).
    @post("/personal-data/search", name="search_personal_data")
    async def search_personal_data(self, request: Request[Any, Any, Any], db: Db, actor: Actor) -> Response[str]:
        contact = field(await request.form(), "contact")
        try:
            records = await retention.held_for(db, actor, contact)
        except InvalidInput as exc:
            await db.rollback()
            return await self._personal_data_page(request, db, 422, errors=exc.errors, contact=contact)
        return await self._personal_data_page(request, db, records=records, contact=contact)

    @post("/personal-data/export", name="export_personal_data")
    async def export_personal_data(self, request: Request[Any, Any, Any], db: Db, actor: Actor) -> Response[Any]:
        records = await retention.held_for(db, actor, field(await request.form(), "contact"), purpose="export")
        return Response(
            content=json.dumps([r.as_json() for r in records], ensure_ascii=False, indent=2),
            media_type="application/json; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="du-lieu-ca-nhan.json"', "Cache-Control": "no-store"},
        )

    @post("/personal-data/erase", name="erase_personal_data")
    async def erase_personal_data(self, request: Request[Any, Any, Any], db: Db, actor: Actor) -> Redirect:
        erased = await retention.erase_for(db, actor, field(await request.form(), "contact"))
        return Redirect(f"/admin/personal-data?erased={erased}", status_code=303)

    # --- audit ----------------------------------------------------------------------------------

    @get("/audit", name="audit_log")
    async def audit_log(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        action: FromQuery[str | None] = None,
        who: FromQuery[str | None] = None,
        entity: FromQuery[str | None] = None,
        page: FromQuery[int] = 1,
    ) -> Response[str]:
        page = max(1, page)
        per_page = 100
        query = select(AuditEvent).order_by(AuditEvent.id.desc())
        if action:
            query = query.where(AuditEvent.action.startswith(action))
        if who:
            query = query.where(AuditEvent.actor_label == who.strip().lower())
        if entity:
            query = query.where(AuditEvent.entity_type == entity)
        events = list(await db.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
        return render(
            request,
            "admin/audit.html",
            {
                "events": events[:per_page],
                "department_names": {d.code: d.name for d in await department_service.list_departments(db)},
                "has_next": len(events) > per_page,
                "page": page,
                "filters": {"action": action or "", "who": who or "", "entity": entity or ""},
            },
        )
