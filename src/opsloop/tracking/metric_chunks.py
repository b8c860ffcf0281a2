"""Metric points in chunks: a batch's points of one key are one row of packed arrays.

Why: a row per point makes ingest cost one B-tree insert per point (plus one per index) and a
100,000-point history cost 100,000 row decodes. A chunk makes both proportional to the number
of batches. Points keep arrival order inside and across chunks (chunk ids grow), so sorting by
(step, timestamp) with a stable sort gives the same order as a row per point would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, delete, func, select

from opsloop.storage import tables as t
from opsloop.tracking.points import Points

STEP = np.dtype("<i8")
VALUE = np.dtype("<f8")
# Chunks of fewer points than this are merged once a key has MAX_SMALL_CHUNKS of them; a chunk
# of 64+ points already amortises its row well, so batches that size never pay for the check.
SMALL_CHUNK = 64
MAX_SMALL_CHUNKS = 32
_INSERT_CHUNK = t.metric_chunks.insert()


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


def write_points(conn: Connection, run_id: str, grouped: Mapping[str, Points]) -> None:
    conn.execute(_INSERT_CHUNK, [_row(run_id, key, points) for key, points in grouped.items()])
    small_keys = [key for key, points in grouped.items() if len(points) < SMALL_CHUNK]
    if small_keys:
        _merge_small_chunks(conn, run_id, small_keys)


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


def _merge_small_chunks(conn: Connection, run_id: str, keys: Sequence[str]) -> None:
    """Bound the number of small chunks a key can have (one point per batch, logged forever)."""
    chunks = t.metric_chunks.c
    small = (chunks.run_id == run_id) & chunks.key.in_(keys) & (chunks["count"] < SMALL_CHUNK)
    counts = conn.execute(select(chunks.key, func.count()).where(small).group_by(chunks.key)).all()
    for key, count in counts:
        if count < MAX_SMALL_CHUNKS:
            continue
        of_key = small & (chunks.key == key)
        rows = conn.execute(
            select(chunks.id, chunks.steps, chunks.timestamps, chunks["values"])
            .where(of_key)
            .order_by(chunks.id)
        ).all()
        merged = Points.concat([_decode(row) for row in rows])
        conn.execute(delete(t.metric_chunks).where(chunks.id.in_([row.id for row in rows])))
        conn.execute(_INSERT_CHUNK, [_row(run_id, key, merged)])
