"""The ``factoryfinder`` command: one entry point for people and deployments.

- ``factoryfinder serve <service>`` starts one process (preprocess, gateway,
  ranking, planning, aggregator, sandbox); settings come from environment
  variables (the sandbox also takes flags).
- ``factoryfinder up`` starts all six on localhost against the sandbox.
- ``search``, ``verify``, ``plan``, ``batch`` and ``quota`` call a running
  aggregator (see ``shared/cli/client_commands.py``).
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from shared.cli import client_commands

app = typer.Typer(
    name="factoryfinder",
    help="Find the source factory for a product photo through 1688 image search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Service(StrEnum):
    preprocess = "preprocess"
    gateway = "gateway"
    ranking = "ranking"
    planning = "planning"
    aggregator = "aggregator"
    sandbox = "sandbox"


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def serve(
    ctx: typer.Context,
    service: Annotated[Service, typer.Argument(help="Which service to run.")],
) -> None:
    """Run one service until SIGTERM/SIGINT (then drain and exit 0)."""
    module = importlib.import_module(f"services.{service.value}.server")
    raise typer.Exit(module.main(list(ctx.args)))


_SETTINGS_CLASS = {
    Service.preprocess: "PreprocessSettings",
    Service.gateway: "GatewaySettings",
    Service.ranking: "RankingSettings",
    Service.planning: "PlanningSettings",
    Service.aggregator: "AggregatorSettings",
    Service.sandbox: "SandboxSettings",
}


@app.command()
def settings(
    service: Annotated[Service, typer.Argument(help="Whose settings to list.")],
) -> None:
    """List a service's environment variables and their defaults."""
    from rich.console import Console
    from rich.table import Table

    from shared.config import describe

    module = importlib.import_module(f"services.{service.value}.settings")
    table = Table(title=f"{service.value} settings")
    for column in ("variable", "default", "secret"):
        table.add_column(column)
    for name, default, secret in describe(getattr(module, _SETTINGS_CLASS[service])):
        table.add_row(name, default, "yes" if secret else "")
    Console().print(table)


@app.command()
def up(
    aggregator_port: Annotated[
        int, typer.Option(help="Port of the public API (0 = any free port).")
    ] = 50051,
    endpoints_file: Annotated[
        Path | None,
        typer.Option(help="Write service name -> host:port as JSON once all are SERVING."),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Run a sample search and verification.")
    ] = True,
    log_dir: Annotated[
        Path | None, typer.Option(help="Where the services' JSON logs go (default: a temp dir).")
    ] = None,
) -> None:
    """Start all six services on localhost against the sandbox, with embedded defaults."""
    from shared.cli.launcher import launch

    raise typer.Exit(launch(aggregator_port, endpoints_file, demo, log_dir))


client_commands.register(app)

if __name__ == "__main__":
    app()
