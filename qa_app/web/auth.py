"""Who is calling: session users for the screens, bearer tokens for the API; role guards; login/logout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.params import FromQuery
from litestar.response import Redirect
from litestar.types import Empty, Message
from litestar.utils.dataclass import extract_dataclass_items

from qa_app.i18n import gettext as _
from qa_app.models import Role, User
from qa_app.runtime import Runtime
from qa_app.services import users as user_service
from qa_app.services.errors import DomainError
from qa_app.timeutil import as_utc
from qa_app.web.rendering import render

ROTATE_SESSION_KEY = "qa_rotate_session"
API_PREFIX = "/api/"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions whose id is replaced when a handler asks (at login), against fixation.

    Litestar keeps the cookie's id when a handler calls ``clear_session()`` then ``set_session()``.
    """

    async def store_in_message(self, scope_session: Any, message: Message, connection: ASGIConnection) -> None:
        if not connection.scope.pop(ROTATE_SESSION_KEY, False) or scope_session is Empty:  # type: ignore[misc]
            await super().store_in_message(scope_session, message, connection)
            return
        store = self.config.get_store_from_app(connection.scope["app"])
        if old_id := connection.cookies.get(self.config.key):
            await self.delete(old_id, store=store)
        new_id = self.generate_session_id()
        await self.set(new_id, self.serialize_data(scope_session, connection.scope), store=store)
        cookie_params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        MutableScopeHeaders.from_message(message).add(
            "Set-Cookie", Cookie(value=new_id, key=self.config.key, **cookie_params).to_header(header="")
        )


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def rotate_session(request: Request[Any, Any, Any]) -> None:
    cast("dict[str, Any]", request.scope)[ROTATE_SESSION_KEY] = True


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    return connection.app.state.runtime


class UserMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``connection.user`` to the active User or None; never refuses (guards do).

    The API authenticates by bearer token only and the screens by session only, so a session cookie
    can never authorise an API call (the API is exempt from CSRF).
    """

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        runtime = runtime_of(connection)
        if connection.scope["path"].startswith(API_PREFIX):
            header = connection.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return AuthenticationResult(user=None, auth=None)
            async with runtime.sessionmaker() as db:
                return AuthenticationResult(user=await user_service.user_for_token(db, token.strip()), auth="token")
        raw_session = connection.scope.get("session")
        session: dict[str, Any] = raw_session if isinstance(raw_session, dict) else {}
        user_id = session.get("uid")
        if not user_id:
            return AuthenticationResult(user=None, auth=None)
        async with runtime.sessionmaker() as db:
            user = await user_service.get_user(db, int(user_id))
        if (
            user is None
            or not user.active
            or as_utc(user.password_changed_at).timestamp() > float(session.get("auth_at", 0))
        ):
            return AuthenticationResult(user=None, auth=None)
        return AuthenticationResult(user=user, auth="session")


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def requires(*roles: Role) -> Guard:
    """A guard: 401 for anonymous callers, 403 for roles outside ``roles`` (admins pass every guard)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        user: User | None = connection.scope.get("user")
        if user is None:
            raise NotAuthorizedException(_("Please log in."))
        if user.role is not Role.ADMIN and user.role not in roles:
            raise PermissionDeniedException(_("Your role does not give access to this page."))

    guard.__name__ = f"requires_{'_'.join(r.value for r in roles) or 'admin'}"
    return guard


requires_staff = requires(*Role)
requires_admin = requires(Role.ADMIN)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return "/workspace"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/workspace"
    return target


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


class AuthController(Controller):
    path = "/"

    @get("/login", name="show_login", sync_to_thread=False)
    def show_login(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response[str]:
        if request.user is not None:
            return Redirect(safe_next(next))
        return render(request, "auth/login.html", {"next": safe_next(next), "errors": {}, "username": ""})

    @post("/login", name="login")
    async def login(self, request: Request[Any, Any, Any]) -> Response[str]:
        runtime = runtime_of(request)
        form = await request.form()
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        policy = user_service.LoginPolicy(
            runtime.settings.login_max_failures_per_account,
            runtime.settings.login_max_failures_per_ip,
            runtime.settings.login_window_seconds,
        )
        try:
            async with runtime.sessionmaker() as db:
                user = await user_service.authenticate(
                    db,
                    runtime.passwords,
                    runtime.counter,
                    policy,
                    username=username,
                    password=password,
                    ip=client_ip(request),
                )
        except DomainError as exc:
            return render(
                request,
                "auth/login.html",
                {"next": target, "errors": {"form": exc.message}, "username": username},
                status_code=exc.status_code,
            )
        rotate_session(request)
        request.set_session({"uid": user.id, "auth_at": as_utc(user.last_login_at or user.created_at).timestamp()})
        return Redirect(target, status_code=303)

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
