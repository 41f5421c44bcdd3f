"""Pages anyone can open: the home page, the language switch, the health check."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from sqlalchemy import text

from qa_app.i18n import LOCALE_COOKIE
from qa_app.services import episodes as episode_service
from qa_app.settings import LOCALES
from qa_app.web.auth import safe_next
from qa_app.web.deps import Db, RuntimeDep
from qa_app.web.rendering import render

HEALTH_TIMEOUT_SECONDS = 3.0


class PublicController(Controller):
    path = "/"

    @get("/", name="home")
    async def home(self, request: Request[Any, Any, Any], db: Db) -> Response[str]:
        episodes = await episode_service.list_episodes(db, episode_service.PUBLIC_STATUSES)
        return render(request, "public/home.html", {"episodes": episodes})

    @get("/ngon-ngu/{locale:str}", name="set_locale", sync_to_thread=False)
    def set_locale(self, locale: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
        response = Redirect(safe_next(next or "/"), status_code=303)
        if locale in LOCALES:
            response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, httponly=True, samesite="lax")
        return response


@get("/healthz", name="healthz", media_type=MediaType.JSON)
async def healthz(runtime: RuntimeDep) -> Response[dict[str, str]]:
    """``{"status": "ok", "database": "ok"}``, or 503 when the database does not answer."""

    async def probe() -> None:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), timeout=HEALTH_TIMEOUT_SECONDS)
    except Exception:
        return Response({"status": "degraded", "database": "unreachable"}, status_code=503)
    return Response({"status": "ok", "database": "ok"})
