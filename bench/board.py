"""The moderation board with a big episode: first-render time and live event latency, on a real server.

    .venv/bin/python bench/board.py [--questions 10000] [--iterations 200] [--actions 100]
                                    [--clients 1,20] [--warmup 10] [--port 0] [--keep]
                                    [--server-profile FILE]

What it does, in one run:

1. a fresh SQLite database in a temporary directory, migrated (``qa_app.migrate.upgrade``), seeded
   through the services with the department catalogue, one moderator and one OPEN episode, then
   ``--questions`` questions written in bulk (SQLAlchemy ``insert()``, one transaction): varied
   Vietnamese wording (``search_text`` folded as intake does), every status (about 8 % merged into
   an earlier question), three priorities, departments and due dates for routed ones, wards,
   duplicate and route suggestions, a few pending re-route requests; one submission each and about
   10 % asked several times on different channels;
2. the real app (``python -m uvicorn qa_app.asgi:create_from_env --factory``, one worker, QA_ENV=test)
   in a subprocess; the moderator logs in over HTTP (csrf cookie, then the login form);
3. first render: ``GET /moderation?episode=ID`` with the default filter ("needs attention"), with
   ``status=all``, with a search (``q=ngap``), a deep page (``status=all&page=300``) and the htmx
   fragment (``HX-Request``/``HX-Target: queue``): ``--warmup`` requests each, then ``--iterations``
   each, interleaved, one at a time (keep-alive); p50/p90/p99/max, response size, server CPU;
4. event latency, for each count in ``--clients``: that many websockets on
   ``/ws/moderation/{id}?status=new&sort=oldest`` (the moderator's cookie, same Origin), each reads its
   snapshot; then ``--actions`` times a priority change ``POST /moderation/questions/{id}/priority``
   (htmx, CSRF form field) on a different question of that page (a board only gets the cards its
   filters show), timed from just before the request to the moment the first and the last
   client received a frame with ``id="question-card-{id}"``; plus the action's own HTTP latency and
   the delay between the action's response and the first frame (the live publisher's own delay);
5. plain ``name: value`` lines and whether the target (board first render p99 <= 100 ms) is met.

Load generator and server run on the same machine and share its cores (``render_other_processes_cpu_share``
reports how much CPU anything else used meanwhile: above ~0.2 cores the figures are disturbed); all
websocket clients are read by one asyncio loop, so action->last client includes the generator's own
reading of N frames.
Exit status 0 whatever the figures; 2 when the server does not start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RENDER_P99_MS = 100.0
SECRET = secrets.token_urlsafe(48)  # QA_SECRET_KEY of the throwaway server
USERNAME = "bench.moderator"
PASSWORD = secrets.token_urlsafe(18)  # the throwaway moderator's
CARD_RE = re.compile(r'id="question-card-(\d+)"')
VERSION_RE = re.compile(r'data-v="(\d+)"')  # the card's version (its controls are built from it)


def emit(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def emit_latency(prefix: str, values_ms: list[float]) -> None:
    emit(f"{prefix}_p50_ms", f"{pct(values_ms, 50):.1f}")
    emit(f"{prefix}_p90_ms", f"{pct(values_ms, 90):.1f}")
    emit(f"{prefix}_p99_ms", f"{pct(values_ms, 99):.1f}")
    emit(f"{prefix}_max_ms", f"{max(values_ms):.1f}" if values_ms else "nan")


# ----------------------------------------------------------------------------------------- texts

_TOPICS = [
    "Đường {street} đoạn qua {place} cứ mưa {n} phút là ngập tới bắp chân, khi nào thành phố chống ngập dứt điểm?",
    "Tuyến xe buýt số {n} qua {place} giờ cao điểm phải chờ 30 phút, có tăng chuyến hay mở tuyến nối metro không?",
    "Con tôi thi vào lớp 10, nhà ở {place} mà trường gần nhất cách {n} cây số, phân tuyến tuyển sinh thế nào?",
    "Hẻm {n} đường {street}, {place} bị lấn chiếm vỉa hè để bán hàng, chính quyền địa phương xử lý ra sao?",
    "Khu vực {place} cúp điện không báo trước, tuần rồi cúp {n} lần, ngành điện có bồi thường thiết bị hư không?",
    "Nộp hồ sơ cấp đổi sổ hồng ở {place} được {n} ngày chưa có kết quả, thời hạn giải quyết là bao lâu?",
    "Quán karaoke trên đường {street} thuộc {place} hát tới nửa đêm, đã phản ánh {n} lần, cơ quan nào xử lý?",
    "Bệnh viện gần {place} quá tải, chờ khám bảo hiểm y tế mất {n} tiếng, khi nào có thêm phòng khám?",
    "Dự án trên đường {street} ở {place} quy hoạch treo {n} năm, bao giờ người dân được cấp phép xây dựng?",
    "Công ty ở {place} nợ lương công nhân {n} tháng, người lao động cần làm gì để đòi lương và bảo hiểm?",
    "Bãi rác tự phát đầu hẻm {n} đường {street}, {place} bốc mùi, địa phương có kế hoạch thu gom không?",
    "Khu vực {place} có {n} ca sốt xuất huyết, ngành y tế có phun thuốc diệt muỗi ở đây không?",
    "Thu nhập hai vợ chồng {n} triệu, đang ở trọ tại {place}, điều kiện mua nhà ở xã hội thế nào?",
    "Nước máy ở {place} yếu, có ngày mất nước {n} tiếng, khi nào được cấp nước ổn định?",
    "Giao lộ {street} gần {place} không có đèn tín hiệu, tháng này {n} vụ va chạm, bao giờ lắp đèn?",
    "Hộ kinh doanh ở {place} đăng ký từ tháng {m} chưa có mã số thuế, kê khai thuế bán hàng online ra sao?",
    "Ba tôi {n} tuổi ở {place} chưa nhận trợ cấp người cao tuổi, cần giấy tờ gì?",
    "Cây xanh trên đường {street}, {place} nghiêng nhiều, mùa mưa sợ ngã, báo ở đâu để cắt tỉa?",
    "Triều cường làm ngập {n} tuyến hẻm ở {place}, dự án đê bao khi nào xong?",
    "Căn cước của tôi làm ở {place} đã {n} ngày chưa nhận được, tra cứu ở đâu?",
]
_STREETS = [
    "Kha Vạn Cân",
    "Nguyễn Văn Linh",
    "Lê Văn Việt",
    "Quang Trung",
    "Phạm Văn Đồng",
    "Tô Ký",
    "Âu Cơ",
    "Cách Mạng Tháng Tám",
    "Huỳnh Tấn Phát",
    "Kinh Dương Vương",
    "Nguyễn Thị Thập",
    "Trường Chinh",
]
_OPENERS = ["", "Kính gửi chương trình. ", "Chào chương trình, ", "Dạ cho em hỏi, ", "Xin chào, "]
_CLOSERS = ["", " Xin cảm ơn.", " Mong được trả lời sớm.", " Trân trọng."]
# (status, weight): a busy episode a few hours into the night.
_STATUSES = [
    ("new", 40),
    ("routed", 18),
    ("answer_review", 6),
    ("ready", 5),
    ("queued", 2),
    ("on_air", 0),
    ("answered_on_air", 2),
    ("answered_in_writing", 5),
    ("rejected", 10),
    ("merged", 8),
]
_CHANNELS = [("web", 50), ("phone", 20), ("email", 8), ("social", 12), ("letter", 4), ("api", 6)]
_REJECT = ["spam", "offensive", "off_topic", "not_a_question", "duplicate_rejected"]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


# ---------------------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    episode_id: int
    questions: int
    submissions: int
    status_counts: dict[str, int]
    # Questions the event phase acts on: id -> (priority, version).
    action_pool: dict[int, tuple[int, int]]
    seconds: float


async def seed(database_url: str, n: int, rng: random.Random) -> Seeded:
    from sqlalchemy import func, insert, select

    from moderation import fold
    from qa_app.db import create_engine, create_sessionmaker
    from qa_app.models import Department, EpisodeStatus, Question, RerouteRequest, Role, Submission
    from qa_app.security import Passwords
    from qa_app.services import departments as department_service
    from qa_app.services import episodes as episode_service
    from qa_app.services import users as user_service
    from qa_app.timeutil import utcnow

    started = time.perf_counter()
    wards = json.loads((ROOT / "qa_app" / "data" / "wards-hcmc.json").read_text(encoding="utf-8"))
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as db:
            await department_service.import_catalogue(db, None, department_service.load_catalogue())
            await user_service.create_user(
                db,
                Passwords(time_cost=1, memory_cost=1024),
                None,
                username=USERNAME,
                password=PASSWORD,
                role=Role.MODERATOR,
            )
            episode = await episode_service.create_episode(
                db, None, episode_service.EpisodeForm(title="Kỳ đo tải bảng biên tập", theme="Đo tải")
            )
            episode.status = EpisodeStatus.OPEN
            await db.commit()
            departments = [(d.id, d.code) for d in await db.scalars(select(Department).order_by(Department.id))]
            base = int(await db.scalar(select(func.max(Question.id))) or 0)

            now = utcnow()
            rows: list[dict[str, Any]] = []
            live_ids: list[int] = []  # not merged, for merge targets and duplicate suggestions
            for i in range(n):
                qid = base + i + 1
                status = _pick(rng, _STATUSES)
                if status == "merged" and not live_ids:
                    status = "new"
                text = (
                    rng.choice(_OPENERS)
                    + rng.choice(_TOPICS).format(
                        street=rng.choice(_STREETS),
                        place=rng.choice(wards)["name"],
                        n=rng.randint(2, 300),
                        m=rng.randint(1, 12),
                    )
                    + rng.choice(_CLOSERS)
                )
                # Ids grow with time, as they do when citizens submit: the oldest first.
                created = now - timedelta(hours=72) + timedelta(seconds=i * 72 * 3600 / max(n, 1))
                row: dict[str, Any] = {
                    "episode_id": episode.id,
                    "public_text": text,
                    "search_text": fold(text),
                    "status": status,
                    "priority": rng.choices([0, 1, 2], [80, 15, 5])[0],
                    "submission_count": 1,
                    "ward_code": rng.choice(wards)["code"] if rng.random() < 0.4 else None,
                    "duplicate_suggestions": [
                        [rng.choice(live_ids), round(rng.uniform(40, 79), 1)]
                        for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
                    ]
                    if live_ids
                    else [],
                    "route_suggestions": [
                        [code, round(rng.uniform(0.2, 0.9), 2)]
                        for _, code in rng.sample(departments, rng.choice([1, 1, 2, 3]))
                    ],
                    "version": 1,
                    "created_at": created,
                    "updated_at": created,
                    "department_id": None,
                    "due_date": None,
                    "routed_at": None,
                    "merged_into_id": None,
                    "reject_reason": None,
                }
                if status in ("routed", "answer_review", "ready", "queued", "answered_on_air", "answered_in_writing"):
                    row["department_id"] = rng.choice(departments)[0]
                    row["routed_at"] = created + timedelta(minutes=rng.randint(5, 120))
                    row["due_date"] = (created + timedelta(days=10)).date()
                elif status == "rejected":
                    row["reject_reason"] = rng.choice(_REJECT)
                elif status == "merged":
                    row["merged_into_id"] = rng.choice(live_ids)
                if status != "merged":
                    live_ids.append(qid)
                rows.append(row)

            submissions: list[dict[str, Any]] = []
            for row_index, row in enumerate(rows):
                qid = base + row_index + 1
                first = _pick(rng, _CHANNELS)
                channels = [first]
                if rng.random() < 0.10:  # asked several times, on other channels too
                    channels += [_pick(rng, _CHANNELS) for _ in range(rng.randint(2, 5))]
                row["submission_count"] = len(channels)
                for k, channel in enumerate(channels):
                    submissions.append(
                        {
                            "episode_id": episode.id,
                            "question_id": qid,
                            "original_question_id": qid,
                            "channel": channel,
                            "tracking_code": f"B{qid:08d}{k:02d}",
                            "raw_text": row["public_text"],
                            "ward_code": row["ward_code"],
                            "consent_contact": False,
                            "consent_name_on_air": False,
                            "received_at": row["created_at"] + timedelta(minutes=k * 7),
                        }
                    )
            await db.execute(insert(Question.__table__), rows)  # core: no ORM bookkeeping
            ids = list(
                await db.scalars(select(Question.id).where(Question.episode_id == episode.id).order_by(Question.id))
            )
            if ids != list(range(base + 1, base + n + 1)):
                raise RuntimeError("question ids are not sequential: the seeding assumed they would be")
            await db.execute(insert(Submission.__table__), submissions)
            routed = [base + i + 1 for i, r in enumerate(rows) if r["status"] == "routed"]
            reroutes = (
                [
                    {
                        "question_id": qid,
                        "from_department_id": rows[qid - base - 1]["department_id"],
                        "suggested_department_id": rng.choice(departments)[0],
                        "reason": "Không thuộc thẩm quyền của sở, đề nghị chuyển về phường.",
                        "status": "pending",
                        "requested_at": now,
                    }
                    for qid in rng.sample(routed, min(len(routed), max(1, n // 100)))
                ]
                if routed
                else []
            )
            if reroutes:
                await db.execute(insert(RerouteRequest.__table__), reroutes)
            await db.commit()
            counts: dict[str, int] = {}
            for r in rows:
                counts[r["status"]] = counts.get(r["status"], 0) + 1
            pool = {base + i + 1: (r["priority"], 1) for i, r in enumerate(rows) if r["status"] == "new"}
            return Seeded(episode.id, n, len(submissions), counts, pool, time.perf_counter() - started)
    finally:
        await engine.dispose()


# ----------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    env: dict[str, str]
    log: Path
    profile: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import httpx

        command = [sys.executable]
        if self.profile is not None:
            command += ["-m", "cProfile", "-o", str(self.profile)]
        command += [
            "-m",
            "uvicorn",
            "qa_app.asgi:create_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start:\n{self.log.read_text()}")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process (all its threads) so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT if self.profile else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def machine_busy_seconds() -> float:
    """CPU seconds spent by every process on the machine so far (all cores, from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def login(server: Server) -> Any:
    """An httpx.Client logged in as the moderator (session and csrf cookies in its jar)."""
    import httpx

    client = httpx.Client(base_url=server.url, timeout=30)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": USERNAME, "password": PASSWORD, "_csrf_token": client.cookies.get("qa_csrf") or ""},
    )
    if response.status_code not in (200, 303) or "qa_session" not in client.cookies:
        raise RuntimeError(f"login failed: {response.status_code} {response.text[:300]}")
    return client


