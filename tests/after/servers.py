"""Real servers the notification tests talk to: an SMTP server (aiosmtpd) and an SMS gateway (a
small HTTP server that checks the HMAC signature and drops a repeated delivery id, as the gateway
contract in ``qa_app.services.notifications`` asks)."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.live import free_port

GATEWAY_SECRET = "gateway-secret-for-tests-0123456789"


@dataclass
class SmtpSink:
    """Accepts mail; ``refuse`` answers the next N messages with a temporary (or given) error."""

    port: int = 0
    messages: list[Message] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    attempts: int = 0
    refuse: int = 0
    refusal: str = "451 4.3.0 Mailbox temporarily unavailable"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.attempts += 1
            if self.refuse > 0:
                self.refuse -= 1
                return self.refusal
            self.messages.append(
                email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            )
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 60) -> list[Message]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return list(self.messages)


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[SmtpSink]:
    sink = SmtpSink(port=port or free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Gateway:
    """What the SMS gateway saw: every request, and the SMS it actually sent (one per id)."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    bad_signatures: int = 0
    hold: threading.Event | None = None  # when set: block each request until the event is set
    received: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    def wait_for(self, count: int, timeout: float = 60) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.delivered) < count:
            time.sleep(0.1)
        return dict(self.delivered)


def verify(secret: str, headers: Any, body: bytes) -> bool:
    timestamp = headers.get("X-QA-Timestamp", "")
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, headers.get("X-QA-Signature", ""))


@contextmanager
def sms_gateway(secret: str = GATEWAY_SECRET) -> Iterator[Gateway]:
    gateway = Gateway(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not verify(secret, self.headers, body):
                with gateway.lock:
                    gateway.bad_signatures += 1
                self._answer(401, {"error": "bad signature"})
                return
            payload = json.loads(body) | {"idempotency_key": self.headers.get("Idempotency-Key")}
            with gateway.lock:
                gateway.requests.append(payload)
                first = payload["id"] not in gateway.delivered
                if first:  # the gateway sends the SMS once per id
                    gateway.delivered[payload["id"]] = payload
            gateway.received.set()
            if gateway.hold is not None:
                gateway.hold.wait(30)
            self._answer(200, {"status": "sent" if first else "duplicate"})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            return  # a client killed mid-request (the kill -9 test): nothing to report

    server = Server(("127.0.0.1", gateway.port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        if gateway.hold is not None:
            gateway.hold.set()
        server.shutdown()
        server.server_close()


def body_of(message: Message) -> str:
    return str(message.get_content())  # type: ignore[attr-defined]


Waiter = Callable[[], bool]
