"""Operator jobs on the index: `reindex` (and its rollback) and `alerts`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from app.core.config import get_settings


def reindex(
    version: Annotated[
        int | None, typer.Argument(help="with --rollback: the index version to return to")
    ] = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="point the live index back at a kept snapshot")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="build a new snapshot even if nothing changed")
    ] = False,
) -> None:
    """Re-index: expire, embed what changed, build, switch; or --rollback [VERSION].

    Exit codes: 0 done, 1 failed, 2 refused, 75 another re-index is running.
    """
    from app.search.reindex import command as reindex_command
    from app.services.alerts.service import record_after_reindex

    outcome = reindex_command.execute(
        get_settings(),
        rollback=rollback,
        version=version,
        force=force,
        progress=True,
        after_switch=record_after_reindex,
    )
    typer.echo(outcome.line, err=outcome.code != reindex_command.EXIT_OK)
    raise typer.Exit(outcome.code)


def alerts(
    since: Annotated[
        datetime | None,
        typer.Option(help="examine changes after this time (default: since the last run)"),
    ] = None,
) -> None:
    """Record new matches for demand and listing alerts (cron; a re-index also does this).

    Exit codes: 0 done, 1 failed.
    """
    from app.services.alerts import job as alerts_job

    when = since if since is None or since.tzinfo else since.replace(tzinfo=UTC)
    try:
        run = alerts_job.run(get_settings(), since=when)
    except Exception as exc:
        typer.secho(f"alerts failed: {type(exc).__name__}: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    typer.echo(alerts_job.summary(run))
