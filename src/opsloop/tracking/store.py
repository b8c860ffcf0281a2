"""The tracking-store contract.

One abstract base class with a small set of primitives that every backend implements (SQL,
in-memory, HTTP client); convenience methods such as `log_metric` are built on the `log_batch`
primitive here, once. Abstract methods are enforced by `abc`, so a backend that forgets one fails
at construction, not at the first call.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Literal

from opsloop.core.clock import now_ms
from opsloop.errors import AlreadyExistsError
from opsloop.tracking.entities import (
    DatasetInput,
    Experiment,
    Metric,
    MetricHistory,
    Run,
    RunInfo,
    RunPage,
    RunStatus,
)

DownsampleMethod = Literal["minmax", "lttb"]
DEFAULT_WORKSPACE = "default"
MAX_SEARCH_RESULTS = 10_000


class TrackingStore(abc.ABC):
    # --- experiments -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment: ...

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raises NotFoundError."""

    @abc.abstractmethod
    def get_experiment_by_name(
        self, name: str, *, workspace: str = DEFAULT_WORKSPACE
    ) -> Experiment | None: ...

    @abc.abstractmethod
    def list_experiments(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[Experiment]: ...

    @abc.abstractmethod
    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment: ...

    @abc.abstractmethod
    def set_experiment_archived(self, experiment_id: str, archived: bool) -> Experiment: ...

    # --- runs --------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        user: str | None = None,
        source: str | None = None,
        git_commit: str | None = None,
        git_dirty: bool | None = None,
        parent_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        start_time: int | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raises NotFoundError."""

    @abc.abstractmethod
    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunInfo: ...

    @abc.abstractmethod
    def set_run_archived(self, run_id: str, archived: bool) -> RunInfo: ...

    @abc.abstractmethod
    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log many values atomically: all of them are stored or, on any error, none.

        Params are write-once: the same value again is a no-op, a different one a ConflictError.
        """

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abc.abstractmethod
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...

    @abc.abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int | None = None,
        method: DownsampleMethod = "minmax",
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        """All points of one metric ordered by step (then timestamp); with `max_points`, a
        downsampled series of at most that many points that keeps every bucket's extremes."""

    @abc.abstractmethod
    def search_runs(
        self,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        experiment_ids: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 100,
        cursor: str | None = None,
        include_archived: bool = False,
    ) -> RunPage:
        """Runs matching the filter language (see docs/query.md), across experiments when
        `experiment_ids` is None, ordered and paginated with an opaque keyset cursor."""

    @abc.abstractmethod
    def record_artifact(self, run_id: str, path: str, size: int, sha256: str) -> None:
        """Index an artifact file that was written to the run's artifact store."""

    @abc.abstractmethod
    def list_artifact_records(self, run_id: str) -> dict[str, tuple[int, str]]:
        """path -> (size, sha256) of the artifacts indexed for a run."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections; the store is unusable afterwards."""

    # --- conveniences, all on log_batch --------------------------------------------------------
    def log_metric(
        self, run_id: str, key: str, value: float, step: int = 0, timestamp: int | None = None
    ) -> None:
        self.log_batch(run_id, metrics=[Metric(key, float(value), step, timestamp or now_ms())])

    def log_param(self, run_id: str, key: str, value: object) -> None:
        self.log_batch(run_id, params={key: str(value)})

    def set_tag(self, run_id: str, key: str, value: object) -> None:
        self.log_batch(run_id, tags={key: str(value)})

    def get_or_create_experiment(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> Experiment:
        found = self.get_experiment_by_name(name, workspace=workspace)
        if found is not None:
            return found
        try:
            return self.create_experiment(name, workspace=workspace)
        except AlreadyExistsError:
            # Another writer created it between our read and our insert.
            again = self.get_experiment_by_name(name, workspace=workspace)
            if again is None:
                raise
            return again
