"""Mutation testing of the core, exhaustive or on a random sample, with the score per file.

Two scopes, each with the tests that should catch its mutants:

* ``moderation``: the domain library against its own tests (``tests/moderation``), in
  ``var/mutation/moderation`` (a copy of the library, its tests and their data, with its own
  mutmut settings); the web tests also call the library, but the library is meant to be held by
  its own tests, and a surviving mutant there is a hole in them.
* ``services``: intake, its group-commit writer, the moderation actions and the rundown, against the
  in-process service and web tests named in ``pyproject.toml`` (``[tool.mutmut]``), in the checkout.

All ~8,000 mutants take hours on two cores (a surviving intake mutant runs ~70 web tests), so
``--sample N`` draws N mutants per file (a seeded random sample, the same on every run with the same
seed and code) and the score comes with a 95 % interval. Running again with the same seed after new
tests re-runs exactly the same mutants: the before/after comparison of one sample.

    python bench/mutation.py --scope moderation --sample 60 --seed 1
    python bench/mutation.py --scope services --sample 80 --seed 1 --children 2
    python bench/mutation.py --scope services --only 'qa_app.services.rundown*'   # every mutant of one module
    python bench/mutation.py --scope moderation --names var/mutation/moderation-survivors.txt   # these again

A mutant counts as caught when a test fails or the tests time out (the mutant made them hang); "no
tests" (nothing runs that code) counts as not caught. On a loaded machine a surviving mutant's tests may
overrun the time limit too (about three times their usual time): the timeouts are counted apart, and the
score without them is printed beside. The survivors of the last run are listed in
``var/mutation/<scope>-survivors.txt``; ``mutmut show NAME`` in the scope's directory shows one.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")

# mutmut's exit codes (mutmut/stats.py): 1 and 3 a failing test, 0 survived, 5/33 no tests, the rest a timeout
# (-9: killed after its CPU limit, or by hand when a mutant ate the memory)
CAUGHT = {
    1: "killed",
    3: "killed",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -9: "timeout",
}

MODERATION_SETTINGS = """\
[mutmut]
source_paths = moderation/
only_mutate = moderation/*
do_not_mutate =
    moderation/__main__.py
    moderation/evaluate.py
pytest_add_cli_args =
    -p
    no:randomly
    -p
    no:cacheprovider
    -q
    -x
pytest_add_cli_args_test_selection = tests/moderation
also_copy = qa_app/data/
process_isolation = forkserver
# a mutant that loops (and may eat the memory) is stopped after ~10 times the CPU its tests need
timeout_multiplier = 5.0
timeout_constant = 5.0

[tool:pytest]
testpaths = tests
addopts = -ra --strict-markers
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error
markers =
    slow: long-running quality checks
"""


def _wilson(caught: int, total: int) -> tuple[float, float]:
    """95 % Wilson interval of a proportion (exact enough for samples of a few dozen)."""
    if total == 0:
        return 0.0, 0.0
    z = 1.96
    p = caught / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def _prepare_moderation() -> Path:
    """A copy of the library and its tests, refreshed (code and tests may have changed since the last run)."""
    work = VAR / "moderation"
    work.mkdir(parents=True, exist_ok=True)
    for name in ("moderation", "tests", "qa_app"):
        target = work / name
        if target.exists():
            shutil.rmtree(target)
    shutil.copytree(ROOT / "moderation", work / "moderation", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "tests").mkdir()
    shutil.copy2(ROOT / "tests" / "__init__.py", work / "tests" / "__init__.py")  # the hypothesis profile
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "tests" / "moderation", work / "tests" / "moderation", ignore=skip)
    shutil.copytree(ROOT / "tests" / "data", work / "tests" / "data", ignore=skip)
    # the city's catalogue the routing tests read (the library itself never imports qa_app)
    shutil.copytree(ROOT / "qa_app" / "data", work / "qa_app" / "data")
    (work / "setup.cfg").write_text(MODERATION_SETTINGS, encoding="utf-8")
    return work


def _mutmut(work: Path, children: int, names: list[str]) -> None:
    command = [str(MUTMUT), "run", "--max-children", str(children), *names]
    # mutmut draws a spinner on stdout; its summary lines are what matter here
    subprocess.run(command, cwd=work, check=True, stdout=subprocess.DEVNULL)


def _results(work: Path, prefix: str) -> dict[str, dict[str, int | None]]:
    """Exit code of every mutant, by source file (from mutmut's ``.meta`` files)."""
    by_file: dict[str, dict[str, int | None]] = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        source = str(meta.relative_to(work / "mutants"))[: -len(".meta")]
        if not source.startswith(prefix):
            continue
        codes = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
        if codes:
            by_file[source] = codes
    return by_file


def run(
    scope: str,
    *,
    sample: int | None,
    seed: int,
    children: int,
    only: str | None,
    names: list[str] | None = None,
    report_only: bool = False,
) -> int:
    if report_only:
        work = VAR / "moderation" if scope == "moderation" else ROOT
    else:
        work = _prepare_moderation() if scope == "moderation" else ROOT
    prefix = "moderation/" if scope == "moderation" else "qa_app/services/"
    started = time.monotonic()
    # mutmut makes every mutant (and records which tests reach which function) on its first run; a
    # handful of cheap mutants gives it that run, the chosen ones follow.
    seed_glob = "moderation.name_words.*" if scope == "moderation" else "qa_app.services.intake_writer.x_unavailable*"
    if not report_only:
        _mutmut(work, children, [seed_glob])
    everything = _results(work, prefix)
    rng = random.Random(seed)
    chosen: dict[str, list[str]] = {}
    wanted = set(names or ())
    for source, codes in everything.items():
        picked = sorted(codes)
        if sample is not None and len(picked) > sample:
            picked = sorted(rng.sample(picked, sample))  # drawn before any filter: the same sample each time
        if only:
            picked = [n for n in picked if fnmatch.fnmatch(n, only)]
        if names is not None:
            picked = [n for n in picked if n in wanted]
        if picked:
            chosen[source] = picked
    flat = [name for picked in chosen.values() for name in picked]
    if not flat:
        print(f"no mutant matches {only!r}", file=sys.stderr)
        return 2
    if not report_only:
        _mutmut(work, children, flat)
    after = _results(work, prefix)

    print(f"mutation score, scope {scope}" + (f", {sample} a file at most, seed {seed}" if sample else ""))
    print(
        f"{'file':48} {'mutants':>7} {'tried':>6} {'caught':>6} {'of which timeout':>16} {'surv.':>6} {'none':>5}"
        "  score (95 % interval); score counting timeouts as survivors"
    )
    total_tried = total_caught = 0
    survivors: list[str] = []
    score_by_file: dict[str, float] = {}
    for source, tried_names in chosen.items():
        statuses: Counter[str] = Counter()
        for name in tried_names:
            code = after[source].get(name)
            if code in CAUGHT:
                statuses["caught"] += 1
                statuses["timeout"] += CAUGHT[code] == "timeout"
            elif code == 0:
                statuses["survived"] += 1
                survivors.append(name)
            elif code in (5, 33):
                statuses["none"] += 1
                survivors.append(name)
            elif code is None:  # --report during a run: not tried yet
                statuses["pending"] += 1
                continue
            else:
                statuses["other"] += 1
                survivors.append(name)
        tried, caught = len(tried_names) - statuses["pending"], statuses["caught"]
        pending = f"  ({statuses['pending']} not run yet)" if statuses["pending"] else ""
        if not tried:
            print(f"{source:48} {len(everything[source]):7} {0:6}{pending}")
            continue
        low, high = _wilson(caught, tried)
        total_tried += tried
        total_caught += caught
        score_by_file[source] = caught / tried
        print(
            f"{source:48} {len(everything[source]):7} {tried:6} {caught:6} {statuses['timeout']:16}"
            f" {statuses['survived']:6} {statuses['none']:5}"
            f"  {100 * caught / tried:5.1f} % ({100 * low:.0f}–{100 * high:.0f});"
            f" {100 * (caught - statuses['timeout']) / tried:5.1f} %{pending}"
        )
    # Over the scope, each file weighs by its number of mutants (a stratified estimate).
    weight = {s: len(everything[s]) for s in score_by_file}
    estimate = sum(weight[s] * score_by_file[s] for s in score_by_file) / max(1, sum(weight.values()))
    print(
        f"{'all':48} {sum(weight.values()):7} {total_tried:6} {total_caught:6}"
        f"  score {100 * estimate:.1f} % (weighted by mutants per file); {time.monotonic() - started:.0f} s"
    )
    VAR.mkdir(parents=True, exist_ok=True)
    listing = VAR / f"{scope}-survivors.txt"
    listing.write_text("".join(f"{name}\n" for name in survivors), encoding="utf-8")
    where = work.relative_to(ROOT) if work != ROOT else Path(".")
    print(f"{len(survivors)} not caught, listed in {listing.relative_to(ROOT)} (mutmut show NAME in {where})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scope", choices=("moderation", "services", "all"), default="all")
    parser.add_argument("--sample", type=int, default=None, help="at most this many mutants a file (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--only", default=None, help="only mutants whose name matches this glob")
    parser.add_argument("--names", type=Path, default=None, help="only the mutants named in this file, one a line")
    parser.add_argument("--report", action="store_true", help="run nothing: the figures of what has run so far")
    args = parser.parse_args(argv)
    names = args.names.read_text(encoding="utf-8").split() if args.names else None
    scopes = ("moderation", "services") if args.scope == "all" else (args.scope,)
    for scope in scopes:
        status = run(
            scope,
            sample=args.sample,
            seed=args.seed,
            children=args.children,
            only=args.only,
            names=names,
            report_only=args.report,
        )
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
