"""`patentbridge keys`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import fail, session_factory
from app.core.db import session_scope
from app.core.errors import PatentBridgeError
from app.models import OrganisationKind, Role
from app.services import audit, keys, organisations

app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")

_DEFAULT_KIND = {
    Role.TTO: OrganisationKind.UNIVERSITY,
    Role.SME: OrganisationKind.ENTERPRISE,
    Role.OPERATOR: OrganisationKind.PLATFORM,
}


@app.command("create")
def keys_create(
    org: Annotated[str, typer.Option(help="organisation name; created if new")],
    role: Annotated[Role, typer.Option(help="tto, sme or operator")],
    kind: Annotated[
        OrganisationKind | None, typer.Option(help="kind of a new organisation")
    ] = None,
    province: Annotated[str | None, typer.Option(help="province of a new organisation")] = None,
    label: str = "",
) -> None:
    """Create an API key and print it; it is shown this once only."""
    try:
        with session_scope(session_factory()) as session:
            organisation = organisations.ensure(
                session=session, name=org, kind=kind or _DEFAULT_KIND[role], province=province
            )
            issued = keys.create(session=session, organisation=organisation, role=role, label=label)
            audit.record(
                session=session,
                key=None,
                organisation_id=organisation.id,
                action="key.create",
                entity_type="api_key",
                entity_id=issued.key.id,
                detail={"prefix": issued.key.prefix, "role": role.value},
            )
    except (PatentBridgeError, ValueError) as exc:
        error = exc if isinstance(exc, PatentBridgeError) else PatentBridgeError(str(exc))
        raise fail(error) from exc
    typer.echo(issued.plaintext)
    typer.echo(
        f"role {role.value}, organisation {org}; store it now: it cannot be shown again", err=True
    )


@app.command("list")
def keys_list() -> None:
    """List keys (prefix, role, organisation, state); secrets are never shown."""
    with session_scope(session_factory()) as session:
        for key in keys.list_all(session=session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(
                f"{key.prefix}\t{key.role.value}\t{key.organisation.name}\t{state}\t{key.label}"
            )


@app.command("revoke")
def keys_revoke(prefix: str) -> None:
    """Revoke the key whose prefix (the part after `pb_`) is PREFIX."""
    try:
        with session_scope(session_factory()) as session:
            revoked = keys.revoke(session=session, prefix=prefix)
            audit.record(
                session=session,
                key=None,
                organisation_id=revoked.organisation_id,
                action="key.revoke",
                entity_type="api_key",
                entity_id=revoked.id,
                detail={"prefix": prefix},
            )
    except PatentBridgeError as exc:
        raise fail(exc) from exc
    typer.echo(f"revoked {prefix}")