def cookie_header(client: Any) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


# ------------------------------------------------------------------------------------ first render


def render_phase(server: Server, client: Any, episode_id: int, iterations: int, warmup: int) -> dict[str, float]:
    """Interleaved sequential GETs of each board variant; returns p99 per variant."""
    fragment = {"HX-Request": "true", "HX-Target": "queue", "HX-Current-URL": f"{server.url}/moderation"}
    variants: list[tuple[str, str, dict[str, str]]] = [
        ("board_attention", f"/moderation?episode={episode_id}", {}),
        ("board_all", f"/moderation?episode={episode_id}&status=all", {}),
        ("board_search", f"/moderation?episode={episode_id}&q=ngap", {}),
        ("board_deep_page", f"/moderation?episode={episode_id}&status=all&page=300", {}),
        ("board_fragment", f"/moderation?episode={episode_id}", fragment),
    ]

    def get(path: str, headers: dict[str, str]) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        return elapsed, response

    cold, first = get(variants[0][1], {})
    emit("board_cold_first_request_ms", f"{cold:.1f}")
    emit("board_attention_cards", first.text.count('class="qcard '))
    for _ in range(20):
        get("/healthz", {})
    floor = [get("/healthz", {})[0] for _ in range(50)]
    emit("healthz_p50_ms", f"{pct(floor, 50):.2f}  (HTTP stack + client floor)")
    for _ in range(warmup):
        for _name, path, headers in variants:
            get(path, headers)
    samples: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    sizes: dict[str, int] = {}
    totals: dict[str, str] = {}
    cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
    busy_before, own_before = machine_busy_seconds(), own_cpu_seconds()
    for _ in range(iterations):
        for name, path, headers in variants:
            elapsed, response = get(path, headers)
            samples[name].append(elapsed)
            sizes[name] = len(response.content)
            if name not in totals:
                found = re.search(r'id="queue-heading">([^<]*)<', response.text)
                page = re.search(r"(Trang \d+ / \d+|Page \d+ of \d+)", response.text)
                totals[name] = (found.group(1).strip() if found else "?") + (f", {page.group(1)}" if page else "")
    cpu = server.cpu_seconds() - cpu_before
    wall = time.perf_counter() - wall_before
    own = own_cpu_seconds() - own_before
    others = max(0.0, machine_busy_seconds() - busy_before - cpu - own)
    requests = iterations * len(variants)
    for name, _, _ in variants:
        emit_latency(name, samples[name])
        emit(f"{name}_bytes", sizes[name])
        emit(f"{name}_shows", totals[name])
    emit("render_requests", requests)
    emit("render_server_cpu_ms_per_request", f"{cpu * 1000 / requests:.1f}")
    emit("render_wall_ms_per_request", f"{wall * 1000 / requests:.1f}")
    emit("render_generator_cpu_ms_per_request", f"{own * 1000 / requests:.1f}")
    emit("render_other_processes_cpu_share", f"{others / wall:.2f} cores  (> 0.2: the figures are disturbed)")
    return {name: pct(values, 99) for name, values in samples.items()}


