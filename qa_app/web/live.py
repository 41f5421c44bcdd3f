"""Real-time: render each event once per audience, push it as an htmx out-of-band fragment.

Channels follow DESIGN §4: ``episode:{id}:moderation``, ``episode:{id}:studio``, ``episode:{id}:public``,
``department:{code}``. A websocket client first receives a snapshot of its region, then the stream, so
anything missed while disconnected is repaired on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment
from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath
from markupsafe import escape
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa_app.availability import database_unavailable
from qa_app.channels_backend import RESYNC, RESYNC_CHANNEL
from qa_app.events import EpisodeChanged, Event, OnAirChanged, QuestionChanged
from qa_app.i18n import current_locale
from qa_app.i18n import gettext as _
from qa_app.models import Department, Episode, Question, Role, User
from qa_app.security import origin_allowed
from qa_app.services import broadcast, workspace
from qa_app.services import departments as department_service
from qa_app.services import episodes as episode_service
from qa_app.services import queue as queue_service
from qa_app.services import rundown as rundown_service
from qa_app.services import users as user_service
from qa_app.services.presence import Presence
from qa_app.timeutil import as_utc, to_local, utcnow
from qa_app.web.auth import SESSION_COOKIE, runtime_of
from qa_app.web.board import card_context
from qa_app.web.edge import parse_int
from qa_app.web.live_lists import ListUpdate, add_swap, list_changes, swaps
from qa_app.web.moderation import filters_from
from qa_app.web.rendering import render_string

logger = logging.getLogger("qa_app.live")

# A staff or studio socket re-checks its access this often, whatever the client sends: a deactivated
# account, a changed password or role, a logout or a revoked studio link cut the stream within seconds.
ACCESS_RECHECK_SECONDS = 2.0
# A re-sync (after Redis or the database came back) reaches every socket of a worker at once; each waits
# up to this long before reading its snapshot, so thousands of sockets do not hit the database together.
RESYNC_SPREAD_SECONDS = 1.0
# htmx's websocket extension reconnects after 1006, 1011, 1012 and 1013 (never after 4xxx codes).
WS_TRY_AGAIN_LATER = 1013
WS_INTERNAL_ERROR = 1011


def moderation_channel(episode_id: FromPath[int]) -> str:
    return f"episode:{episode_id}:moderation"


def studio_channel(episode_id: FromPath[int]) -> str:
    return f"episode:{episode_id}:studio"


def public_channel(episode_id: FromPath[int]) -> str:
    return f"episode:{episode_id}:public"


def counters_channel(episode_id: int) -> str:
    """The workspace's status counters alone: for staff who may not see moderation cards."""
    return f"episode:{episode_id}:counters"


def producer_channel(episode_id: int) -> str:
    return f"episode:{episode_id}:producer"


# Question changes that the studio screen and public board show (besides arrivals, for the counters).
BROADCAST_ACTIONS = frozenset(
    {
        "queued",
        "unqueued",
        "skipped",
        "reordered",
        "on_air",
        "answered_on_air",
        "pulled",
        "published",
        "edited",
        "merged",
        "rejected",
    }
)
# Changes that alter what the producer's rundown lists.
PRODUCER_ACTIONS = BROADCAST_ACTIONS | {"answer_approved", "answer_returned", "routed", "answer_submitted"}


def department_channel(code: str) -> str:
    return f"department:{code}"


def department_counters_channel(code: str) -> str:
    """An officer's workspace counters (their department's share of the episode)."""
    return f"department:{code}:counters"


