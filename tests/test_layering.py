"""moderation/ imports only the standard library and rapidfuzz (checked on the AST, no import)."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "moderation"
ALLOWED_THIRD_PARTY = {"rapidfuzz"}
FILES = sorted(ROOT.rglob("*.py"))


def _top_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            names.add("__dynamic__")
    return names


def test_files_found() -> None:
    assert FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_stdlib_and_rapidfuzz(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = {m for m in _top_modules(tree) if m not in sys.stdlib_module_names and m not in ALLOWED_THIRD_PARTY}
    assert not bad, f"{path}: forbidden imports {sorted(bad)}"
