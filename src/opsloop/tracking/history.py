"""Metric history as columns, downsampled for charts when it is long."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from opsloop.tracking.downsample import lttb_indices, minmax_indices
from opsloop.tracking.entities import MetricHistory
from opsloop.tracking.store import DownsampleMethod


def build_history(
    key: str, rows: Sequence[Any], max_points: int | None, method: DownsampleMethod
) -> MetricHistory:
    """Columns from (step, timestamp, value) rows, downsampled when there are more than max_points."""
    steps = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    timestamps = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter(
        (math.nan if row[2] is None else row[2] for row in rows), dtype=np.float64, count=len(rows)
    )
    total = len(rows)
    downsampled = max_points is not None and total > max_points
    if downsampled and max_points is not None:
        if method == "lttb":
            keep = lttb_indices(steps.astype(np.float64), values, max_points)
        else:
            keep = minmax_indices(values, max_points)
        steps, timestamps, values = steps[keep], timestamps[keep], values[keep]
    return MetricHistory(
        key=key,
        steps=steps.tolist(),
        values=values.tolist(),
        timestamps=timestamps.tolist(),
        total_points=total,
        downsampled=downsampled,
    )
