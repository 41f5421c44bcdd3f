"""Time helpers: store UTC, show Asia/Ho_Chi_Minh as dd/mm/yyyy HH:MM."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime, tz: str = DEFAULT_TZ) -> datetime:
    return as_utc(value).astimezone(ZoneInfo(tz))


def format_datetime(value: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """``dd/mm/yyyy HH:MM`` in the program's time zone; empty for None."""
    if value is None:
        return ""
    return to_local(value, tz).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | datetime | None, tz: str = DEFAULT_TZ) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    return value.strftime("%d/%m/%Y")


def parse_local_datetime(text: str, tz: str = DEFAULT_TZ) -> datetime | None:
    """Parse ``dd/mm/yyyy HH:MM`` or an HTML ``datetime-local`` value as local time; None if blank.

    Raises ValueError on anything else.
    """
    text = text.strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)
    raise ValueError(text)


def local_input_value(value: datetime | None, tz: str = DEFAULT_TZ) -> str:
    """The value of an HTML ``datetime-local`` input for a stored datetime."""
    if value is None:
        return ""
    return to_local(value, tz).strftime("%Y-%m-%dT%H:%M")


def add_working_days(start: date, days: int, holidays: set[date] | frozenset[date] = frozenset()) -> date:
    """The date ``days`` working days after ``start`` (weekends and ``holidays`` skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current
