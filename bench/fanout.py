"""Public board fan-out: N read-only websockets on one worker, the question on air changes, delivery latency.

    .venv/bin/python bench/fanout.py [--clients 5000] [--changes 20] [--procs 2] [--port 0]
                                     [--ref-port 0] [--connect-concurrency 100] [--no-deflate]
                                     [--skip-reference] [--skip-app] [--keep]

Target (issue): 5,000 public websocket clients on one worker, change the question on air, latency to
the *last* client p99 <= 500 ms; reference: the ``websockets`` library's own ``broadcast()`` to the
same number of clients, measured in the same run.

What it does, in one run:

1. a fresh SQLite database in a temporary directory, migrated (``qa_app.migrate.upgrade``), seeded
   through the services: the department catalogue, a moderator, a producer with an API token, an
   OPEN episode, 20 distinct questions submitted (``intake.submit``), routed
   (``moderation_actions.route``) and queued (``rundown.add``);
2. the real app (``python -m uvicorn qa_app.asgi:create_from_env --factory``, one worker,
   ``--backlog 4096``, QA_ENV=test, uvicorn's defaults otherwise: uvloop, httptools, websockets-sansio,
   permessage-deflate) in a subprocess; the RLIMIT_NOFILE soft limit is raised to the hard limit in
   this process before anything starts, and every subprocess inherits it;
3. ``--procs`` client processes (multiprocessing, uvloop, ``websockets`` asyncio client, no client
   pings, permessage-deflate offered as browsers do unless ``--no-deflate``) open ``--clients``
   sockets to ``/ws/public/{episode_id}`` in total, at most ``--connect-concurrency`` handshakes at a
   time per process, and read the snapshot;
4. ``--changes`` times: ``POST /api/v1/episodes/{slug}/on-air`` (producer bearer token) alternating
   between two questions; t0 = ``time.time()`` just before the request; each client stamps
   ``time.time()`` on the first frame with ``id="on-air"`` that shows the expected question; per change
   the latency to the first, the median and the last client, how many clients got it (must be all N)
   and how many sockets were closed; plus server and client-process CPU seconds per change;
5. reference, same run, same client processes: a plain ``websockets`` server (this file with
   ``--reference-server``, one process, uvloop, ``serve()`` + ``broadcast()``, same backlog,
   permessage-deflate as the library's default) with the same N clients; a dedicated control
   connection sends the exact fragment the app sent for that change, and the server broadcasts it to
   every other connection; the same figures;
6. plain ``name: value`` lines; ``target_...: met`` / ``MISSED``.

The app and the reference server run one after the other, never at the same time; the load generator
shares the machine's cores with them (``cpu_count`` and the load averages are printed: on a 2-core
machine the client processes and the server compete, and the ``client_cpu_per_change`` lines show
whether the clients were the bottleneck). Exit status 0 whatever the figures; 2 when a server does not
start or the clients cannot connect.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_LAST_P99_MS = 500.0
SECRET = secrets.token_urlsafe(48)
PRODUCER = "bench.producer"
MODERATOR = "bench.moderator"
PASSWORD = secrets.token_urlsafe(18)
ON_AIR = 'id="on-air"'
MARKER_RE = re.compile(r"FO(\d{2})X")
BACKLOG = 4096

# The app server's launcher: raises RLIMIT_NOFILE (as ``ulimit -n`` would), logs every full (generation 2)
# garbage collection with its wall-clock time and pause to stderr, then runs uvicorn's own command line.
SERVER_WRAPPER = r"""
import gc, resource, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
_started = [0.0]
def _gc(phase, info):
    if phase == "start":
        _started[0] = time.perf_counter()
    elif info["generation"] == 2:
        sys.stderr.write("GCPAUSE %.6f %.2f\n" % (time.time(), (time.perf_counter() - _started[0]) * 1000))
        sys.stderr.flush()
