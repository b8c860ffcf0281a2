"""Metric points in chunks: a batch's points of one key are one row of packed arrays.

Why: a row per point makes ingest cost one B-tree insert per point (plus one per index) and a
100,000-point history cost 100,000 row decodes. A chunk makes both proportional to the number
of batches. Points keep arrival order inside and across chunks (chunk ids grow), so sorting by
(step, timestamp) with a stable sort gives the same order as a row per point would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, delete, func, select

from opsloop.storage import tables as t
from opsloop.tracking.entities import Metric

STEP = np.dtype("<i8")
VALUE = np.dtype("<f8")
SMALL_CHUNK = 1024  # chunks smaller than this are merged once there are MAX_SMALL_CHUNKS of them
MAX_SMALL_CHUNKS = 32


@dataclass(frozen=True, slots=True)
class Points:
    """Parallel arrays of one metric's points."""

    steps: npt.NDArray[np.int64]
    timestamps: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def concat(cls, parts: Sequence[Points]) -> Points:
        if not parts:
            empty_int = np.empty(0, dtype=np.int64)
            return cls(empty_int, empty_int.copy(), np.empty(0, dtype=np.float64))
        return cls(
            np.concatenate([part.steps for part in parts]),
            np.concatenate([part.timestamps for part in parts]),
            np.concatenate([part.values for part in parts]),
        )

    def sorted(self) -> Points:
        """Ordered by step, then timestamp; equal points keep arrival order (a stable sort)."""
        order = np.lexsort((self.timestamps, self.steps))
        return Points(self.steps[order], self.timestamps[order], self.values[order])

    def between(self, min_step: int | None, max_step: int | None) -> Points:
        keep = np.ones(len(self), dtype=bool)
        if min_step is not None:
            keep &= self.steps >= min_step
        if max_step is not None:
            keep &= self.steps <= max_step
        return Points(self.steps[keep], self.timestamps[keep], self.values[keep])


def _row(run_id: str, key: str, points: Points) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "key": key,
        "count": len(points),
        "min_step": int(points.steps.min()),
        "max_step": int(points.steps.max()),
        "steps": points.steps.astype(STEP).tobytes(),
        "timestamps": points.timestamps.astype(STEP).tobytes(),
        "values": points.values.astype(VALUE).tobytes(),
    }


def _decode(row: Any) -> Points:
    columns = row._mapping  # by name: "count" and "values" are also tuple/Row methods
    return Points(
        np.frombuffer(columns["steps"], dtype=STEP).astype(np.int64),
        np.frombuffer(columns["timestamps"], dtype=STEP).astype(np.int64),
        np.frombuffer(columns["values"], dtype=VALUE).astype(np.float64),
    )


def group_by_key(metrics: Iterable[Metric]) -> dict[str, Points]:
    grouped: dict[str, tuple[list[int], list[int], list[float]]] = {}
    for metric in metrics:
        steps, timestamps, values = grouped.setdefault(metric.key, ([], [], []))
        steps.append(metric.step)
        timestamps.append(metric.timestamp)
        values.append(metric.value)
    return {
        key: Points(
            np.array(steps, dtype=np.int64),
            np.array(stamps, dtype=np.int64),
            np.array(vals, dtype=np.float64),
        )
        for key, (steps, stamps, vals) in grouped.items()
    }


def write_points(conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
    grouped = group_by_key(metrics)
    conn.execute(t.metric_chunks.insert(), [_row(run_id, key, points) for key, points in grouped.items()])
    for key in grouped:
        _merge_small_chunks(conn, run_id, key)


def read_points(
    conn: Connection, run_id: str, key: str, min_step: int | None, max_step: int | None
) -> Points:
    chunks = t.metric_chunks.c
    query = select(chunks.steps, chunks.timestamps, chunks["values"]).where(
        chunks.run_id == run_id, chunks.key == key
    )
    if min_step is not None:
        query = query.where(chunks.max_step >= min_step)
    if max_step is not None:
        query = query.where(chunks.min_step <= max_step)
    parts = [_decode(row) for row in conn.execute(query.order_by(chunks.id))]
    return Points.concat(parts).between(min_step, max_step).sorted()


def _merge_small_chunks(conn: Connection, run_id: str, key: str) -> None:
    """Bound the number of small chunks a key can have (one point per batch, logged forever)."""
    chunks = t.metric_chunks.c
    small = (chunks.run_id == run_id) & (chunks.key == key) & (chunks["count"] < SMALL_CHUNK)
    if conn.execute(select(func.count()).where(small)).scalar_one() < MAX_SMALL_CHUNKS:
        return
    rows = conn.execute(
        select(chunks.id, chunks.steps, chunks.timestamps, chunks["values"]).where(small).order_by(chunks.id)
    ).all()
    merged = Points.concat([_decode(row) for row in rows])
    conn.execute(delete(t.metric_chunks).where(chunks.id.in_([row.id for row in rows])))
    conn.execute(t.metric_chunks.insert(), [_row(run_id, key, merged)])
