"""`patentbridge import FILE --org NAME` against its own temporary SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings
from app.core.db import create_db_engine
from app.jobs import migrate
from app.models import AuditEntry, Listing
from tests.app.import_files import spreadsheet_with_seven_bad_rows, to_csv, valid_row

ORG = "测试大学"


@pytest.fixture()
def cli_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    # The CLI embeds what it imports; the plumbing under test does not need the real model.
    monkeypatch.setenv("EMBEDDING_MODEL", "hash-64")
    get_settings.cache_clear()
    migrate.upgrade(url)
    yield url
    get_settings.cache_clear()


@pytest.fixture()
def runner(cli_database_url: str) -> CliRunner:
    runner = CliRunner()
    created = runner.invoke(
        cli, ["keys", "create", "--org", ORG, "--role", "tto", "--province", "浙江省"]
    )
    assert created.exit_code == 0, created.output
    assert created.stdout.startswith("pb_")
    return runner


def _listings(cli_database_url: str) -> int:
    engine = create_db_engine(cli_database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(Listing)) or 0
    finally:
        engine.dispose()


def _run_import(runner: CliRunner, path: Path, *options: str) -> Result:
    return runner.invoke(cli, ["import", str(path), "--org", ORG, "--lang", "en", *options])


def test_import_reports_in_chinese_by_default(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    rows = [valid_row(i) for i in range(3)]
    rows[1]["industry_code"] = "C99"
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv(rows))

    result = runner.invoke(cli, ["import", str(path), "--org", ORG])

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[-1] == "3 行：新建 2，更新 0，未变 0，问题 1；已提交"
    assert lines[-2].startswith("第 3 行：“行业代码”列：")
    assert json.loads(result.stdout)["rejected"][0]["msg"].startswith("“行业代码”列：")


def test_import_with_rejected_rows_exits_1_with_the_report_and_a_one_line_summary(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    workbook = spreadsheet_with_seven_bad_rows()
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv(workbook.rows))

    result = _run_import(runner, path)

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert (report["created"], report["updated"], report["unchanged"]) == (293, 0, 0)
    assert [(r["row"], r["field"]) for r in report["rejected"]] == workbook.expected_rejections()
    assert result.stderr.splitlines()[-1] == (
        "300 rows: 293 created, 0 updated, 0 unchanged, 7 problems; committed"
    )
    assert _listings(cli_database_url) == 293


def test_import_of_a_clean_file_exits_0_and_a_second_run_reports_every_row_unchanged(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv([valid_row(i) for i in range(20)], encoding="gbk"))

    first = _run_import(runner, path)
    second = _run_import(runner, path)

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert first.stderr.splitlines()[-1] == (
        "20 rows: 20 created, 0 updated, 0 unchanged, 0 problems; committed"
    )
    assert second.stderr.splitlines()[-1] == (
        "20 rows: 0 created, 0 updated, 20 unchanged, 0 problems; committed"
    )
    assert json.loads(second.stdout)["encoding"] == "gb18030"
    assert _listings(cli_database_url) == 20


def test_all_or_nothing_import_with_a_bad_row_exits_1_and_writes_nothing(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    rows = [valid_row(i) for i in range(5)]
    rows[3]["industry_code"] = "C99"
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv(rows))

    result = _run_import(runner, path, "--all-or-nothing")

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (
        "5 rows: 4 created, 0 updated, 0 unchanged, 1 problems; NOT committed"
    )
    assert _listings(cli_database_url) == 0


def test_dry_run_import_exits_0_and_writes_nothing(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv([valid_row(i) for i in range(5)]))

    result = _run_import(runner, path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dry_run"] is True
    assert result.stderr.splitlines()[-1].endswith("; NOT committed")
    assert _listings(cli_database_url) == 0


def test_import_for_an_unknown_organisation_exits_2_naming_it(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "专利清单.csv"
    path.write_bytes(to_csv([valid_row(0)]))

    result = runner.invoke(cli, ["import", str(path), "--org", "没有这所大学", "--lang", "en"])

    assert result.exit_code == 2
    assert result.stderr == "error: organisation: no organisation named '没有这所大学'\n"
    assert _listings(cli_database_url) == 0


def test_import_of_a_binary_file_exits_2_with_the_reason(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "专利清单.csv"
    path.write_bytes(bytes(range(256)) * 16)

    result = _run_import(runner, path)

    assert result.exit_code == 2
    assert result.stderr == "error: file: the .csv file contains binary data, not text\n"
    assert result.stdout == ""
    assert _listings(cli_database_url) == 0


def test_the_command_line_audits_imports_and_keys_without_a_key(
    runner: CliRunner, cli_database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "清单.csv"
    path.write_bytes(to_csv([valid_row(i) for i in range(3)]))
    assert runner.invoke(cli, ["import", str(path), "--org", ORG]).exit_code == 0
    prefix = runner.invoke(cli, ["keys", "list"]).stdout.split("\t")[0]
    assert runner.invoke(cli, ["keys", "revoke", prefix]).exit_code == 0

    engine = create_db_engine(cli_database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(AuditEntry.action, AuditEntry.api_key_id, AuditEntry.detail).order_by(
                    AuditEntry.id
                )
            ).all()
    finally:
        engine.dispose()
    assert [(action, key) for action, key, _ in rows] == [
        ("key.create", None),
        ("import", None),
        ("key.revoke", None),
    ]
    assert rows[1][2]["created"] == 3
