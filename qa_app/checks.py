"""``python -m qa_app.checks postgres|redis URL``: exit 0 when the service answers (used by make test-pg)."""

from __future__ import annotations

import asyncio
import sys


async def _postgres(url: str) -> None:
    from sqlalchemy import text

    from qa_app.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


async def _redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"postgres", "redis"}:
        print("usage: python -m qa_app.checks postgres|redis URL", file=sys.stderr)
        return 2
    check = _postgres if argv[0] == "postgres" else _redis
    try:
        asyncio.run(asyncio.wait_for(check(argv[1]), timeout=5))
    except Exception as exc:
        print(f"{argv[0]} not reachable at {argv[1]}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
