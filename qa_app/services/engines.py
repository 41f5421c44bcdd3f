"""The moderation engines of one worker: a duplicate index per episode and the department router.

They live in memory and follow the database: an index is built from the episode's questions on first
use (in a thread, so a large episode does not stall the event loop) and before every look-up picks up
questions that other workers created since (``id`` greater than the last one seen). The database stays
the source of truth; an index only proposes candidates, which services re-check against it.

Memory: an indexed question costs ~5-7 kB (its text, folded keys, feature ids, postings, and the new
words and bigrams it brings). So that a worker running for months does not keep every past episode:

* an index is kept only while its episode accepts questions (open or live): at most every
  ``RELEASE_CHECK_SECONDS`` the worker asks the database which of its indexes' episodes still do
  and drops the others (closed, archived, back to draft, deleted); one used again is rebuilt;
* an episode's index holds its newest ``MAX_INDEXED_PER_EPISODE`` questions: past 125 % of that,
  a fresh index of the newest ones is built in a thread while the old one keeps answering (a
  fresh one, because removing entries would leave their words and bigrams behind).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from moderation import DuplicateIndex, Router
from qa_app.models import Department, Episode, Question, QuestionStatus
from qa_app.services.episodes import ACCEPTING_STATUSES

# Questions that can be matched: everything except the emptied shells of merges.
INDEXED_STATUSES = [s for s in QuestionStatus if s is not QuestionStatus.MERGED]
CATCH_UP_SECONDS = 1.0
RELEASE_CHECK_SECONDS = 60.0
MAX_INDEXED_PER_EPISODE = 20_000  # ~100-140 MB at most for one episode; a broadcast gets a few thousand
# The catch-up re-reads this many ids below the highest one seen: with several workers on
# PostgreSQL, ids are taken at insert and committed in a slightly different order.
CATCH_UP_OVERLAP = 256
ROUTER_CATCH_UP_SECONDS = 30.0
ROUTER_OVERLAP = timedelta(seconds=10)
logger = logging.getLogger("qa_app")


class IndexSettings(Protocol):
    """What an index takes from its episode (an :class:`Episode` or a row of these columns)."""

    @property
    def id(self) -> int: ...
    @property
    def auto_merge_threshold(self) -> float | None: ...
    @property
    def suggest_threshold(self) -> float | None: ...
    @property
    def filler_phrases(self) -> list[Any] | None: ...


@dataclass
class EpisodeIndex:
    index: DuplicateIndex
    last_id: int = 0
    fillers: tuple[str, ...] = ()
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    checked_at: float = 0.0
    floor_id: int = 0  # questions up to this id are left out (the episode has more than the bound)
    rebuilding: asyncio.Task[None] | None = None


class ModerationEngines:
    """Per-process cache of :class:`moderation.DuplicateIndex` (per episode) and :class:`moderation.Router`."""

    def __init__(
        self,
        *,
        max_per_episode: int = MAX_INDEXED_PER_EPISODE,
        release_check_seconds: float = RELEASE_CHECK_SECONDS,
    ) -> None:
        self.max_per_episode = max_per_episode
        self.release_check_seconds = release_check_seconds
        self._released_at = time.monotonic()
        self._indexes: dict[int, EpisodeIndex] = {}
        self._router: Router | None = None
        self._router_lock = asyncio.Lock()
        self._build_lock = asyncio.Lock()
        self._provisional = itertools.count(-1, -1)
        self._router_checked_at = 0.0
        self._router_seen: datetime | None = None  # newest routing decision learned
        self._learned: dict[tuple[int, str], datetime] = {}  # decisions near _router_seen, learned
        self._own_decisions: set[tuple[int, str]] = set()  # learned here, not yet read back

    async def index_for(self, db: AsyncSession, episode: IndexSettings) -> DuplicateIndex:
        """The episode's index, built or brought up to date from the database, with its thresholds."""
        await self._release_finished(db)
        entry = self._indexes.get(episode.id)
        if entry is None:
            async with self._build_lock:
                entry = self._indexes.get(episode.id)
                if entry is None:
                    entry = await self._build(db, episode)
                    self._indexes[episode.id] = entry
        # Questions made by other workers (or the import command) are picked up at most once a second:
        # this worker's own are indexed as they are made.
        now = time.monotonic()
        if now - entry.checked_at >= CATCH_UP_SECONDS:
            async with entry.lock:
                await self._catch_up(db, episode.id, entry)
                entry.checked_at = now
        self._apply_settings(entry, episode)
        if len(entry.index) > self.max_per_episode * 5 // 4 and entry.rebuilding is None:
            rows = await self._newest(db, episode.id)
            entry.rebuilding = asyncio.create_task(self._rebuild(episode.id, entry, rows))
        return entry.index

    async def _release_finished(self, db: AsyncSession) -> None:
        """Drop the indexes of episodes that no longer accept questions (checked now and then)."""
        now = time.monotonic()
        if not self._indexes or now - self._released_at < self.release_check_seconds:
            return
        self._released_at = now
        held = list(self._indexes)
        accepting = set(
            await db.scalars(select(Episode.id).where(Episode.id.in_(held), Episode.status.in_(ACCEPTING_STATUSES)))
        )
        for episode_id in held:
            if episode_id not in accepting:
                self.forget_episode(episode_id)

    async def _newest(self, db: AsyncSession, episode_id: int) -> list[Any]:
        """(id, public text) of the episode's newest indexable questions, oldest first."""
        rows = (
            await db.execute(
                select(Question.id, Question.public_text)
                .where(Question.episode_id == episode_id, Question.status.in_(INDEXED_STATUSES))
                .order_by(Question.id.desc())
                .limit(self.max_per_episode)
            )
        ).all()
        return list(reversed(rows))

    async def _build(self, db: AsyncSession, episode: IndexSettings) -> EpisodeIndex:
        rows = await self._newest(db, episode.id)
        fillers = tuple(episode.filler_phrases or ())
        index = await asyncio.to_thread(_fill, DuplicateIndex(filler_phrases=fillers), rows)
        return EpisodeIndex(
            index=index,
            last_id=rows[-1][0] if rows else 0,
            fillers=fillers,
            floor_id=rows[0][0] - 1 if len(rows) >= self.max_per_episode else 0,
        )

    async def _rebuild(self, episode_id: int, entry: EpisodeIndex, rows: list[Any]) -> None:
        """Replace an index grown past the bound with a fresh one of the newest questions."""
        try:
            index = DuplicateIndex(
                entry.index.auto_merge_threshold, entry.index.suggest_threshold, filler_phrases=entry.fillers
            )
            index = await asyncio.to_thread(_fill, index, rows)
            if self._indexes.get(episode_id) is entry and index.filler_phrases == entry.fillers:
                # Questions committed since ``rows`` were read come back with the next catch-up.
                async with entry.lock:
                    entry.index = index
                    entry.last_id = rows[-1][0] if rows else entry.last_id
                    entry.floor_id = rows[0][0] - 1 if len(rows) >= self.max_per_episode else 0
                    entry.checked_at = 0.0
        except Exception:
            logger.exception("could not rebuild the duplicate index of episode %s", episode_id)
        finally:
            entry.rebuilding = None

    async def _catch_up(self, db: AsyncSession, episode_id: int, entry: EpisodeIndex) -> None:
        rows = (
            await db.execute(
                select(Question.id, Question.public_text, Question.status)
                .where(Question.episode_id == episode_id, Question.id > entry.last_id - CATCH_UP_OVERLAP)
                .order_by(Question.id)
            )
        ).all()
        for question_id, text, status in rows:
            if status is not QuestionStatus.MERGED and question_id not in entry.index and question_id > entry.floor_id:
                entry.index.add(question_id, text)
            entry.last_id = max(entry.last_id, question_id)

    @staticmethod
    def _apply_settings(entry: EpisodeIndex, episode: IndexSettings) -> None:
        index = entry.index
        if episode.auto_merge_threshold is not None:
            index.auto_merge_threshold = episode.auto_merge_threshold
        if episode.suggest_threshold is not None:
            index.suggest_threshold = episode.suggest_threshold
        fillers = tuple(episode.filler_phrases or ())
        if fillers != entry.fillers:
            index.set_filler_phrases(fillers)
            entry.fillers = fillers

    def indexed(self, episode_id: int, question_id: int, text: str) -> None:
        """After a commit that created or re-worded a question: (re)index it in this worker.

        ``last_id`` stays where the catch-up left it: a higher id of ours must not hide the
        questions other workers made meanwhile."""
        entry = self._indexes.get(episode_id)
        if entry is None or 0 < question_id <= entry.floor_id:
            return  # built from the database on first use; or older than what the index holds
        if question_id in entry.index:
            entry.index.remove(question_id)
        entry.index.add(question_id, text)

    def provisional_key(self) -> int:
        """A key for a question indexed before it has a database id (negative: never an id)."""
        return next(self._provisional)

    def adopt(self, index: DuplicateIndex, provisional: int, question_id: int) -> None:
        """The question indexed under ``provisional`` was committed as ``question_id``."""
        if provisional not in index:
            return  # the index was rebuilt meanwhile (new filler phrases): it holds the committed rows
        if question_id in index:
            index.remove(provisional)  # a catch-up read the committed row first
        else:
            index.rekey(provisional, question_id)

    @staticmethod
    def discard(index: DuplicateIndex, provisional: int) -> None:
        """A provisionally indexed question was not committed."""
        if provisional in index:
            index.remove(provisional)

    def unindexed(self, episode_id: int, question_id: int) -> None:
        """After a merge emptied a question: it is no longer a candidate."""
        entry = self._indexes.get(episode_id)
        if entry is not None and question_id in entry.index:
            entry.index.remove(question_id)

    def forget_episode(self, episode_id: int) -> None:
        """Drop the episode's index (rebuilt from the database if it is used again)."""
        entry = self._indexes.pop(episode_id, None)
        if entry is not None and entry.rebuilding is not None:
            entry.rebuilding.cancel()

    async def router(self, db: AsyncSession) -> Router:
        """The router, built from the department catalogue and every routing decision on record,
        then taught what other workers decided (read at most every ``ROUTER_CATCH_UP_SECONDS``)."""
        if self._router is not None:
            if time.monotonic() - self._router_checked_at >= ROUTER_CATCH_UP_SECONDS:
                await self._router_catch_up(db)
            return self._router
        async with self._router_lock:
            if self._router is None:
                departments = list(await db.scalars(select(Department).where(Department.active.is_(True))))
                decisions = (await db.execute(_decisions())).all()

                def build() -> Router:
                    router = Router.from_catalogue([d.as_catalogue_entry() for d in departments])
                    for _, text, code, _ in decisions:
                        router.learn(text, code)
                    return router

                self._router = await asyncio.to_thread(build)
                self._remember_decisions(decisions)
                self._router_checked_at = time.monotonic()
        return self._router

    async def _router_catch_up(self, db: AsyncSession) -> None:
        self._router_checked_at = time.monotonic()
        assert self._router is not None
        query = _decisions()
        if self._router_seen is not None:
            # committed in a slightly different order than decided: look back a little
            query = query.where(Question.routed_at > self._router_seen - ROUTER_OVERLAP)
        rows = (await db.execute(query)).all()
        for question_id, text, code, routed_at in rows:
            key = (question_id, code)
            if key in self._own_decisions:
                self._own_decisions.discard(key)  # learned when this worker made it
            elif self._learned.get(key) != routed_at:
                self._router.learn(text, code)
        self._remember_decisions(rows)

    def _remember_decisions(self, rows: Sequence[Any]) -> None:
        if not rows:
            return
        newest = max(row[3] for row in rows)
        self._router_seen = newest if self._router_seen is None else max(self._router_seen, newest)
        horizon = self._router_seen - ROUTER_OVERLAP
        self._learned = {k: at for k, at in self._learned.items() if at > horizon}
        self._learned.update({(row[0], row[2]): row[3] for row in rows if row[3] > horizon})

    def learn_route(self, question_id: int, text: str, department_code: str) -> None:
        """A moderator's final routing decision (made in this worker) teaches this worker's router."""
        key = (question_id, department_code)
        if self._router is not None and key not in self._learned:  # a catch-up may have read it first
            self._router.learn(text, department_code)
            self._own_decisions.add(key)

    def reset_router(self) -> None:
        """The catalogue changed: rebuild on next use."""
        self._router = None
        self._router_seen, self._learned, self._own_decisions = None, {}, set()


def _fill(index: DuplicateIndex, rows: Sequence[Any]) -> DuplicateIndex:
    for question_id, text in rows:
        index.add(question_id, text)
    return index


def _decisions() -> Select[int, str, str, datetime | None]:
    """Routing decisions on record: (question id, public text, department code, routed at)."""
    return (
        select(Question.id, Question.public_text, Department.code, Question.routed_at)
        .join(Department, Department.id == Question.department_id)
        .where(Question.routed_at.is_not(None), Department.active.is_(True))
        .order_by(Question.routed_at)
    )
