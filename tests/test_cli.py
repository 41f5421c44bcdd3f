"""The qa-app command line, run as a real subprocess against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(QA_VAR_DIR=str(tmp_path / "var"), QA_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    return env


def qa(
    env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "qa_app.cli", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_users_tokens_and_departments(cli_env: dict[str, str]) -> None:
    qa(cli_env, "db", "upgrade")
    assert "20 added" in qa(cli_env, "departments", "import").stdout
    out = qa(
        cli_env,
        "users",
        "create",
        "--username",
        "canbo1",
        "--role",
        "officer",
        "--department",
        "so-y-te",
        "--password-stdin",
        stdin="mat-khau-rat-dai-2026\n",
    )
    assert "Created canbo1" in out.stdout and "mat-khau" not in out.stdout
    refused = qa(
        cli_env,
        "users",
        "create",
        "--username",
        "canbo2",
        "--role",
        "officer",
        "--password-stdin",
        stdin="mat-khau-rat-dai-2026\n",
        check=False,
    )
    assert refused.returncode != 0 and "phải thuộc một đơn vị" in refused.stderr
    short = qa(
        cli_env,
        "users",
        "create",
        "--username",
        "x2",
        "--role",
        "admin",
        "--password-stdin",
        stdin="short\n",
        check=False,
    )
    assert short.returncode != 0
    token = qa(cli_env, "tokens", "create", "--username", "canbo1", "--name", "hotline").stdout.strip()
    assert token.startswith("qa_") and len(token) > 30
    assert "Deactivated canbo1" in qa(cli_env, "users", "deactivate", "canbo1").stdout


def test_token_is_stored_hashed(cli_env: dict[str, str], tmp_path: Path) -> None:
    import sqlite3

    qa(cli_env, "db", "upgrade")
    qa(
        cli_env,
        "users",
        "create",
        "--username",
        "daodien",
        "--role",
        "producer",
        "--password-stdin",
        stdin="mat-khau-rat-dai-2026\n",
    )
    token = qa(cli_env, "tokens", "create", "--username", "daodien").stdout.strip()
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        stored = connection.execute("SELECT token_hash FROM api_token").fetchone()[0]
    assert token not in stored and len(stored) == 64


def test_demo_seed_is_idempotent(cli_env: dict[str, str], tmp_path: Path) -> None:
    import sqlite3

    qa(cli_env, "db", "upgrade")
    first = qa(cli_env, "demo", "seed").stdout
    assert "Demo episode created" in first and "quantri" in first and "canbo.xaydung" in first
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        counts = [
            connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("question", "submission", "user_account", "episode")
        ]
        statuses = dict(connection.execute("SELECT status, count(*) FROM question GROUP BY status").fetchall())
        channels = {row[0] for row in connection.execute("SELECT DISTINCT channel FROM submission")}
        departments = connection.execute("SELECT count(DISTINCT department_id) FROM question").fetchone()[0]
    assert counts[0] >= 120 and counts[1] >= 150 and counts[2] == 8 and counts[3] == 1
    assert {
        "new",
        "routed",
        "answer_review",
        "ready",
        "queued",
        "answered_on_air",
        "answered_in_writing",
        "rejected",
    } <= statuses.keys()
    assert len(channels) >= 5 and departments >= 15
    second = qa(cli_env, "demo", "seed").stdout
    assert "nothing changed" in second and "quantri" not in second
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        again = [
            connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("question", "submission", "user_account", "episode")
        ]
    assert again == counts


def test_demo_public_wording_is_masked(cli_env: dict[str, str], tmp_path: Path) -> None:
    import re
    import sqlite3

    qa(cli_env, "db", "upgrade")
    qa(cli_env, "demo", "seed")
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        texts = [row[0] for row in connection.execute("SELECT public_text FROM question")]
        raw = [row[0] for row in connection.execute("SELECT raw_text FROM submission")]
    phone = re.compile(r"(?:\+?84|0)[35789](?:[\s.-]?\d){8}")
    assert any(phone.search(t) for t in raw), "the demo should contain phone numbers to mask"
    assert not any(phone.search(t) for t in texts)


def test_production_refuses_to_start_without_secret(cli_env: dict[str, str]) -> None:
    env: dict[str, Any] = dict(cli_env, QA_ENV="production")
    result = qa(env, "db", "upgrade", check=False)
    assert result.returncode != 0 and "QA_SECRET_KEY" in result.stderr


def test_contacts_purge(cli_env: dict[str, str], tmp_path: Path) -> None:
    import sqlite3

    qa(cli_env, "db", "upgrade")
    qa(cli_env, "demo", "seed")
    assert (
        "Submissions past 90 days: 0; nothing changed (dry run)" in qa(cli_env, "contacts", "purge", "--dry-run").stdout
    )
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        question_id, with_contact = connection.execute(
            "SELECT question_id, count(*) FROM submission WHERE contact IS NOT NULL "
            "GROUP BY question_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        connection.execute(
            "UPDATE question SET status = 'answered_in_writing', published_at = datetime('now', '-100 days') "
            "WHERE id = ?",
            (question_id,),
        )
        total = connection.execute("SELECT count(*) FROM submission WHERE question_id = ?", (question_id,)).fetchone()
    out = qa(cli_env, "contacts", "purge").stdout
    assert f"Submissions past 90 days: {total[0]}; cleaned: {total[0]}." in out
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        left = connection.execute(
            "SELECT count(*) FROM submission WHERE question_id = ? AND (contact IS NOT NULL OR name IS NOT NULL)",
            (question_id,),
        ).fetchone()[0]
    assert with_contact >= 1 and left == 0


def test_report_export_writes_every_format(cli_env: dict[str, str], tmp_path: Path) -> None:
    """``qa-app report export`` on the known-figures episode: the files read back in Vietnamese."""
    import asyncio
    import csv
    import io

    from docx import Document
    from openpyxl import load_workbook

    from qa_app.db import create_engine, create_sessionmaker
    from tests.after import scenario

    qa(cli_env, "db", "upgrade")

    async def build() -> None:
        engine = create_engine(cli_env["QA_DATABASE_URL"])
        async with create_sessionmaker(engine)() as db:
            await scenario.build(db, "cli-secret-" + "x" * 32)
        await engine.dispose()

    asyncio.run(build())
    for fmt in ("csv", "xlsx", "docx"):
        output = str(tmp_path / f"r.{fmt}")
        out = qa(cli_env, "report", "export", "--episode", scenario.SLUG, "--format", fmt, "--output", output)
        assert "Report written" in out.stdout
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][1] == "Câu hỏi" and len(rows) == 9
    book = load_workbook(tmp_path / "r.xlsx")
    assert book["Tổng hợp"]["B2"].value == 11
    assert "Sở Xây dựng Thành phố Hồ Chí Minh" in {c.value for c in book["Theo đơn vị"]["A"]}
    document = Document(str(tmp_path / "r.docx"))
    assert document.paragraphs[0].text.startswith("Báo cáo kỳ phát sóng")
    with_contacts = qa(
        cli_env,
        "report",
        "export",
        "--episode",
        scenario.SLUG,
        "--format",
        "csv",
        "--with-contacts",
        "--output",
        str(tmp_path / "askers.csv"),
    )
    assert with_contacts.returncode == 0 and "lan.nguyen@example.vn" in (tmp_path / "askers.csv").read_text("utf-8-sig")
    missing = ("report", "export", "--episode", "khong-co", "--format", "csv", "--output", str(tmp_path / "x"))
    refused = qa(cli_env, *missing, check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "Now overdue: 0" in qa(cli_env, "commitments", "sweep").stdout