class LivePublisher:
    """The web layer's :class:`qa_app.events.Publisher`: loads, renders once per audience, publishes.

    ``publish`` only queues the event: one background task per worker renders events in order, after
    the request that caused them has released its database connection (SQLite runs on one), and
    coalesces bursts (300 submissions a second re-render the counters once per batch, not 300 times).
    """

    MAX_QUEUE = 10_000
    MAX_LIVE_ARRIVALS = 10
    ARRIVALS_INTERVAL = 0.25  # seconds between two renders caused by arrivals alone
    DATABASE_RETRY_SECONDS = 0.25  # first wait before probing a database that stopped answering

    def __init__(
        self,
        channels: ChannelsPlugin,
        sessionmaker: async_sessionmaker[AsyncSession],
        environment: Environment,
        locale: str,
        presence: Presence | None = None,
    ) -> None:
        self._presence = presence or Presence()
        self._channels = channels
        self._sessionmaker = sessionmaker
        self._environment = environment
        self._locale = locale
        self._queue: asyncio.Queue[Event] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._departments_cache: tuple[float, list[Department]] | None = None
        self._urgent = asyncio.Event()  # an event other than an arrival is waiting

    async def publish(self, event: Event) -> None:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue(maxsize=self.MAX_QUEUE)
            self._worker = asyncio.create_task(self._run(), name="live-publisher")
        assert self._queue is not None
        if self._queue.full():
            # Clients re-sync on reconnect; an old event is the cheapest thing to lose.
            self._queue.get_nowait()
        self._queue.put_nowait(event)
        if not _is_arrival(event):
            self._urgent.set()

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        last_arrivals = float("-inf")
        while True:
            batch = [await self._queue.get()]
            # Publish at once when alone; under load, what arrived while the previous batch was being
            # rendered forms the next batch (300 submissions a second become a few batches).
            await asyncio.sleep(0)
            self._drain(batch)
            if all(_is_arrival(e) for e in batch):
                # New questions re-render the counters and the newest cards: a few times a second
                # is live enough, and a moderator's action (urgent) does not wait for it.
                self._urgent.clear()
                wait = last_arrivals + self.ARRIVALS_INTERVAL - loop.time()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._urgent.wait(), wait)
                    self._drain(batch)
                last_arrivals = loop.time()
            # A failed render must never stop the stream of later events.
            try:
                await self._publish_batch(batch)
            except Exception as exc:
                if _cancelling():
                    raise asyncio.CancelledError from exc  # shutting down: the error is a consequence
                if not database_unavailable(exc):
                    logger.exception("could not publish %d events", len(batch))
                    continue
                # These events are lost, and so would be the next ones: wait for the database, then
                # have every screen of every worker re-sync (events queued meanwhile follow as usual).
                logger.warning("live updates paused: the database does not answer (%r)", exc)
                await self._wait_for_database()
                logger.warning("live updates resume: the database answers again; every screen re-syncs")
                self._channels.publish(RESYNC, RESYNC_CHANNEL)

    async def _wait_for_database(self) -> None:
        delay = self.DATABASE_RETRY_SECONDS
        while True:
            await asyncio.sleep(delay)
            try:
                async with self._sessionmaker() as db:
                    await db.execute(text("SELECT 1"))
                return
            except Exception as exc:
                if not database_unavailable(exc):
                    logger.exception("live updates: unexpected error while waiting for the database")
            delay = min(delay * 2, 2.0)

    def _drain(self, batch: list[Event]) -> None:
        assert self._queue is not None
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        # A cancellation can be absorbed when it lands as a database call completes (seen under
        # PostgreSQL): the loop would then wait for its next event forever. Cancel until it stops.
        while worker is not None and not worker.done():
            worker.cancel()
            await asyncio.wait([worker], timeout=0.5)
        if worker is not None and not worker.cancelled() and worker.exception() is not None:
            logger.error("the live publisher had stopped", exc_info=worker.exception())

    async def _departments(self, db: AsyncSession) -> list[Department]:
        """The active departments for the cards' route selects, cached briefly (they rarely change)."""
        now = asyncio.get_running_loop().time()
        if self._departments_cache is None or now - self._departments_cache[0] > 30:
            self._departments_cache = (now, await department_service.list_departments(db, active_only=True))
        return self._departments_cache[1]

    async def _publish_batch(self, batch: list[Event]) -> None:
        episodes: dict[int, list[Event]] = {}
        for event in dict.fromkeys(batch):
            if event.episode_id is not None:
                episodes.setdefault(event.episode_id, []).append(event)
        token = current_locale.set(self._locale)
        try:
            for episode_id, events in episodes.items():
                await self._publish_episode(episode_id, events)
        finally:
            current_locale.reset(token)

    async def _publish_episode(self, episode_id: int, events: list[Event]) -> None:
        changes = [e for e in events if isinstance(e, QuestionChanged)]
        # Arrivals (new questions, new voices on existing ones) can come by hundreds a second: the
        # boards get the newest few cards live; the counters show them all and a reload shows the rest.
        arrivals = list(dict.fromkeys(e.question_id for e in changes if e.action in ("submitted", "joined")))
        arrivals = arrivals[-self.MAX_LIVE_ARRIVALS :]
        edited = list(dict.fromkeys(e.question_id for e in changes if e.action not in ("submitted", "joined")))
        shown = list(dict.fromkeys(edited + arrivals))
        departments_touched: dict[str, dict[int, bool]] = {}
        for change in changes:
            if change.action in ("submitted", "joined") and change.question_id not in arrivals:
                continue
            if change.department_code:
                departments_touched.setdefault(change.department_code, {})[change.question_id] = False
            if change.previous_department_code and change.previous_department_code != change.department_code:
                departments_touched.setdefault(change.previous_department_code, {})[change.question_id] = True
        # Load everything, release the connection (SQLite has one), then render.
        async with self._sessionmaker() as db:
            counts = await workspace.status_counts(db, episode_id)
            questions = {q.id: q for q in await db.scalars(select(Question).where(Question.id.in_(shown)))}
            cards = {c.question.id: c for c in await queue_service.cards_for(db, list(questions.values()))}
            context = card_context(
                await self._departments(db),
                await self._presence.editors(shown),
                csrf_input="",
                merge_threshold=await queue_service.merge_threshold(db, episode_id),
            )
            department_views = [
                await load_department_view(db, code, episode_id, touched)
                for code, touched in departments_touched.items()
            ]
        self._channels.publish(self._render_counters(counts, None), counters_channel(episode_id))
        head = render_string(
            self._environment,
            "moderation/queue.html",
            {"counts": counts, "oob": True, "episode": _EpisodeRef(episode_id)},
            block="counters",
        )
        # Each card once, without a swap: every board's socket puts it where its own filters want it.
        items = {
            question_id: render_card_html(self._environment, context, cards[question_id])
            for question_id in shown
            if question_id in cards
        }
        self._channels.publish(ListUpdate(head, items).encode(), moderation_channel(episode_id))
        if (
            any(isinstance(e, OnAirChanged | EpisodeChanged) for e in events)
            or any(e.action in BROADCAST_ACTIONS for e in changes)
            or arrivals
        ):
            await self._publish_broadcast(
                episode_id,
                producer=any(isinstance(e, OnAirChanged) for e in events)
                or any(e.action in PRODUCER_ACTIONS for e in changes),
            )
        for view in department_views:
            if view is not None:
                code = view.department.code
                self._channels.publish(
                    self._render_counters(view.episode_counts, code), department_counters_channel(code)
                )
                self._channels.publish(render_department_view(self._environment, view), department_channel(code))

    async def _publish_broadcast(self, episode_id: int, *, producer: bool) -> None:
        """The studio screen and the public board: one render each, sent to every subscriber as is."""
        async with self._sessionmaker() as db:
            state = await broadcast.studio_state(db, episode_id)
            producer_context = await producer_view(db, episode_id) if producer else None
        if state is None:
            return
        self._channels.publish(
            render_string(self._environment, "studio/screen.html", {"state": state, "oob": True}, block="studio_state"),
            studio_channel(episode_id),
        )
        self._channels.publish(
            render_string(self._environment, "public/board.html", {"state": state, "oob": True}, block="on_air"),
            public_channel(episode_id),
        )
        if producer_context is not None:
            producer_context.update(state=state, oob=True, csrf_input="", message=None)
            html = render_string(self._environment, "producer/rundown.html", producer_context, block="rundown")
            self._channels.publish(
                html.replace('<div id="rundown"', '<div id="rundown" hx-swap-oob="true"', 1),
                producer_channel(episode_id),
            )

    def _render_counters(self, counts: dict[str, int], department_code: str | None) -> str:
        return render_string(
            self._environment,
            "workspace/dashboard.html",
            {"counts": counts, "oob": True, "department_code": department_code},
            block="status_counters",
        )


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _is_arrival(event: Event) -> bool:
    return isinstance(event, QuestionChanged) and event.action in ("submitted", "joined")


