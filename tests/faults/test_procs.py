"""The fault suite's own servers start even when the port they chose was taken meanwhile (the suite's
other run picks free ports too), and a server answering on the port must be theirs."""

from __future__ import annotations

import socket

from tests.faults.procs import REDIS_SERVER, RedisServer, require


def test_a_redis_whose_port_was_taken_moves_to_another_and_a_restart_keeps_its_port() -> None:
    require(REDIS_SERVER, "redis-server")
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        taken = stranger.getsockname()[1]
        server = RedisServer(port=taken)
        server.start()
        try:
            assert server.port != taken and server.process is not None and server.process.poll() is None
            moved = server.port
            server.kill()
            server.start()  # a restart: same port, as the app under test is configured with it
            assert server.port == moved and server.process.poll() is None
        finally:
            server.kill()
