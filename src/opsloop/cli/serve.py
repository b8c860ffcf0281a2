"""`opsloop serve URI`: serve one model over HTTP (`/predict`, `/invocations`, `/metrics`)."""

from __future__ import annotations

from typing import Annotated

import typer

from opsloop.cli.output import say


def serve(
    model_uri: Annotated[str, typer.Argument(help="A model folder, or runs:/<run_id>/<path>.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    trust: Annotated[
        list[str] | None,
        typer.Option(help="Trust a type the model holds (repeatable), or 'all'. See docs/models.md."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve a model: predictions with MLflow-compatible payloads, health and Prometheus metrics."""
    # Imported here so that other commands start without the web stack.
    import uvicorn

    from opsloop.sdk.models import load_model
    from opsloop.server.model_app import create_model_app

    trusted: bool | list[str] = True if trust == ["all"] else list(trust or [])
    model = load_model(model_uri, trust=trusted or False)
    app = create_model_app(model, model_uri=model_uri)
    say(f"serving {model_uri} ({model.flavor}) at http://{host}:{port}  (POST /predict, /invocations)")
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
