"""`Points`: one metric's points as parallel numpy arrays, and what is computed from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from opsloop.tracking.entities import Metric, MetricSummary


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


def summarize(key: str, points: Points) -> MetricSummary:
    """The latest point (largest step, then timestamp; the later one wins a tie), min and max
    over the non-NaN values, and the count."""
    latest = int(np.lexsort((points.timestamps, points.steps))[-1])  # stable: ties keep arrival order
    finite_or_inf = points.values[~np.isnan(points.values)]
    return MetricSummary(
        key=key,
        value=float(points.values[latest]),
        step=int(points.steps[latest]),
        timestamp=int(points.timestamps[latest]),
        min=float(finite_or_inf.min()) if len(finite_or_inf) else None,
        max=float(finite_or_inf.max()) if len(finite_or_inf) else None,
        count=len(points),
    )
