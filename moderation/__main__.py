"""Command line: ``python -m moderation cluster|route|mask|bench`` (see README.md)."""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import sys
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .duplicates import DuplicateIndex, StreamClusters
from .pii import mask_pii
from .routing import Router


def _read_jsonl(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _dump(obj: Any, out: TextIO) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_cluster(args: argparse.Namespace, out: TextIO) -> None:
    index = DuplicateIndex()
    if args.auto_merge is not None:
        index.auto_merge_threshold = args.auto_merge
    index.suggest_threshold = args.suggest if args.suggest is not None else index.suggest_threshold
    clusters = StreamClusters(index)
    for n, item in enumerate(_read_jsonl(args.input)):
        item_id = item.get("id", n)
        cluster, found = clusters.add(item_id, str(item.get("text", "")))
        _dump({"id": item_id, "cluster": cluster, "suggestions": [[m.key, m.score] for m in found]}, out)


def cmd_route(args: argparse.Namespace, out: TextIO) -> None:
    with open(args.departments, encoding="utf-8") as fh:
        router = Router.from_catalogue(json.load(fh))
    if args.history:
        for item in _read_jsonl(args.history):
            if item.get("department"):
                router.learn(str(item.get("text", "")), str(item["department"]))
    for n, item in enumerate(_read_jsonl(args.input)):
        text = str(item.get("text", ""))
        ranked = router.rank(text, limit=3)
        best = ranked[0].code if ranked and ranked[0].confidence >= router.floor else None
        _dump({"id": item.get("id", n), "department": best, "ranked": [[r.code, r.confidence] for r in ranked]}, out)


# ----------------------------------------------------------------------------- mask

_NUMBER_WORDS = frozenset(
    "không một mốt hai ba bốn tư năm lăm sáu bảy tám chín mười linh lẻ khong mot bon sau bay tam chin".split()
)
_EMAIL_SIGNS = ("@", "＠", "[at]", "(at)", "{at}", " at ", "(a)", "a còng", "a cong")


def pii_class(substring: str) -> str:
    """The class a labelled ``pii`` substring belongs to: ``email``, ``number`` or ``name``."""
    low = substring.lower()
    if any(sign in low for sign in _EMAIL_SIGNS):
        return "email"
    words = low.replace(",", " ").split()
    if any(c.isdigit() for c in low) or (words and all(w in _NUMBER_WORDS for w in words)):
        return "number"
    return "name"


@dataclass
class MaskScore:
    """Figures of the masker on labelled items (``pii``: must disappear, ``keep``: must survive)."""

    pii: dict[str, int] = field(default_factory=dict)  # class -> labelled substrings
    gone: dict[str, int] = field(default_factory=dict)  # class -> substrings no longer in the masked text
    covered: int = 0  # substrings whose every letter and digit lies inside a finding
    keep: int = 0
    kept: int = 0
    findings: int = 0
    stray: int = 0  # findings that touch no labelled substring (over-masking)
    misses: list[tuple[Any, str, str]] = field(default_factory=list)  # (id, class, substring)
    lost: list[tuple[Any, str]] = field(default_factory=list)  # (id, keep substring)
    strays: list[tuple[Any, str, str]] = field(default_factory=list)  # (id, kind, text)

    @property
    def recall(self) -> float:
        return sum(self.gone.values()) / max(1, sum(self.pii.values()))

    @property
    def coverage(self) -> float:
        return self.covered / max(1, sum(self.pii.values()))

    @property
    def keep_rate(self) -> float:
        return self.kept / max(1, self.keep)

    def line(self) -> str:
        parts = [f"recall {sum(self.gone.values())}/{sum(self.pii.values())} = {self.recall:.3f}"]
        parts += [f"{c} {self.gone.get(c, 0)}/{n}" for c, n in sorted(self.pii.items())]
        parts.append(f"fully covered {self.coverage:.3f}")
        parts.append(f"keep {self.kept}/{self.keep} = {self.keep_rate:.3f}")
        parts.append(f"findings {self.findings}, outside any labelled span {self.stray}")
        return "; ".join(parts)


def score_masking(items: Sequence[dict[str, Any]]) -> MaskScore:
    """Recall of ``pii`` substrings (gone from the masked text), per class; how many are fully covered by
    a finding; the share of ``keep`` substrings that survive; findings outside every labelled span."""
    score = MaskScore()
    for n, item in enumerate(items):
        text = str(item.get("text", ""))
        masked = mask_pii(text)
        inside = bytearray(len(text))
        for f in masked.found:
            inside[f.start : f.end] = b"\x01" * (f.end - f.start)
        labelled = bytearray(len(text))
        for sub in item.get("pii", []):
            cls = pii_class(sub)
            score.pii[cls] = score.pii.get(cls, 0) + 1
            if sub not in masked.text:
                score.gone[cls] = score.gone.get(cls, 0) + 1
            else:
                score.misses.append((item.get("id", n), cls, sub))
            spans = [(m.start(), m.end()) for m in re.finditer(re.escape(sub), text)]
            for a, b in spans:
                labelled[a:b] = b"\x01" * (b - a)
            score.covered += bool(spans) and all(inside[k] for a, b in spans for k in range(a, b) if text[k].isalnum())
        for sub in item.get("keep", []):
            score.keep += 1
            if sub in masked.text:
                score.kept += 1
            else:
                score.lost.append((item.get("id", n), sub))
        for f in masked.found:
            score.findings += 1
            if not any(labelled[f.start : f.end]):
                score.stray += 1
                score.strays.append((item.get("id", n), f.kind, text[f.start : f.end]))
    return score


def cmd_mask(args: argparse.Namespace, out: TextIO) -> None:
    items = list(_read_jsonl(args.input))
    for n, item in enumerate(items):
        masked = mask_pii(str(item.get("text", "")))
        _dump({"id": item.get("id", n), "masked": masked.text}, out)
        if args.show:
            text = str(item.get("text", ""))
            shown = ", ".join(f"{f.kind} {text[f.start : f.end]!r}" for f in masked.found) or "nothing"
            sys.stderr.write(f"{item.get('id', n)}: {shown}\n")
    if args.show and any("pii" in item or "keep" in item for item in items):
        score = score_masking(items)
        for item_id, cls, sub in score.misses:
            sys.stderr.write(f"missed   {item_id} {cls}: {sub!r}\n")
        for item_id, sub in score.lost:
            sys.stderr.write(f"lost     {item_id} keep: {sub!r}\n")
        for item_id, kind, sub in score.strays:
            sys.stderr.write(f"unlabelled {item_id} {kind}: {sub!r}\n")
        sys.stderr.write(score.line() + "\n")


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> None:
    """Quality figures: means and spreads over random splits / shuffled orders, then held-out files."""
    from . import evaluate as ev

    with open(args.departments, encoding="utf-8") as fh:
        catalogue = json.load(fh)
    runs = args.runs

    def line(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    routing = ev.read_jsonl(args.routing) if args.routing else []
    if routing:
        top1, top3 = ev.route_splits(catalogue, routing, runs=runs)
        line(f"routing {args.routing}: {runs} random 50/50 history/test splits: top-1 {top1}, top-3 {top3}")
        alone = ev.route_eval(catalogue, [], routing)
        line(f"routing {args.routing}: catalogue only: top-1 {alone.top1:.3f}, top-3 {alone.top3:.3f}")
        a = ev.route_addressed(catalogue, routing, runs=runs)
        line(
            f"routing {args.routing}: top-1 as written {a.as_written.mean:.3f}; with a greeting naming the right body "
            f"{a.right.mean:.3f}, the runner-up {a.runner_up.mean:.3f}, a random other body {a.random_wrong.mean:.3f}"
        )
    for path in args.held_out_routing or ():
        items = ev.read_jsonl(path)
        with_history = ev.route_eval(catalogue, routing, items)
        alone = ev.route_eval(catalogue, [], items)
        line(
            f"routing {path}: history = the dev file: top-1 {with_history.top1:.3f}, top-3 {with_history.top3:.3f}; "
            f"catalogue only: top-1 {alone.top1:.3f}, top-3 {alone.top3:.3f}"
        )
        a = ev.route_addressed(catalogue, items, history=routing)
        line(
            f"routing {path}: with a greeting naming the right body {a.right.mean:.3f}, the runner-up "
            f"{a.runner_up.mean:.3f}, a random other body {a.random_wrong.mean:.3f}; the {a.n_mentioned} questions "
            f"that name a body: {a.mentioned.mean:.3f} (mention ignored: {a.ignored.mean:.3f})"
        )
    for path, shuffled in [(args.dedup, True)] + [(p, True) for p in args.held_out_dedup or ()]:
        if not path:
            continue
        items = ev.read_jsonl(path)
        once = ev.dedup_stream(items)
        line(
            f"duplicates {path}: file order: suggestions recall@5 {once.recall_at_5:.3f}, "
            f"automatic merges precision {once.precision:.3f}, recall {once.recall:.3f}"
        )
        if shuffled:
            r5, p, r = ev.dedup_orders(items, runs=runs)
            line(f"duplicates {path}: {runs} shuffled orders: recall@5 {r5}, precision {p}, recall {r}")


# ----------------------------------------------------------------------------- bench

_TOPICS = [
    "đăng ký tạm trú",
    "cấp lại căn cước bị mất",
    "đổi giấy phép lái xe",
    "tra cứu phạt nguội",
    "sang tên xe máy",
    "làm hộ chiếu",
    "lý lịch tư pháp",
    "cấp đổi sổ hồng",
    "tách thửa đất",
    "giấy phép xây dựng nhà ở",
    "mua nhà ở xã hội",
    "trợ cấp thất nghiệp",
    "rút bảo hiểm xã hội một lần",
    "gia hạn thẻ bảo hiểm y tế",
    "tuyển sinh lớp 6",
    "tuyển sinh lớp 10",
    "học phí trường công lập",
    "đăng ký hộ kinh doanh",
    "thành lập doanh nghiệp",
    "khai sinh cho con",
    "đăng ký kết hôn",
    "lấn chiếm vỉa hè",
    "đổ rác trộm",
    "ngập nước khi mưa",
    "đèn đường hư",
    "xe buýt thưa chuyến",
    "tiếng ồn karaoke",
    "sốt xuất huyết",
    "tiêm vắc xin",
    "bệnh viện quá tải",
    "nợ lương công nhân",
    "lương tối thiểu vùng",
    "thuế bán hàng online",
    "an toàn thực phẩm quán ăn",
    "cúp điện",
    "quy hoạch treo",
    "lộ giới hẻm",
    "khiếu nại bồi thường",
    "tố cáo cán bộ",
    "ô nhiễm khói nhà máy",
]
_INTENTS = [
    "cần giấy tờ gì",
    "mất bao lâu",
    "nộp ở đâu",
    "lệ phí bao nhiêu",
    "có được không",
    "làm thế nào",
    "ai chịu trách nhiệm",
    "khi nào được giải quyết",
]
_OPENERS = ["", "Cho hỏi ", "Xin hỏi ", "Kính gửi lãnh đạo, ", "Dạ cho em hỏi ", "Tôi muốn hỏi "]
_PLACES = [
    "phường Bình Thạnh",
    "phường Tân Định",
    "xã Củ Chi",
    "phường Bảy Hiền",
    "xã Hóc Môn",
    "phường Sài Gòn",
    "phường Linh Xuân",
    "xã Cần Giờ",
    "phường Vũng Tàu",
    "phường Thủ Dầu Một",
]
_EXTRAS = [
    "",
    "gia đình tôi rất cần",
    "đã chờ {n} ngày",
    "năm {y}",
    "tuyến số {n}",
    "khoảng {n} triệu",
    "hẻm {n}",
    "con tôi {n} tuổi",
    "ở {p}",
    "từ tháng {m}",
]


def _variant(text: str, rng: random.Random) -> str:
    from .text import fold

    r = rng.random()
    if r < 0.3:
        return fold(text)
    if r < 0.5:
        return text.upper()
    if r < 0.7:
        return "Xin chào chương trình. " + text + " Xin cảm ơn!"
    words = text.split()
    if len(words) > 3:
        i = rng.randrange(len(words))
        words[i] = words[i][:-1] if len(words[i]) > 2 else words[i]
    return " ".join(words)


def synthetic_questions(n: int, seed: int = 7) -> list[str]:
    """``n`` realistic-ish Vietnamese questions: templates x topics x places x numbers, with
    about a third being noisy variants (no diacritics, upper case, greetings, typos) of earlier ones."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.3:
            out.append(_variant(rng.choice(out), rng))
            continue
        extra = rng.choice(_EXTRAS).format(
            n=rng.randint(1, 300), y=rng.randint(2015, 2027), p=rng.choice(_PLACES), m=rng.randint(1, 12)
        )
        parts = [rng.choice(_OPENERS) + rng.choice(_TOPICS)]
        if rng.random() < 0.5:
            parts.append(rng.choice(_PLACES))
        if extra:
            parts.append(extra)
        parts.append(rng.choice(_INTENTS))
        if rng.random() < 0.3:
            parts.append(rng.choice(_TOPICS))
        out.append(" ".join(parts) + rng.choice(["?", " ạ?", " vậy?", "."]))
    return out


def _pct(values: Sequence[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _rss_bytes() -> int:
    """Resident set size of this process (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cmd_bench(args: argparse.Namespace, out: TextIO) -> None:
    from rapidfuzz import fuzz, process

    size = args.size
    texts = synthetic_questions(size + args.queries, seed=args.seed)
    corpus, fresh = texts[:size], texts[size:]
    rng = random.Random(args.seed + 1)
    sources = [rng.randrange(size) for _ in range(args.queries)]
    dupes = [_variant(corpus[i], rng) for i in sources]

    def emit(name: str, value: object) -> None:
        out.write(f"{name}: {value}\n")
        out.flush()

    emit("size", size)
    gc.collect()
    rss0 = _rss_bytes()
    if args.tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    index = DuplicateIndex()
    for i, text in enumerate(corpus):
        index.add(i, text)
    build = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[0] if args.tracemalloc else None
    if args.tracemalloc:
        tracemalloc.stop()
    gc.collect()
    rss = _rss_bytes() - rss0
    emit("build_seconds", round(build, 2))
    emit("build_per_add_ms", round(build / max(size, 1) * 1000, 3))
    emit("index_memory_mb", round(rss / 1e6, 1))
    if traced is not None:
        emit("index_memory_tracemalloc_mb", round(traced / 1e6, 1))

    def timed(queries: list[str]) -> list[float]:
        res = []
        for q in queries:
            s = time.perf_counter()
            index.candidates(q, limit=5)
            res.append((time.perf_counter() - s) * 1000)
        return res

    new_ms = timed(fresh)
    dup_ms = timed(dupes)
    # the source of a duplicate query (or an identical text) among its top 5; "or_tied": or the
    # top 5 are all scored at least as high as the source (the corpus has near-identical texts)
    found = found_tied = 0
    for i, q in zip(sources, dupes, strict=True):
        top = index.candidates(q, limit=5)
        hit = any(m.key == i or corpus[m.key] == corpus[i] for m in top)  # type: ignore[call-overload]
        found += hit
        if not hit and len(top) == 5:
            src = index._score_ids(index.prepare(q), [index._iid[i]])
            hit = bool(src) and src[0][0] <= top[-1].score + 0.01
        found_tied += hit
    all_ms = new_ms + dup_ms
    for name, values in (("new", new_ms), ("dup", dup_ms), ("all", all_ms)):
        emit(f"candidates_{name}_p50_ms", round(_pct(values, 0.5), 3))
        emit(f"candidates_{name}_p99_ms", round(_pct(values, 0.99), 3))
    emit("dup_source_in_top5", round(found / max(len(dupes), 1), 3))
    emit("dup_source_in_top5_or_tied", round(found_tied / max(len(dupes), 1), 3))
    # incoming submissions: one add() each, on the full index
    add_ms = []
    for n, text in enumerate(fresh):
        s = time.perf_counter()
        index.add(("new", n), text)
        add_ms.append((time.perf_counter() - s) * 1000)
    emit("add_p50_ms", round(_pct(add_ms, 0.5), 3))
    emit("add_p99_ms", round(_pct(add_ms, 0.99), 3))
    lowered = [t.lower() for t in corpus]
    ex = []
    for q in fresh[: args.exhaustive // 2] + dupes[: args.exhaustive - args.exhaustive // 2]:
        s = time.perf_counter()
        process.extract(q.lower(), lowered, scorer=fuzz.token_set_ratio, limit=5)
        ex.append((time.perf_counter() - s) * 1000)
    emit("exhaustive_queries", len(ex))
    emit("exhaustive_p50_ms", round(_pct(ex, 0.5), 1))
    emit("speedup_p50", round(_pct(ex, 0.5) / max(_pct(all_ms, 0.5), 1e-9), 1))
    emit("speedup_p99_vs_exhaustive_p50", round(_pct(ex, 0.5) / max(_pct(all_ms, 0.99), 1e-9), 1))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m moderation``."""
    parser = argparse.ArgumentParser(prog="python -m moderation")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cluster", help="stream duplicate clustering of a JSONL file")
    p.add_argument("--input", required=True)
    p.add_argument("--auto-merge", type=float, default=None)
    p.add_argument("--suggest", type=float, default=None)
    p = sub.add_parser("route", help="route each line of a JSONL file")
    p.add_argument("--departments", required=True)
    p.add_argument("--history")
    p.add_argument("--input", required=True)
    p = sub.add_parser("mask", help='mask personal data in each line of a JSONL file ({"id", "masked"} out)')
    p.add_argument("--input", required=True)
    p.add_argument(
        "--show", action="store_true", help="report on stderr what was masked and, for labelled items, the figures"
    )
    p = sub.add_parser("evaluate", help="quality figures: means over random splits, then held-out files")
    p.add_argument("--departments", required=True)
    p.add_argument("--routing", help="labelled routing JSONL (text, department): splits, and history for held-out")
    p.add_argument("--dedup", help="labelled duplicates JSONL (id, text, cluster)")
    p.add_argument("--held-out-routing", action="append", help="routing JSONL measured once (repeatable)")
    p.add_argument("--held-out-dedup", action="append", help="duplicates JSONL (repeatable)")
    p.add_argument("--runs", type=int, default=10, help="random splits / shuffled orders")
    p = sub.add_parser("bench", help="speed and memory of the duplicate index")
    p.add_argument("--size", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=500, help="new and duplicate queries timed (each)")
    p.add_argument("--exhaustive", type=int, default=50, help="queries timed with the exhaustive rapidfuzz scan")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations during the build (slows it ~2x)"
    )
    args = parser.parse_args(argv)
    out = sys.stdout
    commands = {
        "cluster": cmd_cluster,
        "route": cmd_route,
        "mask": cmd_mask,
        "evaluate": cmd_evaluate,
        "bench": cmd_bench,
    }
    commands[args.command](args, out)
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
