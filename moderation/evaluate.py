"""Quality figures of routing and duplicate detection, measured honestly: the mean and spread over
random splits (routing: history / test halves) or shuffled orders (duplicates: the stream
evaluation), plus single runs on held-out files.  Used by the tests and by
``python -m moderation evaluate``."""

from __future__ import annotations

import itertools
import json
import random
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .duplicates import DuplicateIndex, StreamClusters
from .routing import Router

__all__ = [
    "DedupFigures",
    "RouteFigures",
    "Spread",
    "dedup_orders",
    "dedup_stream",
    "read_jsonl",
    "route_eval",
    "route_splits",
]


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file (blank lines skipped)."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True, slots=True)
class Spread:
    """Mean, standard deviation, minimum and maximum of one figure over several runs."""

    mean: float
    sd: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(
            statistics.fmean(values), statistics.pstdev(values) if len(values) > 1 else 0.0, min(values), max(values)
        )

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.sd:.3f} [{self.low:.3f}-{self.high:.3f}]"


# ----------------------------------------------------------------------------- routing


@dataclass(frozen=True, slots=True)
class RouteFigures:
    top1: float
    top3: float
    misses: list[tuple[str, str, str]]  # (expected, got, text)


def route_eval(
    catalogue: Sequence[Mapping[str, Any]],
    history: Iterable[Mapping[str, Any]],
    test: Sequence[Mapping[str, Any]],
    transform: Callable[[Mapping[str, Any]], str] | None = None,
) -> RouteFigures:
    """Top-1 / top-3 of a router built from ``catalogue`` and taught ``history``, on ``test``
    (``transform`` rewrites each test item's text, e.g. to add a greeting naming a body)."""
    router = Router.from_catalogue(catalogue)
    for x in history:
        router.learn(str(x["text"]), str(x["department"]))
    top1 = top3 = 0
    misses = []
    for x in test:
        text = transform(x) if transform else str(x["text"])
        ranked = router.rank(text, limit=3)
        codes = [r.code for r in ranked]
        top1 += bool(codes) and codes[0] == x["department"]
        top3 += x["department"] in codes
        if not codes or codes[0] != x["department"]:
            misses.append((str(x["department"]), codes[0] if codes else "", text))
    n = len(test) or 1
    return RouteFigures(top1 / n, top3 / n, misses)


def route_splits(
    catalogue: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]], runs: int = 10, seed: int = 1
) -> tuple[Spread, Spread]:
    """(top-1, top-3) over ``runs`` random 50/50 history/test splits of ``items``."""
    rng = random.Random(seed)
    top1, top3 = [], []
    for _ in range(runs):
        order = list(items)
        rng.shuffle(order)
        half = len(order) // 2
        figures = route_eval(catalogue, order[:half], order[half:])
        top1.append(figures.top1)
        top3.append(figures.top3)
    return Spread.of(top1), Spread.of(top3)


# ----------------------------------------------------------------------------- duplicates


@dataclass(frozen=True, slots=True)
class DedupFigures:
    recall_at_5: float
    precision: float
    recall: float
    wrong_pairs: list[tuple[str, str]]  # (id, id) merged but not in the same gold cluster


def dedup_stream(items: Sequence[Mapping[str, Any]], index: DuplicateIndex | None = None) -> DedupFigures:
    """The stream evaluation: each item in turn is looked up among the earlier ones (suggestions
    recall@5: an earlier item of its gold cluster among the top 5), merged or not as
    :class:`StreamClusters` does it, and added; then pairwise precision and recall of the
    automatic merges against the gold clusters."""
    clusters = StreamClusters(index)
    gold = {x["id"]: x["cluster"] for x in items}
    cluster: dict[Any, Any] = {}
    hit = total = 0
    for x in items:
        cluster[x["id"]], found = clusters.add(x["id"], str(x["text"]))
        if any(gold[k] == x["cluster"] for k in cluster if k != x["id"]):
            total += 1
            hit += any(gold[m.key] == x["cluster"] for m in found)
    tp = fp = fn = 0
    wrong = []
    for a, b in itertools.combinations(items, 2):
        same_gold, same_pred = a["cluster"] == b["cluster"], cluster[a["id"]] == cluster[b["id"]]
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if same_pred and not same_gold:
            wrong.append((a["id"], b["id"]))
    return DedupFigures(
        hit / total if total else 1.0, tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, wrong
    )


def dedup_orders(items: Sequence[Mapping[str, Any]], runs: int = 10, seed: int = 1) -> tuple[Spread, Spread, Spread]:
    """(recall@5, pairwise precision, pairwise recall) over ``runs`` shuffled orders of ``items``."""
    rng = random.Random(seed)
    r5, p, r = [], [], []
    for _ in range(runs):
        order = list(items)
        rng.shuffle(order)
        figures = dedup_stream(order)
        r5.append(figures.recall_at_5)
        p.append(figures.precision)
        r.append(figures.recall)
    return Spread.of(r5), Spread.of(p), Spread.of(r)