gc.callbacks.append(_gc)
from uvicorn.main import main
sys.argv = ["uvicorn", *sys.argv[1:]]
main()
"""
GC_RE = re.compile(r"^GCPAUSE (\d+\.\d+) (\d+\.\d+)$", re.M)

# Twenty distinct questions (distinct enough that intake does not merge them); each carries a marker
# "FOnnX" that the public fragment shows, so a client knows which change a frame belongs to.
QUESTIONS = [
    ("Đường Kha Vạn Cân cứ mưa là ngập tới bắp chân, khi nào chống ngập dứt điểm?", "so-xay-dung"),
    ("Tuyến xe buýt qua Thủ Đức giờ cao điểm chờ 30 phút, có tăng chuyến không?", "so-giao-thong-van-tai"),
    ("Con tôi thi vào lớp 10, trường gần nhất cách nhà tám cây số, phân tuyến ra sao?", "so-giao-duc-va-dao-tao"),
    ("Hẻm trên đường Quang Trung bị lấn chiếm vỉa hè bán hàng, ai xử lý?", "so-xay-dung"),
    ("Khu vực Tân Phú cúp điện không báo trước ba lần một tuần, có bồi thường không?", "so-cong-thuong"),
    ("Nộp hồ sơ đổi sổ hồng bốn mươi ngày chưa có kết quả, thời hạn là bao lâu?", "so-tai-nguyen-va-moi-truong"),
    ("Quán karaoke trên đường Tô Ký hát tới nửa đêm, cơ quan nào xử lý tiếng ồn?", "so-tai-nguyen-va-moi-truong"),
    ("Bệnh viện quận cũ quá tải, chờ khám bảo hiểm y tế cả buổi sáng, có thêm phòng khám không?", "so-y-te"),
    ("Dự án trên đường Âu Cơ quy hoạch treo mười năm, bao giờ được cấp phép xây nhà?", "so-quy-hoach-kien-truc"),
    ("Công ty nợ lương công nhân ba tháng, người lao động cần làm gì để đòi lương?", "so-noi-vu"),
    ("Bãi rác tự phát đầu hẻm đường Trường Chinh bốc mùi, có kế hoạch thu gom không?", "so-tai-nguyen-va-moi-truong"),
    ("Phường tôi có nhiều ca sốt xuất huyết, ngành y tế có phun thuốc diệt muỗi không?", "so-y-te"),
    ("Thu nhập hai vợ chồng mười lăm triệu, ở trọ, điều kiện mua nhà ở xã hội thế nào?", "so-xay-dung"),
    ("Nước máy ở Bình Tân yếu, có ngày mất nước cả buổi, khi nào cấp nước ổn định?", "so-xay-dung"),
    ("Giao lộ Huỳnh Tấn Phát không có đèn tín hiệu, nhiều vụ va chạm, bao giờ lắp đèn?", "so-giao-thong-van-tai"),
    ("Hộ kinh doanh đăng ký từ tháng ba chưa có mã số thuế, kê khai bán hàng online ra sao?", "so-tai-chinh"),
    ("Ba tôi tám mươi tuổi chưa nhận trợ cấp người cao tuổi, cần giấy tờ gì?", "so-noi-vu"),
    ("Cây xanh trên đường Nguyễn Thị Thập nghiêng nhiều, báo ở đâu để cắt tỉa?", "so-xay-dung"),
    ("Triều cường làm ngập nhiều tuyến hẻm ở Nhà Bè, dự án đê bao khi nào xong?", "so-nong-nghiep-va-moi-truong"),
    ("Căn cước làm đã hai tháng chưa nhận được, tra cứu tình trạng ở đâu?", "cong-an-thanh-pho"),
]


def emit(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def raise_fd_limit() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else 1_048_576
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------ seed


async def seed(database_url: str) -> dict[str, Any]:
    from sqlalchemy import select

    from qa_app.db import create_engine, create_sessionmaker
    from qa_app.events import RecordingPublisher
    from qa_app.models import Department, EpisodeStatus, Question, Role
    from qa_app.security import Passwords
    from qa_app.services import departments as department_service
    from qa_app.services import episodes as episode_service
    from qa_app.services import intake, rundown
    from qa_app.services import moderation_actions as actions
    from qa_app.services import users as user_service
    from qa_app.services.engines import ModerationEngines

    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    fast = Passwords(time_cost=1, memory_cost=1024)
    try:
        async with sessionmaker() as db:
            await department_service.import_catalogue(db, None, department_service.load_catalogue())
            codes = {d.code for d in await db.scalars(select(Department).where(Department.active.is_(True)))}
            fallback = sorted(codes)[0]
            moderator = await user_service.create_user(
                db, fast, None, username=MODERATOR, password=PASSWORD, role=Role.MODERATOR
            )
            producer = await user_service.create_user(
                db, fast, None, username=PRODUCER, password=PASSWORD, role=Role.PRODUCER
            )
            _row, token = await user_service.create_api_token(db, None, PRODUCER, "bench fanout")
            episode = await episode_service.create_episode(
                db, None, episode_service.EpisodeForm(title="Kỳ đo tải bảng công khai", theme="Đo tải")
            )
            episode.status = EpisodeStatus.OPEN
            await db.commit()
            episode_id, slug = episode.id, episode.slug
            publisher = RecordingPublisher()
            engines = ModerationEngines()
            ctx = actions.ActionContext(db=db, actor=moderator, publisher=publisher, engines=engines)
            ids: list[int] = []
            for n, (text, code) in enumerate(QUESTIONS):
                result = await intake.submit(
                    db,
                    engines,
                    publisher,
                    episode,
                    intake.SubmissionForm(text=f"{text} (FO{n:02d}X)", idempotency_key=f"fanout-{n}"),
                )
                ids.append(result.question_id)
            if len(set(ids)) != len(ids):
                raise RuntimeError("intake merged some of the benchmark's questions")
            for qid, (_text, code) in zip(ids, QUESTIONS, strict=True):
                await actions.route(ctx, qid, code if code in codes else fallback)
                await rundown.add(db, producer, publisher, episode_id, qid)
            markers: dict[int, str] = {}
            for n, qid in enumerate(ids):
                question = await db.get(Question, qid)
                assert question is not None
                marker = f"FO{n:02d}X"
                if marker not in question.public_text:
                    raise RuntimeError(f"the public wording lost the marker: {question.public_text!r}")
                markers[qid] = marker
        return {"episode_id": episode_id, "slug": slug, "token": token, "markers": markers}
    finally:
        await engine.dispose()


# -------------------------------------------------------------------------------- client process


def client_process(conn: Connection, worker: int, deflate: bool) -> None:
    """One load-generator process: commands from ``conn``, answers on it."""
    raise_fd_limit()
    import uvloop

    uvloop.run(_client_main(conn, worker, deflate))


async def _client_main(conn: Connection, worker: int, deflate: bool) -> None:
    import websockets
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    loop.add_reader(conn.fileno(), lambda: inbox.put_nowait(conn.recv()))
    sockets: list[Any] = []
    readers: list[asyncio.Task[None]] = []
    state: dict[str, Any] = {"k": None, "marker": None, "got": {}, "sample": None, "sent": False, "closed": 0}

    def cpu() -> float:
        t = os.times()
        return t.user + t.system

    def maybe_done() -> None:
        alive = len(sockets) - state["closed"]
        if not state["sent"] and state["k"] is not None and len(state["got"]) >= alive:
            finish()

    def finish() -> None:
        state["sent"] = True
        conn.send(("done", state["k"], list(state["got"].values()), state["closed"], cpu(), state["sample"]))

    async def reader(index: int, ws: Any) -> None:
        try:
            async for message in ws:
                if ON_AIR not in message:
                    continue
                now = time.time()
                marker = state["marker"]
                if marker is not None and index not in state["got"] and marker in message:
                    state["got"][index] = now
                    if state["sample"] is None:
                        state["sample"] = message
                    maybe_done()
        except websockets.ConnectionClosed:
            pass
        finally:
            state["closed"] += 1
            maybe_done()

    while True:
        command = await inbox.get()
        kind = command[0]
        if kind == "connect":
            _kind, url, count, concurrency = command
            gate = asyncio.Semaphore(concurrency)
            failures: list[str] = []
            snapshot_bytes: list[int] = []

            async def open_one(url: str = url) -> Any:
                async with gate:
                    for attempt in range(3):
                        try:
                            ws = await connect(
                                url,
                                compression="deflate" if deflate else None,
                                ping_interval=None,
                                open_timeout=60,
                                close_timeout=5,
                                max_size=None,
                            )
                            snapshot = await asyncio.wait_for(ws.recv(), 60)
                            snapshot_bytes.append(len(snapshot))
                            return ws
                        except Exception as exc:
                            if attempt == 2:
                                failures.append(f"{type(exc).__name__}: {exc}")
                            await asyncio.sleep(0.2 * (attempt + 1))
                    return None

            started = time.perf_counter()
            cpu0 = cpu()
            opened = await asyncio.gather(*(open_one() for _ in range(count)))
            sockets = [ws for ws in opened if ws is not None]
            state["closed"] = 0
            readers = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(sockets)]
            conn.send(
                (
                    "connected",
                    len(sockets),
                    failures[:3],
                    len(failures),
                    time.perf_counter() - started,
                    cpu() - cpu0,
                    int(statistics.median(snapshot_bytes)) if snapshot_bytes else 0,
                )
            )
        elif kind == "expect":
            _kind, k, marker = command
            state.update(k=k, marker=marker, got={}, sample=None, sent=False)
            conn.send(("ready", k, cpu()))
        elif kind == "collect":
            if state["k"] == command[1] and not state["sent"]:
                finish()
        elif kind == "disconnect":
            state.update(k=None, marker=None)

            async def close_one(ws: Any) -> None:
                try:
                    await ws.close()
                except Exception:
                    pass

            gate2 = asyncio.Semaphore(500)

            async def gated(ws: Any) -> None:
                async with gate2:
                    await close_one(ws)

            await asyncio.gather(*(gated(ws) for ws in sockets))
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            sockets, readers = [], []
            conn.send(("disconnected",))
        elif kind == "exit":
            loop.remove_reader(conn.fileno())
            return


class Clients:
    """The client processes, driven from the (synchronous) main process."""

    def __init__(self, procs: int, deflate: bool) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for worker in range(procs):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=client_process, args=(child, worker, deflate), daemon=True)
            process.start()
            self.conns.append(parent)
            self.procs.append(process)

    def _recv_all(self, kind: str, timeout: float) -> list[tuple[Any, ...]]:
        replies: dict[int, tuple[Any, ...]] = {}
        deadline = time.monotonic() + timeout
        while len(replies) < len(self.conns):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"client processes did not answer {kind!r}")
            for conn in wait([c for i, c in enumerate(self.conns) if i not in replies], left):
                message = conn.recv()  # type: ignore[union-attr]
                if message[0] == kind:
                    replies[self.conns.index(conn)] = message  # type: ignore[arg-type]
        return [replies[i] for i in range(len(self.conns))]

    def connect(self, url: str, total: int, concurrency: int) -> list[tuple[Any, ...]]:
        share = [total // len(self.conns) + (1 if i < total % len(self.conns) else 0) for i in range(len(self.conns))]
        for conn, n in zip(self.conns, share, strict=True):
            conn.send(("connect", url, n, concurrency))
        return self._recv_all("connected", 600)

    def expect(self, k: int, marker: str) -> list[float]:
        for conn in self.conns:
            conn.send(("expect", k, marker))
        return [r[2] for r in self._recv_all("ready", 30)]

    def collect(self, k: int, timeout: float) -> list[tuple[Any, ...]]:
        replies: dict[int, tuple[Any, ...]] = {}
        deadline = time.monotonic() + timeout
        asked = False
        while len(replies) < len(self.conns):
            left = deadline - time.monotonic()
            if left <= 0 and not asked:
                for conn in self.conns:
                    conn.send(("collect", k))
                asked, deadline, left = True, time.monotonic() + 30, 30
            elif left <= 0:
                raise TimeoutError("client processes did not report")
            for conn in wait([c for i, c in enumerate(self.conns) if i not in replies], left):
                message = conn.recv()  # type: ignore[union-attr]
                if message[0] == "done" and message[1] == k:
                    replies[self.conns.index(conn)] = message  # type: ignore[arg-type]
        return [replies[i] for i in range(len(self.conns))]

    def disconnect(self) -> None:
        for conn in self.conns:
            conn.send(("disconnect",))
        self._recv_all("disconnected", 120)

    def cpu_seconds(self) -> float:
        return sum(proc_cpu_seconds(p.pid) for p in self.procs)

    def stop(self) -> None:
        for conn in self.conns:
            try:
                conn.send(("exit",))
            except OSError:
                pass
        for process in self.procs:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()


# ---------------------------------------------------------------------------- reference server


def reference_server(port: int) -> None:
    """The reference: websockets' own serve() + broadcast(), one process, uvloop."""
    raise_fd_limit()
    import uvloop

    uvloop.run(_reference_main(port))