@dataclass(frozen=True)
class _EpisodeRef:
    """Enough of an episode for templates that only link to it."""

    id: int


async def board_context(db: AsyncSession, presence: Presence, question_ids: list[int]) -> dict[str, Any]:
    departments = await department_service.list_departments(db, active_only=True)
    questions = await queue_service.questions_by_ids(db, question_ids[:1])
    threshold = await queue_service.merge_threshold(db, questions[0].episode_id) if questions else 100.0
    return card_context(departments, await presence.editors(question_ids), csrf_input="", merge_threshold=threshold)


def render_card_html(environment: Environment, context: dict[str, Any], card: queue_service.Card) -> str:
    """A question card as the board shows it (no swap attribute: each socket says where it goes)."""
    return render_string(environment, "moderation/_card.html", {**context, "card": card, "oob": False})


async def board_cards_html(
    db: AsyncSession, environment: Environment, presence: Presence, ids: list[int]
) -> dict[int, str]:
    questions = await queue_service.questions_by_ids(db, ids)
    if not questions:
        return {}
    context = await board_context(db, presence, [q.id for q in questions])
    return {
        c.question.id: render_card_html(environment, context, c) for c in await queue_service.cards_for(db, questions)
    }


@dataclass
class DepartmentView:
    department: Department
    episode_counts: dict[str, int]
    counts: dict[str, int]
    overdue: int
    rows: list[tuple[int, Question | None]]  # (question id, fresh question or None when it left)


