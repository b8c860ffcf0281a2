"""Tracking entities as JSON-ready dicts, shared by the API and the CLI (floats in the protobuf
JSON mapping: "NaN", "Infinity", "-Infinity")."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from opsloop.core.floats import float_to_json
from opsloop.tracking.entities import (
    ArtifactInfo,
    DatasetInput,
    Experiment,
    MetricHistory,
    Run,
    RunInfo,
    RunPage,
)


def experiment_json(experiment: Experiment) -> dict[str, Any]:
    return {
        "id": experiment.id,
        "workspace": experiment.workspace,
        "name": experiment.name,
        "description": experiment.description,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage.value,
        "created_at": experiment.created_at,
        "updated_at": experiment.updated_at,
        "tags": experiment.tags,
    }


def run_info_json(info: RunInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "experiment_id": info.experiment_id,
        "workspace": info.workspace,
        "name": info.name,
        "status": info.status.value,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "duration_ms": info.duration_ms,
        "user": info.user,
        "source": info.source,
        "git_commit": info.git_commit,
        "git_dirty": info.git_dirty,
        "parent_run_id": info.parent_run_id,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": info.lifecycle_stage.value,
    }


def dataset_json(dataset: DatasetInput) -> dict[str, Any]:
    return dataclasses.asdict(dataset)


def run_json(run: Run) -> dict[str, Any]:
    return {
        "info": run_info_json(run.info),
        "params": run.params,
        "tags": run.tags,
        "metrics": {
            key: {
                "value": float_to_json(summary.value),
                "step": summary.step,
                "timestamp": summary.timestamp,
                "min": _optional_float(summary.min),
                "max": _optional_float(summary.max),
                "count": summary.count,
            }
            for key, summary in run.metrics.items()
        },
        "inputs": [dataset_json(dataset) for dataset in run.inputs],
    }


def run_page_json(page: RunPage) -> dict[str, Any]:
    return {"runs": [run_json(run) for run in page.runs], "next_cursor": page.next_cursor}


def history_json(history: MetricHistory) -> dict[str, Any]:
    return {
        "key": history.key,
        "steps": history.steps,
        "values": _float_list(history.values),
        "timestamps": history.timestamps,
        "total_points": history.total_points,
        "downsampled": history.downsampled,
    }


def artifact_json(artifact: ArtifactInfo) -> dict[str, Any]:
    return {
        "path": artifact.path,
        "is_dir": artifact.is_dir,
        "size": artifact.size,
        "sha256": artifact.sha256,
    }


def _optional_float(value: float | None) -> float | str | None:
    return None if value is None else float_to_json(value)


def _float_list(values: list[float]) -> list[float | str]:
    if all(map(math.isfinite, values)):
        return values  # type: ignore[return-value]  # the common case, without a copy
    return [float_to_json(value) for value in values]
