"""A real uvicorn server in a subprocess, on the test's database (websocket, browser and restart tests)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from qa_app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BIND_ATTEMPTS = 5
START_SECONDS = 60  # five sessions share two cores: an import can take long


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds the socket listening on 127.0.0.1:``port`` (Linux /proc)."""
    wanted = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":  # local address, state LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    try:
        return any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


@dataclass
class LiveServer:
    settings: Settings
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_once: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
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
            # As `qa-app run`: the client address is the app's business (QA_TRUSTED_PROXIES).
            "--no-proxy-headers",
        ]

    def start(self) -> None:
        """Start the process and wait until it answers. A port taken between ``free_port()`` and the
        server's bind (another test, another session on the machine) is not a test failure: a first
        start moves to another free port, a restart (which must keep its URL) waits for the port."""
        for attempt in range(BIND_ATTEMPTS):
            if self._start_once():
                self.started_once = True
                return
            if not self.started_once:
                self.port = free_port()
                self.env["QA_PORT"] = str(self.port)
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"port {self.port} stayed in use after {BIND_ATTEMPTS} attempts:\n" + self.log.read_text())

    def _start_once(self) -> bool:
        """True once the server answers; False when it exited because the port was taken."""
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_SECONDS
        state = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                with self.log.open("rb") as log:
                    log.seek(offset)
                    output = log.read().decode(errors="replace")
                if "address already in use" in output.lower():
                    return False
                raise RuntimeError("server exited:\n" + self.log.read_text())
            try:
                # Answering is not enough: the answer must come from our process, not from a server that
                # took the port first (ours then exits with "address already in use").
                status = httpx.get(self.url + "/healthz", timeout=2).status_code
                state = f"/healthz answered {status}"
                if status == 200:
                    if listens(self.process.pid, self.port):
                        return True
                    state += f", but process {self.process.pid} does not hold port {self.port}"
            except httpx.HTTPError as exc:
                state = f"/healthz: {exc!r}"
            time.sleep(0.1)
        raise RuntimeError(f"server did not start in {START_SECONDS} s ({state}):\n" + self.log.read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def server_env(settings: Settings, port: int) -> dict[str, str]:
    """The environment of a server process for ``settings`` (what ``Settings.from_env`` reads)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(
        QA_ENV="test",
        QA_DATABASE_URL=settings.database_url,
        QA_SECRET_KEY=settings.secret_key,
        QA_VAR_DIR=str(settings.var_dir),
        QA_REDIS_PREFIX=settings.redis_prefix,
        QA_PORT=str(port),
    )
    if settings.redis_url:
        env["QA_REDIS_URL"] = settings.redis_url
    if settings.trusted_proxies:
        env["QA_TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    # Notifications to citizens (tests/realtime/test_notifications_live.py runs real SMTP and SMS servers).
    for var, value in {
        "QA_PUBLIC_URL": settings.public_url,
        "QA_SMTP_URL": settings.smtp_url,
        "QA_SMTP_FROM": settings.smtp_from,
        "QA_SMS_WEBHOOK_URL": settings.sms_webhook_url,
        "QA_SMS_WEBHOOK_SECRET": settings.sms_webhook_secret,
        "QA_NOTIFY_POLL_SECONDS": str(settings.notify_poll_seconds),
        "QA_NOTIFY_RETRY_SECONDS": str(settings.notify_retry_seconds),
        "QA_NOTIFY_TIMEOUT_SECONDS": str(settings.notify_timeout_seconds),
    }.items():
        if value:
            env[var] = value
    return env


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    port = free_port()
    server = LiveServer(settings=settings, port=port, env=server_env(settings, port), log=tmp_path / "server.log")
    server.start()
    yield server
    server.stop()


def login_cookies(server: LiveServer, username: str, password: str) -> str:
    """Log in over real HTTP; returns the Cookie header for a websocket handshake."""
    with httpx.Client(base_url=server.url) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "_csrf_token": client.cookies.get("qa_csrf") or ""},
        )
        assert response.status_code in (200, 303), response.text
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


HANDSHAKE_REFUSED = 403  # a socket refused before it is accepted: the client gets this HTTP status, no close code


async def refusal(url: str, headers: dict[str, str] | None = None, wait: float = 5) -> int:
    """How the server refuses the socket at ``url``: the close code it sends, or the HTTP status of a refused
    handshake. Fails when the socket is not refused: a message arrives first (something was sent to a
    client that may not see it) or it stays open for ``wait`` seconds."""
    try:
        async with websockets.connect(url, additional_headers=headers or {}, open_timeout=wait) as ws:
            message = await asyncio.wait_for(ws.recv(), timeout=wait)
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, f"closed without a close frame: {exc!r}"
        return exc.rcvd.code
    except InvalidStatus as exc:
        return exc.response.status_code
    except TimeoutError as exc:
        raise AssertionError(f"{url}: not refused, the socket stayed open") from exc
    raise AssertionError(f"{url}: not refused, it sent {str(message)[:300]!r}")
