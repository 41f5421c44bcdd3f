"""The ``qa-app`` command: serve, migrate, manage users and tokens, seed the demo."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.db import create_engine, create_sessionmaker
from qa_app.security import Passwords
from qa_app.services.errors import DomainError
from qa_app.settings import Settings, SettingsError

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _with_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                return await work(db)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except DomainError as exc:
        detail = "; ".join(getattr(exc, "errors", {}).values()) or exc.message
        raise click.ClickException(detail) from exc


def _passwords(settings: Settings) -> Passwords:
    return Passwords(
        settings.argon2_time_cost, settings.argon2_memory_cost, concurrency=settings.password_hash_concurrency
    )


@click.group()
def main() -> None:
    """qa_app – live Q&A manager for “Dân hỏi – Chính quyền trả lời”. Configured by QA_* variables."""


@main.command()
@click.option("--host", default=None, help="Default: QA_HOST or 127.0.0.1")
@click.option("--port", type=int, default=None, help="Default: QA_PORT or 8000")
@click.option("--workers", type=int, default=None, help="Default: QA_WORKERS or 1 (more need PostgreSQL and Redis)")
@click.option("--reload", is_flag=True, help="Restart on code changes (development)")
def run(host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve the application with uvicorn."""
    import uvicorn

    settings = _settings()
    if workers and workers > 1 and (not settings.redis_url or settings.is_sqlite):
        raise click.ClickException("Several workers need PostgreSQL (QA_DATABASE_URL) and Redis (QA_REDIS_URL).")
    if workers:
        os.environ["QA_WORKERS"] = str(workers)  # each worker reads its settings again: it must know how many
    uvicorn.run(
        "qa_app.asgi:create_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        reload=reload,
        # Never rewrite the client address from X-Forwarded-For here: the app reads it only from the
        # proxies listed in QA_TRUSTED_PROXIES (uvicorn's own default trusts any local peer).
        proxy_headers=False,
        server_header=False,  # no "server: uvicorn" banner
        ws_max_size=64 * 1024,
        # Live fragments are small; compressing each one for each of thousands of sockets costs more CPU
        # than the bandwidth it saves (bench/fanout.py).
        ws_per_message_deflate=False,
        log_level="info",
        backlog=4096,
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply the migrations (the only way the schema is created)."""
    from qa_app.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"Database at revision {revision}.")


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["operator", "moderator", "officer", "producer", "admin"]))
@click.option("--department", "department_code", default=None, help="Department code (officers)")
@click.option("--display-name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
def users_create(
    username: str, role: str, department_code: str | None, display_name: str, password_stdin: bool
) -> None:
    """Create an account; without --password-stdin a password is generated and printed once."""
    from qa_app.services import users as user_service

    settings = _settings()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else user_service.generate_password()
    user = _with_db(
        settings,
        lambda db: user_service.create_user(
            db,
            _passwords(settings),
            None,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            department_code=department_code,
        ),
    )
    click.echo(f"Created {user.username} ({user.role.value}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Refuse the account from its next request on."""
    from qa_app.services import users as user_service

    settings = _settings()
    _with_db(settings, lambda db: user_service.deactivate_user(db, None, username))
    click.echo(f"Deactivated {username}.")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True)
def users_reset_password(username: str, password_stdin: bool) -> None:
    """Set a new password (generated and printed once unless read from stdin)."""
    from qa_app.services import users as user_service

    settings = _settings()
    given = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    _user, password = _with_db(
        settings, lambda db: user_service.reset_password(db, _passwords(settings), None, username, given)
    )
    click.echo(f"Password of {username} changed.")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@main.group()
def tokens() -> None:
    """API bearer tokens for integrations and studio control surfaces."""


@tokens.command("create")
@click.option("--username", required=True)
@click.option("--name", default="", help="What the token is for")
def tokens_create(username: str, name: str) -> None:
    """Create a token for USERNAME; printed once, stored hashed."""
    from qa_app.services import users as user_service

    settings = _settings()
    _row, token = _with_db(settings, lambda db: user_service.create_api_token(db, None, username, name))
    click.echo(token)


@main.group()
def departments() -> None:
    """The catalogue of responsible bodies."""


@departments.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def departments_import(path: str | None) -> None:
    """Import departments.json (the built-in catalogue when PATH is omitted)."""
    from pathlib import Path

    from qa_app.services import departments as department_service

    settings = _settings()

    async def work(db: AsyncSession) -> tuple[int, int]:
        entries = department_service.load_catalogue(Path(path)) if path else department_service.load_catalogue()
        return await department_service.import_catalogue(db, None, entries)

    created, updated = _with_db(settings, work)
    click.echo(f"Departments: {created} added, {updated} updated.")


@main.group()
def questions() -> None:
    """Citizens' questions."""


