"""Downsampling of long metric series for charts.

`minmax` keeps, for every bucket of consecutive points, the lowest and the highest point, so no
spike is lost however long the series. `lttb` (Largest-Triangle-Three-Buckets, Steinarsson 2013)
keeps the visual shape with one point per bucket. Both always keep the first and last points.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IndexArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def minmax_indices(values: FloatArray, max_points: int) -> IndexArray:
    n = len(values)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    if max_points < 4:
        raise ValueError("max_points must be at least 4")
    buckets = (max_points - 2) // 2
    inner = values[1:-1]
    edges = np.linspace(0, len(inner), buckets + 1).astype(np.int64)
    starts, sizes = edges[:-1], np.diff(edges)
    starts, sizes = starts[sizes > 0], sizes[sizes > 0]
    # NaN must not hide a spike: it is neutral for the extremes (a bucket of only NaN keeps one).
    nan = np.isnan(inner)
    low_filled = np.where(nan, np.inf, inner)
    high_filled = np.where(nan, -np.inf, inner)
    bucket_of = np.repeat(np.arange(len(starts)), sizes)
    lows = np.repeat(np.minimum.reduceat(low_filled, starts), sizes)
    highs = np.repeat(np.maximum.reduceat(high_filled, starts), sizes)
    # The first position in each bucket that holds the bucket's min (and max).
    _, first_low = np.unique(bucket_of[low_filled == lows], return_index=True)
    low_at = np.flatnonzero(low_filled == lows)[first_low]
    _, first_high = np.unique(bucket_of[high_filled == highs], return_index=True)
    high_at = np.flatnonzero(high_filled == highs)[first_high]
    chosen = np.concatenate(([0], low_at + 1, high_at + 1, [n - 1]))
    return np.unique(chosen.astype(np.int64))


def lttb_indices(x: FloatArray, y: FloatArray, max_points: int) -> IndexArray:
    n = len(y)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    if max_points < 3:
        raise ValueError("max_points must be at least 3")
    y = np.where(np.isfinite(y), y, 0.0)
    edges = np.linspace(1, n - 1, max_points - 1).astype(np.int64)
    chosen = np.empty(max_points, dtype=np.int64)
    chosen[0] = 0
    previous = 0
    for bucket in range(max_points - 2):
        start, stop = edges[bucket], edges[bucket + 1]
        next_start, next_stop = edges[bucket + 1], edges[bucket + 2] if bucket + 2 < len(edges) else n
        if next_stop <= next_start:
            next_x, next_y = x[n - 1], y[n - 1]
        else:
            next_x, next_y = x[next_start:next_stop].mean(), y[next_start:next_stop].mean()
        if stop <= start:
            chosen[bucket + 1] = previous
            continue
        area = np.abs(
            (x[previous] - next_x) * (y[start:stop] - y[previous])
            - (x[previous] - x[start:stop]) * (next_y - y[previous])
        )
        previous = int(start + np.argmax(area))
        chosen[bucket + 1] = previous
    chosen[-1] = n - 1
    return np.unique(chosen)
