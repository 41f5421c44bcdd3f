"""Pages anyone can open: the home page, the language switch, the favicon, the health check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect
from sqlalchemy import text

from qa_app.i18n import LOCALE_COOKIE
from qa_app.services import episodes as episode_service
from qa_app.settings import LOCALES
from qa_app.web.auth import safe_next
from qa_app.web.deps import Db, RuntimeDep
from qa_app.web.rendering import render

HEALTH_TIMEOUT_SECONDS = 3.0
REDIS_HEALTH_TIMEOUT_SECONDS = 1.0


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


@get("/favicon.ico", name="favicon", include_in_schema=False, sync_to_thread=False)
def favicon(runtime: RuntimeDep) -> File:
    """Browsers ask for it on every site: answered, not logged as a 404."""
    return File(
        path=runtime.settings.static_dir / "favicon.ico",
        media_type="image/x-icon",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@get("/healthz", name="healthz", media_type=MediaType.JSON)
async def healthz(runtime: RuntimeDep) -> Response[dict[str, str]]:
    """``{"status": "ok", "database": "ok", "redis": "ok"}`` (``redis`` only when configured).

    The database is the source of truth: when it does not answer, this worker can do nothing useful and
    says 503, so a load balancer sends traffic elsewhere. Redis only accelerates (every use of it falls
    back to this process): when it does not answer the status is ``degraded`` but the code stays 200,
    because every worker shares the one Redis and taking them all out would turn a blink into an outage.
    Each probe has its own time limit, so the answer never hangs.
    """

    async def database() -> None:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def redis(client: Any) -> None:
        async with asyncio.timeout(REDIS_HEALTH_TIMEOUT_SECONDS):
            await client.ping()

    probes: dict[str, Awaitable[Any]] = {"database": database()}
    if runtime.redis is not None:
        probes["redis"] = redis(runtime.redis)
    results = await asyncio.gather(*probes.values(), return_exceptions=True)
    body = {
        name: "unreachable" if isinstance(result, BaseException) else "ok"
        for name, result in zip(probes, results, strict=True)
    }
    healthy = all(value == "ok" for value in body.values())
    return Response(
        {"status": "ok" if healthy else "degraded", **body}, status_code=503 if body["database"] != "ok" else 200
    )
