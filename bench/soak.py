"""Soak: a broadcast night's steady load on a real server for minutes, with errors, latency and RSS per minute.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 10] [--sockets 200] [--status-interval 1]
                                   [--episode-minutes 0] [--database-url URL] [--redis-url URL]
                                   [--port 0] [--seed 20261201] [--keep]

What it does, in one run:

1. a fresh SQLite database in a temporary directory (or ``--database-url``, e.g. a PostgreSQL
   database of your own, migrated here), seeded through the services: the department catalogue,
   an admin, a moderator and a producer (with an API token), one LIVE episode;
2. the real app under uvicorn in a subprocess, one worker (``qa_app.asgi:create_from_env``,
   QA_ENV=test, the per-IP submission limit raised: the whole load comes from one address);
3. for ``--minutes``, all at once:

   * ``--rate`` public submissions a second, open loop (sent on schedule whatever the answers;
     latency counted from the scheduled time, so a stall is not hidden), ``POST
     /api/v1/episodes/{slug}/submissions``, the texts of ``bench/submissions.py`` (~30 %
     near-duplicates, some phone numbers, contacts, wards and names);
   * ``--sockets`` public board websockets (``/ws/public/{episode}``) reading every frame;
   * a status loop, one step every ``--status-interval`` seconds, in turn: a tracking look-up
     (``GET /api/v1/submissions/{code}``), a moderator routing a new question (the moderation
     form, logged in, CSRF), another tracking look-up, and every fifth step an on-air change
     (``POST /api/v1/episodes/{slug}/on-air``, producer token) of a routed question: the time
     from the request to the frame showing that question on each socket is the event delivery
     latency;
   * with ``--episode-minutes N``: every N minutes the admin opens a new episode (live), the
     load and the sockets move to it, and the previous one is closed, then archived, as
     successive broadcasts in a worker that is never restarted;

4. per minute, plain ``name: value`` lines: submissions (sent, accepted, errors by status,
   p50/p95/p99 ms), events (on-air changes, deliveries / expected, p50/p95/p99 ms), the status
   loop (requests, errors, refusals, p50/p95/p99 ms), the server (RSS, its change, CPU, sockets
   open, new questions); then totals and the RSS growth per new question.

Errors are 5xx answers, exceptions and timeouts (and, for events, a socket that did not get a
change within 4.5 s); 4xx answers of the status loop are counted apart as refusals (a question
another action changed first). The load generator shares the machine with the server. Exit
status 0 whatever the figures; 2 when the server does not start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import submissions as sub  # noqa: E402 - the sibling benchmark: texts, server, raw HTTP client

ROOT = sub.ROOT
ADMIN, MODERATOR, PRODUCER = "soak.admin", "soak.moderator", "soak.producer"
PASSWORD = "soak-" + sub.SECRET[:24]
EVENT_TIMEOUT = 4.5  # seconds a socket has to show an on-air change
ON_AIR_EVERY = 5  # status steps between two on-air changes


def emit(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


def pcts(values: list[float]) -> str:
    if not values:
        return "p50 -, p95 -, p99 -"
    return ", ".join(
        f"{name} {sub.percentile(values, q):.1f} ms" for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )


# ------------------------------------------------------------------------------------------- seed


async def seed(database_url: str) -> dict[str, Any]:
    """Departments, three staff accounts, a producer token and one LIVE episode."""
    from qa_app.db import create_engine, create_sessionmaker
    from qa_app.models import EpisodeStatus, Role
    from qa_app.security import Passwords
    from qa_app.services import departments as department_service
    from qa_app.services import episodes as episode_service
    from qa_app.services import users as user_service

    engine = create_engine(database_url)
    fast = Passwords(time_cost=1, memory_cost=1024)
    try:
        async with create_sessionmaker(engine)() as db:
            catalogue = department_service.load_catalogue()
            await department_service.import_catalogue(db, None, catalogue)
            for username, role in ((ADMIN, Role.ADMIN), (MODERATOR, Role.MODERATOR), (PRODUCER, Role.PRODUCER)):
                await user_service.create_user(db, fast, None, username=username, password=PASSWORD, role=role)
            _row, token = await user_service.create_api_token(db, None, PRODUCER, "soak")
            episode = await episode_service.create_episode(
                db, None, episode_service.EpisodeForm(title="Kỳ đo tải dài hạn 1", theme="Đo tải", slug="soak-1")
            )
            episode.status = EpisodeStatus.LIVE
            await db.commit()
            return {
                "episode_id": episode.id,
                "slug": episode.slug,
                "token": token,
                "departments": [entry["code"] for entry in catalogue],
            }
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------------------ state


@dataclass
class Minute:
    sub_sent: int = 0
    sub_latency: list[float] = field(default_factory=list)  # accepted ones
    sub_errors: Counter[str] = field(default_factory=Counter)
    sub_refused: Counter[str] = field(default_factory=Counter)
    event_changes: int = 0
    event_latency: list[float] = field(default_factory=list)
    event_expected: int = 0
    event_missing: int = 0
    status_latency: list[float] = field(default_factory=list)
    status_errors: Counter[str] = field(default_factory=Counter)
    status_refused: Counter[str] = field(default_factory=Counter)
    new_questions: int = 0


@dataclass
class Expectation:
    marker: str  # the start of the question's text as the fragment shows it (escaped)
    t0: float
    expected: int
    got: dict[int, float] = field(default_factory=dict)  # socket -> arrival
    complete: asyncio.Event = field(default_factory=asyncio.Event)


class Soak:
    def __init__(self, args: argparse.Namespace, url: str, seeded: dict[str, Any], texts: list[bytes]) -> None:
        self.args = args
        self.url = url
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.token = seeded["token"]
        self.departments = seeded["departments"]
        self.episode_id, self.slug = seeded["episode_id"], seeded["slug"]
        self.bodies = texts
        self.rng = random.Random(args.seed)
        self.minute = Minute()
        self.all_minutes: list[Minute] = []
        self.codes: list[str] = []  # tracking codes of accepted submissions (current episode)
        self.new: list[tuple[int, str]] = []  # (question id, tracking code) of new questions, not routed yet
        self.routed: list[tuple[int, str]] = []
        self.seen_questions: set[int] = set()
        self.expectation: Expectation | None = None
        self.sockets: list[Any] = []
        self.socket_tasks: list[asyncio.Task[None]] = []
        self.closed_sockets = 0
        self.stopping = False
        self.closing_sockets = False  # sockets closed by us are not counted as closed by the server
        self.episodes_opened = 1
        self.rss = (0.0, 0.0)  # server RSS (MB) before the load and at the end

    # ----------------------------------------------------------------------------- submissions

    async def submissions(self, deadline: float) -> None:
        """``--rate`` a second, each on its schedule, over a pool of keep-alive connections."""
        pool: list[sub.RawConnection] = []
        tasks: set[asyncio.Task[None]] = set()
        interval = 1.0 / self.args.rate
        start = time.perf_counter()
        n = 0
        while not self.stopping:
            scheduled = start + n * interval
            if scheduled >= deadline:
                break
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._submit(pool, self.bodies[n % len(self.bodies)], scheduled, self.slug))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        for connection in pool:
            await connection.close()

    async def _submit(self, pool: list[sub.RawConnection], body: bytes, scheduled: float, slug: str) -> None:
        minute = self.minute
        minute.sub_sent += 1
        path = f"/api/v1/episodes/{slug}/submissions"
        reused = bool(pool)
        connection = pool.pop() if pool else sub.RawConnection(self.host, self.port)
        try:
            try:
                status, data = await asyncio.wait_for(connection.post(path, body), timeout=30)
            except (asyncio.IncompleteReadError, ConnectionError):
                if not reused:
                    raise
                # A keep-alive connection the server closed while idle (uvicorn: after 5 s): once more
                # on a new one (the idempotency key makes a repeat harmless).
                connection = sub.RawConnection(self.host, self.port)
                status, data = await asyncio.wait_for(connection.post(path, body), timeout=30)
        except Exception as exc:
            minute.sub_errors[type(exc).__name__] += 1
            await connection.close()
            return
        pool.append(connection)
        elapsed = (time.perf_counter() - scheduled) * 1000
        if status == 201:
            minute.sub_latency.append(elapsed)
            with contextlib.suppress(ValueError, KeyError):
                answer = json.loads(data)
                question_id, code = int(answer["question_id"]), str(answer["tracking_code"])
                if slug == self.slug:
                    self.codes.append(code)
                    if question_id not in self.seen_questions:
                        self.new.append((question_id, code))
                if question_id not in self.seen_questions:
                    minute.new_questions += 1
                    self.seen_questions.add(question_id)
        elif status >= 500:
            minute.sub_errors[str(status)] += 1
        else:
            minute.sub_refused[str(status)] += 1

    # --------------------------------------------------------------------------------- sockets

    async def connect_sockets(self) -> None:
        from websockets.asyncio.client import connect

        url = f"ws://{self.host}:{self.port}/ws/public/{self.episode_id}"

        async def open_one(index: int) -> Any:
            for attempt in range(3):
                try:
                    ws = await connect(url, compression=None, open_timeout=30, max_size=None, origin=self.url)
                    await asyncio.wait_for(ws.recv(), 30)  # the snapshot
                    return ws
                except Exception:
                    await asyncio.sleep(0.3 * (attempt + 1))
            return None

        gate = asyncio.Semaphore(20)

        async def gated(index: int) -> Any:
            async with gate:
                return await open_one(index)

        opened = await asyncio.gather(*(gated(i) for i in range(self.args.sockets)))
        self.sockets = [ws for ws in opened if ws is not None]
        failed = self.args.sockets - len(self.sockets)
        if failed:
            self.minute.status_errors["socket_connect"] += failed
        self.socket_tasks = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(self.sockets)]

    async def _read(self, index: int, ws: Any) -> None:
        try:
            async for message in ws:
                expectation = self.expectation
                if expectation is not None and index not in expectation.got and expectation.marker in message:
                    expectation.got[index] = time.perf_counter()
                    if len(expectation.got) >= expectation.expected:
                        expectation.complete.set()
        except Exception:
            pass
        finally:
            if not (self.stopping or self.closing_sockets):
                self.closed_sockets += 1

    async def close_sockets(self) -> None:
        sockets, tasks = self.sockets, self.socket_tasks
        self.sockets, self.socket_tasks = [], []
        self.closing_sockets = True
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.closing_sockets = False

    # ----------------------------------------------------------------------------- status loop

    async def status_loop(self, deadline: float, staff: dict[str, Any]) -> None:
        import httpx
        from markupsafe import escape

        api = httpx.AsyncClient(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.token}"})
        moderator = staff["moderator"]
        step = 0
        pending_on_air: tuple[int, str] | None = None  # (question id, public text) ready to go on air
        pending_episode = self.episode_id
        try:
            while time.perf_counter() < deadline and not self.stopping:
                started = time.perf_counter()
                kind = ("lookup", "route", "lookup", "route", "on_air")[step % ON_AIR_EVERY]
                if pending_episode != self.episode_id:  # the episode changed (--episode-minutes)
                    pending_on_air, pending_episode = None, self.episode_id
                if kind == "on_air":
                    if pending_on_air is not None:
                        await self._on_air(api, *pending_on_air, escape)
                        pending_on_air = None
                elif kind == "route" and self.new:
                    question_id, code = self.new.pop(0)
                    response = await self._request(
                        moderator,
                        "POST",
                        f"/moderation/questions/{question_id}/route",
                        data={"department": self.rng.choice(self.departments)},
                        headers={"HX-Request": "true", "x-csrftoken": staff["moderator_csrf"]},
                    )
                    if response is not None and response.status_code == 200:
                        self.routed.append((question_id, code))
                elif kind == "lookup" and self.codes:
                    code = self.routed[-1][1] if self.routed and pending_on_air is None else self.rng.choice(self.codes)
                    response = await self._request(api, "GET", f"/api/v1/submissions/{code}")
                    if (
                        response is not None
                        and response.status_code == 200
                        and self.routed
                        and code == self.routed[-1][1]
                        and response.json().get("status") == "routed"
                    ):
                        pending_on_air = (self.routed[-1][0], response.json()["question"])
                step += 1
                rest = self.args.status_interval - (time.perf_counter() - started)
                if rest > 0:
                    await asyncio.sleep(rest)
        finally:
            await api.aclose()

    async def _request(self, client: Any, method: str, path: str, **kwargs: Any) -> Any:
        minute = self.minute
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except Exception as exc:
            minute.status_errors[type(exc).__name__] += 1
            return None
        minute.status_latency.append((time.perf_counter() - started) * 1000)
        if response.status_code >= 500:
            minute.status_errors[f"{method} {path.split('/')[1]} {response.status_code}"] += 1
        elif response.status_code >= 400:
            minute.status_refused[f"{path.split('/')[1]} {response.status_code}"] += 1
        return response

    async def _on_air(self, api: Any, question_id: int, text: str, escape: Any) -> None:
        minute = self.minute
        expected = len(self.sockets)
        expectation = Expectation(marker=str(escape(text))[:80], t0=time.perf_counter(), expected=expected)
        self.expectation = expectation
        response = await self._request(
            api, "POST", f"/api/v1/episodes/{self.slug}/on-air", json={"question_id": question_id}
        )
        if response is None or response.status_code != 200:
            self.expectation = None
            return
        minute.event_changes += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(expectation.complete.wait(), EVENT_TIMEOUT)
        self.expectation = None
        minute.event_expected += expected
        minute.event_missing += expected - len(expectation.got)
        minute.event_latency.extend((t - expectation.t0) * 1000 for t in expectation.got.values())

    # ------------------------------------------------------------------------ episode rotation

    async def rotate(self, admin: Any, csrf: str) -> None:
        """A new live episode; the load and the sockets move to it; the old one closes, then is archived."""
        self.episodes_opened += 1
        n = self.episodes_opened
        headers = {"x-csrftoken": csrf}
        created = await self._request(
            admin,
            "POST",
            "/admin/episodes",
            data={
                "title": f"Kỳ đo tải dài hạn {n}",
                "theme": "Đo tải",
                "slug": f"soak-{n}",
                "answer_deadline_days": "5",
            },
            headers=headers,
        )
        if created is None or created.status_code != 303:
            self.minute.status_errors["rotate_create"] += 1
            return
        new_id = int(created.headers["location"].split("/")[3].split("?")[0])
        for status in ("open", "live"):
            await self._request(
                admin, "POST", f"/admin/episodes/{new_id}/status", data={"status": status}, headers=headers
            )
        old_id = self.episode_id
        await self.close_sockets()
        self.episode_id, self.slug = new_id, f"soak-{n}"
        self.codes, self.new, self.routed = [], [], []
        await self.connect_sockets()
        for status in ("closed", "archived"):
            await self._request(
                admin, "POST", f"/admin/episodes/{old_id}/status", data={"status": status}, headers=headers
            )


async def login(url: str, username: str) -> tuple[Any, str]:
    import httpx

    client = httpx.AsyncClient(base_url=url, timeout=30)
    await client.get("/login")
    csrf = client.cookies.get("qa_csrf") or ""
    response = await client.post("/login", data={"username": username, "password": PASSWORD, "_csrf_token": csrf})
    if response.status_code not in (200, 303):
        raise RuntimeError(f"login {username}: {response.status_code}")
    return client, client.cookies.get("qa_csrf") or csrf


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(args: argparse.Namespace, server: sub.Server, seeded: dict[str, Any], bodies: list[bytes]) -> Soak:
    soak = Soak(args, server.url, seeded, bodies)
    moderator, moderator_csrf = await login(server.url, MODERATOR)
    admin, admin_csrf = await login(server.url, ADMIN)
    staff = {"moderator": moderator, "moderator_csrf": moderator_csrf}
    await soak.connect_sockets()
    assert server.process is not None
    pid = server.process.pid
    emit("sockets_connected", f"{len(soak.sockets)}/{args.sockets}")
    rss0 = rss_mb(pid)
    emit("server_rss_mb_before_load", f"{rss0:.1f}")
    start = time.perf_counter()
    deadline = start + args.minutes * 60
    workers = [
        asyncio.create_task(soak.submissions(deadline)),
        asyncio.create_task(soak.status_loop(deadline, staff)),
    ]
    previous_rss, cpu0, questions = rss0, server.cpu_seconds(), 0
    next_rotation = start + args.episode_minutes * 60 if args.episode_minutes else float("inf")
    for number in range(1, int(args.minutes) + 1):
        minute_end = start + number * 60
        while time.perf_counter() < minute_end:
            if time.perf_counter() >= next_rotation:
                next_rotation += args.episode_minutes * 60
                await soak.rotate(admin, admin_csrf)
            await asyncio.sleep(min(1.0, max(0.0, minute_end - time.perf_counter())))
        minute, soak.minute = soak.minute, Minute()
        soak.all_minutes.append(minute)
        rss, cpu = rss_mb(pid), server.cpu_seconds()
        questions += minute.new_questions
        report_minute(number, minute, rss, rss - previous_rss, (cpu - cpu0) / 60, len(soak.sockets), questions, soak)
        previous_rss, cpu0 = rss, cpu
    soak.stopping = True
    await asyncio.gather(*workers, return_exceptions=True)
    await soak.close_sockets()
    await moderator.aclose()
    await admin.aclose()
    soak.rss = (rss0, previous_rss)
    return soak


def report_minute(
    number: int, m: Minute, rss: float, delta: float, cpu: float, sockets: int, questions: int, soak: Soak
) -> None:
    prefix = f"minute_{number:02d}"
    errors = sum(m.sub_errors.values())
    emit(
        f"{prefix}_submissions",
        f"sent {m.sub_sent}, accepted {len(m.sub_latency)}, errors {errors}"
        f"{' ' + dict(m.sub_errors).__repr__() if errors else ''}"
        f"{', refused ' + repr(dict(m.sub_refused)) if m.sub_refused else ''}, {pcts(m.sub_latency)}",
    )
    emit(
        f"{prefix}_events",
        f"on-air changes {m.event_changes}, delivered {len(m.event_latency)}/{m.event_expected}, "
        f"errors {m.event_missing}, {pcts(m.event_latency)}",
    )
    status_errors = sum(m.status_errors.values())
    emit(
        f"{prefix}_status_loop",
        f"requests {len(m.status_latency)}, errors {status_errors}"
        f"{' ' + repr(dict(m.status_errors)) if status_errors else ''}, refused {sum(m.status_refused.values())}"
        f"{' ' + repr(dict(m.status_refused)) if m.status_refused else ''}, {pcts(m.status_latency)}",
    )
    emit(
        f"{prefix}_server",
        f"rss {rss:.1f} MB ({delta:+.1f}), cpu {cpu:.0%} of one core, sockets open {sockets}, "
        f"new questions {m.new_questions} (total {questions}), episode {soak.slug}",
    )


def summary(soak: Soak) -> None:
    minutes = soak.all_minutes
    sub_latency = [v for m in minutes for v in m.sub_latency]
    event_latency = [v for m in minutes for v in m.event_latency]
    status_latency = [v for m in minutes for v in m.status_latency]
    emit(
        "total_submissions",
        f"sent {sum(m.sub_sent for m in minutes)}, accepted {len(sub_latency)}, "
        f"errors {sum(sum(m.sub_errors.values()) for m in minutes)}, {pcts(sub_latency)}",
    )
    emit(
        "total_events",
        f"on-air changes {sum(m.event_changes for m in minutes)}, delivered {len(event_latency)}/"
        f"{sum(m.event_expected for m in minutes)}, errors {sum(m.event_missing for m in minutes)}, "
        f"{pcts(event_latency)}",
    )
    emit(
        "total_status_loop",
        f"requests {len(status_latency)}, errors {sum(sum(m.status_errors.values()) for m in minutes)}, "
        f"refused {sum(sum(m.status_refused.values()) for m in minutes)}, {pcts(status_latency)}",
    )
    emit("sockets_closed_by_the_server", soak.closed_sockets)
    rss0, rss1 = soak.rss
    new = sum(m.new_questions for m in minutes)
    emit("server_rss_mb", f"{rss0:.1f} before the load, {rss1:.1f} at the end ({rss1 - rss0:+.1f})")
    if new:
        emit("server_rss_growth_per_new_question_kb", f"{(rss1 - rss0) * 1024 / new:.1f} (over {new} new questions)")
    emit("episodes_opened", soak.episodes_opened)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the run (default 10)")
    parser.add_argument("--rate", type=float, default=10.0, help="public submissions a second (default 10)")
    parser.add_argument("--sockets", type=int, default=200, help="public board websockets (default 200)")
    parser.add_argument("--status-interval", type=float, default=1.0, help="seconds between status steps (1)")
    parser.add_argument(
        "--episode-minutes",
        type=float,
        default=0.0,
        help="open a new live episode every N minutes and archive the previous one (default 0: one episode)",
    )
    parser.add_argument("--database-url", help="a database of your own (migrated here); default: SQLite in a temp dir")
    parser.add_argument("--redis-url", help="QA_REDIS_URL for the server (default: none, in-process channels)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, log)")
    args = parser.parse_args(argv)
    args.minutes = max(1, int(args.minutes))

    from qa_app import migrate

    workdir = Path(tempfile.mkdtemp(prefix="qa-bench-soak-"))
    emit("machine_cpus", os.cpu_count())
    emit("machine_load_average_before", sub._loadavg())
    emit(
        "settings",
        f"minutes={args.minutes} rate={args.rate}/s sockets={args.sockets} status_interval={args.status_interval}s "
        f"episode_minutes={args.episode_minutes or 'off'} seed={args.seed}",
    )
    server: sub.Server | None = None
    try:
        database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'soak.sqlite3'}"
        migrate.upgrade(database_url)
        seeded = asyncio.run(seed(database_url))
        rng = random.Random(args.seed)
        wards = sub._wards()
        count = int(args.rate * args.minutes * 60) + 100
        texts = sub.corpus(count, rng, wards, [], 0.3)
        bodies = sub.payloads(texts, rng, wards, f"soak-{args.seed}")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "BENCH_"))}
        env.update(
            QA_ENV="test",
            QA_DATABASE_URL=database_url,
            QA_SECRET_KEY=sub.SECRET,
            QA_VAR_DIR=str(workdir / "var"),
            QA_SUBMIT_LIMIT_PER_IP="1000000/60",
        )
        if args.redis_url:
            env.update(QA_REDIS_URL=args.redis_url, QA_REDIS_PREFIX=f"soak-{os.getpid()}")
        server = sub.Server(
            "app", "qa_app.asgi:create_from_env", args.port or sub.free_port(), env, workdir / "app.log"
        )
        database = "SQLite" if database_url.startswith("sqlite") else "the given database"
        emit(
            "server",
            f"uvicorn, 1 worker, QA_ENV=test, {database}, {'Redis' if args.redis_url else 'in-process channels'}",
        )
        try:
            server.start()
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        soak = sub.run_loop(run(args, server, seeded, bodies))
        summary(soak)
        log = (workdir / "app.log").read_text(errors="replace")
        emit("server_log_errors", sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line))
        emit("machine_load_average_after", sub._loadavg())
        return 0
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            emit("workdir", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
