"""opsloop side of the tracking benchmark: the same commands as `_mlflow_driver.py`, through
`HttpTrackingStore` and the SDK, against an opsloop server (URL in OPSLOOP_URL)."""

from __future__ import annotations

import os
import time
from typing import Any

import opsloop
import opsloop as ol
from _protocol import latency_summary, serve
from _tracking_data import batches, history_points, ingest_run, search_run
from opsloop.client.http_store import HttpTrackingStore
from opsloop.tracking.entities import Metric

URL = os.environ["OPSLOOP_URL"]
store = HttpTrackingStore(URL)


def _experiment_id(name: str) -> str:
    return store.get_or_create_experiment(name).id


def _metrics(points: list[tuple[str, float, int, int]]) -> list[Metric]:
    return [Metric(key, value, step, timestamp) for key, value, step, timestamp in points]


def version() -> str:
    return opsloop.__version__


def ingest(
    experiment: str,
    runs: int,
    n_params: int,
    n_metrics: int,
    n_steps: int,
    seed: int,
    batch_size: int = 1000,
    params_count: bool = True,
) -> dict[str, Any]:
    """POST /runs/{id}/batch of every run in requests of `batch_size` points; run creation included."""
    experiment_id = _experiment_id(experiment)
    plans = []
    for index in range(runs):
        params, points = ingest_run(index, n_params, n_metrics, n_steps, seed)
        plans.append(
            [
                (chunk_params, _metrics(chunk))
                for chunk_params, chunk in batches(params, points, batch_size, params_count)
            ]
        )
    points_total = sum(len(metrics) for plan in plans for _, metrics in plan)
    requests_total = 0
    start = time.perf_counter()
    for index, plan in enumerate(plans):
        run_id = store.create_run(experiment_id, name=f"ingest-{index}").id
        for params, metrics in plan:
            store.log_batch(run_id, metrics=metrics, params=params)
            requests_total += 1
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "points": points_total, "requests": requests_total + runs}


def latency(experiment: str, calls: int, warmup: int) -> dict[str, Any]:
    """Per-call latency of `run.log_metric` of an SDK run connected to the server, then the flush."""
    ol.connect(URL)
    samples = []
    with ol.start_run(experiment) as run:
        for step in range(warmup):
            run.log_metric("warmup", 0.5, step=step)
        run.flush()
        for step in range(calls):
            value = 1.0 / (step + 1)
            start = time.perf_counter()
            run.log_metric("loss", value, step=step)
            samples.append(time.perf_counter() - start)
        began = time.perf_counter()
        run.flush()
        flush_s = time.perf_counter() - began
        stored = store.get_metric_history(run.id, "loss").total_points
    if stored != calls:
        raise RuntimeError(f"{stored} of {calls} points stored")
    return {"latency": latency_summary(samples), "flush_s": flush_s}


def search_setup(experiment: str, start: int, count: int, seed: int) -> dict[str, Any]:
    """Create runs `start`..`start+count` of the search data set: one create_run and one log_batch each."""
    experiment_id = _experiment_id(experiment)
    began = time.perf_counter()
    for index in range(start, start + count):
        params, metrics, tags = search_run(index, seed)
        run_id = store.create_run(experiment_id, name=f"search-{index}").id
        store.log_batch(
            run_id,
            metrics=[Metric(key, value, 0, 1_700_000_000_000 + index) for key, value in metrics.items()],
            params=params,
            tags=tags,
        )
    return {"experiment_id": experiment_id, "seconds": time.perf_counter() - began}


def search(experiment_id: str, filter: str, order_by: list[str], max_results: int) -> dict[str, Any]:
    start = time.perf_counter()
    page = store.search_runs(
        experiment_ids=[experiment_id], filter=filter, order_by=order_by, max_results=max_results
    )
    seconds = time.perf_counter() - start
    acc = [run.metrics["acc"].value for run in page.runs]
    complete = all(run.params and run.tags and len(run.metrics) == 3 for run in page.runs)
    return {"seconds": seconds, "count": len(page.runs), "acc": acc, "complete": complete}


def history_setup(experiment: str, n_points: int, seed: int) -> dict[str, Any]:
    experiment_id = _experiment_id(experiment)
    points = history_points(n_points, seed)
    began = time.perf_counter()
    run_id = store.create_run(experiment_id, name="history").id
    for _, chunk in batches({}, points, 1000, params_count=True):
        store.log_batch(run_id, metrics=_metrics(chunk))
    return {"run_id": run_id, "key": "loss", "seconds": time.perf_counter() - began}


def history(run_id: str, key: str) -> dict[str, Any]:
    start = time.perf_counter()
    found = store.get_metric_history(run_id, key)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "count": len(found.steps),
        "last_step": found.steps[-1] if found.steps else None,
    }


def history_downsampled(run_id: str, key: str, max_results: int) -> dict[str, Any]:
    start = time.perf_counter()
    found = store.get_metric_history(run_id, key, max_points=max_results)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(found.steps)}


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
