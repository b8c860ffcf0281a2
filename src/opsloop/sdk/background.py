"""Non-blocking metric delivery.

`log_metric` only appends to an in-memory buffer; a background thread sends the buffer in
batches. `flush()` waits until everything logged before it has been delivered. A batch that
fails is retried with exponential backoff; if it still fails, the error is kept and raised by
the next `flush()` (and so by the end of the run): data is never dropped silently.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from opsloop.errors import DeliveryError, OpsloopError, StoreUnavailableError
from opsloop.tracking.entities import Metric
from opsloop.tracking.store import TrackingStore

logger = logging.getLogger("opsloop.sdk")

MAX_POINTS_PER_REQUEST = 5_000
FLUSH_INTERVAL_S = 0.25
RETRY_DELAYS_S = (0.1, 0.3, 1.0, 3.0, 5.0)


def _is_retryable(error: Exception) -> bool:
    # An OpsloopError other than "unavailable" is a 4xx: the same data would fail again.
    # Anything else (database locked, connection reset) may pass on a later try.
    return isinstance(error, StoreUnavailableError) or not isinstance(error, OpsloopError)


@dataclass
class _Failure:
    run_id: str
    points: int
    error: Exception


@dataclass
class _State:
    pending: dict[str, list[Metric]] = field(default_factory=dict)
    pending_points: int = 0
    logged: int = 0  # sequence number of the last point logged
    delivered: int = 0  # every point up to this sequence number is settled (sent or failed)
    failures: list[_Failure] = field(default_factory=list)


class BackgroundLogger:
    def __init__(
        self,
        store: TrackingStore,
        *,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        max_points_per_request: int = MAX_POINTS_PER_REQUEST,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.flush_interval_s = flush_interval_s
        self.max_points_per_request = max_points_per_request
        self.retry_delays_s = retry_delays_s
        self._sleep = sleep
        self._state = _State()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._settled = threading.Condition(self._lock)
        self._closed = False
        self._thread: threading.Thread | None = None

    def log(self, run_id: str, metrics: list[Metric]) -> None:
        with self._lock:
            if self._closed:
                raise DeliveryError("the background logger is closed")
            self._state.pending.setdefault(run_id, []).extend(metrics)
            self._state.pending_points += len(metrics)
            self._state.logged += len(metrics)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="opsloop-logger", daemon=True)
                self._thread.start()
            if self._state.pending_points >= self.max_points_per_request:
                self._wake.notify()

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every point logged so far is delivered; raise DeliveryError for any that
        could not be (each failure is reported once)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._lock:
            target = self._state.logged
            self._wake.notify()
            while self._state.delivered < target:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise DeliveryError(f"timed out after {timeout_s}s waiting for metric delivery")
                self._settled.wait(remaining)
            failures, self._state.failures = self._state.failures, []
        if failures:
            lost = sum(failure.points for failure in failures)
            first = failures[0].error
            raise DeliveryError(
                f"{lost} metric point(s) could not be delivered: {first}",
                details={"points": lost, "runs": sorted({failure.run_id for failure in failures})},
            ) from first

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._state.pending and not self._closed:
                    self._wake.wait(self.flush_interval_s)
                if self._closed and not self._state.pending:
                    return
                batches, self._state.pending = self._state.pending, {}
                count = self._state.pending_points
                self._state.pending_points = 0
            for run_id, metrics in batches.items():
                for start in range(0, len(metrics), self.max_points_per_request):
                    chunk = metrics[start : start + self.max_points_per_request]
                    error = self._deliver(run_id, chunk)
                    if error is not None:
                        with self._lock:
                            self._state.failures.append(_Failure(run_id, len(chunk), error))
            with self._lock:
                self._state.delivered += count
                self._settled.notify_all()

    def _deliver(self, run_id: str, metrics: list[Metric]) -> Exception | None:
        for attempt in range(len(self.retry_delays_s) + 1):
            try:
                self.store.log_batch(run_id, metrics=metrics)
                return None
            except Exception as error:
                if not _is_retryable(error) or attempt == len(self.retry_delays_s):
                    logger.warning("metric delivery to run %s failed: %s", run_id, error)
                    return error
                self._sleep(self.retry_delays_s[attempt])
        return None
