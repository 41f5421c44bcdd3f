"""Uploads between the preview and the import: read once, off the event loop, kept parsed in the database.

    reader = ImportReader()                                  # one per worker process
    payload, rows = await reader.read(filename, file)        # a reader thread; ImportBusy when saturated
    token = await save(db, actor, episode, filename, payload, rows)
    upload, payload = await load(db, token, actor)           # ImportFileError when gone or not the actor's
    parsed = await reader.run(decode, payload)

Why the database: the preview and the import may be served by different workers, on different
hosts with PostgreSQL, and the database is the one store they all share without more settings (a
file under ``var/`` is only shared by workers on one disk; a worker's memory by none). An upload
expires after ``KEEP_HOURS`` (deleted by the next upload and by the retention schedule, since it
holds citizens' names and contacts); each operator keeps at most ``KEEP_PER_USER`` and all of them together
at most ``KEEP_TOTAL_BYTES`` (oldest dropped first). The payload is bounded by the parser's limits
(at most 20,000 rows and ~10 M characters) and stored compressed.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import Episode, ImportUpload, User
from qa_app.services import importing
from qa_app.timeutil import as_utc, utcnow

KEEP_HOURS = 24
KEEP_PER_USER = 5
KEEP_TOTAL_BYTES = 256 * 1024 * 1024
PARALLEL = 2  # files read at the same time by one worker process
WAITING = 4  # more wait for a free reader ...
WAIT_SECONDS = 15.0  # ... this long; beyond: ImportBusy

T = TypeVar("T")


class ImportBusy(Exception):
    """Every reader of this worker is busy and the queue is full (or the wait was too long)."""


class ImportReader:
    """Runs the reading of uploads in at most ``parallel`` threads of its own, never on the event loop.

    A parse of the largest allowed file takes ~1 s of CPU and a few tens of MB: two at a time keep
    a worker's memory bounded and leave it CPU for everyone else (the GIL is shared)."""

    def __init__(self, parallel: int = PARALLEL, waiting: int = WAITING, wait_seconds: float = WAIT_SECONDS) -> None:
        self.parallel, self.waiting, self.wait_seconds = parallel, waiting, wait_seconds
        self.parses = 0  # files read so far (the preview and the import must not read a file again)
        self._executor: ThreadPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None
        self._queued = 0

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a reader thread, once a slot is free (ImportBusy if none comes)."""
        if self._slots is None or self._executor is None:
            self._slots = asyncio.Semaphore(self.parallel)
            self._executor = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="qa-import")
        slots = self._slots
        if slots.locked() and self._queued >= self.waiting:
            raise ImportBusy
        self._queued += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await slots.acquire()
        except TimeoutError:
            raise ImportBusy from None
        finally:
            self._queued -= 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args))
        finally:
            slots.release()

    async def read(self, filename: str, source: bytes | BinaryIO) -> tuple[bytes, int]:
        """Read an upload in a reader thread: the payload to keep (:func:`encode`) and its row count.

        ``source`` may be the upload's file (spooled to disk past 1 MB): it is read in the thread,
        so uploads waiting for a reader do not hold their bytes in memory."""
        self.parses += 1
        return await self.run(_read, filename, source)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


# ----------------------------------------------------------------------------------- payload


def _read(filename: str, source: bytes | BinaryIO) -> tuple[bytes, int]:
    data = source if isinstance(source, bytes) else source.read(importing.MAX_BYTES + 1)
    parsed = importing.parse_file(filename, data)
    del data
    return encode(parsed), len(parsed.rows)


def encode(parsed: importing.ParsedFile) -> bytes:
    """The parsed file as zlib-compressed JSON lines (a head line, then one line per row), built
    row by row: no whole-file JSON string is ever held."""
    compressor = zlib.compressobj(6)
    head = {
        "headers": parsed.headers,
        "lines": parsed.lines,
        "file_kind": parsed.file_kind,
        "encoding": parsed.encoding,
        "delimiter": parsed.delimiter,
        "sheet": parsed.sheet,
    }
    out = [compressor.compress(_line(head))]
    out.extend(compressor.compress(_line(row)) for row in parsed.rows)
    out.append(compressor.flush())
    return b"".join(out)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(payload: bytes) -> importing.ParsedFile:
    """The inverse of :func:`encode`, decompressed piece by piece."""
    decompressor = zlib.decompressobj()
    head: dict[str, Any] | None = None
    rows: list[list[str]] = []
    rest = b""
    for start in range(0, len(payload), 1 << 16):
        rest += decompressor.decompress(payload[start : start + (1 << 16)])
        *complete, rest = rest.split(b"\n")
        for line in complete:
            if head is None:
                head = json.loads(line)
            else:
                rows.append(json.loads(line))
    if head is None:
        raise ValueError("empty payload")
    return importing.ParsedFile(
        headers=head["headers"],
        rows=rows,
        file_kind=head["file_kind"],
        lines=head["lines"],
        encoding=head["encoding"],
        delimiter=head["delimiter"],
        sheet=head["sheet"],
    )


# ----------------------------------------------------------------------------------- store

GONE = "Tệp tải lên không còn nữa (tệp chỉ được giữ {hours} giờ). Vui lòng tải lại."


async def save(db: AsyncSession, actor: User, episode: Episode, filename: str, payload: bytes, rows: int) -> str:
    """Keep ``payload`` for ``actor``; returns the token for the preview URL. Drops expired uploads,
    the actor's oldest beyond ``KEEP_PER_USER`` and everyone's oldest beyond ``KEEP_TOTAL_BYTES``."""
    now = utcnow()
    token = secrets.token_urlsafe(16)
    await db.execute(delete(ImportUpload).where(ImportUpload.expires_at <= now))
    db.add(
        ImportUpload(
            id=token,
            user_id=actor.id,
            episode_id=episode.id,
            filename=filename[:255],
            row_count=rows,
            size=len(payload),
            payload=payload,
            created_at=now,
            expires_at=now + timedelta(hours=KEEP_HOURS),
        )
    )
    await db.flush()
    newest_first = (
        await db.execute(
            select(ImportUpload.id, ImportUpload.user_id, ImportUpload.size).order_by(
                ImportUpload.created_at.desc(), ImportUpload.id
            )
        )
    ).all()
    total, mine, drop = 0, 0, []
    for upload_id, user_id, size in newest_first:
        total += size
        mine += user_id == actor.id
        if upload_id != token and (total > KEEP_TOTAL_BYTES or (user_id == actor.id and mine > KEEP_PER_USER)):
            drop.append(upload_id)
    if drop:
        await db.execute(delete(ImportUpload).where(ImportUpload.id.in_(drop)))
    await db.commit()
    return token


async def purge_expired(db: AsyncSession) -> int:
    """Delete the uploads past their time (they hold citizens' names and contacts); commits."""
    result = await db.execute(delete(ImportUpload).where(ImportUpload.expires_at <= utcnow()))
    await db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def load(db: AsyncSession, token: str, actor: User) -> tuple[ImportUpload, bytes]:
    """The actor's upload and its payload; ImportFileError when it expired, was imported, or is not theirs."""
    upload = await db.get(ImportUpload, token[:32]) if token else None
    if upload is None or upload.user_id != actor.id or as_utc(upload.expires_at) <= utcnow():
        raise importing.ImportFileError(GONE.format(hours=KEEP_HOURS))
    return upload, upload.payload


async def forget(db: AsyncSession, token: str) -> None:
    await db.execute(delete(ImportUpload).where(ImportUpload.id == token))
    await db.commit()