async def load_department_view(
    db: AsyncSession, code: str, episode_id: int, touched: dict[int, bool]
) -> DepartmentView | None:
    """What a department's inbox needs after some of its questions changed (``touched``: id → left it)."""
    from qa_app.services import answers as answer_service

    department = await db.scalar(select(Department).where(Department.code == code))
    if department is None:
        return None
    counts, overdue = await answer_service.inbox_counts(db, department.id)
    fresh = {q.id: q for q in await db.scalars(select(Question).where(Question.id.in_(list(touched))))}
    rows = [
        (qid, None if left or fresh.get(qid) is None or fresh[qid].department_id != department.id else fresh[qid])
        for qid, left in touched.items()
    ]
    episode_counts = await workspace.status_counts(db, episode_id, department_code=code)
    return DepartmentView(department, episode_counts, counts, overdue, rows)


def _inbox_context(department: Department, counts: dict[str, int], overdue: int) -> dict[str, Any]:
    from qa_app.web.department import deadline_state

    return {
        "department": department,
        "counts": counts,
        "overdue": overdue,
        "oob": True,
        "today": to_local(utcnow()).date(),
        "deadline_state": deadline_state,
    }


def render_inbox_row(environment: Environment, context: dict[str, Any], question: Question) -> str:
    return render_string(environment, "department/_inbox_row.html", {**context, "question": question, "oob": False})


def render_department_view(environment: Environment, view: DepartmentView) -> str:
    """Inbox counters, and each changed row ("" when the question left the department): every inbox
    socket places the rows under its own filters."""
    context = _inbox_context(view.department, view.counts, view.overdue)
    head = render_string(environment, "department/inbox.html", context, block="inbox_counters")
    items = {
        question_id: render_inbox_row(environment, context, question) if question is not None else ""
        for question_id, question in view.rows
    }
    return ListUpdate(head, items).encode()


AccessCheck = Callable[[], Awaitable[int | None]]

# Sockets of one worker that show the same list get the same update: each list is computed once per
# update and shared (20 moderators on "needs attention" cost one query per event, not 20).
_shared_lists: dict[tuple[Any, ...], asyncio.Future[Any]] = {}
SHARED_LIST_SECONDS = 2.0


async def shared_list(key: tuple[Any, ...], compute: Callable[[], Awaitable[Any]]) -> Any:
    future = _shared_lists.get(key)
    if future is None:
        future = asyncio.ensure_future(compute())
        _shared_lists[key] = future
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda _: loop.call_later(SHARED_LIST_SECONDS, _shared_lists.pop, key, None))
    return await asyncio.shield(future)


async def _send_frames(socket: WebSocket[Any, Any, Any], frames: str | list[str]) -> None:
    for frame in [frames] if isinstance(frames, str) else frames:
        if frame:
            await socket.send_text(frame)


async def _serve(
    socket: WebSocket[Any, Any, Any],
    channels: ChannelsPlugin,
    names: list[str],
    snapshot: Callable[[], Awaitable[str | list[str]]],
    access_lost: AccessCheck | None,
    on_update: Callable[[bytes], Awaitable[list[str]]] | None = None,
) -> None:
    """Accept, subscribe, send the snapshot, then stream until the client leaves or loses access.

    ``on_update`` turns a published message into this client's frames (a live list under its filters);
    without it the message is sent as is.

    ``access_lost`` is asked every ACCESS_RECHECK_SECONDS, however chatty the client is, and gives
    the close code once the access the socket was opened with is gone (None while it holds).

    After a gap (Redis or the database came back) the socket is asked to re-sync and sends a fresh
    snapshot. When the database does not answer, the socket closes with 1013 ("try again later"): the
    browser reconnects by itself and takes its snapshot then.
    """
    await socket.accept()
    closed = False

    async def deliver(data: bytes) -> None:
        nonlocal closed
        if closed:
            return
        try:
            if data != RESYNC:
                if on_update is None:
                    await socket.send_data(data)
                    return
                for frame in await on_update(data):
                    if frame:
                        await socket.send_text(frame)
                return
            # Every socket of the worker re-syncs at once: spread the snapshots' database reads.
            await asyncio.sleep(random.uniform(0, RESYNC_SPREAD_SECONDS))
            await _send_frames(socket, await snapshot())
        except Exception as exc:
            # Gone, or the snapshot failed: either way the browser reconnects and starts afresh.
            closed = True
            if not isinstance(exc, WebSocketDisconnect) and not database_unavailable(exc):
                logger.warning("live socket closed after an error: %r", exc)
            with contextlib.suppress(Exception):
                await socket.close(code=WS_TRY_AGAIN_LATER if database_unavailable(exc) else WS_INTERNAL_ERROR)

    try:
        async with channels.start_subscription([*names, RESYNC_CHANNEL]) as subscriber:
            # Subscribe before the snapshot: an event between the two is sent twice, never lost.
            await _send_frames(socket, await snapshot())
            # join=False: a client that left does not need the backlog (and a send to it would fail).
            async with subscriber.run_in_background(deliver, join=False):
                loop = asyncio.get_running_loop()
                due = loop.time() + ACCESS_RECHECK_SECONDS
                while True:
                    try:
                        timeout = None if access_lost is None else max(0.0, due - loop.time())
                        await asyncio.wait_for(socket.receive_data(mode="text"), timeout=timeout)
                    except TimeoutError:
                        pass
                    except WebSocketDisconnect:
                        return
                    if access_lost is not None and loop.time() >= due:
                        due = loop.time() + ACCESS_RECHECK_SECONDS
                        code = await access_lost()
                        if code is not None:
                            closed = True
                            await socket.close(code=code)
                            return
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        with contextlib.suppress(Exception):
            await socket.close(code=WS_TRY_AGAIN_LATER)


