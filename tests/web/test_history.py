"""The question history and the audit log in plain Vietnamese; the raw record only for admins."""

from __future__ import annotations

import html
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import login, post_form
from tests.web.test_admin import admin_client  # noqa: F401 - the fixtures are shared
from tests.web.test_moderation import board, version_of  # noqa: F401

HTMX = {"HX-Request": "true"}


async def test_history_reads_as_sentences_and_the_raw_record_is_for_admins(
    client: AsyncTestClient[Litestar],
    board: dict[str, Any],  # noqa: F811
    db: Any,
) -> None:
    first, second, _third = board["ids"]
    await post_form(
        client,
        f"/moderation/questions/{second}/merge",
        {"target_id": first, "version": await version_of(db, second)},
        headers=HTMX,
    )
    await post_form(
        client,
        f"/moderation/questions/{first}/route",
        {"department": "so-xay-dung", "note": "gấp", "version": await version_of(db, first)},
        headers=HTMX,
    )
    await post_form(
        client,
        f"/moderation/questions/{first}/wording",
        {"text": "Trần Văn Ba hỏi: giấy phép xây dựng nộp ở đâu?", "version": await version_of(db, first)},
        headers=HTMX,
    )
    page = html.unescape((await client.get(f"/moderation/questions/{first}")).text)
    history = page.split('id="history-heading"', 1)[1]
    assert "moderator chuyển cho Sở Xây dựng Thành phố Hồ Chí Minh (2 câu gộp) — gấp" in history
    assert "moderator sửa nội dung câu hỏi (trước đó: “Xin hỏi thủ tục cấp giấy phép" in history
    assert "question.route" not in history and '"count"' not in history and "Bản ghi gốc" not in history
    merged = html.unescape((await client.get(f"/moderation/questions/{second}")).text)
    assert f"moderator gộp vào câu hỏi #{first} (câu đó nay có 2 ý kiến)" in merged

    await login(client, "admin")
    page = html.unescape((await client.get(f"/moderation/questions/{first}")).text)
    raw = page.split('id="history-heading"', 1)[1].split("Bản ghi gốc", 1)[1]
    assert '"action": "question.route"' in raw
    audit = html.unescape((await client.get("/admin/audit?action=question.")).text)
    assert "moderator chuyển cho Sở Xây dựng Thành phố Hồ Chí Minh (2 câu gộp)" in audit
    # The raw record keeps Vietnamese readable (no \\u escapes).
    assert '"text": "Trần Văn Ba hỏi: giấy phép xây dựng nộp ở đâu?"' in audit and "\\u" not in audit


async def test_the_systems_own_events_and_items_read_in_vietnamese(
    admin_client: AsyncTestClient[Litestar],  # noqa: F811
) -> None:
    page = html.unescape((await admin_client.get("/admin/audit?entity=user")).text)
    assert "Hệ thống tạo tài khoản" in page  # the test accounts were made without an actor
    assert "Người dùng #1" in page and "system tạo" not in page
