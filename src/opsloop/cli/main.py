"""The `opsloop` command."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from opsloop.cli import db, experiments, runs, serve, up
from opsloop.cli.output import error_console, print_error
from opsloop.errors import OpsloopError

app = typer.Typer(
    name="opsloop",
    help="opsloop: experiment tracking, model registry and serving, and AIOps in one platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("up")(up.up)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(experiments.app, name="experiments")
app.add_typer(runs.app, name="runs")


def main() -> None:
    """Entry point: every known error is one line on stderr and a non-zero exit, never a traceback."""
    try:
        app(standalone_mode=True)
    except OpsloopError as error:
        first_line, _, pointer = (error.message or error.code).partition("\n")
        print_error(first_line)
        if pointer:  # a query error's caret line under the offending position
            error_console.print(Text(pointer), soft_wrap=True)
        sys.exit(3 if error.code == "unavailable" else 2)
    except ValidationError as error:
        print_error(f"invalid setting: {error.errors()[0]['msg']}")
        sys.exit(2)
    except SQLAlchemyError as error:
        print_error(f"database error: {str(error).splitlines()[0]}")
        sys.exit(3)


if __name__ == "__main__":
    main()
