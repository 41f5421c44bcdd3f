"""Accounts, logins and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.models import ApiToken, Department, Role, User
from qa_app.security import Counter, Passwords, PasswordsBusy, address_bucket, hash_api_token, new_api_token
from qa_app.services import audit
from qa_app.services.errors import Busy, InvalidInput, NotFound, Throttled
from qa_app.services.permissions import ensure_role
from qa_app.timeutil import utcnow

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class LoginPolicy:
    """Attempts allowed per window (see ``Settings``: login_*)."""

    max_failures_per_account: int
    max_attempts_per_ip: int
    max_attempts_per_account_from_new_places: int
    window_seconds: int


# An address where an account logged in stays "known" to it this long after the first such login.
KNOWN_PLACE_SECONDS = 30 * 24 * 3600


def generate_password() -> str:
    """A random password that is easy to read out and type (no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            {"password": _("The password must have at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}}
        )


async def get_user(db: AsyncSession, user_id: int) -> User | None:
    return await db.get(User, user_id)


async def list_users(db: AsyncSession) -> list[User]:
    return list(await db.scalars(select(User).order_by(User.role, User.username)))


async def create_user(
    db: AsyncSession,
    passwords: Passwords,
    actor: User | None,
    *,
    username: str,
    password: str,
    role: Role | str,
    display_name: str = "",
    department_code: str | None = None,
) -> User:
    """Create an account. ``actor`` None means the command line (trusted); otherwise an admin."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    errors: dict[str, str] = {}
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        errors["username"] = _("A username has 2–64 characters: lower-case letters, digits, dot, dash, underscore.")
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = _("Unknown role.")
    department: Department | None = None
    if not errors and role is Role.OFFICER:
        if not department_code:
            errors["department"] = _("An officer must belong to a department.")
        else:
            department = await db.scalar(select(Department).where(Department.code == department_code))
            if department is None:
                errors["department"] = _("Unknown department code.")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("The password must have at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
    if not errors and await db.scalar(select(User.id).where(User.username == username)):
        errors["username"] = _("This username is already taken.")
    if errors:
        raise InvalidInput(errors)
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=await _hash(passwords, password),
        role=Role(role),
        department_id=department.id if department else None,
        active=True,
    )
    db.add(user)
    await db.flush()
    audit.record(
        db,
        actor,
        "user.create",
        "user",
        user.id,
        after={"username": user.username, "role": user.role.value, "department": department_code},
    )
    await db.commit()
    return user


async def _find_user(db: AsyncSession, username: str) -> User:
    user = await db.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(_("No such user."))
    return user


async def deactivate_user(db: AsyncSession, actor: User | None, username: str) -> User:
    """Deactivated users are refused at their next request and websocket message."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    user = await _find_user(db, username)
    if actor is not None and actor.id == user.id:
        raise InvalidInput({"username": _("You cannot deactivate your own account.")})
    user.active = False
    audit.record(db, actor, "user.deactivate", "user", user.id, before={"active": True}, after={"active": False})
    await db.commit()
    return user


async def activate_user(db: AsyncSession, actor: User | None, username: str) -> User:
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    user = await _find_user(db, username)
    user.active = True
    audit.record(db, actor, "user.activate", "user", user.id, before={"active": False}, after={"active": True})
    await db.commit()
    return user


async def reset_password(
    db: AsyncSession, passwords: Passwords, actor: User | None, username: str, password: str | None = None
) -> tuple[User, str]:
    """Set a new password (generated when None); existing sessions of the user stop working."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    user = await _find_user(db, username)
    password = password or generate_password()
    _validate_password(password)
    user.password_hash = await _hash(passwords, password)
    user.password_changed_at = utcnow()
    audit.record(db, actor, "user.reset_password", "user", user.id)
    await db.commit()
    return user, password


def _username_key(username: str) -> str:
    """A counter key part for what was typed as a username (any length, any characters)."""
    if USERNAME_RE.match(username):
        return username
    return "h" + hashlib.sha256(username.encode()).hexdigest()[:24]


async def authenticate(
    db: AsyncSession,
    passwords: Passwords,
    counter: Counter,
    policy: LoginPolicy,
    *,
    username: str,
    password: str,
    ip: str,
    device: str | None = None,
) -> User:
    """Check a login; raises InvalidInput (wrong), Throttled or Busy.

    Every attempt is counted BEFORE the password is verified, with the counter's atomic increment, so
    concurrent guesses cannot all slip under a limit. The lockout is per account and address (or per
    browser that logged in to the account before, ``device``), so a stranger's failures elsewhere
    never lock the real user out; a per-address limit and a ceiling on attempts from places the
    account has never logged in from bound wider guessing.
    """
    username = username.strip().lower()
    name, place = _username_key(username), address_bucket(ip)
    window = policy.window_seconds
    minutes = max(1, window // 60)
    too_many = _("Too many failed logins. Please wait %(minutes)d minutes and try again.") % {"minutes": minutes}
    if await counter.hit(f"login:ip:{place}", window) > policy.max_attempts_per_ip:
        raise Throttled(too_many)
    known_key = f"login:known:{name}:{place}"
    here = f"login:acct:{name}:device:{device}" if device else f"login:acct:{name}:{place}"
    if await counter.hit(here, window) > policy.max_failures_per_account:
        raise Throttled(too_many)
    new_place = device is None and await counter.get(known_key) == 0
    ceiling = policy.max_attempts_per_account_from_new_places
    if new_place and await counter.hit(f"login:acct-new:{name}", window) > ceiling:
        raise Throttled(
            _(
                "This account has had too many failed logins from other places. Log in from a computer "
                "you have used before, or wait %(minutes)d minutes."
            )
            % {"minutes": minutes}
        )
    user = await db.scalar(select(User).where(User.username == username))
    password_hash, active = (user.password_hash, user.active) if user else (None, False)
    # Give the connection back while argon2 runs (SQLite has only one; a pool is not for waiting).
    await db.rollback()
    try:
        ok = await passwords.verify(password_hash, password)
    except PasswordsBusy as exc:
        raise Busy(_("Many people are logging in at this moment. Please try again in a few seconds.")) from exc
    if ok and user is not None and active:
        await db.refresh(user)  # deactivated while the password was being checked?
        active = user.active
    if not ok or user is None or not active:
        raise InvalidInput({"username": _("Wrong username or password, or the account is deactivated.")})
    await counter.reset(here)
    await counter.hit(known_key, KNOWN_PLACE_SECONDS)
    user.last_login_at = utcnow()
    audit.record(db, user, "user.login", "user", user.id, note=ip)
    await db.commit()
    return user


async def _hash(passwords: Passwords, password: str) -> str:
    try:
        return await passwords.hash(password)
    except PasswordsBusy as exc:
        raise Busy(_("Many people are logging in at this moment. Please try again in a few seconds.")) from exc


async def create_api_token(db: AsyncSession, actor: User | None, username: str, name: str = "") -> tuple[ApiToken, str]:
    """A bearer token for integrations; only its hash is stored, the token is returned once."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    user = await _find_user(db, username)
    token = new_api_token()
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_api_token(token), prefix=token[:8])
    db.add(row)
    await db.flush()
    audit.record(db, actor, "token.create", "api_token", row.id, after={"user": user.username, "name": name})
    await db.commit()
    return row, token


async def user_for_token(db: AsyncSession, token: str) -> User | None:
    row = await db.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_api_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    await db.commit()
    return row.user


async def count_users(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(User.id))) or 0)
