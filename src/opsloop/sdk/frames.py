"""Runs as a pandas DataFrame, with MLflow's column naming (`params.lr`, `metrics.auc`, `tags.x`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from opsloop.tracking.entities import Run

BASE_COLUMNS = [
    "run_id",
    "experiment_id",
    "experiment",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration_s",
    "user",
    "parent_run_id",
    "git_commit",
]


def runs_to_frame(runs: Sequence[Run], experiment_names: Mapping[str, str]) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    for run in runs:
        info = run.info
        record: dict[str, Any] = {
            "run_id": info.id,
            "experiment_id": info.experiment_id,
            "experiment": experiment_names.get(info.experiment_id),
            "name": info.name,
            "status": info.status.value,
            "start_time": pd.to_datetime(info.start_time, unit="ms", utc=True),
            "end_time": pd.to_datetime(info.end_time, unit="ms", utc=True)
            if info.end_time is not None
            else pd.NaT,
            "duration_s": info.duration_ms / 1000 if info.duration_ms is not None else None,
            "user": info.user,
            "parent_run_id": info.parent_run_id,
            "git_commit": info.git_commit,
        }
        record.update({f"params.{key}": value for key, value in run.params.items()})
        record.update({f"metrics.{key}": summary.value for key, summary in run.metrics.items()})
        record.update({f"tags.{key}": value for key, value in run.tags.items()})
        records.append(record)
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return pd.DataFrame(columns=BASE_COLUMNS)
    extra = sorted(column for column in frame.columns if column not in BASE_COLUMNS)
    ordered = [column for column in BASE_COLUMNS if column in frame.columns] + [
        column for prefix in ("params.", "metrics.", "tags.") for column in extra if column.startswith(prefix)
    ]
    return frame[ordered]
