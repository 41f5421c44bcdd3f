"""Episodes (Kỳ phát sóng): their settings, status and participants."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from qa_app.events import EpisodeChanged, Publisher
from qa_app.i18n import gettext as _
from qa_app.models import Department, Episode, EpisodeOfficial, EpisodeStatus, Role, User
from qa_app.services import audit
from qa_app.services.errors import Conflict, InvalidInput, NotFound
from qa_app.services.permissions import ensure_role

S = EpisodeStatus
TRANSITIONS: dict[EpisodeStatus, frozenset[EpisodeStatus]] = {
    S.DRAFT: frozenset({S.OPEN}),
    S.OPEN: frozenset({S.DRAFT, S.LIVE, S.CLOSED}),
    S.LIVE: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN, S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
ACCEPTING_STATUSES = frozenset({S.OPEN, S.LIVE})
PUBLIC_STATUSES = frozenset({S.OPEN, S.LIVE, S.CLOSED, S.ARCHIVED})
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str) -> str:
    """ASCII, dash-separated slug of a Vietnamese title (đ→d, diacritics dropped)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:96]


@dataclass(frozen=True)
class EpisodeForm:
    title: str
    theme: str = ""
    description: str = ""
    slug: str = ""
    air_start: datetime | None = None
    air_end: datetime | None = None
    answer_deadline_days: int = 10
    department_ids: tuple[int, ...] = ()


async def list_episodes(db: AsyncSession, statuses: frozenset[EpisodeStatus] | None = None) -> list[Episode]:
    query = select(Episode).order_by(Episode.air_start.desc().nulls_last(), Episode.id.desc())
    if statuses is not None:
        query = query.where(Episode.status.in_(statuses))
    return list(await db.scalars(query))


async def get_episode(db: AsyncSession, episode_id: int) -> Episode:
    episode = await db.get(Episode, episode_id)
    if episode is None:
        raise NotFound(_("No such episode."))
    return episode


async def get_episode_light(db: AsyncSession, episode_id: int) -> Episode:
    """The episode without its departments and officials (for pages that only name it)."""
    episode = await db.scalar(
        select(Episode)
        .where(Episode.id == episode_id)
        .options(raiseload(Episode.departments), raiseload(Episode.officials))
    )
    if episode is None:
        raise NotFound(_("No such episode."))
    return episode


async def get_episode_by_slug(db: AsyncSession, slug: str, *, light: bool = False) -> Episode:
    """By short name; ``light`` skips loading departments and officials (the intake path does not show them)."""
    query = select(Episode).where(Episode.slug == slug)
    if light:
        query = query.options(raiseload(Episode.departments), raiseload(Episode.officials))
    episode = await db.scalar(query)
    if episode is None:
        raise NotFound(_("No such episode."))
    return episode


async def current_episode(db: AsyncSession) -> Episode | None:
    """The episode staff work on by default: live first, then open, then the latest closed one."""
    for status in (S.LIVE, S.OPEN, S.CLOSED, S.DRAFT):
        episode = await db.scalar(
            select(Episode).where(Episode.status == status).order_by(Episode.air_start.desc().nulls_last()).limit(1)
        )
        if episode is not None:
            return episode
    return None


async def _validate(db: AsyncSession, form: EpisodeForm, episode_id: int | None) -> tuple[str, list[Department]]:
    errors: dict[str, str] = {}
    if not form.title.strip():
        errors["title"] = _("The title is required.")
    slug = form.slug.strip().lower() or slugify(form.title)
    if not SLUG_RE.match(slug):
        errors["slug"] = _("The short name may contain only a–z, 0–9 and dashes.")
    elif await db.scalar(select(Episode.id).where(Episode.slug == slug, Episode.id != (episode_id or 0))):
        errors["slug"] = _("Another episode already uses this short name.")
    if form.air_start and form.air_end and form.air_end <= form.air_start:
        errors["air_end"] = _("The broadcast must end after it starts.")
    if not 1 <= form.answer_deadline_days <= 90:
        errors["answer_deadline_days"] = _("The written-answer deadline is 1 to 90 working days.")
    departments = []
    if form.department_ids:
        departments = list(await db.scalars(select(Department).where(Department.id.in_(form.department_ids))))
        if len(departments) != len(set(form.department_ids)):
            errors["department_ids"] = _("Unknown department.")
    if errors:
        raise InvalidInput(errors)
    return slug, departments


def _summary(episode: Episode) -> dict[str, object]:
    return {
        "slug": episode.slug,
        "title": episode.title,
        "status": episode.status.value,
        "air_start": episode.air_start.isoformat() if episode.air_start else None,
        "answer_deadline_days": episode.answer_deadline_days,
        "departments": sorted(d.code for d in episode.departments),
    }


