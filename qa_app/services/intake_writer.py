"""Group commit for intake: submissions that arrive together are written together.

On broadcast night hundreds of questions a second can arrive. Writing each in its own transaction
costs a commit (an fsync on SQLite) and a dozen round trips per submission; the writer instead
takes whatever arrived while the previous batch was being written and hands it to
:func:`qa_app.services.intake.write_batch`: one transaction, a few multi-row statements. A
submission is still acknowledged only after the commit that stores it. When it is quiet, a batch is
one submission and nothing waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa_app.availability import database_unavailable
from qa_app.events import Publisher
from qa_app.i18n import gettext as _
from qa_app.models import EpisodeStatus, User
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from qa_app.services.episodes import ACCEPTING_STATUSES, get_episode_by_slug
from qa_app.services.errors import Busy, Unavailable

logger = logging.getLogger(__name__)

_Entry = tuple[intake.PendingSubmission, "asyncio.Future[intake.PendingSubmission]"]
EPISODE_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class EpisodeRef:
    """What the submission path needs of an episode before the batch re-reads it."""

    id: int
    slug: str
    status: EpisodeStatus


def unavailable() -> Unavailable:
    return Unavailable(
        _("The system is briefly unavailable and could not confirm your question. Please try again in a few seconds.")
    )


class IntakeWriter:
    """One per worker: a queue of validated submissions and the task that writes them in batches."""

    MAX_BATCH = 64  # bounds the time one batch holds the event loop and the connection
    # ~10 s of work at this worker's pace: beyond that a citizen is better told to send again in a
    # moment (the form keeps the text, the idempotency key makes the retry safe) than left waiting.
    MAX_PENDING = 3000

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], engines: ModerationEngines, publisher: Publisher
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engines = engines
        self._publisher = publisher
        self._queue: asyncio.Queue[_Entry | None] | None = None  # None: stop after what is queued
        self._task: asyncio.Task[None] | None = None
        self._episodes: dict[str, tuple[float, EpisodeRef]] = {}
        self._refreshing: set[str] = set()
        self.max_pending = self.MAX_PENDING
        self.batches_written = 0  # with submissions_written: how much the grouping saves
        self.submissions_written = 0

    async def episode(self, db: AsyncSession, slug: str) -> EpisodeRef:
        """The episode by its short name (NotFound if none), for the API's submission path.

        An episode accepting questions is remembered for a second: the batch re-reads its status
        anyway, so a closed episode refuses at once; one that is not accepting is always re-read
        (so that re-opening takes effect immediately)."""
        now = time.monotonic()
        cached = self._episodes.get(slug)
        if cached is not None and (now - cached[0] < EPISODE_CACHE_SECONDS or slug in self._refreshing):
            return cached[1]  # while one request re-reads it, the others go on with what we had
        self._refreshing.add(slug)
        try:
            episode = await get_episode_by_slug(db, slug, light=True)
        finally:
            self._refreshing.discard(slug)
        ref = EpisodeRef(episode.id, episode.slug, episode.status)
        if ref.status in ACCEPTING_STATUSES:
            self._episodes[slug] = (now, ref)
        else:
            self._episodes.pop(slug, None)
        return ref

    async def submit(
        self,
        db: AsyncSession,
        episode: intake.EpisodeLike,
        form: intake.SubmissionForm,
        *,
        actor: User | None = None,
    ) -> intake.SubmissionResult:
        """Validate (raises at once, in the requester's language), queue, and return once committed.

        ``db`` is the request's session: its transaction ends here, so that the writer can have the
        connection (SQLite has one). A request cancelled while waiting (the citizen closed the page)
        is still written: a retry with the same idempotency key gets the same tracking code."""
        item = intake.pending(episode, form, actor=actor)
        await db.commit()
        queue = self._ensure_running()
        if queue.qsize() >= self.max_pending:
            raise Busy(_("Very many questions are arriving right now. Please send yours again in a few seconds."))
        future: asyncio.Future[intake.PendingSubmission] = asyncio.get_running_loop().create_future()
        queue.put_nowait((item, future))
        try:
            return intake.outcome(await future)
        except Unavailable:
            raise unavailable() from None  # made in the writer's context: said again in the requester's language

    def _ensure_running(self) -> asyncio.Queue[_Entry | None]:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = self._queue or asyncio.Queue()
            # A context of its own: nothing of the request that happened to start it (its locale) leaks in.
            self._task = asyncio.create_task(self._run(), name="intake-writer", context=contextvars.Context())
        return self._queue

    async def _run(self) -> None:
        assert self._queue is not None
        stopping = False
        while not stopping:
            batch: list[_Entry] = []
            entry = await self._queue.get()
            while True:
                if entry is None:
                    stopping = True
                else:
                    batch.append(entry)
                if stopping or len(batch) >= self.MAX_BATCH or self._queue.empty():
                    break
                entry = self._queue.get_nowait()
            if batch:
                await self._write(batch)

    async def _write(self, batch: list[_Entry]) -> None:
        items = [item for item, _ in batch]
        try:
            async with self._sessionmaker() as db:
                await intake.write_batch(db, self._engines, self._publisher, items)
        except Exception as exc:  # the requests answer with the error; the writer goes on
            error: Exception = exc
            if database_unavailable(exc):
                # Nothing of the batch is acknowledged: each sender is asked to send again (the form keeps
                # the text; the idempotency key makes the retry safe even if the commit did land).
                logger.warning("database unavailable: %d submissions refused with 503: %r", len(items), exc)
                error = unavailable()
            else:
                logger.exception("could not write a batch of %d submissions", len(items))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.batches_written += 1
        self.submissions_written += len(items)
        for item, future in batch:
            if not future.done():
                future.set_result(item)

    async def close(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None or self._queue is None:
            return
        if not self._task.done():
            self._queue.put_nowait(None)
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            except TimeoutError:
                self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._task = None
