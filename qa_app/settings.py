"""Application settings: one frozen object, read from ``QA_*`` environment variables by the caller."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = Path(__file__).resolve().parent

ENVIRONMENTS = ("development", "test", "production")
LOCALES = ("vi", "en")


class SettingsError(ValueError):
    """Raised when the configuration cannot run the application."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything the application needs to know about its environment.

    Built with :meth:`from_env` by the CLI, and directly in tests; never read at import time.
    """

    environment: str = "development"
    database_url: str = ""
    redis_url: str | None = None
    redis_prefix: str = "qa"
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    locale: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    var_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "var")
    templates_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "templates")
    static_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "static")
    # Extra origins allowed on websocket handshakes besides the page's own (e.g. a proxy's public URL).
    allowed_origins: tuple[str, ...] = ()
    # Proxies (IPs or CIDRs) whose X-Forwarded-For is believed; by default nobody's, so a client
    # cannot choose the address that its limits are counted under.
    trusted_proxies: tuple[str, ...] = ()
    session_max_age: int = 12 * 3600
    # Login throttling, per window: attempts at one account from one address (the real user on their
    # own address is never locked out by strangers elsewhere), attempts from one address at any
    # account (counted before verifying, successes too: room for a newsroom behind one NAT), and
    # attempts at one account from addresses and browsers it has never logged in from (distributed
    # guessing; the account's known addresses and browsers are not held back by it).
    login_max_failures_per_account: int = 5
    login_max_attempts_per_ip: int = 50
    login_max_attempts_per_account_from_new_places: int = 30
    login_window_seconds: int = 15 * 60
    # Argon2 checks running at once (each takes argon2_memory_cost KiB); more wait in line.
    password_hash_concurrency: int = 2
    # Public submissions: (count, seconds) per client IP and per contact. Generous per IP because
    # mobile carriers put many citizens behind one address (CGNAT).
    submit_limit_per_ip: tuple[int, int] = (30, 600)
    submit_limit_per_contact: tuple[int, int] = (5, 3600)
    # Wrong tracking or rating codes per client IP (hits are never counted, so citizens never notice).
    guess_limit_per_ip: tuple[int, int] = (30, 600)
    # Argon2 cost; tests lower it so that a login does not cost 0.3 s.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    debug: bool = False
    # Links in messages to citizens start with this (the site's public address); by default the
    # address qa-app listens on.
    public_url: str = ""
    # Notifications to citizens who consented: e-mail over SMTP and SMS/Zalo through an HTTP gateway.
    # smtp://host:port (plain), smtp+starttls://, smtps:// (TLS); user:password@ in the URL if needed.
    smtp_url: str | None = None
    smtp_from: str = ""
    sms_webhook_url: str | None = None
    sms_webhook_secret: str = ""
    notify_poll_seconds: float = 2.0  # how often the sender looks at the outbox
    notify_retry_seconds: float = 30.0  # first back-off; doubled at each failure (capped at 1 hour)
    notify_max_attempts: int = 8
    notify_timeout_seconds: float = 20.0  # one delivery attempt; a claim lasts three times this

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``QA_*`` variables (``os.environ`` by default) and validate them."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        simple = {
            "QA_ENV": "environment",
            "QA_DATABASE_URL": "database_url",
            "QA_REDIS_PREFIX": "redis_prefix",
            "QA_SECRET_KEY": "secret_key",
            "QA_HOST": "host",
            "QA_LOCALE": "locale",
            "QA_TIMEZONE": "timezone",
        }
        for var, attr in simple.items():
            if env.get(var):
                values[attr] = env[var]
        if env.get("QA_REDIS_URL"):
            values["redis_url"] = env["QA_REDIS_URL"]
        for var, attr in {"QA_PORT": "port", "QA_WORKERS": "workers"}.items():
            if env.get(var):
                try:
                    values[attr] = int(env[var])
                except ValueError as exc:
                    raise SettingsError(f"{var} must be an integer, got {env[var]!r}") from exc
        if env.get("QA_VAR_DIR"):
            values["var_dir"] = Path(env["QA_VAR_DIR"])
        if env.get("QA_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(p.strip() for p in env["QA_TRUSTED_PROXIES"].split(",") if p.strip())
        if env.get("QA_ALLOWED_ORIGINS"):
            values["allowed_origins"] = tuple(o.strip() for o in env["QA_ALLOWED_ORIGINS"].split(",") if o.strip())
        for var, attr in {
            "QA_SUBMIT_LIMIT_PER_IP": "submit_limit_per_ip",
            "QA_SUBMIT_LIMIT_PER_CONTACT": "submit_limit_per_contact",
            "QA_GUESS_LIMIT_PER_IP": "guess_limit_per_ip",
        }.items():
            if env.get(var):
                values[attr] = _limit(var, env[var])
        if env.get("QA_DEBUG"):
            values["debug"] = _bool(env["QA_DEBUG"])
        for var, attr in {
            "QA_PUBLIC_URL": "public_url",
            "QA_SMTP_URL": "smtp_url",
            "QA_SMTP_FROM": "smtp_from",
            "QA_SMS_WEBHOOK_URL": "sms_webhook_url",
            "QA_SMS_WEBHOOK_SECRET": "sms_webhook_secret",
        }.items():
            if env.get(var):
                values[attr] = env[var].strip()
        for var, attr in {
            "QA_NOTIFY_POLL_SECONDS": "notify_poll_seconds",
            "QA_NOTIFY_RETRY_SECONDS": "notify_retry_seconds",
            "QA_NOTIFY_TIMEOUT_SECONDS": "notify_timeout_seconds",
        }.items():
            if env.get(var):
                try:
                    values[attr] = float(env[var])
                except ValueError as exc:
                    raise SettingsError(f"{var} must be a number of seconds, got {env[var]!r}") from exc
        if env.get("QA_NOTIFY_MAX_ATTEMPTS"):
            try:
                values["notify_max_attempts"] = int(env["QA_NOTIFY_MAX_ATTEMPTS"])
            except ValueError as exc:
                raise SettingsError("QA_NOTIFY_MAX_ATTEMPTS must be an integer") from exc
        return cls(**values).resolved()  # type: ignore[arg-type]

    def resolved(self) -> Settings:
        """Fill derived defaults (database file, development secret) and validate."""
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(f"QA_ENV must be one of {', '.join(ENVIRONMENTS)}")
        if self.locale not in LOCALES:
            raise SettingsError(f"QA_LOCALE must be one of {', '.join(LOCALES)}")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError as exc:
                raise SettingsError(f"QA_TRUSTED_PROXIES: {proxy!r} is not an IP address or network") from exc
        settings = self
        if not settings.database_url:
            settings = replace(settings, database_url=f"sqlite+aiosqlite:///{settings.var_dir / 'qa_app.sqlite3'}")
        if not settings.secret_key:
            if settings.is_production:
                raise SettingsError("QA_SECRET_KEY is required in production (at least 32 random characters)")
            settings = replace(settings, secret_key=_development_secret(settings.var_dir))
        if settings.is_production and len(settings.secret_key) < 32:
            raise SettingsError("QA_SECRET_KEY must be at least 32 characters in production")
        if settings.is_production and settings.debug:
            raise SettingsError("QA_DEBUG must be off in production")
        settings = _resolved_notifications(settings)
        if settings.workers > 1 and not settings.redis_url:
            raise SettingsError("Several workers need QA_REDIS_URL: live updates, sessions and limits are shared there")
        if settings.workers > 1 and settings.is_sqlite:
            raise SettingsError("Several workers need PostgreSQL (QA_DATABASE_URL=postgresql+asyncpg://…)")
        return settings


SMTP_SCHEMES = ("smtp", "smtps", "smtp+starttls")


def _resolved_notifications(settings: Settings) -> Settings:
    from urllib.parse import urlsplit

    public_url = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    if urlsplit(public_url).scheme not in ("http", "https"):
        raise SettingsError("QA_PUBLIC_URL must start with https:// (or http://)")
    settings = replace(settings, public_url=public_url)
    if settings.smtp_url:
        parts = urlsplit(settings.smtp_url)
        if parts.scheme not in SMTP_SCHEMES or not parts.hostname:
            raise SettingsError("QA_SMTP_URL must look like smtp://host:port (or smtps://, smtp+starttls://)")
        if not settings.smtp_from:
            settings = replace(settings, smtp_from=f"no-reply@{urlsplit(public_url).hostname or 'localhost'}")
        elif "@" not in settings.smtp_from:
            raise SettingsError("QA_SMTP_FROM must be an e-mail address")
    if settings.sms_webhook_url:
        if urlsplit(settings.sms_webhook_url).scheme not in ("http", "https"):
            raise SettingsError("QA_SMS_WEBHOOK_URL must be an http(s) URL")
        if len(settings.sms_webhook_secret) < 16:
            raise SettingsError("QA_SMS_WEBHOOK_SECRET (at least 16 characters) signs the gateway's requests")
    if (
        settings.notify_max_attempts < 1
        or min(settings.notify_poll_seconds, settings.notify_retry_seconds, settings.notify_timeout_seconds) <= 0
    ):
        raise SettingsError("QA_NOTIFY_* values must be positive")
    return settings


def _limit(var: str, value: str) -> tuple[int, int]:
    """``COUNT/SECONDS``, e.g. ``30/600``."""
    try:
        count, seconds = (int(part) for part in value.split("/"))
    except ValueError as exc:
        raise SettingsError(f"{var} must look like COUNT/SECONDS, e.g. 30/600") from exc
    if count < 1 or seconds < 1:
        raise SettingsError(f"{var} must be positive")
    return count, seconds


def _development_secret(var_dir: Path) -> str:
    """A secret kept under ``var/`` so that development sessions survive a restart."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
