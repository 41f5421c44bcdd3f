"""Bulk import, database half: each valid row goes through the same intake as every other channel.

A row's fingerprint (text + contact + name) is stored with its submission, so importing the same file
again adds nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import Publisher
from qa_app.models import Channel, Episode, User
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import DomainError
from qa_app.services.importing import ImportFileError, ImportRow, RowError
from qa_app.services.wards import search_wards

TOKEN_LENGTH = 16


@dataclass
class ImportReport:
    created: int = 0
    joined: int = 0
    already: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.joined


def _ward_code(text: str | None) -> str:
    """The ward code when the file's ward text names exactly one current unit; else keep it as text."""
    if not text:
        return ""
    result = search_wards(text)
    if result.kind == "name" and result.matches and not result.ambiguous:
        return result.matches[0].ward.code
    return ""


IMPORT_BATCH = 200  # rows written per transaction


async def import_rows(
    db: AsyncSession,
    engines: ModerationEngines,
    publisher: Publisher,
    episode: Episode,
    rows: list[ImportRow],
    *,
    actor: User | None,
    default_channel: str = Channel.IMPORT.value,
) -> ImportReport:
    """Submit every valid row through the intake's batch writer (a refused row loses nothing else).

    Rows are checked one by one first (each error is reported with its line), then written
    ``IMPORT_BATCH`` at a time: a 5,000-row file is 25 transactions, not 5,000."""
    report = ImportReport()
    pending: list[tuple[ImportRow, intake.PendingSubmission]] = []
    for row in rows:
        ward_code = _ward_code(row.ward)
        form = intake.SubmissionForm(
            text=row.text,
            name=row.name or "",
            ward_code=ward_code,
            ward_text="" if ward_code else (row.ward or ""),
            contact=row.contact or "",
            # Imported contacts come with the collector's consent record (see the operator's checkbox).
            consent_contact=bool(row.contact),
            channel=row.channel or default_channel,
            fingerprint=row.fingerprint,
            received_at=row.received_at,
        )
        try:
            pending.append((row, intake.pending(episode, form, actor=actor, trusted=actor is None)))
        except DomainError as exc:
            report.errors.append(_row_error(row, exc))
    for start in range(0, len(pending), IMPORT_BATCH):
        chunk = pending[start : start + IMPORT_BATCH]
        await intake.write_batch(db, engines, publisher, [item for _, item in chunk])
        for row, item in chunk:
            try:
                result = intake.outcome(item)
            except DomainError as exc:
                report.errors.append(_row_error(row, exc))
                continue
            if result.existing:
                report.already += 1
            elif result.joined:
                report.joined += 1
            else:
                report.created += 1
    report.errors.sort(key=lambda e: e.line)
    return report


def _row_error(row: ImportRow, exc: DomainError) -> RowError:
    message = "; ".join(getattr(exc, "errors", {}).values()) or exc.message
    return RowError(line=row.line, message=message, values=[row.text[:80]])


class UploadStore:
    """Uploaded files between the preview and the import, under ``var/imports``, owned by their uploader."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, user_id: int, episode_id: int, filename: str, data: bytes) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        token = secrets.token_urlsafe(TOKEN_LENGTH)
        (self.directory / f"{token}.bin").write_bytes(data)
        meta = {"user_id": user_id, "episode_id": episode_id, "filename": filename}
        (self.directory / f"{token}.json").write_text(json.dumps(meta))
        return token

    def load(self, token: str, user_id: int) -> tuple[dict[str, Any], bytes]:
        if not token.replace("-", "").replace("_", "").isalnum():
            raise ImportFileError("Tệp tải lên không còn nữa. Vui lòng tải lại.")
        meta_path = self.directory / f"{token}.json"
        data_path = self.directory / f"{token}.bin"
        if not meta_path.exists() or not data_path.exists():
            raise ImportFileError("Tệp tải lên không còn nữa. Vui lòng tải lại.")
        meta = json.loads(meta_path.read_text())
        if meta.get("user_id") != user_id:
            raise ImportFileError("Tệp tải lên không còn nữa. Vui lòng tải lại.")
        return meta, data_path.read_bytes()

    def delete(self, token: str) -> None:
        for suffix in (".json", ".bin"):
            (self.directory / f"{token}{suffix}").unlink(missing_ok=True)
