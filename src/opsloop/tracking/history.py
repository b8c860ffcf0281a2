"""Metric history as columns, downsampled for charts when it is long."""

from __future__ import annotations

import numpy as np

from opsloop.tracking.downsample import lttb_indices, minmax_indices
from opsloop.tracking.entities import MetricHistory
from opsloop.tracking.points import Points
from opsloop.tracking.store import DownsampleMethod


def build_history(
    key: str, points: Points, max_points: int | None, method: DownsampleMethod
) -> MetricHistory:
    """The points (already in step order) as columns, downsampled when there are more than max_points."""
    steps, timestamps, values = points.steps, points.timestamps, points.values
    total = len(points)
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
