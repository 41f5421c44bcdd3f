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
from .mentions import ADDRESSED, institution_name
from .routing import Router

__all__ = [
    "AddressFigures",
    "DedupFigures",
    "RouteFigures",
    "Spread",
    "dedup_orders",
    "dedup_stream",
    "read_jsonl",
    "route_addressed",
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


@dataclass(frozen=True, slots=True)
class AddressFigures:
    """Top-1 on the same questions as written, and with a greeting that names a body put in
    front: the right one, the router's runner-up (a plausible wrong body), a random wrong one;
    ``mentioned`` / ``ignored``: the questions that name a body themselves, with the mention
    counted or ignored."""

    as_written: Spread
    right: Spread
    runner_up: Spread
    random_wrong: Spread
    mentioned: Spread
    ignored: Spread
    n_mentioned: int


def address_name(department: Mapping[str, Any]) -> str:
    """How a citizen addresses a body: its first keyword that names an institution, else its name."""
    return next((str(k) for k in department.get("keywords", ()) or () if institution_name(str(k))), department["name"])


def route_addressed(
    catalogue: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    runs: int = 10,
    seed: int = 1,
    history: Sequence[Mapping[str, Any]] | None = None,
) -> AddressFigures:
    """Explicit mentions measured both ways: over ``runs`` random 50/50 history/test splits of
    ``items`` (or, with ``history``, once on all ``items``), top-1 as written and with "Kính gửi
    lãnh đạo <body>." in front naming the right body, the runner-up, or a random other body."""
    rng = random.Random(seed)
    names = {str(d["code"]): address_name(d) for d in catalogue}
    figures: dict[str, list[float]] = {k: [] for k in ("as", "right", "runner", "random", "mentioned", "ignored")}
    n_mentioned = 0
    for _ in range(1 if history is not None else runs):
        if history is not None:
            train, test = list(history), list(items)
        else:
            order = list(items)
            rng.shuffle(order)
            half = len(order) // 2
            train, test = order[:half], order[half:]
        router = Router.from_catalogue(catalogue)
        for x in train:
            router.learn(str(x["text"]), str(x["department"]))
        hits = dict.fromkeys(figures, 0)
        n_mentioned = 0

        def top(t: str, *, mentions: bool = True, router: Router = router) -> str:
            return router.rank(t, limit=1, mentions=mentions)[0].code

        for x in test:
            text, gold = str(x["text"]), x["department"]
            ranked = router.rank(text, limit=2, mentions=False)
            wrong = ranked[1].code if ranked[0].code == gold else ranked[0].code
            other = rng.choice([c for c in names if c != gold])
            hits["as"] += top(text) == gold
            hits["right"] += top(f"Kính gửi lãnh đạo {names[gold]}. {text}") == gold
            hits["runner"] += top(f"Kính gửi lãnh đạo {names[wrong]}. {text}") == gold
            hits["random"] += top(f"Kính gửi lãnh đạo {names[other]}. {text}") == gold
            if any(m.kind == ADDRESSED or gold in m.codes for m in router.mentions.find(text)):
                n_mentioned += 1
                hits["mentioned"] += top(text) == gold
                hits["ignored"] += top(text, mentions=False) == gold
        for k in figures:
            base = n_mentioned if k in ("mentioned", "ignored") else len(test)
            if base:
                figures[k].append(hits[k] / base)
    spread = {
        k: Spread.of(v) if v else Spread(float("nan"), 0.0, float("nan"), float("nan")) for k, v in figures.items()
    }
    return AddressFigures(
        spread["as"],
        spread["right"],
        spread["runner"],
        spread["random"],
        spread["mentioned"],
        spread["ignored"],
        n_mentioned,
    )


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
