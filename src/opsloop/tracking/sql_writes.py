"""The SQL writes of the tracking store, each inside the caller's transaction."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, case, select

from opsloop.core.floats import as_number
from opsloop.core.ids import new_id
from opsloop.errors import ConflictError
from opsloop.storage import tables as t
from opsloop.storage.upsert import insert_ignoring_conflicts, upsert
from opsloop.tracking.entities import DatasetInput, Metric
from opsloop.tracking.metric_chunks import write_points
from opsloop.tracking.points import group_by_key, summarize


def write_experiment_tags(conn: Connection, experiment_id: str, tags: Mapping[str, str]) -> None:
    upsert(
        conn,
        t.experiment_tags,
        [{"experiment_id": experiment_id, "key": key, "value": value} for key, value in tags.items()],
        ["experiment_id", "key"],
        lambda excluded, _table: {"value": excluded.value},
    )


def write_tags(conn: Connection, run_id: str, tags: Mapping[str, str]) -> None:
    upsert(
        conn,
        t.tags,
        [
            {"run_id": run_id, "key": key, "value": value, "value_num": as_number(value)}
            for key, value in tags.items()
        ],
        ["run_id", "key"],
        lambda excluded, _table: {"value": excluded.value, "value_num": excluded.value_num},
    )


def write_params(conn: Connection, run_id: str, params: Mapping[str, str]) -> None:
    existing = dict(
        conn.execute(
            select(t.params.c.key, t.params.c.value).where(
                t.params.c.run_id == run_id, t.params.c.key.in_(list(params))
            )
        ).all()
    )
    for key, value in params.items():
        if key in existing and existing[key] != value:
            raise ConflictError(
                f"param {key!r} of run {run_id!r} is already {existing[key]!r}; params are write-once "
                f"(tried {value!r})",
                details={"field": f"params.{key}", "stored": existing[key], "given": value},
            )
    fresh = [
        {"run_id": run_id, "key": key, "value": value, "value_num": as_number(value)}
        for key, value in params.items()
        if key not in existing
    ]
    # Two writers may log the same new param at once: identical values are a no-op.
    insert_ignoring_conflicts(conn, t.params, fresh)


def write_metrics(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    grouped = group_by_key(metrics)
    write_points(conn, run_id, grouped)
    summaries = [summarize(key, points) for key, points in grouped.items()]
    latest = [
        {
            "run_id": run_id,
            "key": summary.key,
            "value": None if math.isnan(summary.value) else summary.value,
            "is_nan": math.isnan(summary.value),
            "step": summary.step,
            "timestamp": summary.timestamp,
            "min_value": summary.min,
            "max_value": summary.max,
            "count": summary.count,
        }
        for summary in summaries
    ]
    upsert(conn, t.latest_metrics, latest, ["run_id", "key"], _merge_latest_metric)


def dataset_id(conn: Connection, workspace: str, dataset: DatasetInput) -> str:
    found = conn.execute(
        select(t.datasets.c.id).where(
            t.datasets.c.workspace == workspace,
            t.datasets.c.name == dataset.name,
            t.datasets.c.digest == dataset.digest,
        )
    ).scalar()
    if found is not None:
        return str(found)
    dataset_id = new_id()
    conn.execute(
        t.datasets.insert().values(
            id=dataset_id,
            workspace=workspace,
            name=dataset.name,
            digest=dataset.digest,
            source=dataset.source,
            source_type=dataset.source_type,
            schema=dataset.schema,
            profile=dataset.profile,
            preview=dataset.preview,
            num_rows=dataset.num_rows,
        )
    )
    return dataset_id


def _merge_latest_metric(excluded: Any, table: Any) -> dict[str, Any]:
    """Keep the point with the larger (step, timestamp) and widen min/max over both sides."""
    newer = (excluded.step > table.c.step) | (
        (excluded.step == table.c.step) & (excluded.timestamp >= table.c.timestamp)
    )

    def pick(column: str) -> Any:
        return case((newer, excluded[column]), else_=table.c[column])

    return {
        "value": pick("value"),
        "is_nan": pick("is_nan"),
        "step": pick("step"),
        "timestamp": pick("timestamp"),
        "min_value": case(
            (table.c.min_value.is_(None), excluded.min_value),
            (excluded.min_value.is_(None), table.c.min_value),
            (excluded.min_value < table.c.min_value, excluded.min_value),
            else_=table.c.min_value,
        ),
        "max_value": case(
            (table.c.max_value.is_(None), excluded.max_value),
            (excluded.max_value.is_(None), table.c.max_value),
            (excluded.max_value > table.c.max_value, excluded.max_value),
            else_=table.c.max_value,
        ),
        "count": table.c.count + excluded.count,
    }