async def _reference_main(port: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    audience: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/control":
            async for message in ws:
                broadcast(audience, message)
            return
        audience.add(ws)
        try:
            await ws.send("<p>snapshot</p>")
            await ws.wait_closed()
        finally:
            audience.discard(ws)

    async with serve(handler, "127.0.0.1", port, backlog=BACKLOG, max_size=None) as server:
        await server.serve_forever()


def wait_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------------------- phases


def run_changes(
    name: str,
    clients: Clients,
    n: int,
    changes: int,
    plan: list[str],
    trigger: Any,
    server_pid: int,
    timeout: float,
    warmup: int = 0,
) -> dict[str, Any]:
    """``changes`` times: tell the clients what to expect, t0, trigger, collect the arrival times."""
    first: list[float] = []
    median: list[float] = []
    last: list[float] = []
    received: list[int] = []
    closed: list[int] = []
    server_cpu: list[float] = []
    client_cpu: list[float] = []
    trigger_ms: list[float] = []
    samples: dict[str, str] = {}
    windows: list[tuple[float, float]] = []
    for k in range(warmup + changes):
        marker = plan[k % len(plan)]
        if k == warmup:  # the warm-up changes (first renders, caches) are printed, not counted
            first, median, last, received, closed = [], [], [], [], []
            server_cpu, client_cpu, trigger_ms, windows = [], [], [], []
        cpu_before = clients.expect(k, marker)
        server_cpu0 = proc_cpu_seconds(server_pid)
        t0 = time.time()
        trigger(k, marker)
        trigger_ms.append((time.time() - t0) * 1000)
        replies = clients.collect(k, timeout)
        server_cpu.append(proc_cpu_seconds(server_pid) - server_cpu0)
        times = [t for reply in replies for t in reply[2]]
        closed.append(sum(reply[3] for reply in replies))
        client_cpu.append(max(reply[4] - before for reply, before in zip(replies, cpu_before, strict=True)))
        for reply in replies:
            if reply[5] is not None:
                samples.setdefault(marker, reply[5])
        received.append(len(times))
        windows.append((t0, max(times) if times else time.time()))
        if times:
            lat = sorted((t - t0) * 1000 for t in times)
            first.append(lat[0])
            median.append(lat[len(lat) // 2])
            if len(times) == n:
                last.append(lat[-1])
        emit(
            f"{name}_change_{k - warmup:02d}" if k >= warmup else f"{name}_warmup_{k}",
            f"received {len(times)}/{n}, first {first[-1] if times else float('nan'):.1f} ms, "
            f"median {median[-1] if times else float('nan'):.1f} ms, "
            f"last {lat[-1] if times else float('nan'):.1f} ms, trigger {trigger_ms[-1]:.1f} ms, "
            f"server cpu {server_cpu[-1] * 1000:.0f} ms, busiest client proc cpu {client_cpu[-1] * 1000:.0f} ms",
        )
        time.sleep(0.3)  # let the previous change settle (pings, stragglers) before the next one
    return {
        "first": first,
        "median": median,
        "last": last,
        "received": received,
        "closed": closed,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "trigger": trigger_ms,
        "samples": samples,
        "windows": windows,
    }


def report(name: str, n: int, result: dict[str, Any]) -> None:
    for key in ("first", "median", "last"):
        values = result[key]
        emit(
            f"{name}_{key}_client_ms",
            f"p50 {pct(values, 50):.1f}, p99 {pct(values, 99):.1f}, max {max(values) if values else float('nan'):.1f}"
            f"  (over {len(values)} changes)",
        )
    emit(
        f"{name}_changes_delivered_to_all",
        f"{sum(1 for r in result['received'] if r == n)}/{len(result['received'])}"
        f"  (min received {min(result['received']) if result['received'] else 0}/{n})",
    )
    emit(f"{name}_sockets_closed_max", max(result["closed"]) if result["closed"] else 0)
    emit(f"{name}_trigger_ms_p50", f"{pct(result['trigger'], 50):.1f}  (HTTP request / control send)")
    emit(f"{name}_server_cpu_per_change_ms_p50", f"{pct(result['server_cpu'], 50) * 1000:.0f}")
    emit(
        f"{name}_client_cpu_per_change_ms_p50",
        f"{pct(result['client_cpu'], 50) * 1000:.0f}  (busiest client process, from expect to report)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--port", type=int, default=0, help="the app's port (0: a free one)")
    parser.add_argument("--ref-port", type=int, default=0, help="the reference server's port (0: a free one)")
    parser.add_argument("--connect-concurrency", type=int, default=100, help="handshakes in flight per process")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured changes first (first renders)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for every client, per change")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
    parser.add_argument("--reference-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_server:
        reference_server(args.reference_server)
        return 0

    started = time.perf_counter()
    soft, hard = raise_fd_limit()
    n = args.clients
    emit("cpu_count", f"{os.cpu_count()} (usable {len(os.sched_getaffinity(0))})")
    emit("loadavg_at_start", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    emit(
        "fd_limit",
        f"{soft} (hard {hard}); needed per server about {n + 100}, per client process about {n // args.procs + 100}",
    )
    somaxconn = Path("/proc/sys/net/core/somaxconn")
    emit("somaxconn", somaxconn.read_text().strip() if somaxconn.exists() else "?")
    emit("clients", n)
    emit("client_processes", args.procs)
    emit("permessage_deflate", "off" if args.no_deflate else "offered by clients (as browsers do)")
    if soft < n + 200:
        emit("error", f"RLIMIT_NOFILE {soft} is too low for {n} sockets; raise the hard limit (ulimit -Hn)")
        return 2

    from qa_app.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-fanout-"))
    clients: Clients | None = None
    app: subprocess.Popen[bytes] | None = None
    ref: subprocess.Popen[bytes] | None = None
    results: dict[str, dict[str, Any]] = {}
    fragments: dict[str, str] = {}
    try:
        database_url = f"sqlite+aiosqlite:///{tmp / 'fanout.sqlite3'}"
        upgrade(database_url)
        seeded = asyncio.run(seed(database_url))
        markers = seeded["markers"]
        qids = list(markers)
        # Alternate between two questions; the first change puts qids[0] on air from "nothing on air".
        plan_ids = [qids[0], qids[1]]
        plan = [markers[q] for q in plan_ids]
        by_marker = {markers[q]: q for q in plan_ids}
        emit("episode", f"{seeded['episode_id']} ({seeded['slug']}), {len(qids)} questions queued")

        clients = Clients(args.procs, deflate=not args.no_deflate)

        # ---------------------------------------------------------------------------- the app
        if not args.skip_app:
            import httpx

            port = args.port or free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
            env.update(QA_ENV="test", QA_DATABASE_URL=database_url, QA_SECRET_KEY=SECRET, QA_VAR_DIR=str(tmp / "var"))
            log = tmp / "app.log"
            app = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    SERVER_WRAPPER,
                    "qa_app.asgi:create_from_env",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--backlog",
                    str(BACKLOG),
                    # as `qa-app run` serves it: no per-message compression of the small live fragments
                    "--ws-per-message-deflate",
                    "false",
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
            wait_port(port, app, log)
            http = httpx.Client(
                base_url=f"http://127.0.0.1:{port}", timeout=30, headers={"Authorization": f"Bearer {seeded['token']}"}
            )
            http.get("/healthz")
            emit("app_server", f"uvicorn, 1 worker, pid {app.pid}, backlog {BACKLOG}")
            cpu0, t = proc_cpu_seconds(app.pid), time.perf_counter()
            replies = clients.connect(
                f"ws://127.0.0.1:{port}/ws/public/{seeded['episode_id']}", n, args.connect_concurrency
            )
            connected = sum(r[1] for r in replies)
            emit(
                "app_connected",
                f"{connected}/{n} in {time.perf_counter() - t:.1f} s "
                f"(server cpu {proc_cpu_seconds(app.pid) - cpu0:.1f} s, failures {sum(r[3] for r in replies)}"
                f"{', e.g. ' + replies[0][2][0] if any(r[2] for r in replies) else ''})",
            )
            emit("app_snapshot_bytes", replies[0][6])
            emit("app_rss_mb_after_connect", f"{_rss_mb(app.pid):.0f}")
            if connected < n:
                emit("error", "not every client connected; see the failures above")
                return 2

            def put_on_air(k: int, marker: str) -> None:
                response = http.post(
                    f"/api/v1/episodes/{seeded['slug']}/on-air", json={"question_id": by_marker[marker]}
                )
                if response.status_code != 200:
                    raise RuntimeError(f"on-air: {response.status_code} {response.text[:300]}")

            busy0, wall0 = machine_busy_seconds(), time.perf_counter()
            results["app"] = run_changes(
                "app", clients, n, args.changes, plan, put_on_air, app.pid, args.timeout, args.warmup
            )
            emit(
                "app_machine_cpu_busy_cores",
                f"{(machine_busy_seconds() - busy0) / (time.perf_counter() - wall0):.2f}"
                "  (all processes, during the changes)",
            )
            fragments = results["app"]["samples"]
            http.close()
            clients.disconnect()
            stop_process(app)
            app = None
            pauses = [(float(a), float(b)) for a, b in GC_RE.findall(log.read_text())]
            windows = results["app"]["windows"]
            during = [ms for at, ms in pauses if windows and windows[0][0] <= at <= windows[-1][1] + 1]
            hit = [sum(ms for at, ms in pauses if w0 <= at <= w1 + ms / 1000) for w0, w1 in windows]
            emit(
                "app_server_full_gc",
                f"{len(pauses)} gen-2 collections in the server's life, max pause "
                f"{max((ms for _a, ms in pauses), default=0):.0f} ms; during the changes {len(during)} "
                f"(total {sum(during):.0f} ms); changes with a gen-2 pause inside their delivery window: "
                f"{sum(1 for h in hit if h)} ({', '.join(f'#{i:02d} {h:.0f} ms' for i, h in enumerate(hit) if h)})",
            )

        # ---------------------------------------------------------------------- the reference
        if not args.skip_reference:
            from websockets.sync.client import connect as sync_connect

            if not fragments:  # --skip-app: a fragment of the same shape
                fragments = {
                    m: f'<section id="on-air" hx-swap-oob="true"><p>{m}</p>{"x" * 700}</section>' for m in plan
                }
            port = args.ref_port or free_port()
            log = tmp / "reference.log"
            ref = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--reference-server", str(port)],
                cwd=ROOT,
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
            wait_port(port, ref, log)
            emit(
                "reference_server",
                f"websockets {_websockets_version()} serve()+broadcast(), uvloop, 1 process, pid {ref.pid}",
            )
            t = time.perf_counter()
            replies = clients.connect(f"ws://127.0.0.1:{port}/", n, args.connect_concurrency)
            connected = sum(r[1] for r in replies)
            emit("reference_connected", f"{connected}/{n} in {time.perf_counter() - t:.1f} s")
            if connected < n:
                emit("error", "not every client connected to the reference server")
                return 2
            with sync_connect(f"ws://127.0.0.1:{port}/control", compression=None) as control:

                def send_fragment(k: int, marker: str) -> None:
                    control.send(fragments[marker])

                results["reference"] = run_changes(
                    "reference", clients, n, args.changes, plan, send_fragment, ref.pid, args.timeout, args.warmup
                )
            clients.disconnect()
            stop_process(ref)
            ref = None

        # ---------------------------------------------------------------------------- summary
        emit("message_bytes", ", ".join(f"{m}={len(f.encode())}" for m, f in sorted(fragments.items())))
        for name, result in results.items():
            report(name, n, result)
        if "app" in results:
            app_result = results["app"]
            p99 = pct(app_result["last"], 99)
            all_delivered = all(r == n for r in app_result["received"]) and not any(app_result["closed"])
            met = all_delivered and len(app_result["last"]) == args.changes and p99 <= TARGET_LAST_P99_MS
            emit("target_last_client_p99_ms", f"<= {TARGET_LAST_P99_MS:.0f} with {n} clients")
            emit(
                "target_public_fanout",
                f"{'met' if met else 'MISSED'} (app last-client p99 {p99:.1f} ms"
                f"{'' if all_delivered else ', NOT every client received every change'})",
            )
            if "reference" in results:
                ref_p99 = pct(results["reference"]["last"], 99)
                emit(
                    "app_vs_reference_last_client_p99",
                    f"{p99:.1f} vs {ref_p99:.1f} ms (x{p99 / ref_p99:.1f})" if ref_p99 else "n/a",
                )
        emit("loadavg_at_end", " ".join(f"{v:.2f}" for v in os.getloadavg()))
        emit("total_s", f"{time.perf_counter() - started:.1f}")
        return 0
    finally:
        stop_process(app)
        stop_process(ref)
        if clients is not None:
            clients.stop()
        if args.keep:
            emit("kept", str(tmp))
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _websockets_version() -> str:
    import websockets

    return websockets.__version__


if __name__ == "__main__":
    sys.exit(main())