def staff_access(socket: WebSocket[Any, Any, Any], user: User) -> AccessCheck:
    """For a staff socket: 4401 once the session it was opened with ends (logout, password changed,
    account deactivated or gone), 4403 once the user's role or department changes."""
    runtime = runtime_of(socket)
    raw_session = socket.scope.get("session")
    auth_at = float(raw_session.get("auth_at", 0)) if isinstance(raw_session, dict) else 0.0
    session_id = socket.cookies.get(SESSION_COOKIE)
    store = socket.app.stores.get("sessions")
    user_id, role, department_id = user.id, user.role, user.department_id

    async def check() -> int | None:
        try:
            async with runtime.sessionmaker() as db:
                fresh = await user_service.get_user(db, user_id)
            if fresh is None or not fresh.active or as_utc(fresh.password_changed_at).timestamp() > auth_at:
                return 4401
            if fresh.role is not role or fresh.department_id != department_id:
                return 4403
            if session_id and await store.get(session_id) is None:
                return 4401
        except Exception:
            # An outage of the database or the session store says nothing about this user: the socket
            # stays, and is asked again at the next tick.
            logger.warning("could not re-check the access of a staff socket", exc_info=True)
        return None

    return check


def check_origin(socket: WebSocket[Any, Any, Any], *, required: bool) -> bool:
    settings = runtime_of(socket).settings
    return origin_allowed(
        socket.headers.get("origin"), socket.headers.get("host"), settings.allowed_origins, required=required
    )


async def refuse(socket: WebSocket[Any, Any, Any], code: int) -> None:
    """Close with an application code the client can read (4401 login needed, 4403 forbidden). Accepted
    first: a handshake closed before it is accepted reaches the client as a bare HTTP 403 (code 1006 in a
    browser, which the ws extension retries forever), never as 4401 or 4403. Nothing is sent before the close."""
    await socket.accept()
    await socket.close(code=code)


async def refuse_origin(socket: WebSocket[Any, Any, Any]) -> None:
    """A foreign (or, where required, missing) Origin is refused at the handshake (HTTP 403): a page of
    another site never holds an open socket, not even for the time of a close."""
    await socket.close(code=4403)


@websocket("/ws/workspace/{episode_id:int}", name="workspace_socket")
async def workspace_socket(socket: WebSocket[Any, Any, Any], episode_id: FromPath[int]) -> None:
    """Live counters of the staff workspace; officers get only their department's."""
    if not check_origin(socket, required=True):
        await refuse_origin(socket)
        return
    user: User | None = socket.scope.get("user")
    if user is None:
        await refuse(socket, 4401)
        return
    runtime = runtime_of(socket)
    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    department_code = user.department.code if user.role is Role.OFFICER and user.department else None
    if user.role is Role.OFFICER and department_code is None:
        await refuse(socket, 4403)
        return
    # The dashboard shows counters only: no moderation card (with contacts) reaches operators or producers.
    names = [department_counters_channel(department_code) if department_code else counters_channel(episode_id)]
    locale = current_locale.get()

    async def snapshot() -> str:
        token = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                counts = await workspace.status_counts(db, episode_id, department_code=department_code)
            return render_string(
                environment,
                "workspace/dashboard.html",
                {"counts": counts, "oob": True, "department_code": department_code},
                block="status_counters",
            )
        finally:
            current_locale.reset(token)

    with contextlib.suppress(WebSocketDisconnect):
        await _serve(socket, runtime.channels, names, snapshot, staff_access(socket, user))


