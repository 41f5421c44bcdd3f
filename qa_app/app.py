"""``create_app(settings)``: the only place that wires plugins, routes and middleware."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Router
from litestar.channels import ChannelsPlugin
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.orm.exc import StaleDataError

from qa_app import i18n
from qa_app.availability import RedisGuard
from qa_app.channels_backend import ResilientChannelsBackend
from qa_app.db import create_engine, create_sessionmaker
from qa_app.events import Publisher
from qa_app.labels import ALL_LABELS
from qa_app.runtime import Runtime
from qa_app.security import FallbackCounter, MemoryCounter, Passwords, RedisCounter
from qa_app.services.commitments import FollowUpSchedule
from qa_app.services.errors import DomainError
from qa_app.services.notifications import NotificationSender
from qa_app.services.presence import Presence
from qa_app.services.retention import RetentionSchedule
from qa_app.services.wards import wards_sorted_by_name
from qa_app.sessions import FallbackSessionStore
from qa_app.settings import LOCALES, Settings
from qa_app.timeutil import format_date, format_datetime, local_input_value
from qa_app.web import errors as error_handlers
from qa_app.web import history
from qa_app.web.admin import AdminController
from qa_app.web.api import ApiController, StudioControlController
from qa_app.web.apidocs import render_plugins
from qa_app.web.auth import (
    API_PREFIX,
    SESSION_COOKIE,
    AuthController,
    RotatingSessionConfig,
    SessionPurge,
    UserMiddleware,
)
from qa_app.web.department import DepartmentController
from qa_app.web.deps import provide_actor, provide_db, provide_runtime
from qa_app.web.edge import BoundedRequest, edge_middleware, require_json
from qa_app.web.followup import (
    CitizenLinksController,
    DepartmentCommitmentsController,
    ModerationCommitmentsController,
    OutboxController,
)
from qa_app.web.intake import IntakeController
from qa_app.web.live import (
    LivePublisher,
    department_socket,
    moderation_socket,
    producer_socket,
    public_socket,
    studio_socket,
    workspace_socket,
)
from qa_app.web.moderation import ModerationController
from qa_app.web.onair import ProducerController, PublicBoardController, studio_screen
from qa_app.web.operator import ImportController, OperatorController
from qa_app.web.public import PublicController, favicon, healthz
from qa_app.web.reports import AccountabilityController, ReportController
from qa_app.web.text import highlight_pii, paragraphs, rich_text
from qa_app.web.workspace import WorkspaceController

logger = logging.getLogger("qa_app")

# No inline script anywhere: htmx and our own JS come from /static. htmx injects a small style
# element for its indicators, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def locale_middleware(default_locale: str) -> Any:
    """Set the request's locale from the ``qa_locale`` cookie, else the configured default."""

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            locale = default_locale
            for name, value in scope.get("headers", []):
                if name == b"cookie":
                    for part in value.decode("latin-1").split(";"):
                        key, _, val = part.strip().partition("=")
                        if key == i18n.LOCALE_COOKIE and val in LOCALES:
                            locale = val
            token = i18n.current_locale.set(locale)
            try:
                await app(scope, receive, send)
            finally:
                i18n.current_locale.reset(token)

        return middleware

    return factory


# Production runs behind a TLS proxy (README): browsers then never try plain HTTP for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
RETRY_AFTER = str(error_handlers.RETRY_AFTER_SECONDS).encode()


def security_headers_middleware(production: bool) -> Any:
    added = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if production:
        added.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode()))

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Any) -> None:
                if message["type"] == "http.response.start":
                    headers = [*message.get("headers", []), *added]
                    if message["status"] == 503 and not any(name.lower() == b"retry-after" for name, _ in headers):
                        headers.append((b"retry-after", RETRY_AFTER))  # database down, queue full: when to retry
                    message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return factory


def create_template_environment(settings: Settings) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(settings.templates_dir)),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
    )
    tz = settings.timezone
    environment.filters["datetime"] = lambda value: format_datetime(value, tz)
    environment.filters["date"] = lambda value: format_date(value, tz)
    environment.filters["input_datetime"] = lambda value: local_input_value(value, tz)
    environment.globals["current_locale"] = i18n.current_locale.get
    environment.globals["locales"] = LOCALES
    environment.globals.update(ALL_LABELS)
    environment.globals["ward_list"] = wards_sorted_by_name
    environment.filters["paragraphs"] = paragraphs
    environment.filters["highlight_pii"] = highlight_pii
    environment.filters["rich_text"] = rich_text
    environment.globals["describe_event"] = history.describe
    environment.globals["action_label"] = history.action_label
    environment.globals["entity_label"] = history.entity_label
    environment.filters["raw_record"] = history.raw_record
    return environment


def _static_version(static_dir: Path) -> str:
    """Cache-busting token for static URLs: changes whenever a static file changes."""
    latest = max((p.stat().st_mtime_ns for p in static_dir.rglob("*") if p.is_file()), default=0)
    return format(latest % (36**8), "x")


