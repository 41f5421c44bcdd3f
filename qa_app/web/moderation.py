"""The moderation board: the live queue, question detail, and the moderators' actions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from moderation import DuplicateIndex
from qa_app.events import QuestionChanged
from qa_app.i18n import gettext as _
from qa_app.models import Answer, Episode, Question, RerouteRequest, Role, Submission, User
from qa_app.runtime import Runtime
from qa_app.services import answers as answer_service
from qa_app.services import audit as audit_service
from qa_app.services import departments as department_service
from qa_app.services import episodes as episode_service
from qa_app.services import moderation_actions as actions
from qa_app.services import queue as queue_service
from qa_app.services import workspace
from qa_app.services.errors import Conflict, DomainError, InvalidInput, NotFound
from qa_app.web import toasts
from qa_app.web.auth import requires, safe_next
from qa_app.web.board import card_context
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.forms import field, int_field
from qa_app.web.rendering import render

requires_moderator = requires(Role.MODERATOR)


def filters_from(
    status: str = "attention",
    department: str = "",
    channel: str = "",
    ward: str = "",
    q: str = "",
    sort: str = "priority",
    page: int = 1,
) -> queue_service.QueueFilter:
    return queue_service.QueueFilter(
        status=status[:32],
        department=department[:64],
        channel=channel[:16],
        ward=ward[:8],
        text=q[:200],
        sort=sort if sort in queue_service.SORTS else "priority",
        page=max(1, page),
    )


async def board_context(db: Any, runtime: Runtime, episode: Episode, question_ids: list[int]) -> dict[str, Any]:
    """What every card needs besides itself: departments to route to, who edits what."""
    departments = await department_service.list_departments(db, active_only=True)
    context = card_context(
        departments,
        await runtime.presence.editors(question_ids),
        merge_threshold=await queue_service.merge_threshold(db, episode.id),
    )
    return {"episode": episode, **context}


async def render_card(
    request: Request[Any, Any, Any],
    db: Any,
    runtime: Runtime,
    question_id: int,
    *,
    message: str | None = None,
    status_code: int = 200,
    full: bool = False,
    toast: str | None = None,
    undo_event: int | None = None,
) -> Response[str]:
    card = await queue_service.card(db, question_id)
    if card is None:
        raise NotFound(_("No such question."))
    episode = await episode_service.get_episode(db, card.question.episode_id)
    context = await board_context(db, runtime, episode, [question_id])
    context.update(card=card, message=message, oob=False, full=full, toast_text=toast, undo_event=undo_event)
    headers = {"HX-Retarget": f"#question-card-{question_id}", "HX-Reswap": "outerHTML"} if message else None
    return render(request, "moderation/_card.html", context, status_code=status_code, headers=headers)


class ModerationController(Controller):
    path = "/moderation"
    guards = [requires_moderator]  # noqa: RUF012

    async def _episode(self, db: Any, episode_id: int | None) -> Episode | None:
        if episode_id:
            return await episode_service.get_episode_light(db, episode_id)
        current = await episode_service.current_episode(db)
        return current

    @get("/", name="moderation_queue")
    async def show_queue(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        episode: FromQuery[int | None] = None,
        status: FromQuery[str] = "attention",
        department: FromQuery[str] = "",
        channel: FromQuery[str] = "",
        ward: FromQuery[str] = "",
        q: FromQuery[str] = "",
        sort: FromQuery[str] = "priority",
        page: FromQuery[int] = 1,
    ) -> Response[str]:
        current = await self._episode(db, episode)
        filters = filters_from(status, department, channel, ward, q, sort, page)
        context: dict[str, Any] = {"episode": current}
        if current is not None:
            page_data = await queue_service.queue_page(db, current.id, filters)
            context.update(await board_context(db, runtime, current, [c.question.id for c in page_data.cards]))
            context.update(
                page=page_data, filters=filters, counts=await workspace.status_counts(db, current.id), oob=False
            )
        block = "queue" if request.headers.get("hx-request") and request.headers.get("hx-target") == "queue" else None
        return render(request, "moderation/queue.html", context, block=block)

    @get("/ward-options", name="moderation_ward_options")
    async def ward_options(self, request: Request[Any, Any, Any], ward: FromQuery[str] = "") -> Response[str]:
        """The ward filter's options, loaded after the board's first render (and cached by the browser)."""
        context = {"filters": filters_from(ward=ward), "all_wards": True}
        response = render(request, "moderation/queue.html", context, block="ward_options")
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @get("/questions/{question_id:int}", name="moderation_question")
    async def show_question(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        actor: Actor,
        question_id: FromPath[int],
        split: FromQuery[int] = 0,
    ) -> Response[str]:
        card = await queue_service.card(db, question_id)
        if card is None:
            raise NotFound(_("No such question."))
        episode = await episode_service.get_episode(db, card.question.episode_id)
        submissions = list(
            await db.scalars(
                select(Submission).where(Submission.question_id == question_id).order_by(Submission.received_at)
            )
        )
        answers = list(
            await db.scalars(select(Answer).where(Answer.question_id == question_id).order_by(Answer.id.desc()))
        )
        history = await audit_service.history(db, "question", question_id)
        undone = {event.note for event in history if event.action == "question.undo"}
        merged_here = list(await db.scalars(select(Question).where(Question.merged_into_id == question_id)))
        # Submissions that came with a merge go back with "undo the merge" (the same question again),
        # not with a split into a new one.
        came_with: dict[int, tuple[int, int]] = {}
        for event in await actions.merges_into(db, [q.id for q in merged_here]):
            for submission_id in (event.after or {}).get("submission_ids", []):
                came_with[int(submission_id)] = (event.id, int(event.entity_id or 0))
        context = await board_context(db, runtime, episode, [question_id])
        if split:
            # Its undo, as a toast in the page's one region (base.html's #toasts), like after any action.
            undoable = await actions.latest_undoable(db, question_id, actor)
            if undoable is not None and undoable.action == "question.split":
                context["page_toast"] = {
                    "text": _("Split out as a new question #%(id)d.") % {"id": split},
                    "undo_event": undoable.id,
                }
        context.update(
            reroute=await answer_service.pending_reroute(db, question_id),
            card=card,
            submissions=submissions,
            answers=answers,
            history=history,
            department_names={d.code: d.name for d in await department_service.list_departments(db)},
            undone=undone,
            merged_here=merged_here,
            came_with=came_with,
            undoable_actions=actions.UNDOABLE,
            oob=False,
            message=None,
            full=True,
        )
        return render(request, "moderation/question.html", context)

    @get("/questions/{question_id:int}/card", name="moderation_card")
    async def show_card(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        question_id: FromPath[int],
        full: FromQuery[bool] = False,
    ) -> Response[str]:
        return await render_card(request, db, runtime, question_id, full=full)

    @get("/questions/{question_id:int}/merge", name="moderation_merge_confirm")
    async def confirm_merge(
        self, request: Request[Any, Any, Any], db: Db, question_id: FromPath[int], target_id: FromQuery[int] = 0
    ) -> Response[str]:
        """The question a merge would join, shown before the merge (the "m" key opens this)."""
        card = await queue_service.card(db, question_id)
        target = await db.get(Question, target_id) if 0 < target_id < 2**63 else None
        if card is None or target is None or target.id == question_id or target.episode_id != card.question.episode_id:
            raise NotFound(_("No such question."))
        score = next((s for other, s in card.suggestions if other.id == target.id), None)
        block = "confirm" if request.headers.get("hx-request") else None
        context = {"question": card.question, "target": target, "score": score}
        return render(request, "moderation/merge_confirm.html", context, block=block)

    @get("/questions/{question_id:int}/targets", name="moderation_merge_targets")
    async def merge_targets(
        self, request: Request[Any, Any, Any], db: Db, question_id: FromPath[int], q: FromQuery[str] = ""
    ) -> Response[str]:
        question = await db.get(Question, question_id)
        if question is None:
            raise NotFound(_("No such question."))
        targets = (
            await queue_service.search_targets(db, question.episode_id, q, exclude=question_id) if q.strip() else []
        )
        return render(request, "moderation/_merge_targets.html", {"question": question, "targets": targets, "query": q})

    async def _act(
        self,
        request: Request[Any, Any, Any],
        db: Any,
        runtime: Runtime,
        actor: User,
        question_id: int,
        work: Any,
        toast: Any = None,
    ) -> Response[str]:
        """Run an action; answer with the fresh card, or with the fresh card and a message on refusal.
        ``toast(result)`` says what was done: shown for 10 s with an undo when the change can be undone."""
        ctx = actions.ActionContext(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        try:
            result = await work(ctx)
        except StaleDataError:
            # Lost a race inside the transaction (an autoflush found the version already bumped).
            await db.rollback()
            return await render_card(
                request, db, runtime, question_id, message=actions.stale_message(question_id), status_code=409
            )
        except (Conflict, InvalidInput) as exc:
            await db.rollback()
            message = exc.message if isinstance(exc, Conflict) else "; ".join(exc.errors.values())
            return await render_card(request, db, runtime, question_id, message=message, status_code=exc.status_code)
        if not request.headers.get("hx-request"):
            # Without JavaScript: back to where the moderator acted.
            target = request.headers.get("referer") or f"/moderation/questions/{question_id}"
            return Redirect(safe_next(target.split(request.headers.get("host", ""), 1)[-1]), status_code=303)
        if toast is None:
            return await render_card(request, db, runtime, question_id)
        undoable = await actions.latest_undoable(db, question_id, actor)
        return await render_card(
            request, db, runtime, question_id, toast=toast(result), undo_event=undoable.id if undoable else None
        )

    @post("/questions/{question_id:int}/route", name="moderation_route")
    async def route_question(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        return await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.route(
                ctx,
                question_id,
                field(form, "department"),
                note=field(form, "note"),
                expected_version=int_field(form, "version"),
            ),
            toast=lambda q: (
                _("#%(id)d routed to %(department)s.")
                % {"id": q.id, "department": q.department.short_name or q.department.name}
            ),
        )

    @post("/questions/{question_id:int}/reject", name="moderation_reject")
    async def reject_question(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        return await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.reject(
                ctx,
                question_id,
                field(form, "reason"),
                note=field(form, "note"),
                expected_version=int_field(form, "version"),
            ),
            toast=lambda q: _("#%(id)d rejected.") % {"id": q.id},
        )

    @post("/questions/{question_id:int}/reopen", name="moderation_reopen")
    async def reopen_question(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        return await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.reopen(ctx, question_id, expected_version=int_field(form, "version")),
        )

    @post("/questions/{question_id:int}/priority", name="moderation_priority")
    async def set_priority(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        return await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.set_priority(
                ctx, question_id, int_field(form, "priority", -1) or 0, expected_version=int_field(form, "version")
            ),
        )

    @post("/questions/{question_id:int}/merge", name="moderation_merge")
    async def merge_question(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        target = int_field(form, "target_id")
        if target is None:
            return await render_card(
                request, db, runtime, question_id, message=_("Choose the question to merge into."), status_code=422
            )
        return await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.merge(ctx, question_id, target, expected_version=int_field(form, "version")),
            toast=lambda t: _("#%(source)d merged into #%(target)d.") % {"source": question_id, "target": t.id},
        )

    @post("/questions/{question_id:int}/wording", name="moderation_edit_wording")
    async def edit_wording(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        response = await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.edit_wording(
                ctx,
                question_id,
                str(form.get("text", "")),
                expected_version=int_field(form, "version"),
                # Only the question page's form has this field: the card's quick edit keeps it as it is.
                on_air_text=str(form["on_air_text"]) if "on_air_text" in form else None,
            ),
        )
        if (response.status_code or 200) < 400:
            await runtime.presence.stop(question_id, actor.username)
            toasts.tell(request, response, _("Wording of question #%(id)d saved.") % {"id": question_id})
        return response

    @post("/questions/{question_id:int}/approve-wording", name="moderation_approve_wording")
    async def approve_wording(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        response = await self._act(
            request,
            db,
            runtime,
            actor,
            question_id,
            lambda ctx: actions.approve_wording(ctx, question_id, expected_version=int_field(form, "version")),
        )
        if (response.status_code or 200) < 400:
            toasts.tell(request, response, _("Wording of question #%(id)d approved.") % {"id": question_id})
        return response

    @post("/questions/{question_id:int}/editing", name="moderation_editing", status_code=204)
    async def start_editing(self, db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]) -> None:
        """The moderator opened the wording editor: colleagues see it on the card."""
        question = await db.get(Question, question_id)
        if question is None:
            raise NotFound(_("No such question."))
        await runtime.presence.start(question_id, actor.username)
        await runtime.publisher.publish(
            QuestionChanged(episode_id=question.episode_id, question_id=question_id, action="editing")
        )

    @post("/submissions/{submission_id:int}/split", name="moderation_split")
    async def split_submission(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, submission_id: FromPath[int]
    ) -> Response[Any]:
        submission = await db.get(Submission, submission_id)
        if submission is None:
            raise NotFound(_("No such submission."))
        question_id = submission.question_id
        ctx = actions.ActionContext(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        created = await actions.split(ctx, submission_id)
        return Redirect(f"/moderation/questions/{question_id}?split={created.id}", status_code=303)

    @post("/history/{event_id:int}/undo", name="moderation_undo")
    async def undo_change(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, event_id: FromPath[int]
    ) -> Response[Any]:
        """Take back a merge, split, routing or rejection. From the toast (htmx) the answer is the next
        toast, which replaces the undo toast; the restored question comes back in every list by the live
        update."""
        ctx = actions.ActionContext(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        if not request.headers.get("hx-request"):
            restored = await actions.undo(ctx, event_id)
            return Redirect(f"/moderation/questions/{restored.id}", status_code=303)
        try:
            restored = await actions.undo(ctx, event_id)
        except (Conflict, NotFound) as exc:
            await db.rollback()
            text = exc.message
        else:
            text = _("Undone: #%(id)d is back as it was.") % {"id": restored.id}
        # The form's hx-target is its own toast: this one takes its place in #toasts.
        return render(request, "_toast.html", {"toast_text": text, "undo_event": None})

    @post("/answers/{answer_id:int}/review", name="moderation_review_answer")
    async def review_answer(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, answer_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        answer = await db.get(Answer, answer_id)
        if answer is None:
            raise NotFound(_("No such answer."))
        question_id = answer.question_id
        approve = field(form, "decision") == "approve"
        if request.headers.get("hx-request"):
            # From the queue card: the fresh card, and a toast saying what happened.
            return await self._act(
                request,
                db,
                runtime,
                actor,
                question_id,
                lambda ctx: actions.review_answer(
                    ctx,
                    answer_id,
                    approve=approve,
                    comment=field(form, "comment"),
                    expected_version=int_field(form, "version"),
                ),
                toast=lambda _answer: (
                    (
                        _("Answer to #%(id)d approved.")
                        if approve
                        else _("Answer to #%(id)d returned to the department.")
                    )
                    % {"id": question_id}
                ),
            )
        ctx = actions.ActionContext(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        approve = field(form, "decision") == "approve"
        try:
            await actions.review_answer(
                ctx,
                answer_id,
                approve=approve,
                comment=field(form, "comment"),
                expected_version=int_field(form, "version"),
            )
        except DomainError:
            await db.rollback()
            raise
        toasts.flash(request, _("Answer approved.") if approve else _("Answer returned to the department."))
        return Redirect(f"/moderation/questions/{question_id}#answers", status_code=303)

    @post("/reroutes/{request_id:int}/decide", name="moderation_decide_reroute")
    async def decide_reroute(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, request_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        reroute = await db.get(RerouteRequest, request_id)
        if reroute is None:
            raise NotFound(_("No pending re-routing request."))
        question_id = reroute.question_id
        ctx = answer_service.Ctx(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        await answer_service.decide_reroute(
            ctx,
            request_id,
            accept=field(form, "decision") == "accept",
            department_code=field(form, "department"),
            note=field(form, "note"),
        )
        toasts.flash(request, _("Re-routing request decided."))
        return Redirect(f"/moderation/questions/{question_id}", status_code=303)

    @post("/questions/{question_id:int}/publish", name="moderation_publish_answer")
    async def publish_answer(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, question_id: FromPath[int]
    ) -> Response[Any]:
        ctx = answer_service.Ctx(db=db, actor=actor, publisher=runtime.publisher, engines=runtime.engines)
        await answer_service.publish_answer(ctx, question_id)
        toasts.flash(request, _("Answer published."))
        return Redirect(f"/moderation/questions/{question_id}#answers", status_code=303)

    @get("/settings", name="moderation_settings")
    async def show_settings(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        episode: FromQuery[int | None] = None,
        saved: FromQuery[bool] = False,
    ) -> Response[str]:
        current = await self._episode(db, episode)
        if current is None:
            raise NotFound(_("No episode exists yet."))
        defaults = DuplicateIndex()
        return render(
            request,
            "moderation/settings.html",
            {
                "episode": current,
                "errors": {},
                "saved": saved,
                "default_auto": defaults.auto_merge_threshold,
                "default_suggest": defaults.suggest_threshold,
            },
        )

    @post("/settings", name="moderation_save_settings")
    async def save_settings(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor
    ) -> Response[Any]:
        form = await request.form()
        episode_id = int_field(form, "episode_id") or 0

        def number(name: str) -> float | None:
            value = field(form, name).replace(",", ".")
            try:
                return float(value) if value else None
            except ValueError:
                return -1.0

        try:
            await actions.update_matching_settings(
                db,
                actor,
                runtime.publisher,
                episode_id,
                auto_merge=number("auto_merge"),
                suggest=number("suggest"),
                filler_phrases=field(form, "filler_phrases").splitlines(),
            )
        except InvalidInput as exc:
            await db.rollback()
            defaults = DuplicateIndex()
            return render(
                request,
                "moderation/settings.html",
                {
                    "episode": await episode_service.get_episode(db, episode_id),
                    "errors": exc.errors,
                    "saved": False,
                    "default_auto": defaults.auto_merge_threshold,
                    "default_suggest": defaults.suggest_threshold,
                },
                status_code=422,
            )
        return Redirect(f"/moderation/settings?episode={episode_id}&saved=1", status_code=303)
