"""The department workspace: the inbox, the question, the answer editor, re-routing requests."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import select

from qa_app.i18n import gettext as _
from qa_app.models import Department, Episode, Question, QuestionStatus, Role, Submission, User
from qa_app.runtime import Runtime
from qa_app.services import answers as answer_service
from qa_app.services import commitments as commitment_service
from qa_app.services import departments as department_service
from qa_app.services.errors import DomainError, InvalidInput, NotFound
from qa_app.services.intake import public_wording
from qa_app.services.wards import wards_by_code
from qa_app.timeutil import add_working_days, to_local, utcnow
from qa_app.web.auth import requires
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.edge import parse_int
from qa_app.web.forms import field
from qa_app.web.rendering import render

DUE_SOON_WORKING_DAYS = 2


def answer_form(form: Any) -> answer_service.AnswerForm:
    """Read the editor: body, official, and up to ten commitment lines (what + due date)."""
    whats = form.getall("commitment_what", []) if hasattr(form, "getall") else []
    dues = form.getall("commitment_due", []) if hasattr(form, "getall") else []
    lines = []
    for index, what in enumerate(whats):
        due_text = dues[index].strip() if index < len(dues) else ""
        try:
            due = date.fromisoformat(due_text) if due_text else None
        except ValueError as exc:
            raise InvalidInput({"commitments": _("Use a valid date for each commitment.")}) from exc
        lines.append(answer_service.CommitmentLine(str(what), due))
    # the list gives an official's id; a name typed by hand wins over it
    name, title = field(form, "official_name"), field(form, "official_title")
    official_id = parse_int(field(form, "official"), minimum=1)
    return answer_service.AnswerForm(
        body=str(form.get("body", "")),
        official_name=name,
        official_title=title if name else "",
        commitments=tuple(lines),
        official_id=official_id if not name else None,
    )


def deadline_state(question: Question, today: date) -> str:
    if question.due_date is None or question.status not in (QuestionStatus.ROUTED, QuestionStatus.ANSWER_REVIEW):
        return ""
    if question.due_date < today:
        return "overdue"
    if question.due_date <= add_working_days(today, DUE_SOON_WORKING_DAYS):
        return "soon"
    return "ok"


def department_of(actor: User, code: str | None, departments: list[Department]) -> Department:
    """An officer's own department; an admin chooses one."""
    if actor.role is Role.OFFICER:
        if actor.department is None:
            raise NotFound(_("Your account is not bound to a department."))
        return actor.department
    chosen = next((d for d in departments if d.code == code), None) or (departments[0] if departments else None)
    if chosen is None:
        raise NotFound(_("No such department."))
    return chosen


