"""The test servers themselves: a port taken between choosing it and binding it does not fail a test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from qa_app.settings import Settings
from tests.live import LiveServer, listens, server_env

pytestmark = pytest.mark.realtime


class _Healthy(BaseHTTPRequestHandler):
    """A stranger on the port that answers /healthz like ours does."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok", "stranger": "yes"}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stranger() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_a_port_taken_before_the_bind_moves_the_server_to_another(
    settings: Settings, tmp_path: Path, stranger: int
) -> None:
    server = LiveServer(settings=settings, port=stranger, env=server_env(settings, stranger), log=tmp_path / "s.log")
    server.start()
    try:
        assert server.port != stranger
        assert server.process is not None and listens(server.process.pid, server.port)
        assert server.env["QA_PORT"] == str(server.port)
        answer = httpx.get(server.url + "/healthz", timeout=5).json()
        assert answer["database"] == "ok" and "stranger" not in answer
        # A restart keeps the URL that clients (browsers, sockets) already hold.
        first = server.port
        server.stop()
        server.start()
        assert server.port == first and listens(server.process.pid, server.port)
    finally:
        server.stop()
    assert "stranger" in httpx.get(f"http://127.0.0.1:{stranger}/healthz", timeout=5).text