@websocket("/ws/moderation/{episode_id:int}", name="moderation_socket")
async def moderation_socket(socket: WebSocket[Any, Any, Any], episode_id: FromPath[int]) -> None:
    """The live board: a snapshot of the counters and of the queue (with the client's filters) on every
    (re)connect, then cards and counters as other moderators act."""
    if not check_origin(socket, required=True):
        await refuse_origin(socket)
        return
    user: User | None = socket.scope.get("user")
    if user is None or user.role not in (Role.MODERATOR, Role.ADMIN):
        await refuse(socket, 4401 if user is None else 4403)
        return
    runtime = runtime_of(socket)
    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    params = socket.query_params
    locale = current_locale.get()
    filters = filters_from(
        status=params.get("status", "attention"),
        department=params.get("department", ""),
        channel=params.get("channel", ""),
        ward=params.get("ward", ""),
        q=params.get("q", ""),
        sort=params.get("sort", "priority"),
        page=parse_int(params.get("page", ""), minimum=1) or 1,
    )
    single = parse_int(params.get("question", ""), minimum=1)  # one card, or the queue page
    # The ids this client's list shows, in order, as last sent: each update is placed against them.
    shown: list[int] = []
    heading: list[tuple[int, int, int]] = []  # (total, page, pages) last sent

    def head_parts(found: Any) -> list[str]:
        context = {"page": found, "filters": filters, "episode": _EpisodeRef(episode_id), "oob_part": True}
        return [
            render_string(environment, "moderation/queue.html", context, block="queue_heading"),
            render_string(environment, "moderation/queue.html", context, block="queue_pager"),
        ]

    async def snapshot() -> str:
        token = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                if single is not None:
                    # The question page: its card only (it shows no counters).
                    cards = await board_cards_html(db, environment, runtime.presence, [single])
                    return add_swap(cards[single], "article") if single in cards else ""
                counts = await workspace.status_counts(db, episode_id)
                parts = [
                    render_string(
                        environment,
                        "moderation/queue.html",
                        {"counts": counts, "oob": True, "episode": _EpisodeRef(episode_id)},
                        block="counters",
                    )
                ]
                page = await queue_service.queue_page(db, episode_id, filters)
                context = await board_context(db, runtime.presence, [c.question.id for c in page.cards])
                context.update(page=page, filters=filters, oob=True, episode=_EpisodeRef(episode_id))
                parts.append(render_string(environment, "moderation/queue.html", context, block="queue_body"))
                shown[:] = [c.question.id for c in page.cards]
                heading[:] = [(page.total, page.page, page.pages)]
                return "\n".join(parts)
        finally:
            current_locale.reset(token)

    async def on_update(data: bytes) -> list[str]:
        update = ListUpdate.decode(data)
        if update is None:
            return []
        if single is not None:
            card_html = update.items.get(single)
            return [add_swap(card_html, "article")] if card_html else []
        token = current_locale.set(locale)
        try:

            async def compute() -> queue_service.PageIds:
                async with runtime.sessionmaker() as db:
                    return await queue_service.page_ids(db, episode_id, filters)

            key = ("board", id(runtime), episode_id, filters, hashlib.blake2b(data).digest())
            found = await shared_list(key, compute)
            after = found.ids
            changes = list_changes(shown, after, set(update.items))
            missing = [i for i, _ in changes.inserted if not update.items.get(i)]
            extra: dict[int, str] = {}
            if missing:  # cards that came onto this page without changing themselves
                async with runtime.sessionmaker() as db:
                    extra = await board_cards_html(db, environment, runtime.presence, missing)
            html = {**update.items, **extra}
            if any(not html.get(i) for i, _ in changes.inserted):
                # A question gone meanwhile: leave it out rather than point a swap at it.
                after = [i for i in after if html.get(i) or i in shown]
                changes = list_changes(shown, after, set(update.items))
            parts = [update.head]
            parts.extend(
                swaps(
                    changes,
                    html.__getitem__,
                    tag="article",
                    dom_id=lambda i: f"question-card-{i}",
                    list_id="queue-list",
                )
            )
            if heading != [(found.total, found.page, found.pages)]:
                parts.extend(head_parts(found))
                heading[:] = [(found.total, found.page, found.pages)]
            shown[:] = after
            return ["\n".join(p for p in parts if p)]
        finally:
            current_locale.reset(token)

    with contextlib.suppress(WebSocketDisconnect):
        await _serve(
            socket,
            runtime.channels,
            [moderation_channel(episode_id)],
            snapshot,
            staff_access(socket, user),
            on_update,
        )


