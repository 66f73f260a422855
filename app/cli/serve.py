"""Running the service: `serve`, `migrate`, and `demo` (migrate, demo data, keys, serve)."""

from __future__ import annotations

from typing import Annotated

import typer

from app.api import server
from app.cli.common import session_factory
from app.core.config import get_settings
from app.core.db import session_scope
from app.jobs import demo as demo_job
from app.jobs import migrate as migrate_job
from app.models import OrganisationKind, Role
from app.services import keys, organisations
from matching.embedder import load_embedder


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Run the HTTP API."""
    # The application logs one JSON access line per request itself (app/api/observe.py).
    server.run(
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        # The supervisor kills a worker that misses a 5 s health ping; loading the model on a
        # busy machine takes longer, and killed workers were seen restarting in a loop.
        timeout_worker_healthcheck=60,
    )


def migrate() -> None:
    """Apply database migrations up to the newest."""
    url = get_settings().database_url
    migrate_job.upgrade(url)
    typer.echo("database is at the newest migration")


def demo(
    host: str = "127.0.0.1",
    port: int = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Migrate, load the demo data, print API keys, then serve."""
    settings = get_settings()
    migrate_job.upgrade(settings.database_url)
    with session_scope(session_factory()) as session:
        summary = demo_job.load_demo(
            session=session, embedder=load_embedder(settings.embedding_model)
        )
        holders = {
            Role.TTO: organisations.get_by_name(session=session, name=summary.first_university),
            Role.SME: organisations.get_by_name(session=session, name=summary.first_enterprise),
            Role.OPERATOR: organisations.ensure(
                session=session, name="PatentBridge operations", kind=OrganisationKind.PLATFORM
            ),
        }
        issued = {
            role: keys.create(session=session, organisation=org, role=role, label="demo")
            for role, org in holders.items()
        }
    typer.echo(
        f"demo data: {summary.organisations} organisations, {summary.listings_created} listings "
        f"created ({summary.listings_unchanged} already there), {summary.demands_created} demands"
    )
    typer.echo(f"TTO key ({summary.first_university}):  {issued[Role.TTO].plaintext}")
    typer.echo(f"SME key ({summary.first_enterprise}):  {issued[Role.SME].plaintext}")
    typer.echo(f"operator key:  {issued[Role.OPERATOR].plaintext}")
    typer.echo(
        f"try:  curl -H 'X-API-Key: {issued[Role.SME].plaintext}' "
        f"'http://{host}:{port}/v1/listings?limit=3'"
    )
    if serve_after:
        server.run(host=host, port=port)
