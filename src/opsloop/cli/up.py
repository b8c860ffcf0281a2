"""`opsloop up`: serve the platform on its embedded default (or the configured database)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from opsloop.cli.output import console
from opsloop.config import load_settings
from opsloop.tracking.factory import open_store


def up(
    host: Annotated[str | None, typer.Option(help="Address to listen on [env OPSLOOP_HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [env OPSLOOP_PORT].")] = None,
    home: Annotated[
        Path | None, typer.Option(help="Data folder [env OPSLOOP_HOME, default ~/.opsloop].")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL [env OPSLOOP_DATABASE_URL].")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="uvicorn log level.")] = None,
) -> None:
    """Start the opsloop server: applies migrations, prints the URL, stops cleanly on Ctrl-C / SIGTERM."""
    # Imported here so that every other command starts without loading the web stack.
    import uvicorn

    from opsloop.server.app import create_app

    settings = load_settings(host=host, port=port, home=home, database_url=database_url, log_level=log_level)
    settings.home.mkdir(parents=True, exist_ok=True)
    store = open_store(settings, migrate=True)
    app = create_app(store, settings)
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"[bold green]opsloop[/] serving at [link={url}]{url}[/link]  (data: {settings.home})")
    console.print(f"  SDK:  export OPSLOOP_URL={url}   API docs: {url}/docs   Ctrl-C to stop")
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal to the
    # handler that was there before it; these handlers turn that into a clean exit (code 0).
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=False
        )
    except _Stop:
        return  # a requested stop is a clean exit; `finally` still closes the store
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()
        console.print("opsloop stopped")


class _Stop(Exception):
    """The server was asked to stop (Ctrl-C or SIGTERM) and has shut down."""


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop
