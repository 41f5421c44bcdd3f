"""The known-figures episode: every number of the report, the accountability pages and the exports."""

from __future__ import annotations

from typing import Any

import pytest

from qa_app.services import reports
from qa_app.settings import Settings
from tests.after import scenario as sc


@pytest.fixture
async def known(db: Any, settings: Settings) -> sc.Scenario:
    return await sc.build(db, settings.secret_key)


def check_figures(figures: reports.Figures, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        if name == "commitments":
            for key, n in value.items():
                assert figures.commitments[key] == n, (key, dict(figures.commitments))
        elif name == "verdicts":
            assert dict(figures.verdicts) == value
        elif name in ("on_time_rate", "satisfied_rate"):
            assert reports.percent(getattr(figures, name)) == value, name
        elif name == "rating_average":
            assert reports.decimal(figures.rating_average) == value
        elif name != "median_hours":
            assert getattr(figures, name) == value, (name, getattr(figures, name))


async def test_known_figures_of_the_episode_and_its_departments(known: sc.Scenario, db: Any) -> None:
    report = await reports.report(db, known.episode)
    check_figures(report.figures, sc.EXPECTED)
    assert reports.decimal(report.median_hours_to_approval, 1) == sc.EXPECTED["median_hours"]
    assert report.approvals_measured == 4
    by_code = {d.department.code: d.figures for d in report.departments}
    assert set(by_code) == set(sc.EXPECTED_DEPARTMENTS)
    for code, expected in sc.EXPECTED_DEPARTMENTS.items():
        check_figures(by_code[code], expected)
    assert {b.key: (b.submissions, b.questions) for b in report.by_channel} == sc.EXPECTED_CHANNELS
    assert {b.key: (b.submissions, b.questions) for b in report.by_ward} == sc.EXPECTED_WARDS
    assert report.arrivals == sc.EXPECTED_ARRIVALS
    assert (report.arrivals_before, report.arrivals_after) == (sc.EXPECTED_ARRIVALS_BEFORE, sc.EXPECTED_ARRIVALS_AFTER)
    statuses = {b.key: (b.submissions, b.questions) for b in report.by_status}
    assert statuses == {
        "new": (1, 1),
        "routed": (1, 1),
        "answer_review": (1, 1),
        "answered_on_air": (4, 2),
        "answered_in_writing": (3, 2),
        "rejected": (1, 1),
    }
    assert [d.department.code for d in report.overdue_by_department] == ["so-xay-dung", "so-y-te"]
