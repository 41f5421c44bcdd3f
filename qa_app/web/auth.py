"""Who is calling: session users for the screens, bearer tokens for the API; role guards; login/logout."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import ipaddress
import logging
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
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
from litestar.stores.base import Store
from litestar.types import Empty, Message
from litestar.utils.dataclass import extract_dataclass_items

from qa_app.i18n import gettext as _
from qa_app.models import Role, User
from qa_app.periodic import Periodic
from qa_app.runtime import Runtime
from qa_app.security import sign
from qa_app.services import users as user_service
from qa_app.services.errors import DomainError
from qa_app.services.guesses import Guess, GuessLimiter
from qa_app.settings import Settings
from qa_app.timeutil import as_utc
from qa_app.web.rendering import render

logger = logging.getLogger("qa_app.auth")
SESSION_COOKIE = "qa_session"
ROTATE_SESSION_KEY = "qa_rotate_session"
API_PREFIX = "/api/"


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions only for who logged in, with the id replaced at login (against fixation).

    Litestar stores an empty session, and sets its cookie, for every visitor without one: a file or a
    Redis key per anonymous page view. Here an empty session is never stored, and an empty one that
    came with a cookie (logged out, expired, or forged) is deleted with its cookie. Litestar also keeps
    the cookie's id when a handler calls ``clear_session()`` then ``set_session()``: ``rotate_session``.
    """

    async def store_in_message(self, scope_session: Any, message: Message, connection: ASGIConnection) -> None:
        if isinstance(scope_session, dict) and not scope_session:
            if connection.cookies.get(self.config.key):
                await super().store_in_message(Empty, message, connection)
            return
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


class SessionPurge(Periodic):
    """Deletes expired sessions every ``interval`` seconds from stores that keep them until asked
    (files in development, memory in tests); Redis expires its keys on its own."""

    name = "session-purge"
    failure = "expired sessions could not be purged"

    def __init__(self, store: Store, *, interval: float = 3600, delay: float = 60) -> None:
        super().__init__(interval=interval, delay=delay)
        self.store = store

    async def purge(self) -> None:
        delete_expired = getattr(self.store, "delete_expired", None)
        if delete_expired is None:
            return
        with contextlib.suppress(FileNotFoundError):  # no session was ever stored
            await delete_expired()

    async def run_once(self) -> None:
        await self.purge()


def rotate_session(request: Request[Any, Any, Any]) -> None:
    cast("dict[str, Any]", request.scope)[ROTATE_SESSION_KEY] = True


def runtime_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Runtime:
    return connection.app.state.runtime


def guess(connection: ASGIConnection[Any, Any, Any, Any]) -> AbstractAsyncContextManager[Guess]:
    """A look-up of a secret code by this client, limited per address on misses (``Guess.missed``)."""
    runtime = runtime_of(connection)
    limiter = runtime.extras.get("guesses")
    if limiter is None:
        limiter = runtime.extras["guesses"] = GuessLimiter(runtime.counter, runtime.settings.guess_limit_per_ip)
    return limiter.guess(client_ip(connection))


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


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in trusted)


def _address(value: str) -> Address | None:
    value = value.strip()
    # Some proxies write the port too: "203.0.113.9:5120", "[2001:db8::1]:5120".
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forwarded_client(peer: str, forwarded_for: list[str], trusted: tuple[str, ...]) -> str:
    """The client's address: the peer itself, unless the peer is a trusted proxy; then the right-most
    address in ``X-Forwarded-For`` that is not a trusted proxy (what the nearest untrusted party
    connected from; everything left of it was written by the client and is not believed)."""
    networks = _networks(trusted)
    current = _address(peer)
    if current is None or not any(current in network for network in networks):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # not an address: the last proxy is as far as anything can be believed
        current = address
        if not any(address in network for network in networks):
            break
    return str(current)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address that per-IP limits and audit lines use (see ``QA_TRUSTED_PROXIES``)."""
    peer = connection.client.host if connection.client else "unknown"
    trusted = runtime_of(connection).settings.trusted_proxies
    forwarded = connection.headers.getall("x-forwarded-for", [])
    if not trusted:
        if forwarded and not _warned_untrusted_proxy.is_set():
            _warned_untrusted_proxy.set()
            logger.warning(
                "X-Forwarded-For from %s is ignored: if it is your reverse proxy, list it in QA_TRUSTED_PROXIES, "
                "or every citizen behind it shares one per-IP limit",
                peer,
            )
        return peer
    return forwarded_client(peer, forwarded, trusted)


_warned_untrusted_proxy = threading.Event()  # once per process is enough to tell the operator


DEVICE_COOKIE_PREFIX = "qa_device_"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600


def _device_cookie_name(username: str) -> str:
    return DEVICE_COOKIE_PREFIX + hashlib.sha256(username.strip().lower().encode()).hexdigest()[:12]


def _device_signature(secret: str, username: str, nonce: str) -> str:
    return sign(secret, f"login-device:{username.strip().lower()}:{nonce}")[:32]


def known_device(request: Request[Any, Any, Any], secret: str, username: str) -> str | None:
    """The id of this browser if it logged in to ``username`` before (a signed cookie, sent to /login
    only), else None. Such a browser keeps its own lockout counter, out of strangers' reach."""
    value = request.cookies.get(_device_cookie_name(username), "")
    nonce, _, signature = value.partition(".")
    expected = _device_signature(secret, username, nonce)
    if nonce and hmac.compare_digest(expected.encode(), signature.encode()):
        return nonce
    return None


def new_device_cookie(settings: Settings, username: str) -> Cookie:
    nonce = secrets.token_urlsafe(12)
    return Cookie(
        key=_device_cookie_name(username),
        value=f"{nonce}.{_device_signature(settings.secret_key, username, nonce)}",
        path="/login",
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.is_production,
        samesite="strict",
    )


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
        settings = runtime.settings
        form = await request.form()
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "")))
        policy = user_service.LoginPolicy(
            settings.login_max_failures_per_account,
            settings.login_max_attempts_per_ip,
            settings.login_max_attempts_per_account_from_new_places,
            settings.login_window_seconds,
        )
        device = known_device(request, settings.secret_key, username)
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
                    device=device,
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
        response = Redirect(target, status_code=303)
        if device is None:
            response.set_cookie(new_device_cookie(settings, user.username))
        return response

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