@questions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--episode", "slug", required=True, help="Episode short name (slug)")
@click.option(
    "--channel",
    default="import",
    type=click.Choice(["import", "phone", "email", "letter", "social", "other"]),
    help="Channel of rows whose file does not name one",
)
def questions_import(path: str, slug: str, channel: str) -> None:
    """Import a CSV/XLSX file of questions (columns guessed from the header); re-importing adds nothing."""
    from pathlib import Path

    from qa_app.events import RecordingPublisher
    from qa_app.services import bulk_import, importing
    from qa_app.services import episodes as episode_service
    from qa_app.services.engines import ModerationEngines

    settings = _settings()
    file_path = Path(path)
    try:
        importing.check_size(file_path.stat().st_size)  # before reading a file of any size into memory
        parsed = importing.parse_file(file_path.name, file_path.read_bytes())
        mapping = importing.guess_mapping(parsed.headers, parsed.rows)
        rows, errors = importing.validate_rows(parsed, mapping)
    except importing.ImportFileError as exc:
        raise click.ClickException(exc.message) from exc

    async def work(db: AsyncSession) -> bulk_import.ImportReport:
        episode = await episode_service.get_episode_by_slug(db, slug)
        # Running servers pick the new questions up from the database (their indexes catch up by id).
        return await bulk_import.import_rows(
            db, ModerationEngines(), RecordingPublisher(), episode, rows, actor=None, default_channel=channel
        )

    report = _with_db(settings, work)
    columns = ", ".join(f"{name}={parsed.headers[index]!r}" for name, index in mapping.items() if index is not None)
    click.echo(f"Columns: {columns}")
    click.echo(
        f"New questions: {report.created}; joined existing: {report.joined}; "
        f"already imported: {report.already}; rows with errors: {len(errors) + len(report.errors)}"
    )
    for error in sorted(errors + report.errors, key=lambda e: e.line):
        click.echo(f"  line {error.line}: {error.message}", err=True)


@main.group()
def contacts() -> None:
    """Citizens' personal data."""


@contacts.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what is due")
def contacts_purge(dry_run: bool) -> None:
    """Remove contact details and names past their retention (also runs by itself every 6 hours)."""
    from qa_app.services import retention

    settings = _settings()
    report = _with_db(settings, lambda db: retention.purge_expired(db, None, dry_run=dry_run))
    click.echo(
        f"Submissions past {retention.RETENTION_DAYS} days: {report.due}; "
        f"{'nothing changed (dry run)' if dry_run else f'cleaned: {report.purged}'}."
    )


@main.group()
def report() -> None:
    """Episode reports for the People's Council."""


@report.command("export")
@click.option("--episode", "slug", required=True, help="Episode short name (slug)")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx", "docx"]))
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write")
@click.option(
    "--with-contacts", is_flag=True, help="Add the askers and their contact details (CSV/XLSX; in the audit log)"
)
def report_export(slug: str, fmt: str, output: str, with_contacts: bool) -> None:
    """Write the episode's report: CSV (UTF-8 with BOM), XLSX or DOCX."""
    from pathlib import Path

    from qa_app.services import episodes as episode_service
    from qa_app.services import report_exports

    settings = _settings()

    async def work(db: AsyncSession) -> bytes:
        episode = await episode_service.get_episode_by_slug(db, slug)
        return await report_exports.export(db, None, episode, fmt, with_contacts=with_contacts)

    content = _with_db(settings, work)
    Path(output).write_bytes(content)
    click.echo(f"Report written to {output} ({len(content):,} bytes).")


@main.group()
def commitments() -> None:
    """Commitments made in answers."""


@commitments.command("sweep")
def commitments_sweep() -> None:
    """Record promises past their due date as overdue and ask their citizens (also runs every hour)."""
    from qa_app.services import commitments as commitment_service

    settings = _settings()
    result = _with_db(settings, commitment_service.sweep)
    click.echo(f"Now overdue: {result.overdue}; citizens asked about: {result.asked} commitments.")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
def demo_seed() -> None:
    """Create the demo episode, one user per role and about 150 questions (idempotent)."""
    from qa_app.services import demo as demo_service

    settings = _settings()
    report: Any = _with_db(settings, lambda db: demo_service.seed(db, _passwords(settings), tz=settings.timezone))
    click.echo(f"Departments added: {report.departments_created}")
    if report.episode_created:
        click.echo(
            f"Demo episode created with {report.questions_created} questions "
            f"({report.submissions_created} submissions)."
        )
    else:
        click.echo("Demo episode already present; nothing changed.")
    if report.users_created:
        click.echo("Demo accounts (passwords are shown only this once; reset with `qa-app users reset-password`):")
        for username, role, password in report.users_created:
            click.echo(f"  {username:<16} {role:<10} {password}")


if __name__ == "__main__":
    main()
