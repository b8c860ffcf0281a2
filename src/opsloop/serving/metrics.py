"""Prometheus metrics of one served model (its own registry, so two apps in one process — tests,
or several deployments — never mix their counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


class ServingMetrics:
    def __init__(self, model_uri: str, flavor: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "opsloop_serving_requests", "Prediction requests by outcome.", ["status"], registry=self.registry
        )
        self.latency = Histogram(
            "opsloop_serving_request_seconds",
            "Time from request received to answer ready.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rows = Counter("opsloop_serving_rows", "Rows predicted.", registry=self.registry)
        self.batch_rows = Histogram(
            "opsloop_serving_batch_rows",
            "Rows per model call after micro-batching.",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        model = Gauge(
            "opsloop_serving_model_info",
            "The model being served.",
            ["model_uri", "flavor"],
            registry=self.registry,
        )
        model.labels(model_uri=model_uri, flavor=flavor).set(1)
