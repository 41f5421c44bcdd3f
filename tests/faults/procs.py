"""Processes of the fault suite's own: a redis-server and a PostgreSQL cluster on free ports in temp dirs.

Never the shared 127.0.0.1:5432 / :6379 that every helper's tests use: these are started, killed and
restarted by the test that owns them, and removed afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.live import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
PG_BIN = Path(os.environ.get("QA_PG_BIN", "/usr/lib/postgresql/15/bin"))


def require(binary: str | Path, what: str) -> None:
    """Skip where the binary is missing; in CI it must be there."""
    if Path(binary).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} not found at {binary}; CI must have it")
    pytest.skip(f"{what} not found at {binary}")


@dataclass
class RedisServer:
    """``redis-server`` without persistence, like a cache that restarts empty."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started: bool = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start, and answer only once *this* process answers on the port. The first start moves to
        another free port if the chosen one was taken meanwhile (the suite's other run picks ports too);
        a restart keeps its port, as the app's configuration names it."""
        for _ in range(5):
            self.process = subprocess.Popen(
                [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._answers(self.process):
                self.started = True
                return
            if self.process.poll() is None:
                self.kill()
                raise RuntimeError(f"redis-server did not answer on port {self.port}")
            if self.started:
                raise RuntimeError(f"redis-server could not start again on port {self.port}")
            self.port = free_port()
        raise RuntimeError("redis-server did not start: no free port held")

    def _answers(self, process: subprocess.Popen[bytes]) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"INFO server\r\n")
                    reply = b""
                    while b"process_id:" not in reply or not reply.endswith(b"\r\n\r\n"):
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        reply += chunk
                    found = re.search(rb"process_id:(\d+)", reply)
                    if found and int(found.group(1)) == process.pid:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """``kill -9``: no goodbye to the clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@dataclass
class PostgresCluster:
    """A throwaway cluster (initdb + pg_ctl as the postgres OS user) in a temp dir on a free port."""

    directory: Path
    port: int = field(default_factory=free_port)
    started: bool = False

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    @classmethod
    def create(cls) -> PostgresCluster:
        directory = Path(tempfile.mkdtemp(prefix="qa-faults-pg-"))
        directory.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres", "postgres")
        cluster = cls(directory)
        cluster._run(PG_BIN / "initdb", "-D", cluster.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        return cluster

    def start(self) -> None:
        """Start; the first start moves to another free port if the chosen one was taken meanwhile (a
        restart keeps its port: the app's configuration names it)."""
        for attempt in range(5):
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
                "-c fsync=off -c full_page_writes=off -c max_connections=60"
            )
            try:
                self._run(
                    PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.directory / "log", "-w", "start"
                )
            except subprocess.CalledProcessError:
                if self.started or attempt == 4:
                    raise
                self.port = free_port()
                continue
            self.started = True
            return

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a restart by the operator."""
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop()
            except subprocess.CalledProcessError:
                self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)