@websocket("/ws/department", name="department_socket")
async def department_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """An officer's inbox, live: only their own department's channel (admins choose one)."""
    if not check_origin(socket, required=True):
        await refuse_origin(socket)
        return
    user: User | None = socket.scope.get("user")
    if user is None or user.role not in (Role.OFFICER, Role.ADMIN):
        await refuse(socket, 4401 if user is None else 4403)
        return
    asked = socket.query_params.get("department", "")
    if user.role is Role.OFFICER:
        own = user.department.code if user.department else None
        if own is None or (asked and asked != own):
            await refuse(socket, 4403)
            return
        code = own
    else:
        code = asked
    runtime = runtime_of(socket)
    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    locale = current_locale.get()
    # The filters the inbox page shows (its filter form reloads the page, and so this socket).
    status = socket.query_params.get("status", "open")[:32] or "open"
    due = socket.query_params.get("due", "")[:16]
    shown: list[int] = []

    async def rows_now(db: AsyncSession, department: Department) -> list[Question]:
        from qa_app.services import answers as answer_service

        return await answer_service.inbox(db, department.id, status=status, due=due)

    async def snapshot() -> list[str]:
        from qa_app.services import answers as answer_service

        token = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                department = await db.scalar(select(Department).where(Department.code == code))
                if department is None:
                    return []
                counts, overdue = await answer_service.inbox_counts(db, department.id)
                questions = await rows_now(db, department)
                context = _inbox_context(department, counts, overdue)
                rows = "".join(render_inbox_row(environment, context, q) for q in questions)
                shown[:] = [q.id for q in questions]
                empty = escape(_("Nothing to answer right now."))
                return [  # two frames: see on_update
                    render_string(environment, "department/inbox.html", context, block="inbox_counters"),
                    f'<tbody id="inbox-rows" hx-swap-oob="true">{rows}'
                    f'<tr class="inbox-empty"><td colspan="6">{empty}</td></tr></tbody>',
                ]
        finally:
            current_locale.reset(token)

    async def on_update(data: bytes) -> list[str]:
        update = ListUpdate.decode(data)
        if update is None:
            return []
        token = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                department = await db.scalar(select(Department).where(Department.code == code))
                if department is None:
                    return []
                questions = await rows_now(db, department)
                after = [q.id for q in questions]
                changes = list_changes(shown, after, {k for k, v in update.items.items() if v})
                missing = [i for i, _ in changes.inserted if not update.items.get(i)]
                extra: dict[int, str] = {}
                if missing:
                    from qa_app.services import answers as answer_service

                    context = _inbox_context(department, *(await answer_service.inbox_counts(db, department.id)))
                    extra = {q.id: render_inbox_row(environment, context, q) for q in questions if q.id in missing}
            html = {**update.items, **extra}
            # One frame per row: a table row parses only where a table is open, so it cannot share a
            # frame with the counters (htmx parses a frame as one fragment).
            frames = [update.head]
            frames.extend(
                swaps(
                    changes,
                    html.__getitem__,
                    tag="tr",
                    dom_id=lambda i: f"inbox-row-{i}",
                    list_id="inbox-rows",
                    wrapper="tbody",
                )
            )
            shown[:] = after
            return frames
        finally:
            current_locale.reset(token)

    with contextlib.suppress(WebSocketDisconnect):
        await _serve(
            socket, runtime.channels, [department_channel(code)], snapshot, staff_access(socket, user), on_update
        )


async def producer_view(db: AsyncSession, episode_id: int) -> dict[str, Any]:
    """What the producer's rundown block shows besides the studio state."""
    from qa_app.models import Episode, EpisodeOfficial

    episode = await db.get(Episode, episode_id)
    return {
        "episode": episode,
        "entries": await rundown_service.entries(db, episode_id),
        "candidates": await rundown_service.candidates(db, episode_id),
        "officials": list(await db.scalars(select(EpisodeOfficial).where(EpisodeOfficial.episode_id == episode_id))),
        "studio_link": "",
    }


async def _serve_readonly(
    socket: WebSocket[Any, Any, Any],
    channels: ChannelsPlugin,
    name: str,
    snapshot: Callable[[], Awaitable[str]],
    access_lost: AccessCheck | None = None,
) -> None:
    """A public or studio socket: receives nothing that matters, and a client too slow to keep up is
    dropped (its backlog is bounded by the channels plugin) instead of growing the server's memory."""
    with contextlib.suppress(WebSocketDisconnect):
        await _serve(socket, channels, [name], snapshot, access_lost)


