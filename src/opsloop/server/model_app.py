"""The HTTP face of one served model: `/predict` and MLflow's `/invocations`, `/health`, `/ready`,
`/metrics`. Bodies are parsed by `serving.payloads`, checked against the model's signature
(a mismatch is a 422 naming the columns), and predicted through the micro-batcher."""

from __future__ import annotations

import time

import orjson
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from opsloop import __version__
from opsloop.errors import InvalidInputError, OpsloopError
from opsloop.models import LoadedModel
from opsloop.server.errors import install_error_handlers, status_for
from opsloop.server.limits import BodySizeLimit
from opsloop.server.responses import JsonResponse
from opsloop.serving.batcher import MicroBatcher
from opsloop.serving.metrics import ServingMetrics
from opsloop.serving.payloads import parse_payload, predictions_json

MAX_BODY_BYTES = 64 * 1024 * 1024


def create_model_app(model: LoadedModel, *, model_uri: str) -> FastAPI:
    app = FastAPI(title=f"opsloop model server: {model_uri}", version=__version__)
    metrics = ServingMetrics(model_uri, model.flavor)
    batcher = MicroBatcher(model.predictor.predict)
    install_error_handlers(app)

    async def predict(request: Request) -> Response:
        started = time.perf_counter()
        try:
            try:
                body = orjson.loads(await request.body())
            except orjson.JSONDecodeError as exc:
                raise InvalidInputError(f"body: not valid JSON ({exc})", details={"field": "body"}) from exc
            prepared = model.prepare(parse_payload(body))  # SignatureError names the columns
            predictions = await batcher.predict(prepared)
        except OpsloopError as error:
            metrics.requests.labels(status=str(status_for(error))).inc()
            raise
        except Exception:
            metrics.requests.labels(status="500").inc()
            raise
        metrics.requests.labels(status="200").inc()
        metrics.rows.inc(len(prepared))
        while batcher.batch_sizes:
            metrics.batch_rows.observe(batcher.batch_sizes.pop(0))
        metrics.latency.observe(time.perf_counter() - started)
        return JsonResponse(predictions_json(predictions))

    app.add_api_route("/predict", predict, methods=["POST"], tags=["serving"])
    app.add_api_route("/invocations", predict, methods=["POST"], tags=["serving"])

    @app.get("/health", tags=["serving"])
    def health() -> JsonResponse:
        return JsonResponse({"status": "ok"})

    @app.get("/ready", tags=["serving"])
    def ready() -> JsonResponse:
        return JsonResponse({"ready": True, "model_uri": model_uri, "flavor": model.flavor})

    @app.get("/metrics", tags=["serving"])
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    return app
