"""The `opsloop` command."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from opsloop.cli import db, experiments, runs, up
from opsloop.cli.output import error_console
from opsloop.errors import OpsloopError

app = typer.Typer(
    name="opsloop",
    help="opsloop: experiment tracking, model registry and serving, and AIOps in one platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("up")(up.up)
app.add_typer(db.app, name="db")
app.add_typer(experiments.app, name="experiments")
app.add_typer(runs.app, name="runs")


def main() -> None:
    """Entry point: every known error is one line on stderr and a non-zero exit, never a traceback."""
    try:
        app(standalone_mode=True)
    except OpsloopError as error:
        first_line = error.message.splitlines()[0] if error.message else error.code
        error_console.print(f"[bold red]error:[/] {first_line}", highlight=False, soft_wrap=True)
        if "\n" in error.message:
            error_console.print(error.message.split("\n", 1)[1], highlight=False, soft_wrap=True)
        sys.exit(2 if error.code != "unavailable" else 3)
    except ValidationError as error:
        error_console.print(
            f"[bold red]error:[/] invalid setting: {error.errors()[0]['msg']}", highlight=False
        )
        sys.exit(2)
    except SQLAlchemyError as error:
        error_console.print(
            f"[bold red]error:[/] database error: {str(error).splitlines()[0]}", highlight=False
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
