"""The data the tracking benchmark logs, generated the same way in both drivers (standard library
only: the MLflow driver imports it from MLflow's virtualenv). Same seed, same numbers."""

from __future__ import annotations

import random

BASE_TIMESTAMP_MS = 1_700_000_000_000
MODELS = ("rf", "xgb", "lr", "svm")
TEAMS = ("search", "ads", "fraud")

Point = tuple[str, float, int, int]  # key, value, step, timestamp (ms)


def ingest_run(
    run_index: int, n_params: int, n_metrics: int, n_steps: int, seed: int
) -> tuple[dict[str, str], list[Point]]:
    """One run of the ingest benchmark: `n_params` params, `n_metrics` metrics of `n_steps` steps each."""
    rng = random.Random(seed * 1_000_003 + run_index)
    params = {f"param_{index}": f"{rng.random():.6f}" for index in range(n_params)}
    points = [
        (f"metric_{metric}", rng.random(), step, BASE_TIMESTAMP_MS + step)
        for step in range(n_steps)
        for metric in range(n_metrics)
    ]
    return params, points


def batches(
    params: dict[str, str], points: list[Point], batch_size: int, params_count: bool
) -> list[tuple[dict[str, str], list[Point]]]:
    """Split one run's data into requests of at most `batch_size` entities, params in the first.
    With `params_count`, params take room in the first request (MLflow's 1000-entity limit, which
    `MlflowClient.log_batch` itself applies: 10 params + 990 metrics, then 1000 metrics...)."""
    first = batch_size - len(params) if params_count else batch_size
    plan = [(params, points[:first])]
    plan.extend(({}, points[start : start + batch_size]) for start in range(first, len(points), batch_size))
    return plan


def search_run(run_index: int, seed: int) -> tuple[dict[str, str], dict[str, float], dict[str, str]]:
    """params, metrics (one step each) and tags of one run of the search benchmark."""
    rng = random.Random(seed * 1_000_003 + run_index)
    params = {
        "model": rng.choice(MODELS),
        "learning_rate": f"{rng.uniform(0.001, 0.3):.4f}",
        "max_depth": str(rng.randint(2, 12)),
    }
    metrics = {"acc": rng.random(), "loss": rng.random(), "f1": rng.random()}
    tags = {"team": rng.choice(TEAMS)}
    return params, metrics, tags


def history_points(n_points: int, seed: int) -> list[Point]:
    rng = random.Random(seed)
    return [
        ("loss", 1.0 / (1.0 + step * 1e-3) + rng.gauss(0.0, 0.01), step, BASE_TIMESTAMP_MS + step)
        for step in range(n_points)
    ]
