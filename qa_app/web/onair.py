"""On air: the producer's rundown, the studio screen (signed link, no login), the public board, ratings."""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup
from sqlalchemy import select

from qa_app.i18n import gettext as _
from qa_app.models import Episode, EpisodeOfficial, Question, Role
from qa_app.runtime import Runtime
from qa_app.services import broadcast, ratings
from qa_app.services import departments as department_service
from qa_app.services import episodes as episode_service
from qa_app.services import rundown as rundown_service
from qa_app.services.errors import DomainError, InvalidInput, NotFound
from qa_app.services.wording import citizen_wording
from qa_app.web.auth import guess, requires
from qa_app.web.deps import Actor, Db, RuntimeDep
from qa_app.web.edge import parse_int
from qa_app.web.forms import field, int_field
from qa_app.web.rendering import render


async def studio_link(runtime: Runtime, episode: Episode) -> str:
    return f"/studio/{episode.id}/{broadcast.studio_token(runtime.settings.secret_key, episode)}"


# A page of the public board: short enough for a phone; "see more" appends the next one.
BOARD_PAGE_SIZE = 10


class ProducerController(Controller):
    path = "/producer"
    guards = [requires(Role.PRODUCER)]  # noqa: RUF012

    async def _page(
        self,
        request: Request[Any, Any, Any],
        db: Any,
        runtime: Runtime,
        episode: Episode | None,
        *,
        message: str | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        context: dict[str, Any] = {
            "episode": episode,
            "episodes": await episode_service.list_episodes(db),
            "message": message,
        }
        if episode is not None:
            context.update(
                entries=await rundown_service.entries(db, episode.id),
                candidates=await rundown_service.candidates(db, episode.id),
                state=await broadcast.studio_state(db, episode.id),
                officials=list(
                    await db.scalars(select(EpisodeOfficial).where(EpisodeOfficial.episode_id == episode.id))
                ),
                studio_link=await studio_link(runtime, episode),
            )
        block = (
            "rundown" if request.headers.get("hx-request") and request.headers.get("hx-target") == "rundown" else None
        )
        return render(request, "producer/rundown.html", context, status_code=status_code, block=block)

    @get("/", name="producer_rundown")
    async def show(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, episode: FromQuery[int | None] = None
    ) -> Response[str]:
        current = (
            await episode_service.get_episode(db, episode) if episode else await episode_service.current_episode(db)
        )
        return await self._page(request, db, runtime, current)

    async def _act(
        self, request: Request[Any, Any, Any], db: Any, runtime: Runtime, episode_id: int, work: Any
    ) -> Response[Any]:
        try:
            await work()
        except DomainError as exc:
            await db.rollback()
            episode = await episode_service.get_episode(db, episode_id)
            message = "; ".join(exc.errors.values()) if isinstance(exc, InvalidInput) else exc.message
            return await self._page(request, db, runtime, episode, message=message, status_code=exc.status_code)
        if request.headers.get("hx-request"):
            return await self._page(request, db, runtime, await episode_service.get_episode(db, episode_id))
        return Redirect(f"/producer?episode={episode_id}", status_code=303)

    @post("/{episode_id:int}/rundown", name="producer_add")
    async def add(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, episode_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        question_id = int_field(form, "question_id") or 0
        return await self._act(
            request,
            db,
            runtime,
            episode_id,
            lambda: rundown_service.add(db, actor, runtime.publisher, episode_id, question_id),
        )

    @post("/{episode_id:int}/rundown/{item_id:int}/{action:str}", name="producer_item_action")
    async def item_action(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        actor: Actor,
        episode_id: FromPath[int],
        item_id: FromPath[int],
        action: FromPath[str],
    ) -> Response[Any]:
        works = {
            "up": lambda: rundown_service.move(db, actor, runtime.publisher, episode_id, item_id, -1),
            "down": lambda: rundown_service.move(db, actor, runtime.publisher, episode_id, item_id, 1),
            "skip": lambda: rundown_service.skip(db, actor, runtime.publisher, episode_id, item_id),
            "remove": lambda: rundown_service.remove(db, actor, runtime.publisher, episode_id, item_id),
        }
        if action not in works:
            raise NotFound(_("Unknown action."))
        return await self._act(request, db, runtime, episode_id, works[action])

    @post("/{episode_id:int}/order", name="producer_reorder")
    async def reorder(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, episode_id: FromPath[int]
    ) -> Response[Any]:
        """Drag and drop sends the whole order."""
        form = await request.form()
        order = [n for v in field(form, "order").split(",") if (n := parse_int(v, minimum=1)) is not None]
        return await self._act(
            request,
            db,
            runtime,
            episode_id,
            lambda: rundown_service.reorder(db, actor, runtime.publisher, episode_id, order),
        )

    @post("/{episode_id:int}/on-air", name="producer_on_air")
    async def on_air(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, episode_id: FromPath[int]
    ) -> Response[Any]:
        form = await request.form()
        question_id = int_field(form, "question_id") or 0
        return await self._act(
            request,
            db,
            runtime,
            episode_id,
            lambda: rundown_service.put_on_air(db, actor, runtime.publisher, episode_id, question_id),
        )

    @post("/{episode_id:int}/on-air/{action:str}", name="producer_on_air_action")
    async def on_air_action(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        runtime: RuntimeDep,
        actor: Actor,
        episode_id: FromPath[int],
        action: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        works = {
            "done": lambda: rundown_service.mark_answered(
                db, actor, runtime.publisher, episode_id, field(form, "official")
            ),
            "next": lambda: rundown_service.next_on_air(db, actor, runtime.publisher, episode_id),
            "pull": lambda: rundown_service.pull_back(db, actor, runtime.publisher, episode_id),
        }
        if action not in works:
            raise NotFound(_("Unknown action."))
        return await self._act(request, db, runtime, episode_id, works[action])

    @post("/{episode_id:int}/studio-link/revoke", name="producer_revoke_studio_link")
    async def revoke(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, actor: Actor, episode_id: FromPath[int]
    ) -> Response[Any]:
        return await self._act(
            request,
            db,
            runtime,
            episode_id,
            lambda: episode_service.revoke_studio_link(db, actor, runtime.publisher, episode_id),
        )


@get("/studio/{episode_id:int}/{token:str}", name="studio_screen")
async def studio_screen(
    request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, episode_id: FromPath[int], token: FromPath[str]
) -> Response[str]:
    """The kiosk screen of the studio: read-only, opened from a signed link, no login."""
    episode = await db.get(Episode, episode_id)
    if episode is None or not broadcast.studio_token_valid(runtime.settings.secret_key, episode, token):
        raise NotFound(_("This studio link is not valid (it may have been revoked)."))
    state = await broadcast.studio_state(db, episode_id)
    form_url = runtime.settings.public_url + request.app.route_reverse("episode_page", slug=episode.slug)
    return render(
        request,
        "studio/screen.html",
        {"state": state, "token": token, "oob": False, "form_url": form_url, "form_qr": question_form_qr(form_url)},
    )


def question_form_qr(url: str) -> Markup:
    """The QR code to the question form as inline SVG (drawn on the server: the CSP allows no inline script)."""
    svg = segno.make(url, error="m").svg_inline(
        scale=1, border=2, dark="#000", light="#fff", omitsize=True, svgclass="studio-qr-code"
    )
    # segno's own markup (a viewBox and path data): nothing of the URL is in it but the modules
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # noqa: S704


class PublicBoardController(Controller):
    path = "/"

    @get("/truc-tiep/{slug:str}", name="public_board")
    async def board(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        slug: FromPath[str],
        q: FromQuery[str] = "",
        department: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Response[str]:
        episode = await episode_service.get_episode_by_slug(db, slug)
        if episode.status not in episode_service.PUBLIC_STATUSES:
            raise NotFound(_("No such episode."))
        per_page = BOARD_PAGE_SIZE
        page = max(1, page)
        answered, total = await broadcast.published_answers(
            db, episode.id, text=q[:200], department=department[:64], limit=per_page, offset=(page - 1) * per_page
        )
        context = {
            "episode": episode,
            "state": await broadcast.studio_state(db, episode.id),
            "answered": answered,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // per_page)),
            "q": q,
            "department": department,
            "departments": await department_service.list_departments(db, active_only=True),
            "per_page": per_page,
            "oob": False,
        }
        target = request.headers.get("hx-target") if request.headers.get("hx-request") else None
        block = {"answers": "answers", "answers-more": "answer_page"}.get(target or "")
        return render(request, "public/board.html", context, block=block)

    @get("/danh-gia/{question_id:int}", name="rating_form")
    async def rating_form(
        self, request: Request[Any, Any, Any], db: Db, question_id: FromPath[int], ma: FromQuery[str] = ""
    ) -> Response[str]:
        question = await ratings.rateable_question(db, question_id)
        return _rating_page(request, question, {"code": ma}, {}, done=False)

    @post("/danh-gia/{question_id:int}", name="rate_answer")
    async def rate(
        self, request: Request[Any, Any, Any], db: Db, runtime: RuntimeDep, question_id: FromPath[int]
    ) -> Response[str]:
        form = await request.form()
        values = {"code": field(form, "code"), "score": field(form, "score"), "comment": field(form, "comment")}
        try:
            async with guess(request) as attempt:
                await ratings.rate(
                    db, runtime.counter, question_id, values["code"], values["score"], values["comment"], attempt
                )
        except InvalidInput as exc:
            await db.rollback()
            question = await ratings.rateable_question(db, question_id)
            return _rating_page(request, question, values, exc.errors, done=False, status_code=422)
        question = await ratings.rateable_question(db, question_id)
        return _rating_page(request, question, values, {}, done=True)


def _rating_page(
    request: Request[Any, Any, Any],
    question: Question,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    done: bool,
    status_code: int = 200,
) -> Response[str]:
    context = {"question": question, "wording": citizen_wording(question), "values": values, "errors": errors}
    return render(request, "public/rating.html", context | {"done": done}, status_code=status_code)
