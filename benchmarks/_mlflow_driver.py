"""MLflow side of the tracking benchmark. Runs with the python of MLflow's own virtualenv, talks to
an MLflow server (URL in MLFLOW_TRACKING_URI) and answers the commands of `_protocol.serve`."""

from __future__ import annotations

import time
from typing import Any

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from _protocol import latency_summary, serve
from _tracking_data import batches, history_points, ingest_run, search_run

client = MlflowClient()
http = requests.Session()


def _experiment_id(name: str) -> str:
    found = client.get_experiment_by_name(name)
    return found.experiment_id if found is not None else client.create_experiment(name)


def _metrics(points: list[tuple[str, float, int, int]]) -> list[Metric]:
    return [Metric(key, value, timestamp, step) for key, value, step, timestamp in points]


def version() -> str:
    return mlflow.__version__


def ingest(
    experiment: str, runs: int, n_params: int, n_metrics: int, n_steps: int, seed: int
) -> dict[str, Any]:
    """log_batch of every run, 1000 entities per call (MLflow's limit); run creation included."""
    experiment_id = _experiment_id(experiment)
    plans = []
    for index in range(runs):
        params, points = ingest_run(index, n_params, n_metrics, n_steps, seed)
        plans.append(
            [
                ([Param(key, value) for key, value in chunk_params.items()], _metrics(chunk))
                for chunk_params, chunk in batches(params, points, 1000, params_count=True)
            ]
        )
    points_total = sum(len(metrics) for plan in plans for _, metrics in plan)
    requests_total = 0
    start = time.perf_counter()
    for index, plan in enumerate(plans):
        run_id = client.create_run(experiment_id, run_name=f"ingest-{index}").info.run_id
        for params, metrics in plan:
            client.log_batch(run_id, metrics=metrics, params=params)
            requests_total += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "points": points_total, "requests": requests_total + runs}


def latency(experiment: str, calls: int, warmup: int) -> dict[str, Any]:
    """Per-call latency of the synchronous fluent `mlflow.log_metric` inside `mlflow.start_run()`."""
    mlflow.set_experiment(experiment)
    samples = []
    with mlflow.start_run():
        for step in range(warmup):
            mlflow.log_metric("warmup", 0.5, step=step)
        for step in range(calls):
            value = 1.0 / (step + 1)
            start = time.perf_counter()
            mlflow.log_metric("loss", value, step=step)
            samples.append(time.perf_counter() - start)
    return {"latency": latency_summary(samples), "flush_s": 0.0}


def search_setup(experiment: str, start: int, count: int, seed: int) -> dict[str, Any]:
    """Create runs `start`..`start+count` of the search data set: one create_run and one log_batch each."""
    experiment_id = _experiment_id(experiment)
    began = time.perf_counter()
    for index in range(start, start + count):
        params, metrics, tags = search_run(index, seed)
        run_id = client.create_run(experiment_id, run_name=f"search-{index}").info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, 1_700_000_000_000 + index, 0) for key, value in metrics.items()],
            params=[Param(key, value) for key, value in params.items()],
            tags=[RunTag(key, value) for key, value in tags.items()],
        )
    return {"experiment_id": experiment_id, "seconds": time.perf_counter() - began}


def search(experiment_id: str, filter: str, order_by: list[str], max_results: int) -> dict[str, Any]:
    start = time.perf_counter()
    runs = client.search_runs(
        [experiment_id], filter_string=filter, order_by=order_by, max_results=max_results
    )
    seconds = time.perf_counter() - start
    acc = [run.data.metrics["acc"] for run in runs]
    complete = all(run.data.params and run.data.tags and len(run.data.metrics) == 3 for run in runs)
    return {"seconds": seconds, "count": len(runs), "acc": acc, "complete": complete}


def history_setup(experiment: str, n_points: int, seed: int) -> dict[str, Any]:
    experiment_id = _experiment_id(experiment)
    points = history_points(n_points, seed)
    began = time.perf_counter()
    run_id = client.create_run(experiment_id, run_name="history").info.run_id
    for _, chunk in batches({}, points, 1000, params_count=True):
        client.log_batch(run_id, metrics=_metrics(chunk))
    return {"run_id": run_id, "key": "loss", "seconds": time.perf_counter() - began}


def history(run_id: str, key: str) -> dict[str, Any]:
    start = time.perf_counter()
    points = client.get_metric_history(run_id, key)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(points), "last_step": points[-1].step if points else None}


def history_downsampled(run_id: str, key: str, max_results: int) -> dict[str, Any]:
    """The UI's sampled history endpoint (MLflow's only server-side reduction of a long history)."""
    url = f"{mlflow.get_tracking_uri()}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    query = {"run_ids": run_id, "metric_key": key, "max_results": max_results}
    start = time.perf_counter()
    response = http.get(url, params=query, timeout=60)
    response.raise_for_status()
    points = response.json().get("metrics", [])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(points)}


if __name__ == "__main__":
    serve(
        {
            "version": version,
            "ingest": ingest,
            "latency": latency,
            "search_setup": search_setup,
            "search": search,
            "history_setup": history_setup,
            "history": history,
            "history_downsampled": history_downsampled,
        }
    )