# ---------------------------------------------------------------------------------- event latency


@dataclass
class Waiting:
    sent: float
    n: int
    times: dict[int, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)


async def event_phase(
    server: Server,
    cookie: str,
    csrf: str,
    episode_id: int,
    clients: int,
    actions: int,
    pool: dict[int, tuple[int, int]],
) -> dict[str, list[float]]:
    import httpx
    import websockets

    # Live lists are exact: a board gets only the cards its own filters show. The sockets watch the new
    # questions, oldest first (a priority change does not move a card there), and the actions change
    # the questions of that page.
    query = "status=new&sort=oldest"
    ws_url = f"ws://127.0.0.1:{server.port}/ws/moderation/{episode_id}?{query}"
    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": cookie}, timeout=30) as http:
        page = await http.get(f"/moderation?episode={episode_id}&{query}")
    shown = [int(i) for i in CARD_RE.findall(page.text)]
    order = [qid for qid in shown if qid in pool] or list(pool)
    headers = {"Cookie": cookie, "Origin": server.url}
    waiting: dict[int, Waiting] = {}
    frames = [0]
    frame_bytes: list[int] = []

    connect_started = time.perf_counter()
    sockets = []
    snapshot_ms: list[float] = []
    for _ in range(clients):
        started = time.perf_counter()
        ws = await websockets.connect(ws_url, additional_headers=headers, max_size=None, open_timeout=30)
        snapshot = await asyncio.wait_for(ws.recv(), 30)
        snapshot_ms.append((time.perf_counter() - started) * 1000)
        if 'id="queue-body"' not in snapshot:
            raise RuntimeError("the websocket snapshot has no queue")
        sockets.append(ws)
    emit(f"ws{clients}_connect_all_s", f"{time.perf_counter() - connect_started:.2f}")
    emit(f"ws{clients}_snapshot_p50_ms", f"{pct(snapshot_ms, 50):.1f}  (handshake + counters + queue page)")

    async def reader(index: int, ws: Any) -> None:
        try:
            async for message in ws:
                now = time.perf_counter()
                frames[0] += 1
                for match in CARD_RE.finditer(message):
                    pending = waiting.get(int(match.group(1)))
                    if pending is not None and index not in pending.times:
                        pending.times[index] = now
                        frame_bytes.append(len(message))
                        if len(pending.times) == pending.n:
                            pending.done.set()
        except websockets.ConnectionClosed:
            return

    readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
    result: dict[str, list[float]] = {"first": [], "last": [], "http": [], "after_response": []}
    timeouts = 0
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Cookie": cookie, "HX-Request": "true"}, timeout=30
        ) as http:
            await http.get("/healthz")
            for i in range(actions):
                qid = order[i % len(order)]
                priority, version = pool[qid]
                pending = Waiting(sent=time.perf_counter(), n=clients)
                waiting[qid] = pending
                pending.sent = time.perf_counter()
                response = await http.post(
                    f"/moderation/questions/{qid}/priority",
                    data={"priority": str((priority + 1) % 3), "version": str(version), "_csrf_token": csrf},
                )
                http_ms = (time.perf_counter() - pending.sent) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"action on #{qid}: {response.status_code} {response.text[:300]}")
                found = VERSION_RE.search(response.text)
                pool[qid] = ((priority + 1) % 3, int(found.group(1)) if found else version + 1)
                result["http"].append(http_ms)
                try:
                    await asyncio.wait_for(pending.done.wait(), 10)
                except TimeoutError:
                    timeouts += 1
                del waiting[qid]
                if pending.times:
                    result["first"].append((min(pending.times.values()) - pending.sent) * 1000)
                    result["after_response"].append(result["first"][-1] - http_ms)
                if len(pending.times) == clients:
                    result["last"].append((max(pending.times.values()) - pending.sent) * 1000)
                await asyncio.sleep(0.01)  # one action at a time, as a moderator clicks
    finally:
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    emit(f"ws{clients}_actions", actions)
    emit(f"ws{clients}_timeouts", timeouts)
    emit(f"ws{clients}_frames_received", frames[0])
    if frame_bytes:
        emit(f"ws{clients}_event_frame_bytes", int(statistics.median(frame_bytes)))
    emit_latency(f"ws{clients}_action_http", result["http"])
    emit_latency(f"ws{clients}_action_to_first_client", result["first"])
    emit_latency(f"ws{clients}_action_to_last_client", result["last"])
    emit(
        f"ws{clients}_response_to_first_client_p50_ms",
        f"{pct(result['after_response'], 50):.1f}  (the live publisher's own delay after the action's response)",
    )
    return result


