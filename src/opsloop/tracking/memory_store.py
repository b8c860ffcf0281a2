"""An in-memory tracking store: the reference implementation of the contract, for tests and
for throwaway sessions. Same validation, same query semantics (evaluated in Python)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from opsloop.core.clock import now_ms
from opsloop.core.ids import new_id
from opsloop.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from opsloop.tracking.cursor import decode_cursor, encode_cursor, query_fingerprint
from opsloop.tracking.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    MetricHistory,
    MetricSummary,
    Run,
    RunInfo,
    RunPage,
    RunStatus,
)
from opsloop.tracking.history import build_history
from opsloop.tracking.naming import default_run_name
from opsloop.tracking.points import Points, group_by_key, summarize
from opsloop.tracking.query import matches, order_value, parse_filter, parse_order_by
from opsloop.tracking.search_defaults import normalized_order_by, validate_max_results
from opsloop.tracking.store import DEFAULT_WORKSPACE, DownsampleMethod, TrackingStore
from opsloop.tracking.summaries import merge_summary
from opsloop.tracking.validation import (
    validate_datasets,
    validate_instant,
    validate_key,
    validate_metrics,
    validate_name,
    validate_params,
    validate_tags,
    validate_workspace,
)


@dataclasses.dataclass
class _RunState:
    info: RunInfo
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    summaries: dict[str, MetricSummary] = dataclasses.field(default_factory=dict)
    points: dict[str, list[Metric]] = dataclasses.field(default_factory=dict)
    inputs: dict[tuple[str, str, str], DatasetInput] = dataclasses.field(default_factory=dict)
    artifacts: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)

    def snapshot(self) -> Run:
        return Run(
            info=self.info,
            params=dict(self.params),
            tags=dict(self.tags),
            metrics=dict(self.summaries),
            inputs=tuple(sorted(self.inputs.values(), key=lambda item: (item.context or "", item.name))),
        )


class InMemoryTrackingStore(TrackingStore):
    def __init__(self, artifact_root: str = "memory://artifacts") -> None:
        self.artifact_root = artifact_root.rstrip("/")
        self._lock = threading.RLock()
        self._experiments: dict[str, Experiment] = {}
        self._runs: dict[str, _RunState] = {}

    # --- experiments -------------------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        validate_workspace(workspace)
        validate_name(name, "name")
        clean_tags = validate_tags(tags)
        with self._lock:
            if self.get_experiment_by_name(name, workspace=workspace) is not None:
                raise AlreadyExistsError(
                    f"experiment {name!r} already exists in workspace {workspace!r}",
                    details={"field": "name"},
                )
            experiment_id = new_id()
            now = now_ms()
            experiment = Experiment(
                id=experiment_id,
                workspace=workspace,
                name=name,
                description=description,
                artifact_location=f"{self.artifact_root}/{experiment_id}",
                lifecycle_stage=LifecycleStage.ACTIVE,
                created_at=now,
                updated_at=now,
                tags=clean_tags,
            )
            self._experiments[experiment_id] = experiment
            return experiment

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            found = self._experiments.get(experiment_id)
        if found is None:
            raise NotFoundError(f"experiment {experiment_id!r} not found", details={"field": "experiment_id"})
        return found

    def get_experiment_by_name(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> Experiment | None:
        validate_workspace(workspace)
        with self._lock:
            for experiment in self._experiments.values():
                if experiment.workspace == workspace and experiment.name == name:
                    return experiment
        return None

    def list_experiments(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[Experiment]:
        validate_workspace(workspace)
        with self._lock:
            found = [
                experiment
                for experiment in self._experiments.values()
                if experiment.workspace == workspace and (include_archived or not experiment.archived)
            ]
        return sorted(found, key=lambda experiment: (experiment.created_at, experiment.id))

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        clean_tags = validate_tags(tags)
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            if name is not None:
                validate_name(name, "name")
                other = self.get_experiment_by_name(name, workspace=experiment.workspace)
                if other is not None and other.id != experiment_id:
                    raise AlreadyExistsError(f"experiment {name!r} already exists", details={"field": "name"})
            updated = dataclasses.replace(
                experiment,
                name=name if name is not None else experiment.name,
                description=description if description is not None else experiment.description,
                tags={**experiment.tags, **clean_tags},
                updated_at=now_ms(),
            )
            self._experiments[experiment_id] = updated
            return updated

    def set_experiment_archived(self, experiment_id: str, archived: bool) -> Experiment:
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            stage = LifecycleStage.ARCHIVED if archived else LifecycleStage.ACTIVE
            updated = dataclasses.replace(experiment, lifecycle_stage=stage, updated_at=now_ms())
            self._experiments[experiment_id] = updated
            return updated

    # --- runs --------------------------------------------------------------------------------
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
    ) -> RunInfo:
        clean_tags = validate_tags(tags)
        validate_instant(start_time, "start_time")
        run_name = validate_name(name, "name") if name is not None else default_run_name()
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            if experiment.archived:
                raise InvalidInputError(
                    f"experiment {experiment.name!r} is archived; restore it to add runs",
                    details={"field": "experiment_id"},
                )
            if parent_run_id is not None and parent_run_id not in self._runs:
                raise NotFoundError(f"run {parent_run_id!r} not found", details={"field": "parent_run_id"})
            run_id = new_id()
            info = RunInfo(
                id=run_id,
                experiment_id=experiment_id,
                workspace=experiment.workspace,
                name=run_name,
                status=RunStatus.RUNNING,
                start_time=start_time if start_time is not None else now_ms(),
                end_time=None,
                user=user,
                source=source,
                git_commit=git_commit,
                git_dirty=git_dirty,
                parent_run_id=parent_run_id,
                artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
                lifecycle_stage=LifecycleStage.ACTIVE,
            )
            self._runs[run_id] = _RunState(info=info, tags=clean_tags)
            return info

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            return self._state(run_id).snapshot()

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunInfo:
        validate_instant(end_time, "end_time")
        with self._lock:
            state = self._state(run_id)
            changes: dict[str, Any] = {}
            if status is not None:
                changes["status"] = RunStatus(status)
                if RunStatus(status).is_terminal:
                    changes["end_time"] = end_time if end_time is not None else now_ms()
            elif end_time is not None:
                changes["end_time"] = end_time
            if name is not None:
                changes["name"] = validate_name(name, "name")
            state.info = dataclasses.replace(state.info, **changes)
            return state.info

    def set_run_archived(self, run_id: str, archived: bool) -> RunInfo:
        with self._lock:
            state = self._state(run_id)
            stage = LifecycleStage.ARCHIVED if archived else LifecycleStage.ACTIVE
            state.info = dataclasses.replace(state.info, lifecycle_stage=stage)
            return state.info

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        validate_metrics(metrics)
        clean_params = validate_params(params)
        clean_tags = validate_tags(tags)
        with self._lock:
            state = self._active_state(run_id)
            for key, value in clean_params.items():  # check everything before changing anything
                stored = state.params.get(key)
                if stored is not None and stored != value:
                    raise ConflictError(
                        f"param {key!r} of run {run_id!r} is already {stored!r}; params are write-once "
                        f"(tried {value!r})",
                        details={"field": f"params.{key}", "stored": stored, "given": value},
                    )
            state.params.update(clean_params)
            state.tags.update(clean_tags)
            for metric in metrics:
                state.points.setdefault(metric.key, []).append(metric)
            for key, points in group_by_key(metrics).items():
                state.summaries[key] = merge_summary(state.summaries.get(key), summarize(key, points))

    def delete_tag(self, run_id: str, key: str) -> None:
        validate_key(key, "key")
        with self._lock:
            state = self._active_state(run_id)
            if key not in state.tags:
                raise NotFoundError(f"run {run_id!r} has no tag {key!r}", details={"field": "key"})
            del state.tags[key]

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        validate_datasets(datasets)
        with self._lock:
            state = self._active_state(run_id)
            for dataset in datasets:
                state.inputs.setdefault((dataset.context or "", dataset.name, dataset.digest), dataset)

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
        if max_points is not None and max_points < 4:
            raise InvalidInputError("max_points must be at least 4", details={"field": "max_points"})
        with self._lock:
            points = list(self._state(run_id).points.get(key, []))
        selected = group_by_key(points).get(key)
        ordered = (
            Points.concat([selected] if selected is not None else []).between(min_step, max_step).sorted()
        )
        return build_history(key, ordered, max_points, method)

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
        validate_workspace(workspace)
        validate_max_results(max_results)
        order_items = normalized_order_by(order_by)
        expression = parse_filter(filter)
        order_keys = parse_order_by(order_items)
        fingerprint = query_fingerprint(
            workspace, sorted(experiment_ids or []), filter, order_items, include_archived
        )
        with self._lock:
            candidates = []
            for state in self._runs.values():
                info = state.info
                experiment = self._experiments[info.experiment_id]
                if info.workspace != workspace or (
                    experiment_ids is not None and info.experiment_id not in experiment_ids
                ):
                    continue
                if not include_archived and (
                    info.lifecycle_stage is LifecycleStage.ARCHIVED or experiment.archived
                ):
                    continue
                run = state.snapshot()
                if matches(expression, run, experiment.name):
                    values = [order_value(key, run, experiment.name) for key in order_keys]
                    candidates.append(
                        (_sort_key(values, [key.descending for key in order_keys], info.id), values, run)
                    )
        candidates.sort(key=lambda item: item[0])
        if cursor:
            position = decode_cursor(cursor, fingerprint)
            boundary = _sort_key(position.values, [key.descending for key in order_keys], position.last_id)
            candidates = [item for item in candidates if item[0] > boundary]
        page = candidates[:max_results]
        next_cursor = None
        if len(candidates) > max_results and page:
            _, values, run = page[-1]
            next_cursor = encode_cursor(values, run.info.id, fingerprint)
        return RunPage(runs=[run for _, _, run in page], next_cursor=next_cursor)

    def record_artifact(self, run_id: str, path: str, size: int, sha256: str) -> None:
        with self._lock:
            self._state(run_id).artifacts[path] = (size, sha256)

    def list_artifact_records(self, run_id: str) -> dict[str, tuple[int, str]]:
        with self._lock:
            return dict(self._state(run_id).artifacts)

    # --- helpers -----------------------------------------------------------------------------
    def _state(self, run_id: str) -> _RunState:
        state = self._runs.get(run_id)
        if state is None:
            raise NotFoundError(f"run {run_id!r} not found", details={"field": "run_id"})
        return state

    def _active_state(self, run_id: str) -> _RunState:
        state = self._state(run_id)
        if state.info.lifecycle_stage is not LifecycleStage.ACTIVE:
            raise InvalidInputError(
                f"run {run_id!r} is archived; restore it to log to it", details={"field": "run_id"}
            )
        return state


class _Descending:
    """Reverses the order of a wrapped value, for mixed-direction sort keys."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.value < self.value)

    def __gt__(self, other: _Descending) -> bool:
        return bool(other.value > self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _sort_key(values: Sequence[Any], descending: Sequence[bool], run_id: str) -> tuple[Any, ...]:
    """NULLs last in either direction, then run id ascending, as the SQL store orders."""
    parts: list[Any] = []
    for value, is_descending in zip(values, descending, strict=True):
        if value is None:
            parts.append((1, 0))
        else:
            parts.append((0, _Descending(value) if is_descending else value))
    parts.append(run_id)
    return tuple(parts)
