"""The staff landing page: per-role navigation and live counters of the current episode."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from qa_app.models import Role
from qa_app.services import episodes as episode_service
from qa_app.services import workspace
from qa_app.web.auth import requires_staff
from qa_app.web.deps import Actor, Db
from qa_app.web.rendering import render


class WorkspaceController(Controller):
    path = "/workspace"
    guards = [requires_staff]  # noqa: RUF012

    @get("/", name="workspace")
    async def show_workspace(
        self, request: Request[Any, Any, Any], db: Db, actor: Actor, episode: FromQuery[int | None] = None
    ) -> Response[str]:
        episodes = await episode_service.list_episodes(db)
        current = (
            await episode_service.get_episode(db, episode) if episode else await episode_service.current_episode(db)
        )
        department = actor.department if actor.role is Role.OFFICER else None
        counts: dict[str, int] = {}
        questions = []
        if current is not None:
            counts = await workspace.status_counts(
                db, current.id, department_code=department.code if department else None
            )
            questions = await workspace.latest_questions(
                db, current.id, department_id=department.id if department else None
            )
        return render(
            request,
            "workspace/dashboard.html",
            {
                "episodes": episodes,
                "episode": current,
                "counts": counts,
                "questions": questions,
                "department_code": department.code if department else None,
                "department": department,
                "oob": False,
            },
        )
