"""Public holidays: skipped, like weekends, when counting working-day deadlines."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.models import PublicHoliday, Role, User
from qa_app.services import audit
from qa_app.services.errors import InvalidInput, NotFound
from qa_app.services.permissions import ensure_role


def _parse(day: str) -> date:
    try:
        return date.fromisoformat(day.strip())
    except ValueError as exc:
        raise InvalidInput({"day": _("Choose a date.")}) from exc


async def add_holiday(db: AsyncSession, actor: User, day: str, name: str) -> PublicHoliday:
    ensure_role(actor, Role.ADMIN)
    when = _parse(day)
    if not name.strip():
        raise InvalidInput({"name": _("Name the holiday.")})
    if await db.get(PublicHoliday, when) is not None:
        raise InvalidInput({"day": _("This day is already a holiday.")})
    holiday = PublicHoliday(day=when, name=name.strip()[:255])
    db.add(holiday)
    audit.record(db, actor, "holiday.add", "holiday", None, after={"day": when.isoformat(), "name": holiday.name})
    await db.commit()
    return holiday


async def delete_holiday(db: AsyncSession, actor: User, day: str) -> None:
    ensure_role(actor, Role.ADMIN)
    holiday = await db.get(PublicHoliday, _parse(day))
    if holiday is None:
        raise NotFound(_("No such holiday."))
    await db.delete(holiday)
    audit.record(db, actor, "holiday.delete", "holiday", None, before={"day": day, "name": holiday.name})
    await db.commit()