# ------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=200, help="measured requests per board variant")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests per board variant")
    parser.add_argument("--actions", type=int, default=100, help="timed actions per client count")
    parser.add_argument("--clients", default="1,20", help="websocket client counts, comma-separated")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, log)")
    parser.add_argument("--server-profile", type=Path, help="run the server under cProfile, write stats here")
    args = parser.parse_args()
    client_counts = [int(c) for c in args.clients.split(",") if c.strip()]

    from qa_app.migrate import upgrade

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-board-"))
    server: Server | None = None
    try:
        database_url = f"sqlite+aiosqlite:///{tmp / 'board.sqlite3'}"
        emit("cpu_count", f"{os.cpu_count()} (usable {len(os.sched_getaffinity(0))})")
        emit("note", "load generator and server share these cores; one uvicorn worker, SQLite (WAL)")
        emit("loadavg_1m_at_start", f"{os.getloadavg()[0]:.2f}  (other processes on the machine skew the figures)")
        t = time.perf_counter()
        upgrade(database_url)
        emit("migrate_s", f"{time.perf_counter() - t:.2f}")
        seeded = asyncio.run(seed(database_url, args.questions, random.Random(args.seed)))
        emit("seed_s", f"{seeded.seconds:.2f}")
        emit("questions", seeded.questions)
        emit("submissions", seeded.submissions)
        emit("questions_by_status", ", ".join(f"{k}={v}" for k, v in sorted(seeded.status_counts.items())))

        env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        env.update(
            QA_ENV="test",
            QA_DATABASE_URL=database_url,
            QA_SECRET_KEY=SECRET,
            QA_VAR_DIR=str(tmp / "var"),
        )
        server = Server(
            port=args.port or free_port(),
            env=env,
            log=tmp / "server.log",
            profile=args.server_profile.resolve() if args.server_profile else None,
        )
        try:
            server.start()
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
        client = login(server)
        p99 = render_phase(server, client, seeded.episode_id, args.iterations, args.warmup)
        cookie = cookie_header(client)
        csrf = client.cookies.get("qa_csrf") or ""
        client.close()

        events: dict[int, dict[str, list[float]]] = {}
        for count in client_counts:
            events[count] = asyncio.run(
                event_phase(server, cookie, csrf, seeded.episode_id, count, args.actions, seeded.action_pool)
            )

        full_pages = {k: v for k, v in p99.items() if k != "board_fragment"}
        worst = max(full_pages, key=lambda k: full_pages[k])
        emit("target_render_p99_ms", f"<= {TARGET_RENDER_P99_MS:.0f} (SQLite, {args.questions} questions)")
        for name, value in p99.items():
            emit(f"target_{name}", f"{'met' if value <= TARGET_RENDER_P99_MS else 'MISSED'} (p99 {value:.1f} ms)")
        emit(
            "target_board_first_render",
            "met"
            if full_pages[worst] <= TARGET_RENDER_P99_MS
            else f"MISSED (worst {worst} p99 {full_pages[worst]:.1f} ms)",
        )
        for count, result in events.items():
            emit(
                f"event_latency_{count}_clients",
                f"first p50 {pct(result['first'], 50):.1f} / p99 {pct(result['first'], 99):.1f} ms, "
                f"last p50 {pct(result['last'], 50):.1f} / p99 {pct(result['last'], 99):.1f} ms "
                "(no numeric target in the issue)",
            )
        emit("loadavg_1m_at_end", f"{os.getloadavg()[0]:.2f}")
        emit("total_s", f"{time.perf_counter() - started:.1f}")
        return 0
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            emit("kept", str(tmp))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
