"""The import contracts in pyproject.toml break on an import against the arrows, run on a copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The root packages of [tool.importlinter]: with pyproject.toml, all that lint-imports reads.
PACKAGES = ("app", "matching", "tools")


@dataclass(frozen=True)
class Breach:
    """One import planted in the copy, and what lint-imports must say of it."""

    contract: str
    module: str
    line: str
    reported: tuple[str, ...]
    new_files: dict[str, str] = field(default_factory=dict)


BREACHES = {
    "search imports api": Breach(
        contract="app-layers",
        module="app/search/documents.py",
        line="from app.api import deps",
        reported=(
            "app is layered, from the entry points down to core BROKEN",
            "app.search is not allowed to import app.api:",
            "app.search.documents -> app.api.deps",
        ),
    ),
    "matching imports app": Breach(
        contract="matching-alone",
        module="matching/text.py",
        line="import app",
        reported=(
            "matching imports nothing from app or tools BROKEN",
            "matching is not allowed to import app:",
            "matching.text -> app",
        ),
    ),
    "a private module imported from another package": Breach(
        contract="private-modules",
        module="app/api/deps.py",
        line="from app.core import _planted",
        new_files={"app/core/_planted.py": ""},
        reported=(
            "a private module is imported only inside its package BROKEN",
            "app.api.deps -> app.core._planted",
        ),
    ),
    "two api modules import each other": Breach(
        contract="no-cycles",
        module="app/api/ratelimit.py",
        line="from app.api import deps",
        reported=(
            "no circles between sibling packages BROKEN",
            "No cycles are allowed in app.api.",
        ),
    ),
}


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """Return a copy of the root packages and pyproject.toml."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(tree: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the copy, limited to the given contract ids (all when none)."""
    # grimp finds each root package through importlib. lint-imports puts its working directory
    # first on sys.path and PYTHONPATH holds the copy alone, so the copy is found before the
    # editable install of the real tree.
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200"}
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command; lint_imports_command()",
            "--no-cache",
            "--no-logo",
            *selected,
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("breach", BREACHES.values(), ids=BREACHES.keys())
def test_contract_breaks_on_planted_import(tree: Path, breach: Breach) -> None:
    for name, text in breach.new_files.items():
        (tree / name).write_text(text, encoding="utf-8")
    with (tree / breach.module).open("a", encoding="utf-8") as module:
        module.write(f"\n{breach.line}  # noqa: E402, F401\n")

    result = lint_imports(tree, breach.contract)

    assert result.returncode == 1, result.stdout + result.stderr
    for text in breach.reported:
        assert text in result.stdout, result.stdout


def test_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout
