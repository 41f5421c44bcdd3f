"""Server-side sessions only for logged-in staff, and expired ones purged (the file store of development)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.stores.base import StorageObject
from litestar.stores.file import _safe_file_name
from litestar.testing import AsyncTestClient

from qa_app.app import create_app
from qa_app.models import Role
from tests.conftest import login, post_form
from tests.factories import import_departments, make_episode, make_user

QUESTION = "Xin hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ sau khi bỏ cấp quận thì nộp hồ sơ ở đâu?"


@pytest.fixture
def app(settings_factory: Any) -> Litestar:
    """As in development: sessions in files under var/sessions."""
    return create_app(settings_factory(environment="development", redis_url=None))


@pytest.fixture
def session_dir(settings: Any) -> Path:
    Path(settings.var_dir).mkdir(parents=True, exist_ok=True)  # as in development: var/ holds the secret
    return Path(settings.var_dir) / "sessions"


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


def stored(session_dir: Path) -> list[Path]:
    return sorted(session_dir.iterdir()) if session_dir.exists() else []


def plant_expired(session_dir: Path, session_id: str) -> Path:
    path = session_dir / _safe_file_name(session_id)
    path.write_bytes(StorageObject(expires_at=datetime.now(UTC) - timedelta(days=1), data=b"{}").to_bytes())
    return path


def session_cookies(response: Any) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith("qa_session=")]


async def test_anonymous_visitors_get_no_server_side_session(
    client: AsyncTestClient[Litestar], db: Any, session_dir: Path
) -> None:
    await import_departments(db)
    await make_episode(db, slug="ky-phien")
    for path in ["/", "/ky/ky-phien", "/tra-cuu", "/login", "/khong-co-trang-nay", "/truc-tiep/ky-phien"]:
        response = await client.get(path)
        assert response.status_code in (200, 404), path
        assert not session_cookies(response), path
    sent = await post_form(
        client, "/ky/ky-phien/gui-cau-hoi", {"text": QUESTION, "idempotency_key": "s-1"}, follow_redirects=False
    )
    assert sent.status_code == 303 and not session_cookies(sent)
    failed = await login(client, "khong-ai", "sai-mat-khau-roi")
    assert failed.status_code == 422 and not session_cookies(failed)
    assert stored(session_dir) == []


async def test_staff_sessions_are_stored_and_removed_at_logout(
    client: AsyncTestClient[Litestar], db: Any, session_dir: Path
) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    assert (await login(client, "bientap")).status_code == 303
    assert len(stored(session_dir)) == 1
    assert (await client.get("/workspace")).status_code == 200
    await post_form(client, "/logout")
    assert stored(session_dir) == []


async def test_an_unknown_session_cookie_is_cleared_not_stored(
    client: AsyncTestClient[Litestar], session_dir: Path
) -> None:
    client.cookies.set("qa_session", "f" * 64, domain="testserver.local")
    response = await client.get("/")
    cleared = session_cookies(response)
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires=" in cleared[0].lower())
    assert stored(session_dir) == []


async def test_expired_sessions_are_purged(
    app: Litestar, client: AsyncTestClient[Litestar], db: Any, session_dir: Path
) -> None:
    await make_user(db, "bientap", Role.MODERATOR)
    await login(client, "bientap")
    expired = plant_expired(session_dir, "a-session-of-last-week")
    assert len(stored(session_dir)) == 2
    await app.state.session_purge.purge()
    assert stored(session_dir) != [] and expired not in stored(session_dir)
    assert len(stored(session_dir)) == 1
    assert (await client.get("/workspace")).status_code == 200  # the live one is kept


async def test_purging_before_any_session_was_stored_is_harmless(app: Litestar, session_dir: Path) -> None:
    assert stored(session_dir) == []
    await app.state.session_purge.purge()
