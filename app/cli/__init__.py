"""The `patentbridge` command: serve, migrate, keys, import, reindex, alerts, royalty, demo;
and, from a source checkout, the development tools bench and evaluate.

One module per group of commands: `serve` (serve, migrate, demo), `keys`, `imports`,
`index` (reindex, alerts), `royalty`, `devtools` (bench, evaluate: they load `tools/` at run
time); `common` holds what they share. The commands are registered here, in the order
`--help` lists them.
"""

from __future__ import annotations

import typer

from app.cli import devtools, imports, index, keys, royalty, serve

cli = typer.Typer(no_args_is_help=True, help="PatentBridge: open-licence patents for SMEs.")
cli.add_typer(keys.app, name="keys")
cli.add_typer(royalty.app, name="royalty")
cli.command()(serve.serve)
cli.command()(serve.migrate)
cli.command("import")(imports.import_file)
cli.command()(devtools.evaluate)
cli.command()(serve.demo)
cli.command()(devtools.bench)
cli.command()(index.reindex)
cli.command()(index.alerts)


def main() -> None:
    """Run the command line."""
    cli()
