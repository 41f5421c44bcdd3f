"""Placing a live list's rows: from what a page shows to what its filters select now, with the fewest
removals, every insertion anchored on a row already placed, and fresh rows replaced where they stay."""

from __future__ import annotations

import pytest

from qa_app.web.live_lists import ListChanges, ListUpdate, list_changes, swaps


@pytest.mark.parametrize(
    ("before", "after", "changed", "removed", "inserted", "replaced"),
    [
        ([1, 2, 3], [1, 2, 3], set(), [], [], []),
        ([1, 2, 3], [1, 2, 3], {2}, [], [], [2]),
        ([1, 2, 3], [1, 3], {2}, [2], [], []),  # filtered out
        ([1, 2, 3], [4, 1, 2, 3], {4}, [], [(4, None)], []),  # a new one on top
        ([1, 2, 3], [1, 2, 4, 3], {4}, [], [(4, 2)], []),  # in the middle
        ([1, 2, 3], [3, 1, 2], {3}, [3], [(3, None)], []),  # moved up: one removal, one insertion
        ([1, 2, 3, 4], [2, 3, 4, 5], {1}, [1], [(5, 4)], []),  # left the page, the next one slides in
        ([], [7, 8], set(), [], [(7, None), (8, 7)], []),
        ([5, 6], [], {5, 6}, [5, 6], [], []),
    ],
)
def test_list_changes(
    before: list[int],
    after: list[int],
    changed: set[int],
    removed: list[int],
    inserted: list[tuple[int, int | None]],
    replaced: list[int],
) -> None:
    assert list_changes(before, after, changed) == ListChanges(removed, inserted, replaced)


def test_applying_the_changes_gives_the_new_list() -> None:
    """Replay the swaps the way htmx applies them, in order, on a list of ids."""
    before, after = [1, 2, 3, 4, 5, 6], [6, 2, 7, 3, 5, 1]
    changes = list_changes(before, after, {6, 1})
    page = list(before)
    for item in changes.removed:
        page.remove(item)
    for item, anchor in changes.inserted:
        page.insert(0 if anchor is None else page.index(anchor) + 1, item)
    assert page == after
    assert len(changes.removed) <= 3  # 2, 3, 5 stay in place


def test_swaps_are_out_of_band_elements_in_order() -> None:
    changes = list_changes([1, 2], [3, 2], {2, 3})
    parts = swaps(
        changes,
        lambda i: f'<tr id="r{i}"><td>{i}</td></tr>',
        tag="tr",
        dom_id=lambda i: f"r{i}",
        list_id="rows",
        wrapper="tbody",
    )
    assert parts == [
        '<tr id="r1" hx-swap-oob="delete"></tr>',
        '<tbody hx-swap-oob="afterbegin:#rows"><tr id="r3"><td>3</td></tr></tbody>',
        '<tr hx-swap-oob="true" id="r2"><td>2</td></tr>',
    ]


def test_a_list_update_survives_the_channel() -> None:
    update = ListUpdate("<nav id=c></nav>", {12: "<article id=q12></article>", 13: ""})
    assert ListUpdate.decode(update.encode()) == update
    assert ListUpdate.decode(b"resync") is None
