"""Per-key summaries of a batch of metric points (latest point, min, max, count)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from opsloop.tracking.entities import Metric, MetricSummary


def summarize_metrics(metrics: Sequence[Metric]) -> list[MetricSummary]:
    """The latest point (largest step, then timestamp; later in the batch wins ties) per key,
    with min and max over its non-NaN values."""
    latest: dict[str, Metric] = {}
    lows: dict[str, float | None] = {}
    highs: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for metric in metrics:
        key = metric.key
        current = latest.get(key)
        if current is None or (metric.step, metric.timestamp) >= (current.step, current.timestamp):
            latest[key] = metric
        counts[key] = counts.get(key, 0) + 1
        if math.isnan(metric.value):
            lows.setdefault(key, None)
            highs.setdefault(key, None)
            continue
        low, high = lows.get(key), highs.get(key)
        lows[key] = metric.value if low is None or metric.value < low else low
        highs[key] = metric.value if high is None or metric.value > high else high
    return [
        MetricSummary(
            key=key,
            value=point.value,
            step=point.step,
            timestamp=point.timestamp,
            min=lows.get(key),
            max=highs.get(key),
            count=counts[key],
        )
        for key, point in latest.items()
    ]


def merge_summary(old: MetricSummary | None, new: MetricSummary) -> MetricSummary:
    """The same merge the SQL store does in its upsert, for the in-memory store."""
    if old is None:
        return new
    newer = (new.step, new.timestamp) >= (old.step, old.timestamp)
    point = new if newer else old
    lows = [value for value in (old.min, new.min) if value is not None]
    highs = [value for value in (old.max, new.max) if value is not None]
    return MetricSummary(
        key=new.key,
        value=point.value,
        step=point.step,
        timestamp=point.timestamp,
        min=min(lows) if lows else None,
        max=max(highs) if highs else None,
        count=old.count + new.count,
    )
