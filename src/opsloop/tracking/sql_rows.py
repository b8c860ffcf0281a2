"""Loading tracking entities from SQL rows, in a fixed number of queries per page of runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from opsloop.storage import tables as t
from opsloop.tracking.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    MetricSummary,
    Run,
    RunInfo,
    RunStatus,
)

# SQLite's default limit on bound parameters is 32766 in current builds; stay well under it.
_IN_CHUNK = 900


def experiment_from_row(row: Any, tags: dict[str, str]) -> Experiment:
    return Experiment(
        id=row.id,
        workspace=row.workspace,
        name=row.name,
        description=row.description,
        artifact_location=row.artifact_location,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
        created_at=row.created_at,
        updated_at=row.updated_at,
        tags=tags,
    )


def run_info_from_row(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        experiment_id=row.experiment_id,
        workspace=row.workspace,
        name=row.name,
        status=RunStatus(row.status),
        start_time=row.start_time,
        end_time=row.end_time,
        user=row.user,
        source=row.source,
        git_commit=row.git_commit,
        git_dirty=row.git_dirty,
        parent_run_id=row.parent_run_id,
        artifact_uri=row.artifact_uri,
        lifecycle_stage=LifecycleStage(row.lifecycle_stage),
    )


def load_experiment_tags(conn: Connection, experiment_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {experiment_id: {} for experiment_id in experiment_ids}
    for chunk in _chunks(experiment_ids):
        query = select(t.experiment_tags).where(t.experiment_tags.c.experiment_id.in_(chunk))
        for row in conn.execute(query):
            found[row.experiment_id][row.key] = row.value
    return found


def load_runs(conn: Connection, run_ids: Sequence[str]) -> list[Run]:
    """Whole runs for the ids, in the order given; unknown ids are left out."""
    infos: dict[str, RunInfo] = {}
    params: dict[str, dict[str, str]] = {run_id: {} for run_id in run_ids}
    tags: dict[str, dict[str, str]] = {run_id: {} for run_id in run_ids}
    metrics: dict[str, dict[str, MetricSummary]] = {run_id: {} for run_id in run_ids}
    inputs: dict[str, list[DatasetInput]] = {run_id: [] for run_id in run_ids}
    for chunk in _chunks(run_ids):
        for row in conn.execute(select(t.runs).where(t.runs.c.id.in_(chunk))):
            infos[row.id] = run_info_from_row(row)
        for row in conn.execute(
            select(t.params.c.run_id, t.params.c.key, t.params.c.value).where(t.params.c.run_id.in_(chunk))
        ):
            params[row.run_id][row.key] = row.value
        for row in conn.execute(
            select(t.tags.c.run_id, t.tags.c.key, t.tags.c.value).where(t.tags.c.run_id.in_(chunk))
        ):
            tags[row.run_id][row.key] = row.value
        for row in conn.execute(select(t.latest_metrics).where(t.latest_metrics.c.run_id.in_(chunk))):
            metrics[row.run_id][row.key] = MetricSummary(
                key=row.key,
                value=math.nan if row.is_nan else float(row.value),
                step=row.step,
                timestamp=row.timestamp,
                min=row.min_value,
                max=row.max_value,
                count=row._mapping["count"],  # Row.count is tuple.count
            )
        joined = (
            select(
                t.run_inputs.c.run_id,
                t.run_inputs.c.context,
                t.run_inputs.c.tags.label("input_tags"),
                t.datasets,
            )
            .join(t.datasets, t.datasets.c.id == t.run_inputs.c.dataset_id)
            .where(t.run_inputs.c.run_id.in_(chunk))
        )
        for row in conn.execute(joined):
            inputs[row.run_id].append(
                DatasetInput(
                    name=row.name,
                    digest=row.digest,
                    context=row.context or None,
                    source=row.source,
                    source_type=row.source_type,
                    schema=row.schema,
                    profile=row.profile,
                    preview=row.preview,
                    num_rows=row.num_rows,
                    tags=row.input_tags or {},
                )
            )
    return [
        Run(
            info=infos[run_id],
            params=params[run_id],
            tags=tags[run_id],
            metrics=metrics[run_id],
            inputs=tuple(sorted(inputs[run_id], key=lambda item: (item.context or "", item.name))),
        )
        for run_id in run_ids
        if run_id in infos
    ]


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[start : start + _IN_CHUNK] for start in range(0, len(items), _IN_CHUNK)]
