"""Submissions per second against a real server (SQLite, one uvicorn worker), with its ceiling.

    .venv/bin/python bench/submissions.py [--requests 3000] [--warmup 200] [--concurrency 32]
                                          [--preload 2000] [--port 0] [--max-seconds 45]
                                          [--client raw|httpx] [--only app|ceiling] [--keep]
                                          [--profile-app FILE.prof]

What it does, in one run:

1. two fresh SQLite databases in a temporary directory, migrated (``qa_app.migrate.upgrade``), each
   seeded through the services with the department catalogue and one OPEN episode; the app's database
   also gets ``--preload`` distinct questions (question + submission rows, wording masked and folded
   as intake does) so that the duplicate look-up searches a realistic index;
2. the real app (``qa_app.asgi:create_from_env``) under uvicorn in a subprocess, one worker, with the
   per-IP submission limit raised (one load generator is one IP), loaded with public ``web``
   submissions ``POST /api/v1/episodes/{slug}/submissions``: varied Vietnamese questions, about 30 %
   near-duplicates of earlier ones (auto-merge path), some with phone numbers in the text (masking),
   some with contact + consent, a ward code or a name, each with its own idempotency key;
3. the ceiling: ``bench/bare_insert_app.py`` (a bare Litestar handler inserting the same question +
   submission rows with the app's engine settings) served by the same uvicorn command and loaded with
   the same bodies;
4. plain ``name: value`` lines: throughput, p50/p90/p99/max latency, errors by status, the server's
   CPU per request, the ratio app/ceiling, and whether the target (>= 300 accepted/s, p99 <= 250 ms)
   is met.

The load is closed-loop: ``--concurrency`` requests in flight, a new one sent when one finishes, so
latency ~= concurrency / throughput (Little's law). Each target gets ``--warmup`` unmeasured requests
(the app builds its duplicate index and router then), then ``--requests`` measured ones, but no new
request after ``--max-seconds`` (so that a slow target cannot make the run last for minutes). The
generator runs on the same machine and shares its cores with the server: the default client is a
minimal keep-alive HTTP/1.1 client (~0.3 ms CPU a request; ``--client httpx`` costs ~4 ms a request
on a 2-core VM, which visibly lowers the ceiling). The preloaded questions are written directly
(rows, not ``intake.submit``), so they carry no audit rows or suggestions.
Exit status 0 whatever the figures; 2 when a server does not start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

TARGET_RPS = 300.0
TARGET_P99_MS = 250.0
SECRET = secrets.token_urlsafe(48)  # QA_SECRET_KEY of the throwaway server


def emit(name: str, value: object) -> None:
    print(f"{name}: {value}", flush=True)


# ----------------------------------------------------------------------------------------- texts

_TOPICS: list[tuple[str, str]] = [
    (
        "Đường {street} đoạn qua {place} cứ mưa khoảng {n} phút là ngập tới bắp chân, xe máy chết máy hàng loạt.",
        "đến bao giờ thành phố mới có dự án chống ngập cho đoạn này",
    ),
    (
        "Tuyến xe buýt số {n} đi qua {place} giờ cao điểm phải chờ 30 phút mới có một chuyến.",
        "thành phố có kế hoạch tăng chuyến hoặc mở thêm tuyến buýt điện kết nối ga metro không",
    ),
    (
        "Con tôi năm nay thi vào lớp 10, nhà ở {place} nhưng trường gần nhất cách hơn {n} cây số.",
        "việc phân tuyến tuyển sinh lớp 10 năm nay được tính theo nơi cư trú như thế nào",
    ),
    (
        "Hẻm {n} đường {street}, {place} bị lấn chiếm vỉa hè để bán hàng, người đi bộ phải đi xuống lòng đường.",
        "chính quyền địa phương sẽ xử lý tình trạng lấn chiếm này ra sao",
    ),
    (
        "Khu vực {place} thường xuyên cúp điện không báo trước, tuần rồi cúp {n} lần.",
        "ngành điện có lịch bảo trì công khai và bồi thường thiết bị hư hỏng không",
    ),
    (
        "Gia đình tôi đã nộp hồ sơ cấp đổi sổ hồng ở {place} được {n} ngày mà chưa có kết quả.",
        "thời hạn giải quyết thủ tục cấp đổi giấy chứng nhận là bao lâu và tra cứu ở đâu",
    ),
    (
        "Quán karaoke trên đường {street} thuộc {place} hát tới 12 giờ đêm, đã phản ánh {n} lần.",
        "cơ quan nào chịu trách nhiệm xử lý tiếng ồn và mức phạt là bao nhiêu",
    ),
    (
        "Bệnh viện quận cũ gần {place} quá tải, chờ khám bảo hiểm y tế mất {n} tiếng.",
        "khi nào có thêm bệnh viện hoặc phòng khám bảo hiểm y tế cho khu vực này",
    ),
    (
        "Dự án trên đường {street} ở {place} bị quy hoạch treo {n} năm, dân không được xây sửa nhà.",
        "bao giờ dự án được triển khai hoặc huỷ bỏ quy hoạch để người dân được cấp phép xây dựng",
    ),
    (
        "Tôi là công nhân ở {place}, công ty nợ lương {n} tháng rồi.",
        "người lao động cần làm gì để được hỗ trợ đòi lương và bảo hiểm xã hội",
    ),
    (
        "Bãi rác tự phát ở đầu hẻm {n} đường {street}, {place} bốc mùi hôi, ruồi nhặng nhiều.",
        "địa phương có kế hoạch thu gom và xử phạt người đổ rác trộm không",
    ),
    (
        "Khu vực {place} mấy tháng nay có {n} ca sốt xuất huyết, nhiều nhà có trẻ nhỏ.",
        "ngành y tế có kế hoạch phun thuốc diệt muỗi và tuyên truyền phòng bệnh ở đây không",
    ),
    (
        "Tôi muốn mua nhà ở xã hội, thu nhập hai vợ chồng khoảng {n} triệu một tháng, đang ở trọ tại {place}.",
        "điều kiện và thủ tục đăng ký mua nhà ở xã hội hiện nay như thế nào",
    ),
    (
        "Nước máy ở {place} yếu, có ngày mất nước {n} tiếng, nước lại có mùi.",
        "khi nào khu vực này được cấp nước ổn định và ai kiểm tra chất lượng nước",
    ),
    (
        "Giao lộ {street} gần {place} không có đèn tín hiệu, tháng này đã xảy ra {n} vụ va chạm.",
        "bao giờ thành phố lắp đèn tín hiệu giao thông tại giao lộ này",
    ),
    (
        "Tôi đăng ký hộ kinh doanh ở {place} từ tháng {m} mà chưa được cấp mã số thuế.",
        "hộ kinh doanh bán hàng online phải kê khai thuế như thế nào và nộp hồ sơ ở đâu",
    ),
    (
        "Ba tôi {n} tuổi, sống ở {place}, chưa nhận được trợ cấp người cao tuổi.",
        "người cao tuổi cần giấy tờ gì để được hưởng trợ cấp xã hội hàng tháng",
    ),
    (
        "Cây xanh trên đường {street}, {place} nghiêng nhiều, mùa mưa gió sợ ngã đè người đi đường.",
        "đơn vị nào kiểm tra và cắt tỉa cây xanh nguy hiểm, người dân báo ở đâu",
    ),
    (
        "Nhà máy gần {place} xả khói đen vào ban đêm, {n} hộ dân bị ảnh hưởng hô hấp.",
        "cơ quan môi trường sẽ kiểm tra, xử lý nhà máy này thế nào",
    ),
    (
        "Nhà tôi trên đường {street}, {place} nằm trong dự án mở rộng đường, "
        "giá bồi thường thấp hơn giá thị trường {n} lần.",
        "giá bồi thường giải phóng mặt bằng được tính ra sao và khiếu nại ở đâu",
    ),
]
_STREETS = [
    "Kha Vạn Cân",
    "Nguyễn Văn Linh",
    "Lê Văn Việt",
    "Quang Trung",
    "Phạm Văn Đồng",
    "Cách Mạng Tháng Tám",
    "Huỳnh Tấn Phát",
    "Tô Ký",
    "Kinh Dương Vương",
    "Nguyễn Thị Thập",
    "Lũy Bán Bích",
    "Âu Cơ",
    "Trường Chinh",
    "Lê Đức Thọ",
    "Nguyễn Oanh",
    "Xa lộ Hà Nội",
    "Võ Văn Kiệt",
    "Nguyễn Duy Trinh",
]
_OPENERS = [
    "",
    "Kính gửi chương trình Dân hỏi – Chính quyền trả lời. ",
    "Chào chương trình, ",
    "Dạ cho em hỏi, ",
    "Xin chào, ",
    "Kính gửi lãnh đạo thành phố, ",
    "Tôi là người dân sống lâu năm ở đây. ",
]
_CLOSERS = ["", " Xin cảm ơn.", " Mong được trả lời sớm.", " Cảm ơn chương trình!", " Trân trọng."]
_ASKS = ["Xin hỏi ", "Cho tôi hỏi ", "Vậy ", "Đề nghị cho biết "]
_NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Nam", "Phạm Minh Châu", "Võ Thị Hồng", "Đặng Quốc Bảo"]


def _wards() -> list[tuple[str, str]]:
    data = json.loads((ROOT / "qa_app" / "data" / "wards-hcmc.json").read_text(encoding="utf-8"))
    return [(w["code"], w["name"]) for w in data]


def _phone(rng: random.Random) -> str:
    digits = f"09{rng.randrange(10**8):08d}"
    return f"{digits[:4]} {digits[4:7]} {digits[7:]}"


def _fresh_text(rng: random.Random, wards: list[tuple[str, str]]) -> str:
    complaint, question = rng.choice(_TOPICS)
    values = {
        "place": rng.choice(wards)[1],
        "street": rng.choice(_STREETS),
        "n": rng.randint(2, 300),
        "m": rng.randint(1, 12),
    }
    text = rng.choice(_OPENERS) + complaint.format(**values) + " " + rng.choice(_ASKS) + question + "?"
    if rng.random() < 0.15:  # personal data in the text: exercised by the masking
        text += f" Số điện thoại của tôi là {_phone(rng)}."
    return text + rng.choice(_CLOSERS)


def _variant(text: str, rng: random.Random) -> str:
    """A near-duplicate as citizens write it: no diacritics, greetings, typos, lower case, 'ko'."""
    from moderation import fold

    r = rng.random()
    if r < 0.3:
        return fold(text)
    if r < 0.5:
        return "Xin chào chương trình. " + text + " Mong được giải đáp."
    if r < 0.7:
        return text.lower().replace("không", "ko").replace("được", "dc")
    words = text.split()
    for _ in range(2):
        i = rng.randrange(len(words))
        if len(words[i]) > 3:
            words[i] = words[i][:-1]
    return " ".join(words)


def corpus(
    n: int,
    rng: random.Random,
    wards: list[tuple[str, str]],
    earlier: list[str],
    dup_share: float,
    variants: list[int] | None = None,
) -> list[str]:
    """``n`` texts; ``dup_share`` of them are variants of an earlier text (of ``earlier`` or of these)."""
    out: list[str] = []
    for _ in range(n):
        pool = earlier if (earlier and (not out or rng.random() < 0.5)) else out
        if pool and rng.random() < dup_share:
            out.append(_variant(rng.choice(pool), rng))
            if variants is not None:
                variants.append(len(out) - 1)
        else:
            out.append(_fresh_text(rng, wards))
    return out


def payloads(texts: list[str], rng: random.Random, wards: list[tuple[str, str]], run_id: str) -> list[bytes]:
    bodies = []
    for i, text in enumerate(texts):
        body: dict[str, Any] = {"text": text, "idempotency_key": f"{run_id}-{i:06d}"}
        r = rng.random()
        if r < 0.4:
            body["ward"] = rng.choice(wards)[0]
        if rng.random() < 0.3:
            body["name"] = rng.choice(_NAMES)
        if rng.random() < 0.2:  # contact details: unique numbers, so the per-contact limit (5/h) holds
            body["contact"] = f"09{(i * 7919 + 12345) % 10**8:08d}"
            body["consent"] = True
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


# ---------------------------------------------------------------------------------------- seeding


async def seed(database_url: str, preload: list[str]) -> tuple[str, int, int]:
    """Departments and one OPEN episode through the services, then ``preload`` questions.

    The preloaded questions are written directly (one question + one submission row each, public
    wording masked and folded as intake does, in one transaction): going through
    ``intake.submit`` costs ~15 ms each here and would dominate the run. The server builds its
    duplicate index from them on the first submission (warm-up). Returns (episode slug, episode id,
    highest preloaded question id).
    """
    from sqlalchemy import func, select

    from moderation import fold
    from qa_app.db import create_engine, create_sessionmaker
    from qa_app.models import Channel, EpisodeStatus, Question, QuestionStatus, Submission
    from qa_app.services import departments as department_service
    from qa_app.services import episodes as episode_service
    from qa_app.services.intake import public_wording
    from qa_app.services.tracking import new_tracking_code
    from qa_app.timeutil import utcnow

    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as db:
            await department_service.import_catalogue(db, None, department_service.load_catalogue())
            episode = await episode_service.create_episode(
                db, None, episode_service.EpisodeForm(title="Kỳ đo tải tiếp nhận câu hỏi", theme="Đo tải")
            )
            episode.status = EpisodeStatus.OPEN
            await db.commit()
            codes: set[str] = set()
            for i, text in enumerate(preload):
                now = utcnow()
                wording = public_wording(text)
                question = Question(
                    episode_id=episode.id,
                    public_text=wording,
                    search_text=fold(wording),
                    status=QuestionStatus.NEW,
                    submission_count=1,
                    duplicate_suggestions=[],
                    route_suggestions=[],
                    created_at=now,
                    updated_at=now,
                )
                code = new_tracking_code()
                while code in codes:
                    code = new_tracking_code()
                codes.add(code)
                db.add(question)
                await db.flush()
                db.add(
                    Submission(
                        episode_id=episode.id,
                        question_id=question.id,
                        original_question_id=question.id,
                        channel=Channel.WEB,
                        tracking_code=code,
                        raw_text=text,
                        received_at=now,
                        idempotency_key=f"preload-{i:06d}",
                    )
                )
            await db.commit()
            last = await db.scalar(select(func.max(Question.id))) or 0
            return episode.slug, episode.id, int(last)
    finally:
        await engine.dispose()


# ----------------------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    app: str
    port: int
    env: dict[str, str]
    log: Path
    extra_path: Path | None = None
    profile: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable]
        if self.profile is not None:
            command += ["-m", "cProfile", "-o", str(self.profile)]
        command += ["-m", "uvicorn", self.app, "--factory", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--log-level", "warning"]
        if self.extra_path is not None:
            command += ["--app-dir", str(self.extra_path)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT
        )
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} server did not start:\n{self.log.read_text()}")

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


# ------------------------------------------------------------------------------------------- load


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client (content-length or chunked answers): little CPU per call."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(
                b"POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (path.encode(), self.host.encode(), self.port, len(body), body)
            )
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            headers = {}
            for line in head.split(b"\r\n")[1:]:
                key, _, value = line.partition(b":")
                headers[key.strip().lower()] = value.strip().lower()
            if b"content-length" in headers:
                data = await self.reader.readexactly(int(headers[b"content-length"]))
            elif headers.get(b"transfer-encoding") == b"chunked":
                chunks = []
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                    chunk = await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
                    chunks.append(chunk[:-2])
                data = b"".join(chunks)
            else:
                data = await self.reader.read()
                headers[b"connection"] = b"close"
            if headers.get(b"connection") == b"close":
                await self.close()
            return status, data
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)  # of accepted (201) requests
    all_latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    question_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    planned: int = 0


async def load(
    url: str, path: str, bodies: list[bytes], concurrency: int, client_kind: str, max_seconds: float = 0
) -> LoadResult:
    """Send ``bodies`` with ``concurrency`` requests in flight (closed loop); one result per body.

    With ``max_seconds``, no new request is sent after that time (those in flight finish).
    """
    result = LoadResult(planned=len(bodies))
    next_index = 0
    host, port = url.removeprefix("http://").split(":")
    deadline = time.perf_counter() + max_seconds if max_seconds else float("inf")

    def more() -> bool:
        return next_index < len(bodies) and time.perf_counter() < deadline

    async def record(status: int, data: bytes, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        result.all_latencies_ms.append(elapsed)
        result.statuses[str(status)] += 1
        if status == 201:
            result.latencies_ms.append(elapsed)
            with contextlib.suppress(ValueError, KeyError, TypeError):
                result.question_ids.append(int(json.loads(data)["question_id"]))

    async def worker_raw() -> None:
        nonlocal next_index
        connection = RawConnection(host, int(port))
        try:
            while more():
                body = bodies[next_index]
                next_index += 1
                started = time.perf_counter()
                try:
                    status, data = await connection.post(path, body)
                except Exception as exc:
                    result.statuses[f"exception:{type(exc).__name__}"] += 1
                    continue
                await record(status, data, started)
        finally:
            await connection.close()

    async def worker_httpx(client: Any) -> None:
        nonlocal next_index
        while more():
            body = bodies[next_index]
            next_index += 1
            started = time.perf_counter()
            try:
                response = await client.post(path, content=body, headers={"content-type": "application/json"})
            except Exception as exc:
                result.statuses[f"exception:{type(exc).__name__}"] += 1
                continue
            await record(response.status_code, response.content, started)

    cpu0, t0 = time.process_time(), time.perf_counter()
    if client_kind == "raw":
        await asyncio.gather(*(worker_raw() for _ in range(concurrency)))
    else:
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
            await asyncio.gather(*(worker_httpx(client) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - t0
    result.client_cpu_seconds = time.process_time() - cpu0
    return result


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def run_loop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def measure(
    server: Server, path: str, warmup: list[bytes], bodies: list[bytes], args: argparse.Namespace
) -> LoadResult:
    run_loop(load(server.url, path, warmup, args.concurrency, args.client))
    cpu0 = server.cpu_seconds()
    result = run_loop(load(server.url, path, bodies, args.concurrency, args.client, args.max_seconds))
    result.server_cpu_seconds = server.cpu_seconds() - cpu0
    return result


def report(prefix: str, result: LoadResult) -> float:
    requests = sum(result.statuses.values())
    accepted = result.statuses.get("201", 0)
    rps = accepted / result.seconds if result.seconds else 0.0
    emit(f"{prefix}_requests", requests)
    emit(f"{prefix}_accepted", accepted)
    emit(f"{prefix}_errors", requests - accepted)
    emit(f"{prefix}_errors_by_status", dict(sorted((k, v) for k, v in result.statuses.items() if k != "201")) or "none")
    emit(f"{prefix}_seconds", round(result.seconds, 2))
    if requests < result.planned:
        emit(f"{prefix}_time_capped", f"yes: {requests} of {result.planned} planned requests sent within --max-seconds")
    emit(f"{prefix}_throughput_rps", round(requests / result.seconds, 1) if result.seconds else 0)
    emit(f"{prefix}_accepted_per_s", round(rps, 1))
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        emit(f"{prefix}_{name}_ms", round(percentile(result.latencies_ms, q), 1))
    emit(f"{prefix}_max_ms", round(max(result.all_latencies_ms, default=float("nan")), 1))
    emit(f"{prefix}_server_cpu_ms_per_request", round(result.server_cpu_seconds * 1000 / max(requests, 1), 2))
    emit(f"{prefix}_server_cpu_utilisation", f"{result.server_cpu_seconds / result.seconds:.0%} of one core")
    emit(f"{prefix}_client_cpu_ms_per_request", round(result.client_cpu_seconds * 1000 / max(requests, 1), 2))
    return rps


def db_counts(path: Path, episode_id: int) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        one = lambda sql: int(connection.execute(sql, (episode_id,)).fetchone()[0])  # noqa: E731
        return {
            "questions": one("SELECT count(*) FROM question WHERE episode_id = ?"),
            "submissions": one("SELECT count(*) FROM submission WHERE episode_id = ?"),
            "audit_events": one("SELECT count(*) FROM audit_event WHERE episode_id = ?"),
        }


# ------------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per target (default 3000)")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured requests first (default 200)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--preload", type=int, default=2000, help="questions in the episode beforehand (2000)")
    parser.add_argument("--port", type=int, default=0, help="app port (ceiling: port+1); default: free ports")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=45.0,
        help="stop sending measured requests after this long, per target (default 45; 0: no cap)",
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: a minimal keep-alive HTTP/1.1 client (default, ~0.3 ms CPU a "
        "request) or httpx.AsyncClient (~4 ms CPU a request here, taken from the server's cores)",
    )
    parser.add_argument("--dup-share", type=float, default=0.3, help="share of near-duplicate texts (0.3)")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--only", choices=("app", "ceiling"), help="measure one target only")
    parser.add_argument("--profile-app", type=Path, help="run the app server under cProfile, write stats here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (databases, logs)")
    args = parser.parse_args(argv)

    from qa_app import migrate

    workdir = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    rng = random.Random(args.seed)
    wards = _wards()
    emit("machine_cpus", os.cpu_count())
    emit("python", sys.version.split()[0])
    emit("machine_load_average_before", _loadavg())
    emit(
        "settings",
        f"requests={args.requests} warmup={args.warmup} concurrency={args.concurrency} "
        f"preload={args.preload} dup_share={args.dup_share} client={args.client} max_seconds={args.max_seconds} "
        f"seed={args.seed}",
    )
    emit("server", "uvicorn, 1 worker (loop/http: auto = uvloop/httptools when installed), --log-level warning")
    emit("database", "SQLite file per target, qa_app.db.create_engine (WAL, synchronous=FULL, 1 connection)")
    emit("note_rate_limit", "QA_SUBMIT_LIMIT_PER_IP=1000000/60 for the app: the whole load comes from one IP")
    emit(
        "note_shared_cpu",
        f"load generator ({'uvloop' if _has_uvloop() else 'asyncio'}) runs on the same "
        f"{os.cpu_count()} cores as the server, closed loop with {args.concurrency} in flight",
    )
    try:
        app_db, ceiling_db = workdir / "app.sqlite3", workdir / "ceiling.sqlite3"
        preload = corpus(args.preload, rng, wards, [], 0.0)  # distinct questions; near-duplicates come in the load
        variants: list[int] = []
        texts = corpus(args.warmup + args.requests, rng, wards, preload, args.dup_share, variants)
        bodies = payloads(texts, rng, wards, f"bench-{args.seed}")
        warmup, measured = bodies[: args.warmup], bodies[args.warmup :]

        t0 = time.perf_counter()
        for db_path in (app_db, ceiling_db):
            migrate.upgrade(f"sqlite+aiosqlite:///{db_path}")
        slug, episode_id, _ = asyncio.run(seed(f"sqlite+aiosqlite:///{app_db}", preload))
        _, ceiling_episode_id, _ = asyncio.run(seed(f"sqlite+aiosqlite:///{ceiling_db}", []))
        emit("setup_seconds", round(time.perf_counter() - t0, 1))
        emit("preloaded_questions", db_counts(app_db, episode_id)["questions"])
        path = f"/api/v1/episodes/{slug}/submissions"

        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "BENCH_"))}
        app_port = args.port or free_port()
        ceiling_port = args.port + 1 if args.port else free_port()
        app = Server(
            "app",
            "qa_app.asgi:create_from_env",
            app_port,
            {
                **base_env,
                "QA_ENV": "test",
                "QA_DATABASE_URL": f"sqlite+aiosqlite:///{app_db}",
                "QA_SECRET_KEY": SECRET,
                "QA_VAR_DIR": str(workdir / "var"),
                "QA_SUBMIT_LIMIT_PER_IP": "1000000/60",
            },
            workdir / "app.log",
            profile=args.profile_app,
        )
        ceiling = Server(
            "ceiling",
            "bare_insert_app:create_from_env",
            ceiling_port,
            {
                **base_env,
                "BENCH_DATABASE_URL": f"sqlite+aiosqlite:///{ceiling_db}",
                "BENCH_EPISODE_ID": str(ceiling_episode_id),
                "PYTHONPATH": str(ROOT),
            },
            workdir / "ceiling.log",
            extra_path=BENCH_DIR,
        )

        results: dict[str, float] = {}
        app_result = ceiling_result = None
        for name, server in (("app", app), ("ceiling", ceiling)):
            if args.only and args.only != name:
                continue
            try:
                server.start()
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 2
            try:
                result = measure(server, path, warmup, measured, args)
            finally:
                server.stop()
            results[name] = report(name, result)
            if name == "app":
                app_result = result
            else:
                ceiling_result = result

        if app_result is not None:
            counts = db_counts(app_db, episode_id)
            sent = args.warmup + len(app_result.all_latencies_ms)
            load_submissions = counts["submissions"] - args.preload
            joined = load_submissions - (counts["questions"] - args.preload)
            emit("app_near_duplicates_sent", f"{sum(1 for i in variants if i < sent)} of {sent} (warm-up + measured)")
            emit(
                "app_joined_existing_question",
                f"{joined} of {load_submissions} stored (warm-up + measured; auto-merge)",
            )
            emit("app_db_after", ", ".join(f"{k}={v}" for k, v in counts.items()) + " (preload + warm-up + measured)")
            log = (workdir / "app.log").read_text(errors="replace")
            emit("app_log_errors", sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line))
        if "app" in results and "ceiling" in results:
            emit("ratio_app_to_ceiling", round(results["app"] / results["ceiling"], 3) if results["ceiling"] else "n/a")
        if app_result is not None:
            p99 = percentile(app_result.latencies_ms, 0.99)
            emit(
                "target",
                f">= {TARGET_RPS:.0f} accepted/s and p99 <= {TARGET_P99_MS:.0f} ms at concurrency {args.concurrency}",
            )
            emit("target_throughput_met", "yes" if results["app"] >= TARGET_RPS else "no")
            emit("target_p99_met", "yes" if p99 <= TARGET_P99_MS else "no")
        emit("machine_load_average_after", _loadavg())
        emit(
            "note_load_average",
            "other processes on the machine take CPU from the server and the generator: "
            "compare runs only when the load average before was well below the core count",
        )
        if ceiling_result is None and app_result is None:
            return 2
        if args.profile_app:
            import pstats

            emit("profile", f"{args.profile_app} (whole server life, main thread only)")
            pstats.Stats(str(args.profile_app)).sort_stats("tottime").print_stats(25)
        return 0
    finally:
        if args.keep:
            emit("workdir", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
