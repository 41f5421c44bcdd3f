"""The catalogue of responsible bodies (Sở, ban, ngành, UBND phường/xã)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.i18n import gettext as _
from qa_app.models import Department, Role, User
from qa_app.services import audit
from qa_app.services.errors import InvalidInput, NotFound
from qa_app.services.permissions import ensure_role

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "departments.json"


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> list[dict[str, Any]]:
    """Read a ``departments.json`` file; raises InvalidInput when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput({"file": _("The file is not a valid departments JSON file.")}) from exc
    return parse_catalogue(data)


def parse_catalogue(data: object) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise InvalidInput({"file": _("The file must contain a list of departments.")})
    entries = []
    for position, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not str(item.get("code", "")).strip() or not str(item.get("name", "")).strip():
            raise InvalidInput({"file": _("Entry %(n)d has no code or no name.") % {"n": position}})
        keywords = item.get("keywords") or []
        if not isinstance(keywords, list):
            raise InvalidInput({"file": _("Entry %(n)d: keywords must be a list.") % {"n": position}})
        entries.append(
            {
                "code": str(item["code"]).strip(),
                "name": str(item["name"]).strip(),
                "short": str(item.get("short", "")).strip(),
                "description": str(item.get("description", "")).strip(),
                "keywords": [str(k).strip() for k in keywords if str(k).strip()],
            }
        )
    return entries


async def list_departments(db: AsyncSession, *, active_only: bool = False) -> list[Department]:
    query = select(Department).order_by(Department.name)
    if active_only:
        query = query.where(Department.active.is_(True))
    return list(await db.scalars(query))


async def get_department(db: AsyncSession, department_id: int) -> Department:
    department = await db.get(Department, department_id)
    if department is None:
        raise NotFound(_("No such department."))
    return department


async def import_catalogue(db: AsyncSession, actor: User | None, entries: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Insert new departments and update existing ones by code; returns (created, updated)."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    existing = {d.code: d for d in await db.scalars(select(Department))}
    created = updated = 0
    for entry in entries:
        department = existing.get(entry["code"])
        if department is None:
            department = Department(code=entry["code"])
            db.add(department)
            created += 1
        elif (
            department.name,
            department.short_name,
            department.description,
            list(department.keywords or []),
        ) == (entry["name"], entry["short"], entry["description"], entry["keywords"]):
            continue
        else:
            updated += 1
        department.name = entry["name"]
        department.short_name = entry["short"]
        department.description = entry["description"]
        department.keywords = entry["keywords"]
    if created or updated:
        audit.record(db, actor, "department.import", "department", None, after={"created": created, "updated": updated})
    await db.commit()
    return created, updated


async def update_department(
    db: AsyncSession,
    actor: User,
    department_id: int,
    *,
    name: str,
    short_name: str,
    description: str,
    keywords: list[str],
    active: bool,
) -> Department:
    ensure_role(actor, Role.ADMIN)
    department = await get_department(db, department_id)
    if not name.strip():
        raise InvalidInput({"name": _("The name is required.")})
    before = {
        "name": department.name,
        "short": department.short_name,
        "active": department.active,
        "keywords": list(department.keywords or []),
    }
    department.name = name.strip()
    department.short_name = short_name.strip()
    department.description = description.strip()
    department.keywords = [k.strip() for k in keywords if k.strip()]
    department.active = active
    audit.record(
        db,
        actor,
        "department.update",
        "department",
        department.id,
        before=before,
        after={
            "name": department.name,
            "short": department.short_name,
            "active": department.active,
            "keywords": department.keywords,
        },
    )
    await db.commit()
    return department
