"""Tracking entities to and from their JSON form, shared by the API, the HTTP client and the CLI
(floats in the protobuf JSON mapping: "NaN", "Infinity", "-Infinity")."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from opsloop.core.floats import float_from_json, float_to_json
from opsloop.tracking.entities import (
    ArtifactInfo,
    DatasetInput,
    Experiment,
    LifecycleStage,
    MetricHistory,
    MetricSummary,
    Run,
    RunInfo,
    RunPage,
    RunStatus,
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


# --- decoding: the JSON forms above back into entities (used by the HTTP client) -------------
def experiment_from_json(body: dict[str, Any]) -> Experiment:
    return Experiment(
        id=body["id"],
        workspace=body["workspace"],
        name=body["name"],
        description=body["description"],
        artifact_location=body["artifact_location"],
        lifecycle_stage=LifecycleStage(body["lifecycle_stage"]),
        created_at=body["created_at"],
        updated_at=body["updated_at"],
        tags=body["tags"],
    )


def run_info_from_json(body: dict[str, Any]) -> RunInfo:
    return RunInfo(
        id=body["id"],
        experiment_id=body["experiment_id"],
        workspace=body["workspace"],
        name=body["name"],
        status=RunStatus(body["status"]),
        start_time=body["start_time"],
        end_time=body["end_time"],
        user=body["user"],
        source=body["source"],
        git_commit=body["git_commit"],
        git_dirty=body["git_dirty"],
        parent_run_id=body["parent_run_id"],
        artifact_uri=body["artifact_uri"],
        lifecycle_stage=LifecycleStage(body["lifecycle_stage"]),
    )


def _optional_number(value: Any) -> float | None:
    return None if value is None else float_from_json(value)


def run_from_json(body: dict[str, Any]) -> Run:
    metrics = {
        key: MetricSummary(
            key=key,
            value=float_from_json(item["value"]),
            step=item["step"],
            timestamp=item["timestamp"],
            min=_optional_number(item["min"]),
            max=_optional_number(item["max"]),
            count=item["count"],
        )
        for key, item in body["metrics"].items()
    }
    inputs = tuple(DatasetInput(**item) for item in body["inputs"])
    return Run(
        info=run_info_from_json(body["info"]),
        params=body["params"],
        tags=body["tags"],
        metrics=metrics,
        inputs=inputs,
    )


def artifact_from_json(body: dict[str, Any]) -> ArtifactInfo:
    return ArtifactInfo(path=body["path"], is_dir=body["is_dir"], size=body["size"], sha256=body["sha256"])
