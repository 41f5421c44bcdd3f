"""What citizens see of a wording before and after review; migration 0005 counts saved wordings as reviewed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from qa_app.db import create_engine
from qa_app.migrate import downgrade, upgrade
from qa_app.models import Question
from qa_app.services.wording import citizen_wording


def test_citizen_wording_before_and_after_review() -> None:
    question = Question(public_text="Nhờ Lan Anh gửi lại hồ sơ mã 2231 năm 2025 ở phường Bến Thành.")
    assert citizen_wording(question) == "Nhờ [tên] gửi lại hồ sơ mã [số] năm [số] ở phường Bến Thành."
    question.wording_reviewed_at = datetime.now(UTC)
    assert citizen_wording(question) == question.public_text


def _run(url: str, *statements: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_engine(url)
        rows: list[Any] = []
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
                if result.returns_rows:
                    rows = list(result)
        await engine.dispose()
        return rows

    return asyncio.run(run())


def test_migration_0005_counts_saved_wordings_as_reviewed(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade(url, "0002")
    _run(
        url,
        "INSERT INTO episode (id, slug, title, theme, description, status, answer_deadline_days, "
        "auto_merge_threshold, suggest_threshold, filler_phrases, studio_link_version, created_at, updated_at) "
        "VALUES (1, 'k', 'K', '', '', 'open', 10, 60, 35, '[]', 1, '2026-01-01', '2026-01-01')",
        "INSERT INTO question (id, episode_id, public_text, search_text, status, priority, submission_count, "
        "duplicate_suggestions, route_suggestions, version, created_at, updated_at) VALUES "
        "(1, 1, 'q', 'q', 'routed', 0, 1, '[]', '[]', 1, '2026-01-01', '2026-01-01'), "
        "(2, 1, 'q', 'q', 'routed', 0, 1, '[]', '[]', 1, '2026-01-01', '2026-01-01')",
        "INSERT INTO audit_event (at, actor_label, action, entity_type, entity_id, episode_id) "
        "VALUES ('2026-01-02 10:00:00', 'bientap1', 'question.edit', 'question', 1, 1)",
        "INSERT INTO audit_event (at, actor_label, action, entity_type, entity_id, episode_id) "
        "VALUES ('2026-01-02 11:00:00', 'bientap1', 'question.route', 'question', 2, 1)",
    )
    upgrade(url)
    rows = _run(url, "SELECT id, wording_reviewed_at FROM question ORDER BY id")
    assert [(row[0], row[1] is not None) for row in rows] == [(1, True), (2, False)]
    downgrade(url, "0002")
    upgrade(url)