class DepartmentController(Controller):
    path = "/department"
    guards = [requires(Role.OFFICER)]  # noqa: RUF012

    @get("/", name="department_inbox")
    async def show_inbox(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        actor: Actor,
        status: FromQuery[str] = "open",
        due: FromQuery[str] = "",
        department: FromQuery[str] = "",
    ) -> Response[str]:
        departments = await department_service.list_departments(db, active_only=True)
        current = department_of(actor, department, departments)
        questions = await answer_service.inbox(db, current.id, status=status, due=due)
        today = to_local(utcnow()).date()
        counts, overdue = await answer_service.inbox_counts(db, current.id)
        overdue_commitments = await commitment_service.overdue_count(db, current.id, today)
        return render(
            request,
            "department/inbox.html",
            {
                "department": current,
                "departments": departments if actor.role is Role.ADMIN else [],
                "questions": questions,
                "today": today,
                "deadline_state": deadline_state,
                "counts": counts,
                "overdue": overdue,
                "overdue_commitments": overdue_commitments,
                "filters": {"status": status, "due": due},
                "oob": False,
            },
        )

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db: Any,
        actor: User,
        question_id: int,
        *,
        errors: dict[str, str] | None = None,
        notice: str | None = None,
        status_code: int = 200,
        form: answer_service.AnswerForm | None = None,
    ) -> Response[str]:
        question = await answer_service.question_for(db, actor, question_id)
        episode = await db.get(Episode, question.episode_id)
        submissions = list(
            await db.scalars(
                select(Submission).where(Submission.question_id == question.id).order_by(Submission.received_at)
            )
        )
        answers = await answer_service.answers_of(db, question)
        current = next((a for a in answers if a.department_id == question.department_id), None)
        officials = await answer_service.officials_for(db, question)
        if form is not None:
            commitment_lines = [(c.what, c.due.isoformat() if c.due else "") for c in form.commitments]
        elif current is not None:
            commitment_lines = [(c.what, c.due_date.isoformat() if c.due_date else "") for c in current.commitments]
        else:
            commitment_lines = []
        return render(
            request,
            "department/question.html",
            {
                "commitment_lines": commitment_lines,
                "question": question,
                "episode": episode,
                "answers": answers,
                "answer": current,
                # Officers never see contact details or names: masked texts only.
                "masked_submissions": [
                    (s.received_at, public_wording(s.raw_text), wards_by_code().get(s.ward_code or ""))
                    for s in submissions
                ],
                "officials": officials,
                "departments": await department_service.list_departments(db, active_only=True),
                "pending_reroute": await answer_service.pending_reroute(db, question.id),
                "errors": errors or {},
                "notice": notice,
                "form": form,
                "editable": question.status in answer_service.ANSWERABLE
                and (current is None or current.status in answer_service.EDITABLE_ANSWER),
                "today": to_local(utcnow()).date(),
                "deadline_state": deadline_state,
            },
            status_code=status_code,
        )

    @get("/questions/{question_id:int}", name="department_question")
    async def show_question(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        return await self._page(request, db, actor, question_id)

    def _ctx(self, db: Any, actor: User, runtime: Runtime) -> answer_service.Ctx:
        return answer_service.Ctx(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)

    @post("/questions/{question_id:int}/draft", name="department_save_draft")
    async def save_draft(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, question_id: FromPath[int]
    ) -> Response[str]:
        """Autosave (htmx, every few seconds while typing) and the explicit "save draft" button."""
        form = await request.form()
        try:
            data = answer_form(form)
            answer = await answer_service.save_draft(self._ctx(db, actor, runtime), question_id, data)
        except DomainError as exc:
            await db.rollback()
            if request.headers.get("hx-request"):
                return render(
                    request,
                    "department/question.html",
                    {
                        "save_error": exc.message
                        if not isinstance(exc, InvalidInput)
                        else "; ".join(exc.errors.values()),
                        "answer": None,
                        "check_result": None,
                    },
                    block="save_status",
                    status_code=200,
                )
            raise
        if request.headers.get("hx-request"):
            return render(
                request,
                "department/question.html",
                {"answer": answer, "check_result": answer.match_check, "save_error": None},
                block="save_status",
            )
        return await self._page(request, db, actor, question_id, notice=_("Draft saved."))

    @post("/questions/{question_id:int}/submit", name="department_submit_answer")
    async def submit_answer(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, question_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            data = answer_form(form)
            await answer_service.submit_answer(self._ctx(db, actor, runtime), question_id, data)
        except InvalidInput as exc:
            await db.rollback()
            return await self._page(
                request,
                db,
                actor,
                question_id,
                errors=exc.errors,
                status_code=422,
                form=answer_form(form) if "commitments" not in exc.errors else None,
            )
        return Redirect(f"/department/questions/{question_id}?sent=1", status_code=303)

    @post("/questions/{question_id:int}/reroute", name="department_request_reroute")
    async def request_reroute(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, runtime: RuntimeDep, question_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        try:
            await answer_service.request_reroute(
                self._ctx(db, actor, runtime), question_id, field(form, "reason"), field(form, "suggested")
            )
        except InvalidInput as exc:
            await db.rollback()
            return await self._page(request, db, actor, question_id, errors=exc.errors, status_code=422)
        return Redirect(f"/department/questions/{question_id}?rerouted=1", status_code=303)

    @post("/questions/{question_id:int}/check", name="department_check_answer")
    async def check_answer(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        """The match check while the officer writes (no save)."""
        form = await request.form()
        question = await answer_service.question_for(db, actor, question_id)
        body = str(form.get("body", ""))
        result = answer_service.check(question, body) if body.strip() else None
        return render(request, "department/question.html", {"check_result": result}, block="match_check")
