"""Merging metric summaries (latest point, min, max, count) as new batches arrive."""

from __future__ import annotations

from opsloop.tracking.entities import MetricSummary


def merge_summary(old: MetricSummary | None, new: MetricSummary) -> MetricSummary:
    """The same merge the SQL store does in its upsert, for the in-memory store: the newer
    point by (step, timestamp), the later batch winning a tie."""
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