async def create_episode(db: AsyncSession, actor: User | None, form: EpisodeForm) -> Episode:
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    slug, departments = await _validate(db, form, None)
    episode = Episode(
        slug=slug,
        title=form.title.strip(),
        theme=form.theme.strip(),
        description=form.description.strip(),
        air_start=form.air_start,
        air_end=form.air_end,
        answer_deadline_days=form.answer_deadline_days,
        status=EpisodeStatus.DRAFT,
        filler_phrases=[],
    )
    episode.departments = departments
    db.add(episode)
    await db.flush()
    audit.record(db, actor, "episode.create", "episode", episode.id, episode_id=episode.id, after=_summary(episode))
    await db.commit()
    return episode


async def update_episode(
    db: AsyncSession, actor: User, publisher: Publisher, episode_id: int, form: EpisodeForm
) -> Episode:
    ensure_role(actor, Role.ADMIN)
    episode = await get_episode(db, episode_id)
    slug, departments = await _validate(db, form, episode_id)
    before = _summary(episode)
    episode.slug = slug
    episode.title = form.title.strip()
    episode.theme = form.theme.strip()
    episode.description = form.description.strip()
    episode.air_start = form.air_start
    episode.air_end = form.air_end
    episode.answer_deadline_days = form.answer_deadline_days
    episode.departments = departments
    audit.record(
        db,
        actor,
        "episode.update",
        "episode",
        episode.id,
        episode_id=episode.id,
        before=before,
        after=_summary(episode),
    )
    await db.commit()
    await publisher.publish(EpisodeChanged(episode_id=episode.id))
    return episode


async def change_status(
    db: AsyncSession, actor: User | None, publisher: Publisher, episode_id: int, status: EpisodeStatus | str
) -> Episode:
    """Move an episode along draft → open → live → closed → archived (with a few reversals)."""
    if actor is not None:
        ensure_role(actor, Role.ADMIN)
    episode = await get_episode(db, episode_id)
    try:
        target = EpisodeStatus(status)
    except ValueError as exc:
        raise InvalidInput({"status": _("Unknown status.")}) from exc
    if target not in TRANSITIONS[episode.status]:
        raise Conflict(_("An episode cannot go from this status to that one."))
    before = episode.status.value
    episode.status = target
    audit.record(
        db,
        actor,
        "episode.status",
        "episode",
        episode.id,
        episode_id=episode.id,
        before={"status": before},
        after={"status": target.value},
    )
    await db.commit()
    await publisher.publish(EpisodeChanged(episode_id=episode.id))
    return episode


async def add_official(
    db: AsyncSession, actor: User, episode_id: int, *, name: str, title: str, department_id: int | None
) -> EpisodeOfficial:
    ensure_role(actor, Role.ADMIN)
    episode = await get_episode(db, episode_id)
    if not name.strip():
        raise InvalidInput({"official_name": _("The official's name is required.")})
    if department_id is not None and await db.get(Department, department_id) is None:
        raise InvalidInput({"official_department": _("Unknown department.")})
    official = EpisodeOfficial(name=name.strip(), title=title.strip(), department_id=department_id)
    episode.officials.append(official)
    await db.flush()
    audit.record(
        db,
        actor,
        "episode.add_official",
        "episode",
        episode.id,
        episode_id=episode.id,
        after={"name": official.name, "title": official.title, "department_id": department_id},
    )
    await db.commit()
    return official


async def remove_official(db: AsyncSession, actor: User, episode_id: int, official_id: int) -> None:
    ensure_role(actor, Role.ADMIN)
    episode = await get_episode(db, episode_id)
    official = next((o for o in episode.officials if o.id == official_id), None)
    if official is None:
        raise NotFound(_("No such official."))
    episode.officials.remove(official)
    audit.record(
        db,
        actor,
        "episode.remove_official",
        "episode",
        episode.id,
        episode_id=episode.id,
        before={"name": official.name, "title": official.title},
    )
    await db.commit()


async def revoke_studio_link(db: AsyncSession, actor: User, publisher: Publisher, episode_id: int) -> Episode:
    """Every studio-screen link signed before stops working (its screens show the revoked notice)."""
    ensure_role(actor, Role.PRODUCER)
    episode = await get_episode(db, episode_id)
    episode.studio_link_version += 1
    audit.record(
        db,
        actor,
        "episode.studio_link_revoke",
        "episode",
        episode.id,
        episode_id=episode.id,
        after={"version": episode.studio_link_version},
    )
    await db.commit()
    await publisher.publish(EpisodeChanged(episode_id=episode.id))
    return episode
