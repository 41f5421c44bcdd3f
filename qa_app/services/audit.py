"""The append-only audit trail. Services add an event in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import AuditEvent, User

SYSTEM_LABEL = "system"


def record(
    db: AsyncSession,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    episode_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it commits with the change it describes."""
    event = AuditEvent(
        **row(actor, action, entity_type, entity_id, episode_id=episode_id, before=before, after=after, note=note)
    )
    db.add(event)
    return event


def row(
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    episode_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The column values of an audit event, for services that insert many rows in one statement."""
    return {
        "actor_id": actor.id if actor else None,
        "actor_label": actor.username if actor else SYSTEM_LABEL,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "episode_id": episode_id,
        "before": before,
        "after": after,
        "note": note,
    }


async def history(db: AsyncSession, entity_type: str, entity_id: int) -> list[AuditEvent]:
    result = await db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(result)
