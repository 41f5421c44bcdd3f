"""Bulk import, database half: each valid row goes through the same intake as every other channel.

A row's fingerprint (text + contact + name) is stored with its submission, so importing the same file
again adds nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.events import Publisher
from qa_app.models import Channel, Episode, EpisodeStatus, User
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from qa_app.services.errors import DomainError
from qa_app.services.importing import ImportRow, RowError
from qa_app.services.wards import search_wards


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
CHECKS_PER_YIELD = 25  # rows checked between two turns of the event loop (~4 ms)


@dataclass(frozen=True)
class _EpisodeRef:
    """What a row's check reads of the episode, read once: a failed batch's rollback expires the ORM object."""

    id: int
    status: EpisodeStatus


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

    ``IMPORT_BATCH`` rows at a time are checked one by one (each error is reported with its line),
    then written in one transaction: a 5,000-row file is 25 transactions, not 5,000. Checking
    20,000 rows takes seconds of CPU, so the event loop gets a turn every ``CHECKS_PER_YIELD`` rows."""
    report = ImportReport()
    reference = _EpisodeRef(episode.id, episode.status)
    for start in range(0, len(rows), IMPORT_BATCH):
        chunk: list[tuple[ImportRow, intake.PendingSubmission]] = []
        for n, row in enumerate(rows[start : start + IMPORT_BATCH], start=1):
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
                chunk.append((row, intake.pending(reference, form, actor=actor, trusted=actor is None)))
            except DomainError as exc:
                report.errors.append(_row_error(row, exc))
            if n % CHECKS_PER_YIELD == 0:
                await asyncio.sleep(0)
        if not chunk:
            continue
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
