"""The SQL tracking store (SQLite embedded default, PostgreSQL for teams)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError

from opsloop.core.clock import now_ms
from opsloop.core.ids import new_id
from opsloop.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from opsloop.storage import tables as t
from opsloop.storage.database import Database
from opsloop.storage.upsert import insert_ignoring_conflicts, upsert
from opsloop.tracking import sql_search, sql_writes
from opsloop.tracking.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    MetricHistory,
    Run,
    RunInfo,
    RunPage,
    RunStatus,
)
from opsloop.tracking.history import build_history
from opsloop.tracking.metric_chunks import read_points
from opsloop.tracking.naming import default_run_name
from opsloop.tracking.sql_rows import experiment_from_row, load_experiment_tags, load_runs, run_info_from_row
from opsloop.tracking.store import DEFAULT_WORKSPACE, DownsampleMethod, TrackingStore
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

# Prebuilt: the run lookup precedes every write, and building the statement costs more than running it.
_RUN_BY_ID = select(t.runs).where(t.runs.c.id == bindparam("run_id"))
_EXPERIMENT_FOR_RUN = select(
    t.experiments.c.name,
    t.experiments.c.workspace,
    t.experiments.c.artifact_location,
    t.experiments.c.lifecycle_stage,
).where(t.experiments.c.id == bindparam("experiment_id"))
_INSERT_RUN = t.runs.insert()


class SqlTrackingStore(TrackingStore):
    def __init__(self, database: Database, artifact_root: str) -> None:
        self.database = database
        self.artifact_root = artifact_root.rstrip("/")

    @classmethod
    def from_uri(cls, database_url: str, artifact_root: str) -> SqlTrackingStore:
        return cls(Database.from_url(database_url), artifact_root)

    def close(self) -> None:
        self.database.dispose()

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
        experiment_id = new_id()
        now = now_ms()
        try:
            with self.database.write() as conn:
                conn.execute(
                    t.experiments.insert().values(
                        id=experiment_id,
                        workspace=workspace,
                        name=name,
                        description=description,
                        artifact_location=f"{self.artifact_root}/{experiment_id}",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        created_at=now,
                        updated_at=now,
                    )
                )
                sql_writes.write_experiment_tags(conn, experiment_id, clean_tags)
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"experiment {name!r} already exists in workspace {workspace!r}", details={"field": "name"}
            ) from exc
        return self.get_experiment(experiment_id)

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self.database.read() as conn:
            return self._experiment(conn, experiment_id)

    def get_experiment_by_name(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> Experiment | None:
        validate_workspace(workspace)
        with self.database.read() as conn:
            row = conn.execute(
                select(t.experiments).where(
                    t.experiments.c.workspace == workspace, t.experiments.c.name == name
                )
            ).first()
            if row is None:
                return None
            return experiment_from_row(row, load_experiment_tags(conn, [row.id])[row.id])

    def list_experiments(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[Experiment]:
        validate_workspace(workspace)
        query = select(t.experiments).where(t.experiments.c.workspace == workspace)
        if not include_archived:
            query = query.where(t.experiments.c.lifecycle_stage == LifecycleStage.ACTIVE.value)
        with self.database.read() as conn:
            rows = conn.execute(query.order_by(t.experiments.c.created_at, t.experiments.c.id)).all()
            tags = load_experiment_tags(conn, [row.id for row in rows])
        return [experiment_from_row(row, tags[row.id]) for row in rows]

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        values: dict[str, Any] = {"updated_at": now_ms()}
        if name is not None:
            values["name"] = validate_name(name, "name")
        if description is not None:
            values["description"] = description
        clean_tags = validate_tags(tags)
        try:
            with self.database.write() as conn:
                self._experiment(conn, experiment_id)
                conn.execute(
                    update(t.experiments).where(t.experiments.c.id == experiment_id).values(**values)
                )
                sql_writes.write_experiment_tags(conn, experiment_id, clean_tags)
        except IntegrityError as exc:
            raise AlreadyExistsError(
                f"experiment {name!r} already exists", details={"field": "name"}
            ) from exc
        return self.get_experiment(experiment_id)

    def set_experiment_archived(self, experiment_id: str, archived: bool) -> Experiment:
        stage = LifecycleStage.ARCHIVED if archived else LifecycleStage.ACTIVE
        with self.database.write() as conn:
            self._experiment(conn, experiment_id)
            conn.execute(
                update(t.experiments)
                .where(t.experiments.c.id == experiment_id)
                .values(lifecycle_stage=stage.value, updated_at=now_ms())
            )
        return self.get_experiment(experiment_id)

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
        run_id = new_id()
        with self.database.write() as conn:
            experiment = conn.execute(_EXPERIMENT_FOR_RUN, {"experiment_id": experiment_id}).first()
            if experiment is None:
                raise NotFoundError(
                    f"experiment {experiment_id!r} not found", details={"field": "experiment_id"}
                )
            if experiment.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise InvalidInputError(
                    f"experiment {experiment.name!r} is archived; restore it to add runs",
                    details={"field": "experiment_id"},
                )
            if parent_run_id is not None:
                self._run_row(conn, parent_run_id, field="parent_run_id")
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
            conn.execute(
                _INSERT_RUN,
                {
                    **dataclasses.asdict(info),
                    "status": info.status.value,
                    "lifecycle_stage": info.lifecycle_stage.value,
                },
            )
            sql_writes.write_tags(conn, run_id, clean_tags)
        return info

    def get_run(self, run_id: str) -> Run:
        with self.database.read() as conn:
            found = load_runs(conn, [run_id])
        if not found:
            raise NotFoundError(f"run {run_id!r} not found", details={"field": "run_id"})
        return found[0]

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunInfo:
        validate_instant(end_time, "end_time")
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = RunStatus(status).value
            if RunStatus(status).is_terminal:
                values["end_time"] = end_time if end_time is not None else now_ms()
        elif end_time is not None:
            values["end_time"] = end_time
        if name is not None:
            values["name"] = validate_name(name, "name")
        with self.database.write() as conn:
            self._run_row(conn, run_id)
            if values:
                conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**values))
            row = self._run_row(conn, run_id)
        return run_info_from_row(row)

    def set_run_archived(self, run_id: str, archived: bool) -> RunInfo:
        stage = LifecycleStage.ARCHIVED if archived else LifecycleStage.ACTIVE
        with self.database.write() as conn:
            self._run_row(conn, run_id)
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(lifecycle_stage=stage.value))
            row = self._run_row(conn, run_id)
        return run_info_from_row(row)

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
        if not (metrics or clean_params or clean_tags):
            return
        with self.database.write() as conn:
            self._active_run_row(conn, run_id)
            if clean_params:
                sql_writes.write_params(conn, run_id, clean_params)
            if clean_tags:
                sql_writes.write_tags(conn, run_id, clean_tags)
            if metrics:
                sql_writes.write_metrics(conn, run_id, metrics)

    def delete_tag(self, run_id: str, key: str) -> None:
        validate_key(key, "key")
        with self.database.write() as conn:
            self._active_run_row(conn, run_id)
            deleted = conn.execute(delete(t.tags).where(t.tags.c.run_id == run_id, t.tags.c.key == key))
            if deleted.rowcount == 0:
                raise NotFoundError(f"run {run_id!r} has no tag {key!r}", details={"field": "key"})

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        validate_datasets(datasets)
        with self.database.write() as conn:
            run = self._active_run_row(conn, run_id)
            for dataset in datasets:
                dataset_id = sql_writes.dataset_id(conn, run.workspace, dataset)
                insert_ignoring_conflicts(
                    conn,
                    t.run_inputs,
                    [
                        {
                            "run_id": run_id,
                            "dataset_id": dataset_id,
                            "context": dataset.context or "",
                            "tags": dict(dataset.tags),
                        }
                    ],
                )

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
        with self.database.read() as conn:
            self._run_row(conn, run_id)
            points = read_points(conn, run_id, key, min_step, max_step)
        return build_history(key, points, max_points, method)

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
        with self.database.read() as conn:
            return sql_search.search_runs(
                conn,
                workspace=workspace,
                experiment_ids=experiment_ids,
                filter_text=filter,
                order_by=order_by,
                max_results=max_results,
                cursor=cursor,
                include_archived=include_archived,
            )

    def record_artifact(self, run_id: str, path: str, size: int, sha256: str) -> None:
        with self.database.write() as conn:
            self._run_row(conn, run_id)
            upsert(
                conn,
                t.artifacts,
                [{"run_id": run_id, "path": path, "size": size, "sha256": sha256, "created_at": now_ms()}],
                ["run_id", "path"],
                lambda excluded, _table: {
                    "size": excluded.size,
                    "sha256": excluded.sha256,
                    "created_at": excluded.created_at,
                },
            )

    def list_artifact_records(self, run_id: str) -> dict[str, tuple[int, str]]:
        with self.database.read() as conn:
            self._run_row(conn, run_id)
            rows = conn.execute(select(t.artifacts).where(t.artifacts.c.run_id == run_id)).all()
        return {row.path: (row.size, row.sha256) for row in rows}

    # --- helpers -----------------------------------------------------------------------------
    def _experiment(self, conn: Connection, experiment_id: str) -> Experiment:
        row = conn.execute(select(t.experiments).where(t.experiments.c.id == experiment_id)).first()
        if row is None:
            raise NotFoundError(f"experiment {experiment_id!r} not found", details={"field": "experiment_id"})
        return experiment_from_row(row, load_experiment_tags(conn, [experiment_id])[experiment_id])

    def _run_row(self, conn: Connection, run_id: str, field: str = "run_id") -> Any:
        row = conn.execute(_RUN_BY_ID, {"run_id": run_id}).first()
        if row is None:
            raise NotFoundError(f"run {run_id!r} not found", details={"field": field})
        return row

    def _active_run_row(self, conn: Connection, run_id: str) -> Any:
        row = self._run_row(conn, run_id)
        if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidInputError(
                f"run {run_id!r} is archived; restore it to log to it", details={"field": "run_id"}
            )
        return row
