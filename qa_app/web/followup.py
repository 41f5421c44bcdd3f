"""Commitments followed until kept (departments claim, moderators decide), the citizens' one-click
verdict and unsubscribe pages (signed links from the messages), and the admins' outbox."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qa_app.i18n import gettext as _
from qa_app.models import Role
from qa_app.services import commitments as commitment_service
from qa_app.services import departments as department_service
from qa_app.services import notifications
from qa_app.services.errors import DomainError, InvalidInput
from qa_app.services.intake import public_wording
from qa_app.web import toasts
from qa_app.web.auth import requires
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.forms import field
from qa_app.web.rendering import render

STATES = ("claimed", "overdue", "pending", "done", "dropped")


def _filtered(items: list[Any], state: str) -> list[Any]:
    return [i for i in items if i.state.value == state] if state in STATES else items


def _counts(items: list[Any]) -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for item in items:
        counts[item.state.value] += 1
    return counts


class DepartmentCommitmentsController(Controller):
    """The department's follow-up list: its promises, overdue ones first, and the "done" claim."""

    path = "/department/commitments"
    guards = [requires(Role.OFFICER)]  # noqa: RUF012

    @get("/", name="department_commitments")
    async def show_list(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        actor: Actor,
        show: FromQuery[str] = "",
        department: FromQuery[str] = "",
    ) -> Response[str]:
        from qa_app.web.department import department_of

        departments = await department_service.list_departments(db, active_only=True)
        current = department_of(actor, department, departments)
        items = await commitment_service.follow_ups(db, department_id=current.id)
        return render(
            request,
            "commitments/department.html",
            {
                "department": current,
                "departments": departments if actor.role is Role.ADMIN else [],
                "items": _filtered(items, show),
                "counts": _counts(items),
                "show": show,
            },
        )

    @post("/{commitment_id:int}/claim", name="claim_commitment_done")
    async def claim_done(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, commitment_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        await commitment_service.claim_done(db, actor, commitment_id, field(form, "evidence"))
        return Redirect(f"/department/commitments?claimed={commitment_id}", status_code=303)


class ModerationCommitmentsController(Controller):
    """Moderators accept or send back "done" claims and record dropped promises."""

    path = "/moderation/commitments"
    guards = [requires(Role.MODERATOR)]  # noqa: RUF012

    @get("/", name="moderation_commitments")
    async def show_list(self, request: Request[Any, Any, Any], db: Db, show: FromQuery[str] = "") -> Response[str]:
        items = await commitment_service.follow_ups(db)
        return render(
            request,
            "commitments/moderation.html",
            {"items": _filtered(items, show), "counts": _counts(items), "show": show},
        )

    @post("/{commitment_id:int}/review", name="review_commitment")
    async def review(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, commitment_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        decision = field(form, "decision")
        if decision not in ("accept", "refuse"):
            raise InvalidInput({"decision": _("Accept the claim or send it back.")})
        await commitment_service.review_claim(
            db, actor, commitment_id, accept=decision == "accept", note=field(form, "note")
        )
        toasts.flash(
            request,
            _("Commitment accepted as kept.") if decision == "accept" else _("Claim sent back to the department."),
        )
        return Redirect("/moderation/commitments", status_code=303)

    @post("/{commitment_id:int}/drop", name="drop_commitment")
    async def drop(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, commitment_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        await commitment_service.drop(db, actor, commitment_id, field(form, "reason"))
        toasts.flash(request, _("Commitment recorded as dropped."))
        return Redirect("/moderation/commitments", status_code=303)


class CitizenLinksController(Controller):
    """Pages behind the signed links in the messages: no login, no personal data shown."""

    path = "/"

    @get("/loi-hua/{token:str}", name="commitment_verdict_form")
    async def verdict_form(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        found = await commitment_service.verdict_request(db, runtime.settings.secret_key, token[:80])
        return self._verdict_page(request, found, token, saved=False)

    @post("/loi-hua/{token:str}", name="record_commitment_verdict")
    async def record_verdict(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        form = await request.form()
        found = await commitment_service.record_verdict(
            db, runtime.settings.secret_key, token[:80], field(form, "verdict")
        )
        return self._verdict_page(request, found, token, saved=True)

    def _verdict_page(
        self, request: Request[Any, Any, Any], found: commitment_service.VerdictRequest, token: str, *, saved: bool
    ) -> Response[str]:
        return render(
            request,
            "public/verdict.html",
            {
                "token": token[:80],
                "question": found.question.public_text,
                "question_id": found.question.id,
                "department": found.department.name,
                "what": public_wording(found.commitment.what),
                "due": found.commitment.due_date,
                "state": found.state.value,
                "evidence": public_wording(found.commitment.evidence or "") if found.state.value == "done" else "",
                "current": found.current.value if found.current else None,
                "saved": saved,
            },
        )

    @get("/ngung-nhan-tin/{token:str}", name="unsubscribe_form")
    async def unsubscribe_form(
        self, request: Request[Any, Any, Any], runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        valid = notifications.read_token(runtime.settings.secret_key, "unsubscribe", token[:80], 1) is not None
        return render(
            request,
            "public/unsubscribe.html",
            {"token": token[:80], "done": None},
            status_code=200 if valid else 404,
        )

    # RFC 8058 one-click: a mail client posts here without cookies; the HMAC-signed token in the
    # path is what authorises it (nobody can forge one), so the CSRF check does not apply.
    @post("/ngung-nhan-tin/{token:str}", name="unsubscribe", exclude_from_csrf=True, status_code=200)
    async def unsubscribe(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, token: FromPath[str]
    ) -> Response[str]:
        stopped = await notifications.stop_for(db, runtime.settings.secret_key, token[:80])
        if stopped is None:
            return render(request, "public/unsubscribe.html", {"token": "", "done": None}, status_code=404)
        return render(request, "public/unsubscribe.html", {"token": "", "done": stopped})


class OutboxController(Controller):
    """Admins see every message to citizens, its delivery or failure, and may send one again."""

    path = "/admin/notifications"
    guards = [requires()]  # noqa: RUF012 - admins only

    @get("/", name="notification_outbox")
    async def show_outbox(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, status: FromQuery[str] = ""
    ) -> Response[str]:
        settings = runtime.settings
        return render(
            request,
            "admin/notifications.html",
            {
                "rows": await notifications.outbox(db, actor, status=status),
                "counts": await notifications.outbox_counts(db),
                "status": status,
                "statuses": [s.value for s in notifications.MessageStatus],
                "smtp": bool(settings.smtp_url),
                "sms": bool(settings.sms_webhook_url),
            },
        )

    @post("/{message_id:int}/send-again", name="send_notification_again")
    async def send_again(self, db: Db, actor: Actor, message_id: FromPath[int]) -> Response[Any]:
        try:
            await notifications.send_again(db, actor, message_id)
        except DomainError:
            await db.rollback()
            raise
        return Redirect("/admin/notifications", status_code=303)
