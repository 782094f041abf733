"""The ``factoryfinder`` command: one entry point for people and deployments.

- ``factoryfinder serve <service>`` starts one process (preprocess, gateway,
  ranking, planning, aggregator, sandbox); settings come from environment
  variables (the sandbox also takes flags).
- ``factoryfinder up`` starts all six on localhost against the sandbox.
- ``search``, ``verify``, ``plan``, ``batch`` and ``quota`` call a running
  aggregator (see ``services/cli/client_commands.py``).
"""

from __future__ import annotations

import importlib
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import exceptions as click_errors
from typer.exceptions import Abort, TyperException

from services.cli import client_commands
from services.cli.errors import CliError, from_click, from_unexpected, report


class _App(typer.Typer):
    """Runs a command and turns every failure into one line (or a ``--json`` object) and an
    exit code: people never see a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        argv = list(kwargs.get("args") or sys.argv[1:])
        as_json = "--json" in argv
        kwargs["standalone_mode"] = False
        kwargs.setdefault("prog_name", "factoryfinder")
        try:
            code = super().__call__(*args, **kwargs)
        except click_errors.NoArgsIsHelpError as error:
            print(error.ctx.get_help() if error.ctx else str(error))
            code = 2
        except TyperException as error:
            code = report(from_click(error, argv), as_json)
        except CliError as error:
            code = report(error, as_json)
        except Abort:
            code = 130
        except KeyboardInterrupt:
            code = 130
        except BrokenPipeError:
            # The reader went away (| head): nothing left to tell, and nothing to flush at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 1
        except Exception as error:
            code = report(from_unexpected(error), as_json)
        sys.exit(code if isinstance(code, int) else 0)


app = _App(
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


# Set before the service's modules (and numpy) load; a value already in the environment wins.
# The sandbox's one BLAS call is a small matrix-vector product per search (3204 x 146): a
# second OpenBLAS thread gains nothing there and busy-waits after every call, which cost the
# sandbox about half its CPU per search on the benches' 2 cores. Results are the same (the
# cosines can differ in their last bit, they are never sent, and the relevance order was
# checked identical). Preprocess's comparisons multiply small matrices (a photo's views by an
# offer's: tens by a few hundred) in several threads of their own: OpenBLAS's threads add
# nothing there either and spin after each product (benches: the comparison CPU per search
# 112-116 ms with one thread, 112-138 ms with two, on a quiet machine).
_ONE_BLAS_THREAD = {"OPENBLAS_NUM_THREADS": "1"}
_SERVICE_ENV: dict[Service, dict[str, str]] = {
    Service.sandbox: _ONE_BLAS_THREAD,
    Service.preprocess: _ONE_BLAS_THREAD,
}


@app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": [],
    },
)
def serve(
    ctx: typer.Context,
    service: Annotated[Service, typer.Argument(help="Which service to run.")],
) -> None:
    """Run one service until SIGTERM/SIGINT (then drain and exit 0). Settings come from
    FF_<SERVICE>_* variables (`factoryfinder settings SERVICE`); the sandbox also takes
    flags (`factoryfinder serve sandbox --help`)."""
    if {"--help", "-h"} & set(ctx.args) and service is not Service.sandbox:
        print(f"Usage: factoryfinder serve {service.value}")
        print(f"Settings are environment variables: factoryfinder settings {service.value}")
        raise typer.Exit(0)
    for name, value in _SERVICE_ENV.get(service, {}).items():
        os.environ.setdefault(name, value)
    module = importlib.import_module(f"services.{service.value}.server")
    raise typer.Exit(module.main(list(ctx.args)))


@app.command()
def settings(
    service: Annotated[Service, typer.Argument(help="Whose settings to list.")],
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the reference table as Markdown.")
    ] = False,
) -> None:
    """List a service's environment variables: default (as you would write it) and meaning."""
    from services.cli.settings_reference import print_table, service_markdown

    if markdown:
        print(service_markdown(service.value), end="")
    else:
        print_table(service.value)


@app.command()
def up(
    aggregator_port: Annotated[
        int, typer.Option(help="Port of the public API (0 = any free port).")
    ] = 50051,
    endpoints_file: Annotated[
        Path | None,
        typer.Option(
            help="Where to write service name -> host:port and the API key as JSON once all "
            "are SERVING (default: the file the CLI reads, see README)."
        ),
    ] = None,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Run a sample search and verification.")
    ] = True,
    log_dir: Annotated[
        Path | None, typer.Option(help="Where the services' JSON logs go (default: a temp dir).")
    ] = None,
) -> None:
    """Start all six services on localhost against the sandbox, with embedded defaults."""
    from services.cli.launcher import launch

    raise typer.Exit(launch(aggregator_port, endpoints_file, demo, log_dir))


client_commands.register(app)

if __name__ == "__main__":
    app()
