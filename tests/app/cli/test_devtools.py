"""bench and evaluate load tools/ from the source checkout, and say so when it is absent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli, devtools

ROOT = Path(__file__).resolve().parents[3]


def test_the_checkout_is_the_directory_that_holds_app_and_tools() -> None:
    assert devtools.CHECKOUT == ROOT
    assert (devtools.CHECKOUT / "tools" / "__init__.py").is_file()


def test_a_tool_is_imported_from_the_checkouts_tools_directory() -> None:
    module = devtools.development_tool("tools.bench.command")
    assert Path(module.__file__ or "").resolve() == ROOT / "tools" / "bench" / "command.py"


@pytest.mark.parametrize("command", ["bench", "evaluate"])
def test_without_tools_beside_app_the_command_exits_2_saying_it_needs_a_checkout(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(devtools, "CHECKOUT", tmp_path)  # as an installed wheel: no tools/
    result = CliRunner().invoke(cli, [command])
    assert result.exit_code == 2
    assert "bench and evaluate are development tools, run from a source checkout" in (result.stderr)
    assert str(tmp_path / "tools") in result.stderr


def test_importing_the_cli_imports_nothing_from_tools() -> None:
    code = (
        "import sys, app.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'tools'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_python_dash_m_app_cli_is_the_same_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "bench" in out.stdout and "reindex" in out.stdout