@websocket("/ws/studio/{episode_id:int}/{token:str}", name="studio_socket")
async def studio_socket(socket: WebSocket[Any, Any, Any], episode_id: FromPath[int], token: FromPath[str]) -> None:
    """The studio screen: signed link, no login; the current state first, then every change."""
    if not check_origin(socket, required=False):
        await refuse_origin(socket)
        return
    runtime = runtime_of(socket)
    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    locale = current_locale.get()

    async def valid() -> bool:
        from qa_app.models import Episode

        async with runtime.sessionmaker() as db:
            episode = await db.get(Episode, episode_id)
            return episode is not None and broadcast.studio_token_valid(runtime.settings.secret_key, episode, token)

    try:
        allowed = await valid()
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        await socket.accept()
        await socket.close(code=WS_TRY_AGAIN_LATER)  # the studio screen's socket reconnects by itself
        return
    if not allowed:
        await refuse(socket, 4403)
        return

    async def revoked() -> int | None:
        try:
            return None if await valid() else 4403
        except Exception:  # an outage is not a revocation: asked again at the next tick
            logger.warning("could not re-check a studio link", exc_info=True)
            return None

    async def snapshot() -> str:
        token_ = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                state = await broadcast.studio_state(db, episode_id)
            return render_string(environment, "studio/screen.html", {"state": state, "oob": True}, block="studio_state")
        finally:
            current_locale.reset(token_)

    await _serve_readonly(socket, runtime.channels, studio_channel(episode_id), snapshot, revoked)


@websocket("/ws/public/{episode_id:int}", name="public_socket")
async def public_socket(socket: WebSocket[Any, Any, Any], episode_id: FromPath[int]) -> None:
    """The public board: anyone, read-only; what is on air now, then every change. Only for an episode
    the public board shows (not a draft): 4404 otherwise."""
    if not check_origin(socket, required=False):
        await refuse_origin(socket)
        return
    runtime = runtime_of(socket)
    try:
        async with runtime.sessionmaker() as db:
            episode = await db.get(Episode, episode_id)
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        # As in _serve: "try again later", which the browser's socket reconnects after by itself.
        await socket.accept()
        await socket.close(code=WS_TRY_AGAIN_LATER)
        return
    if episode is None or episode.status not in episode_service.PUBLIC_STATUSES:
        # Accepted first, so that the client learns why (a refused handshake is a bare HTTP 403).
        await socket.accept()
        await socket.close(code=4404)
        return
    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    locale = current_locale.get()

    async def snapshot() -> str:
        token_ = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                state = await broadcast.studio_state(db, episode_id)
            if state is None:
                return ""
            return render_string(environment, "public/board.html", {"state": state, "oob": True}, block="on_air")
        finally:
            current_locale.reset(token_)

    await _serve_readonly(socket, runtime.channels, public_channel(episode_id), snapshot)


@websocket("/ws/producer/{episode_id:int}", name="producer_socket")
async def producer_socket(socket: WebSocket[Any, Any, Any], episode_id: FromPath[int]) -> None:
    """Producers see the rundown change when a colleague, a moderator or the control API acts."""
    if not check_origin(socket, required=True):
        await refuse_origin(socket)
        return
    user: User | None = socket.scope.get("user")
    if user is None or user.role not in (Role.PRODUCER, Role.ADMIN):
        await refuse(socket, 4401 if user is None else 4403)
        return
    runtime = runtime_of(socket)

    environment: Environment = socket.app.template_engine.engine  # type: ignore[union-attr]
    locale = current_locale.get()

    async def snapshot() -> str:
        from qa_app.models import Episode

        token_ = current_locale.set(locale)
        try:
            async with runtime.sessionmaker() as db:
                episode = await db.get(Episode, episode_id)
                if episode is None:
                    return ""
                context = await producer_view(db, episode_id)
                context.update(
                    state=await broadcast.studio_state(db, episode_id),
                    oob=True,
                    csrf_input="",
                    message=None,
                    studio_link=f"/studio/{episode.id}/{broadcast.studio_token(runtime.settings.secret_key, episode)}",
                )
            html = render_string(environment, "producer/rundown.html", context, block="rundown")
            return html.replace('<div id="rundown"', '<div id="rundown" hx-swap-oob="true"', 1)
        finally:
            current_locale.reset(token_)

    with contextlib.suppress(WebSocketDisconnect):
        await _serve(socket, runtime.channels, [producer_channel(episode_id)], snapshot, staff_access(socket, user))
