"""Keeping a live list exact: turn "the rows this client shows" and "the rows its filters select now" into
out-of-band swaps (remove, insert at the right place, replace) that htmx applies in order.

Every socket of a list page remembers the ids it last sent; the publisher renders each changed row once
and each socket only decides where the rows go under its own filters, so no swap ever names a row the
page does not have (``htmx:oobErrorNoTarget``).
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ListUpdate:
    """What the publisher sends once per audience: a part every page shows as is (counters) and the
    fresh HTML of the rows that changed (without any swap attribute), by id; "" when the row is gone."""

    head: str = ""
    items: dict[int, str] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps({"head": self.head, "items": {str(k): v for k, v in self.items.items()}})

    @classmethod
    def decode(cls, data: bytes | str) -> ListUpdate | None:
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(raw, dict) or "items" not in raw:
            return None
        return cls(str(raw.get("head") or ""), {int(k): str(v) for k, v in dict(raw["items"]).items()})


def _stable(before: list[int], after: list[int]) -> set[int]:
    """The largest set of ids shown in both lists whose relative order did not change (they stay put)."""
    position = {item: index for index, item in enumerate(before)}
    sequence = [item for item in after if item in position]
    # Longest increasing subsequence of their old positions, with back-links (patience sorting).
    tails: list[int] = []
    tail_items: list[int] = []
    previous: dict[int, int | None] = {}
    for item in sequence:
        index = bisect_left(tails, position[item])
        previous[item] = tail_items[index - 1] if index else None
        if index == len(tails):
            tails.append(position[item])
            tail_items.append(item)
        else:
            tails[index] = position[item]
            tail_items[index] = item
    stable: set[int] = set()
    current: int | None = tail_items[-1] if tail_items else None
    while current is not None:
        stable.add(current)
        current = previous[current]
    return stable


@dataclass(frozen=True)
class ListChanges:
    removed: list[int]  # delete from the page (gone, or moving: re-inserted below)
    inserted: list[tuple[int, int | None]]  # (id, the id it goes after; None: first of the list), in order
    replaced: list[int]  # stay where they are, with fresh HTML


def list_changes(before: list[int], after: list[int], changed: set[int]) -> ListChanges:
    stable = _stable(before, after)
    removed = [item for item in before if item not in stable]
    inserted = []
    for index, item in enumerate(after):
        if item not in stable:
            inserted.append((item, after[index - 1] if index else None))
    replaced = [item for item in after if item in stable and item in changed]
    return ListChanges(removed, inserted, replaced)


def add_swap(html: str, tag: str, swap: str = "true") -> str:
    """Put ``hx-swap-oob`` on the first ``<tag`` of a rendered row."""
    return html.replace(f"<{tag} ", f'<{tag} hx-swap-oob="{swap}" ', 1)


def swaps(
    changes: ListChanges,
    html_of: Callable[[int], str],
    *,
    tag: str,
    dom_id: Callable[[int], str],
    list_id: str,
    wrapper: str = "div",
) -> list[str]:
    """The out-of-band elements that turn the page's list into the new one; one string per element, in
    the order they must be applied (removals first; each insertion follows an element already placed)."""
    parts = [f'<{tag} id="{dom_id(item)}" hx-swap-oob="delete"></{tag}>' for item in changes.removed]
    for item, after in changes.inserted:
        where = f"afterend:#{dom_id(after)}" if after is not None else f"afterbegin:#{list_id}"
        parts.append(f'<{wrapper} hx-swap-oob="{where}">{html_of(item)}</{wrapper}>')
    parts.extend(add_swap(html_of(item), tag) for item in changes.replaced)
    return parts