def create_app(settings: Settings, *, publisher: Publisher | None = None) -> Litestar:
    """Assemble the application for ``settings``.

    ``publisher`` replaces the live publisher (tests pass a recording one).
    """
    redis = None
    # Redis only accelerates: every use of it has a fallback in this process (README, "Production").
    redis_guard = RedisGuard()
    if settings.redis_url:
        from redis.asyncio import Redis

        # Bounded waits: a Redis that does not answer must cost a request at most about a second.
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1.0, socket_timeout=2.0)
        channels_backend = ResilientChannelsBackend(redis, key_prefix=f"{settings.redis_prefix}:channels")
        stores: dict[str, Any] = {
            "sessions": FallbackSessionStore(
                RedisStore(redis, namespace=f"{settings.redis_prefix}:sessions"), redis_guard
            ),
            "rate_limit": RedisStore(redis, namespace=f"{settings.redis_prefix}:rate_limit"),
        }
        counter: Any = FallbackCounter(
            RedisCounter(redis, settings.redis_prefix), redis_guard, strict_weight=max(2, settings.workers)
        )
    else:
        channels_backend = ResilientChannelsBackend()
        session_store: Any = (
            MemoryStore()
            if settings.environment == "test"
            else FileStore(settings.var_dir / "sessions", create_directories=True)
        )
        stores = {"sessions": session_store, "rate_limit": MemoryStore()}
        counter = MemoryCounter()

    channels = ChannelsPlugin(
        backend=channels_backend,
        arbitrary_channels_allowed=True,
        # A slow socket loses old fragments instead of growing memory; it re-syncs on reconnect.
        subscriber_max_backlog=256,
        subscriber_backlog_strategy="dropleft",
    )
    environment = create_template_environment(settings)
    environment.globals["static_version"] = _static_version(settings.static_dir)
    presence = Presence(redis, settings.redis_prefix, redis_guard)
    engine = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=sessionmaker,
        passwords=Passwords(
            settings.argon2_time_cost, settings.argon2_memory_cost, concurrency=settings.password_hash_concurrency
        ),
        counter=counter,
        publisher=publisher or LivePublisher(channels, sessionmaker, environment, settings.locale, presence),
        channels=channels,
        redis=redis,
        presence=presence,
    )

    retention = RetentionSchedule(sessionmaker)
    follow_up = FollowUpSchedule(sessionmaker)
    session_purge = SessionPurge(stores["sessions"])
    # Started whenever an SMTP server or an SMS gateway is configured (in tests too: they run real ones).
    sender = NotificationSender(sessionmaker, settings)

    async def on_startup(app: Litestar) -> None:
        if settings.environment != "test":  # tests call the purge and the sweep themselves, when they choose
            retention.start()
            follow_up.start()
            session_purge.start()
        sender.start()

    async def on_shutdown(app: Litestar) -> None:
        await sender.close()
        await retention.close()
        await follow_up.close()
        await session_purge.close()
        await runtime.intake.close()
        if isinstance(runtime.publisher, LivePublisher):
            await runtime.publisher.close()
        await engine.dispose()
        if redis is not None:
            await channels_backend.on_shutdown()  # its Redis tasks stop before the client closes
            await redis.aclose()

    session_config = RotatingSessionConfig(
        key=SESSION_COOKIE,
        max_age=settings.session_max_age,
        secure=settings.is_production,
        httponly=True,
        samesite="lax",
        renew_on_access=True,
        exclude=[API_PREFIX, "^/static/", "^/healthz"],
    )
    csrf_config = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="qa_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.is_production,
        cookie_samesite="lax",
        # The API authenticates only with bearer tokens (never cookies), so cross-site forgery has nothing to ride on.
        exclude=[API_PREFIX],
    )
    static_router = create_static_files_router(
        path="/static",
        directories=[settings.static_dir],
        name="static",
        cache_control=None,
        include_in_schema=False,
    )
    api_router = Router(
        path="/api/v1",
        route_handlers=[ApiController, StudioControlController],
        before_request=require_json,
        include_in_schema=True,  # the screens are not an API: only this router is documented
    )

    app = Litestar(
        route_handlers=[
            PublicController,
            IntakeController,
            OperatorController,
            ImportController,
            ModerationController,
            DepartmentController,
            DepartmentCommitmentsController,
            ModerationCommitmentsController,
            CitizenLinksController,
            OutboxController,
            AccountabilityController,
            ReportController,
            ProducerController,
            PublicBoardController,
            studio_screen,
            studio_socket,
            public_socket,
            producer_socket,
            department_socket,
            moderation_socket,
            AuthController,
            WorkspaceController,
            AdminController,
            healthz,
            favicon,
            workspace_socket,
            static_router,
            api_router,
        ],
        dependencies={
            "db": Provide(provide_db),
            "runtime": Provide(provide_runtime, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
        },
        middleware=[
            security_headers_middleware(settings.is_production),
            locale_middleware(settings.locale),
            session_config.middleware,
            DefineMiddleware(UserMiddleware, exclude=["^/static/", "^/healthz"]),
            edge_middleware,
        ],
        csrf_config=csrf_config,
        stores=stores,
        plugins=[HTMXPlugin(), channels],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
        exception_handlers={
            HTTPException: error_handlers.handle_http_exception,
            DomainError: error_handlers.handle_domain_error,
            StaleDataError: error_handlers.handle_stale_data,
            500: error_handlers.handle_internal_error,
        },
        openapi_config=OpenAPIConfig(
            title="qa_app API",
            version="1",
            path="/api/schema",
            render_plugins=render_plugins(settings),
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http", scheme="bearer", description="A token from `qa-app tokens create`"
                    )
                }
            ),
            create_examples=False,
        ),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_class=BoundedRequest,
        include_in_schema=False,
        request_max_body_size=10 * 1024 * 1024,
        debug=settings.debug,
    )
    app.state.runtime = runtime
    app.state.session_purge = session_purge
    app.state.retention = retention
    app.state.notification_sender = sender
    return app
