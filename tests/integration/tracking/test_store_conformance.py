"""The `TrackingStore` conformance suite: the same assertions over every implementation
(in-memory, SQLite, PostgreSQL and the HTTP client against a real server).

A test that needs a behaviour only some stores have says so with `skip_for`; everything else is
the contract, and a backend that differs from the others is a bug in that backend.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from tests.integration.tracking.conftest import Backend, new_workspace

from opsloop.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from opsloop.tracking.entities import (
    DatasetInput,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
)
from opsloop.tracking.store import TrackingStore

T0 = 1_700_000_000_000  # a fixed epoch-ms origin so timestamps are exact and comparable
UNKNOWN_ID = "0" * 32


def names(runs: Sequence[Run]) -> set[str]:
    return {run.info.name for run in runs}


def ids(runs: Sequence[Run]) -> list[str]:
    return [run.info.id for run in runs]


def same_floats(left: Sequence[float], right: Sequence[float]) -> bool:
    """Equal element by element, NaN equal to NaN."""
    return len(left) == len(right) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(left, right, strict=True)
    )


# === experiments ==================================================================================
def test_create_and_get_experiment(backend: Backend) -> None:
    created = backend.experiment("churn", description="monthly churn", tags={"team": "ml", "tier": "1"})
    assert created.name == "churn"
    assert created.workspace == backend.workspace
    assert created.description == "monthly churn"
    assert created.tags == {"team": "ml", "tier": "1"}
    assert created.lifecycle_stage is LifecycleStage.ACTIVE and not created.archived
    assert created.artifact_location
    assert created.created_at > 0 and created.updated_at >= created.created_at

    assert backend.store.get_experiment(created.id) == created
    assert backend.store.get_experiment_by_name("churn", workspace=backend.workspace) == created


def test_experiment_name_is_unique_per_workspace(backend: Backend) -> None:
    first = backend.experiment("churn")
    with pytest.raises(AlreadyExistsError):
        backend.experiment("churn")

    other_workspace = new_workspace()
    second = backend.store.create_experiment("churn", workspace=other_workspace)
    assert second.id != first.id
    assert second.workspace == other_workspace
    assert backend.store.get_experiment_by_name("churn", workspace=backend.workspace) == first
    assert backend.store.get_experiment_by_name("churn", workspace=other_workspace) == second
    assert [e.id for e in backend.store.list_experiments(workspace=backend.workspace)] == [first.id]
    assert [e.id for e in backend.store.list_experiments(workspace=other_workspace)] == [second.id]


def test_get_experiment_by_unknown_name_is_none(backend: Backend) -> None:
    backend.experiment("present")
    assert backend.store.get_experiment_by_name("absent", workspace=backend.workspace) is None
    assert backend.store.get_experiment_by_name("present", workspace=new_workspace()) is None


@pytest.mark.parametrize("name", ["team/churn v2", "50% off?", "ünïcødé ✓", "a#b&c=d"])
def test_experiment_names_with_special_characters(backend: Backend, name: str) -> None:
    created = backend.experiment(name)
    assert backend.store.get_experiment_by_name(name, workspace=backend.workspace) == created
    assert backend.store.get_or_create_experiment(name, workspace=backend.workspace) == created


def test_get_or_create_experiment(backend: Backend) -> None:
    created = backend.store.get_or_create_experiment("fresh", workspace=backend.workspace)
    assert created.name == "fresh"
    assert backend.store.get_or_create_experiment("fresh", workspace=backend.workspace) == created


def test_list_experiments(backend: Backend) -> None:
    created = [backend.experiment(f"exp-{index}") for index in range(4)]
    listed = backend.store.list_experiments(workspace=backend.workspace)
    assert {e.id for e in listed} == {e.id for e in created}
    assert listed == sorted(listed, key=lambda e: (e.created_at, e.id))
    assert backend.store.list_experiments(workspace=new_workspace()) == []


def test_update_experiment(backend: Backend) -> None:
    created = backend.experiment("old", description="before", tags={"a": "1", "b": "2"})
    updated = backend.store.update_experiment(
        created.id, name="new", description="after", tags={"b": "3", "c": "4"}
    )
    assert updated.id == created.id
    assert updated.name == "new"
    assert updated.description == "after"
    assert updated.tags == {"a": "1", "b": "3", "c": "4"}
    assert updated.updated_at >= created.updated_at
    assert backend.store.get_experiment(created.id) == updated
    assert backend.store.get_experiment_by_name("old", workspace=backend.workspace) is None
    assert backend.store.get_experiment_by_name("new", workspace=backend.workspace) == updated

    untouched = backend.store.update_experiment(created.id)  # nothing given: nothing changes
    assert (untouched.name, untouched.description, untouched.tags) == (
        updated.name,
        updated.description,
        updated.tags,
    )


def test_rename_experiment_to_a_taken_name_fails(backend: Backend) -> None:
    backend.experiment("taken")
    other = backend.experiment("other")
    with pytest.raises(AlreadyExistsError):
        backend.store.update_experiment(other.id, name="taken")
    assert backend.store.get_experiment(other.id).name == "other"


def test_archive_and_restore_experiment(backend: Backend) -> None:
    kept = backend.experiment("kept")
    archived = backend.store.set_experiment_archived(backend.experiment("gone").id, True)
    assert archived.archived and archived.lifecycle_stage is LifecycleStage.ARCHIVED
    assert backend.store.get_experiment(archived.id).archived

    visible = backend.store.list_experiments(workspace=backend.workspace)
    assert [e.id for e in visible] == [kept.id]
    everything = backend.store.list_experiments(workspace=backend.workspace, include_archived=True)
    assert {e.id for e in everything} == {kept.id, archived.id}

    restored = backend.store.set_experiment_archived(archived.id, False)
    assert not restored.archived and restored.lifecycle_stage is LifecycleStage.ACTIVE
    assert {e.id for e in backend.store.list_experiments(workspace=backend.workspace)} == {
        kept.id,
        archived.id,
    }


def test_no_new_runs_in_an_archived_experiment(backend: Backend) -> None:
    experiment = backend.experiment("frozen")
    backend.store.set_experiment_archived(experiment.id, True)
    with pytest.raises(InvalidInputError):
        backend.run(experiment.id)
    backend.store.set_experiment_archived(experiment.id, False)
    assert backend.run(experiment.id).experiment_id == experiment.id


# === runs =========================================================================================
def test_create_run_with_every_field(backend: Backend) -> None:
    experiment = backend.experiment("e")
    parent = backend.run(experiment.id, name="parent")
    info = backend.store.create_run(
        experiment.id,
        name="child run",
        user="ann",
        source="/src/train.py",
        git_commit="a" * 40,
        git_dirty=True,
        parent_run_id=parent.id,
        tags={"team": "ml", "note": "ünïcødé"},
        start_time=T0,
    )
    assert info.experiment_id == experiment.id
    assert info.workspace == backend.workspace
    assert info.name == "child run"
    assert info.status is RunStatus.RUNNING
    assert info.start_time == T0
    assert info.end_time is None and info.duration_ms is None
    assert (info.user, info.source, info.git_commit, info.git_dirty) == (
        "ann",
        "/src/train.py",
        "a" * 40,
        True,
    )
    assert info.parent_run_id == parent.id
    assert info.lifecycle_stage is LifecycleStage.ACTIVE
    assert info.artifact_uri and info.id in info.artifact_uri

    run = backend.store.get_run(info.id)
    assert run.info == info
    assert run.tags == {"team": "ml", "note": "ünïcødé"}
    assert run.params == {} and run.metrics == {} and run.inputs == ()


def test_create_run_defaults(backend: Backend) -> None:
    info = backend.run()
    assert info.name.strip()
    assert info.status is RunStatus.RUNNING
    assert info.start_time > T0
    assert info.parent_run_id is None
    assert (info.user, info.source, info.git_commit, info.git_dirty) == (None, None, None, None)
    assert backend.store.get_run(info.id).info == info
    assert backend.run().id != info.id


def test_create_run_with_unknown_parent_or_experiment(backend: Backend) -> None:
    experiment = backend.experiment("e")
    with pytest.raises(NotFoundError):
        backend.store.create_run(experiment.id, parent_run_id=UNKNOWN_ID)
    with pytest.raises(NotFoundError):
        backend.store.create_run(UNKNOWN_ID)
    assert backend.search(include_archived=True).runs == []


@pytest.mark.parametrize("status", [RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED])
def test_terminal_status_sets_end_time(backend: Backend, status: RunStatus) -> None:
    info = backend.run(start_time=T0)
    updated = backend.store.update_run(info.id, status=status)
    assert updated.status is status
    assert updated.end_time is not None and updated.end_time >= T0
    assert updated.duration_ms == updated.end_time - T0
    assert backend.store.get_run(info.id).info == updated


def test_update_run_explicit_end_time_name_and_non_terminal_status(backend: Backend) -> None:
    info = backend.run(start_time=T0)
    scheduled = backend.store.update_run(info.id, status=RunStatus.SCHEDULED)
    assert scheduled.status is RunStatus.SCHEDULED and scheduled.end_time is None
    finished = backend.store.update_run(
        info.id, status=RunStatus.FINISHED, end_time=T0 + 5_000, name="renamed"
    )
    assert (finished.status, finished.end_time, finished.duration_ms, finished.name) == (
        RunStatus.FINISHED,
        T0 + 5_000,
        5_000,
        "renamed",
    )
    assert backend.store.update_run(info.id).name == "renamed"  # nothing given: nothing changes


def test_archive_and_restore_run(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_param(info.id, "lr", "0.1")
    backend.store.set_tag(info.id, "t", "v")
    archived = backend.store.set_run_archived(info.id, True)
    assert archived.lifecycle_stage is LifecycleStage.ARCHIVED
    assert backend.store.get_run(info.id).info.lifecycle_stage is LifecycleStage.ARCHIVED

    refusals: list[Callable[[], object]] = [
        lambda: backend.store.log_metric(info.id, "m", 1.0),
        lambda: backend.store.log_param(info.id, "other", "x"),
        lambda: backend.store.set_tag(info.id, "t2", "v"),
        lambda: backend.store.delete_tag(info.id, "t"),
        lambda: backend.store.log_inputs(info.id, [DatasetInput(name="d", digest="abc")]),
    ]
    for refused in refusals:
        with pytest.raises(InvalidInputError):
            refused()
    run = backend.store.get_run(info.id)
    assert (run.params, run.tags, run.metrics, run.inputs) == ({"lr": "0.1"}, {"t": "v"}, {}, ())

    restored = backend.store.set_run_archived(info.id, False)
    assert restored.lifecycle_stage is LifecycleStage.ACTIVE
    backend.store.log_metric(info.id, "m", 1.0)
    assert backend.store.get_run(info.id).metrics["m"].value == 1.0


def _unknown_id_calls(store: TrackingStore, experiment_id: str) -> dict[str, Callable[[], object]]:
    return {
        "get_experiment": lambda: store.get_experiment(UNKNOWN_ID),
        "update_experiment": lambda: store.update_experiment(UNKNOWN_ID, description="x"),
        "set_experiment_archived": lambda: store.set_experiment_archived(UNKNOWN_ID, True),
        "create_run": lambda: store.create_run(UNKNOWN_ID),
        "create_run parent": lambda: store.create_run(experiment_id, parent_run_id=UNKNOWN_ID),
        "get_run": lambda: store.get_run(UNKNOWN_ID),
        "update_run": lambda: store.update_run(UNKNOWN_ID, status=RunStatus.FINISHED),
        "set_run_archived": lambda: store.set_run_archived(UNKNOWN_ID, True),
        "log_batch": lambda: store.log_batch(UNKNOWN_ID, metrics=[Metric("m", 1.0, 0, T0)]),
        "log_param": lambda: store.log_param(UNKNOWN_ID, "p", "1"),
        "set_tag": lambda: store.set_tag(UNKNOWN_ID, "t", "1"),
        "delete_tag": lambda: store.delete_tag(UNKNOWN_ID, "t"),
        "log_inputs": lambda: store.log_inputs(UNKNOWN_ID, [DatasetInput(name="d", digest="abc")]),
        "get_metric_history": lambda: store.get_metric_history(UNKNOWN_ID, "m"),
        "list_artifact_records": lambda: store.list_artifact_records(UNKNOWN_ID),
    }


def test_unknown_ids_are_not_found(backend: Backend) -> None:
    experiment = backend.experiment("e")
    for what, call in _unknown_id_calls(backend.store, experiment.id).items():
        with pytest.raises(NotFoundError):
            call()
            pytest.fail(f"{what} accepted an unknown id")


# === params and tags ==============================================================================
def test_params_are_write_once(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_param(info.id, "lr", 0.1)
    backend.store.log_param(info.id, "lr", "0.1")  # the same value again: a no-op
    backend.store.log_batch(info.id, params={"lr": "0.1", "depth": "3"})
    with pytest.raises(ConflictError):
        backend.store.log_param(info.id, "lr", "0.2")
    assert backend.store.get_run(info.id).params == {"lr": "0.1", "depth": "3"}


def test_a_conflicting_batch_stores_nothing(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_param(info.id, "lr", "0.1")
    with pytest.raises(ConflictError):
        backend.store.log_batch(
            info.id,
            metrics=[Metric("loss", 0.5, 1, T0)],
            params={"fresh": "yes", "lr": "0.9"},
            tags={"t": "v"},
        )
    run = backend.store.get_run(info.id)
    assert run.params == {"lr": "0.1"}
    assert run.tags == {}
    assert run.metrics == {}
    assert backend.store.get_metric_history(info.id, "loss").total_points == 0


def test_an_invalid_batch_stores_nothing(backend: Backend) -> None:
    info = backend.run()
    with pytest.raises(InvalidInputError):
        backend.store.log_batch(
            info.id,
            metrics=[Metric("good", 1.0, 0, T0), Metric("bad*key", 2.0, 0, T0)],
            params={"p": "1"},
            tags={"t": "v"},
        )
    run = backend.store.get_run(info.id)
    assert (run.params, run.tags, run.metrics) == ({}, {}, {})
    assert backend.store.get_metric_history(info.id, "good").total_points == 0


def test_tags_upsert_and_delete(backend: Backend) -> None:
    info = backend.run(tags={"a": "1"})
    backend.store.set_tag(info.id, "a", "2")
    backend.store.log_batch(info.id, tags={"b": "x", "c": ""})
    assert backend.store.get_run(info.id).tags == {"a": "2", "b": "x", "c": ""}

    backend.store.delete_tag(info.id, "a")
    assert backend.store.get_run(info.id).tags == {"b": "x", "c": ""}
    with pytest.raises(NotFoundError):
        backend.store.delete_tag(info.id, "a")
    backend.store.set_tag(info.id, "a", "back")
    assert backend.store.get_run(info.id).tags["a"] == "back"


def test_keys_and_values_round_trip(backend: Backend) -> None:
    info = backend.run()
    keys = ["plain", "with space", "a/b/c", "train:loss", "x.y-z_1"]
    long_value = "v" * 6000
    backend.store.log_batch(
        info.id,
        params={**{key: f"p-{key}" for key in keys}, "long": long_value, "unicode": "ünï ✓"},
        tags={key: f"t-{key}" for key in keys},
        metrics=[Metric(key, float(index), 0, T0) for index, key in enumerate(keys)],
    )
    run = backend.store.get_run(info.id)
    assert run.params == {**{key: f"p-{key}" for key in keys}, "long": long_value, "unicode": "ünï ✓"}
    assert run.tags == {key: f"t-{key}" for key in keys}
    assert {key: summary.value for key, summary in run.metrics.items()} == {
        k: float(i) for i, k in enumerate(keys)
    }
    for index, key in enumerate(keys):
        assert backend.store.get_metric_history(info.id, key).values == [float(index)]
    backend.store.delete_tag(info.id, "a/b/c")
    assert "a/b/c" not in backend.store.get_run(info.id).tags


# === metrics ======================================================================================
def test_many_metric_points(backend: Backend) -> None:
    info = backend.run()
    points = [Metric("loss", 1.0 / (step + 1), step, T0 + step) for step in range(1500)]
    backend.store.log_batch(info.id, metrics=points[:700])
    backend.store.log_batch(info.id, metrics=points[700:])
    history = backend.store.get_metric_history(info.id, "loss")
    assert history.key == "loss"
    assert history.total_points == 1500 and not history.downsampled
    assert history.steps == list(range(1500))
    assert history.timestamps == [T0 + step for step in range(1500)]
    assert history.values == [1.0 / (step + 1) for step in range(1500)]
    summary = backend.store.get_run(info.id).metrics["loss"]
    assert (summary.step, summary.value, summary.count) == (1499, 1.0 / 1500, 1500)
    assert (summary.min, summary.max) == (1.0 / 1500, 1.0)


def test_special_floats_are_kept_faithfully(backend: Backend) -> None:
    info = backend.run()
    values = [1.5, math.nan, math.inf, -math.inf, -0.25]
    backend.store.log_batch(
        info.id, metrics=[Metric("m", value, step, T0 + step) for step, value in enumerate(values)]
    )
    backend.store.log_batch(
        info.id, metrics=[Metric("last_nan", 1.0, 0, T0), Metric("last_nan", math.nan, 1, T0)]
    )
    backend.store.log_batch(
        info.id, metrics=[Metric("last_inf", math.inf, 0, T0), Metric("only_nan", math.nan, 0, T0)]
    )

    history = backend.store.get_metric_history(info.id, "m")
    assert same_floats(history.values, values)
    assert history.steps == [0, 1, 2, 3, 4]

    metrics = backend.store.get_run(info.id).metrics
    assert (metrics["m"].value, metrics["m"].min, metrics["m"].max, metrics["m"].count) == (
        -0.25,
        -math.inf,
        math.inf,
        5,
    )
    assert math.isnan(metrics["last_nan"].value) and metrics["last_nan"].step == 1
    assert (metrics["last_nan"].min, metrics["last_nan"].max, metrics["last_nan"].count) == (1.0, 1.0, 2)
    assert metrics["last_inf"].value == math.inf and metrics["last_inf"].max == math.inf
    assert math.isnan(metrics["only_nan"].value)
    assert (metrics["only_nan"].min, metrics["only_nan"].max, metrics["only_nan"].count) == (None, None, 1)
    assert same_floats(backend.store.get_metric_history(info.id, "last_nan").values, [1.0, math.nan])


def test_min_and_max_ignore_nan_across_batches(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_batch(info.id, metrics=[Metric("m", math.nan, 0, T0)])
    assert (
        backend.store.get_run(info.id).metrics["m"].min,
        backend.store.get_run(info.id).metrics["m"].max,
    ) == (
        None,
        None,
    )
    backend.store.log_batch(info.id, metrics=[Metric("m", 4.0, 1, T0), Metric("m", math.nan, 2, T0)])
    backend.store.log_batch(info.id, metrics=[Metric("m", -2.0, 3, T0), Metric("m", 7.0, 4, T0)])
    backend.store.log_batch(info.id, metrics=[Metric("m", math.nan, 5, T0)])
    summary = backend.store.get_run(info.id).metrics["m"]
    assert (summary.min, summary.max, summary.count, summary.step) == (-2.0, 7.0, 6, 5)
    assert math.isnan(summary.value)


def test_latest_is_the_largest_step_then_timestamp_whatever_the_arrival_order(backend: Backend) -> None:
    info = backend.run()

    def latest() -> tuple[float, int, int]:
        summary = backend.store.get_run(info.id).metrics["m"]
        return summary.value, summary.step, summary.timestamp

    backend.store.log_batch(
        info.id, metrics=[Metric("m", 3.0, 3, T0 + 10), Metric("m", 7.0, 7, T0), Metric("m", 1.0, 1, T0)]
    )
    assert latest() == (7.0, 7, T0)
    backend.store.log_metric(info.id, "m", 2.0, step=2, timestamp=T0 + 999)  # older step, newer time
    assert latest() == (7.0, 7, T0)
    backend.store.log_metric(info.id, "m", 6.0, step=7, timestamp=T0 - 1)  # same step, older time
    assert latest() == (7.0, 7, T0)
    backend.store.log_metric(info.id, "m", 8.0, step=7, timestamp=T0 + 1)  # same step, newer time
    assert latest() == (8.0, 7, T0 + 1)
    backend.store.log_metric(info.id, "m", 9.0, step=8, timestamp=T0 - 100)  # newer step, older time
    assert latest() == (9.0, 8, T0 - 100)
    assert backend.store.get_run(info.id).metrics["m"].count == 7
    assert (
        backend.store.get_run(info.id).metrics["m"].min,
        backend.store.get_run(info.id).metrics["m"].max,
    ) == (1.0, 9.0)


def test_history_is_ordered_by_step_then_timestamp(backend: Backend) -> None:
    info = backend.run()
    points = [
        Metric("m", float(step * 10 + tick), step, T0 + tick) for step in range(20) for tick in range(3)
    ]
    random.Random(7).shuffle(points)
    for start in range(0, len(points), 13):  # several batches, in shuffled order
        backend.store.log_batch(info.id, metrics=points[start : start + 13])
    history = backend.store.get_metric_history(info.id, "m")
    expected = sorted(points, key=lambda point: (point.step, point.timestamp))
    assert history.steps == [point.step for point in expected]
    assert history.timestamps == [point.timestamp for point in expected]
    assert history.values == [point.value for point in expected]


def test_history_step_range(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_batch(info.id, metrics=[Metric("m", float(step), step, T0) for step in range(-5, 50)])
    assert backend.store.get_metric_history(info.id, "m", min_step=10, max_step=20).steps == list(
        range(10, 21)
    )
    assert backend.store.get_metric_history(info.id, "m", min_step=45).steps == list(range(45, 50))
    assert backend.store.get_metric_history(info.id, "m", max_step=-3).steps == [-5, -4, -3]
    empty = backend.store.get_metric_history(info.id, "m", min_step=100)
    assert (empty.steps, empty.values, empty.total_points) == ([], [], 0)
    ranged = backend.store.get_metric_history(info.id, "m", min_step=0, max_step=39, max_points=10)
    assert ranged.total_points == 40 and ranged.downsampled and len(ranged.steps) <= 10
    assert ranged.steps[0] == 0 and ranged.steps[-1] == 39


def test_history_of_a_metric_never_logged_is_empty(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_metric(info.id, "other", 1.0)
    history = backend.store.get_metric_history(info.id, "never")
    assert (history.steps, history.values, history.timestamps, history.total_points) == ([], [], [], 0)


def _spiky_series(length: int) -> list[float]:
    values = [math.sin(step / 40.0) for step in range(length)]
    values[777] = 1000.0
    values[1333] = -1000.0
    values[1500] = math.nan
    return values


@pytest.mark.parametrize("method", ["minmax", "lttb"])
@pytest.mark.parametrize("max_points", [10, 100])
def test_downsampling_keeps_extremes_and_ends(backend: Backend, method: str, max_points: int) -> None:
    info = backend.run()
    values = _spiky_series(2000)
    backend.store.log_batch(
        info.id, metrics=[Metric("m", value, step, T0 + step) for step, value in enumerate(values)]
    )
    history = backend.store.get_metric_history(info.id, "m", max_points=max_points, method=method)  # type: ignore[arg-type]
    assert history.downsampled and history.total_points == 2000
    assert 4 <= len(history.steps) <= max_points
    assert len(history.values) == len(history.timestamps) == len(history.steps)
    assert history.steps == sorted(set(history.steps))
    assert (history.steps[0], history.steps[-1]) == (0, 1999)
    assert 777 in history.steps and 1333 in history.steps
    for step, value, timestamp in zip(history.steps, history.values, history.timestamps, strict=True):
        assert same_floats([value], [values[step]]) and timestamp == T0 + step

    short = backend.store.get_metric_history(info.id, "m", max_points=5000, method=method)  # type: ignore[arg-type]
    assert not short.downsampled and len(short.steps) == 2000


def test_downsampling_needs_at_least_four_points(backend: Backend) -> None:
    info = backend.run()
    backend.store.log_batch(info.id, metrics=[Metric("m", 1.0, step, T0) for step in range(10)])
    with pytest.raises(InvalidInputError):
        backend.store.get_metric_history(info.id, "m", max_points=3)


# === datasets =====================================================================================
def test_dataset_inputs_round_trip(backend: Backend) -> None:
    info = backend.run()
    train = DatasetInput(
        name="churn-train",
        digest="d1g35t",
        context="training",
        source="s3://bucket/train.parquet",
        source_type="parquet",
        schema={"columns": [{"name": "age", "type": "int64"}, {"name": "plan", "type": "string"}]},
        profile={"age": {"min": 18, "max": 99, "mean": 41.5, "nulls": 0}},
        preview=[{"age": 30, "plan": "pro"}, {"age": 55, "plan": None}],
        num_rows=120_000,
        tags={"split": "train"},
    )
    evaluation = DatasetInput(name="churn-eval", digest="e7a1", context="evaluation")
    backend.store.log_inputs(info.id, [train, evaluation])
    backend.store.log_inputs(info.id, [train])  # the same dataset again is recorded once
    inputs = backend.store.get_run(info.id).inputs
    assert inputs == (evaluation, train)  # ordered by context, then name


def test_the_same_dataset_in_two_contexts(backend: Backend) -> None:
    info = backend.run()
    dataset = DatasetInput(name="d", digest="abc", context="training", num_rows=3)
    backend.store.log_inputs(info.id, [dataset])
    backend.store.log_inputs(
        info.id, [DatasetInput(name="d", digest="abc", context="validation", num_rows=3)]
    )
    assert [(item.name, item.context) for item in backend.store.get_run(info.id).inputs] == [
        ("d", "training"),
        ("d", "validation"),
    ]


def test_dataset_inputs_need_name_and_digest(backend: Backend) -> None:
    info = backend.run()
    for bad in (DatasetInput(name="", digest="abc"), DatasetInput(name="d", digest=" ")):
        with pytest.raises(InvalidInputError):
            backend.store.log_inputs(info.id, [bad])
    assert backend.store.get_run(info.id).inputs == ()


# === artifacts ====================================================================================
def test_artifact_index(backend: Backend) -> None:
    info = backend.run()
    first, second = b"hello artifacts", b"x" * 70_000
    backend.upload(info.id, "model/weights.bin", second)
    stored = backend.upload(info.id, "notes.txt", first)
    assert (stored.path, stored.size, stored.sha256) == (
        "notes.txt",
        len(first),
        hashlib.sha256(first).hexdigest(),
    )
    assert backend.store.list_artifact_records(info.id) == {
        "notes.txt": (len(first), hashlib.sha256(first).hexdigest()),
        "model/weights.bin": (len(second), hashlib.sha256(second).hexdigest()),
    }
    backend.upload(info.id, "notes.txt", b"replaced")
    assert backend.store.list_artifact_records(info.id)["notes.txt"] == (
        8,
        hashlib.sha256(b"replaced").hexdigest(),
    )
    assert backend.store.list_artifact_records(backend.run().id) == {}


def test_record_artifact_upserts(backend: Backend) -> None:
    info = backend.run()
    if backend.kind == "http":
        # Over HTTP only the server indexes artifacts, from the bytes it received.
        with pytest.raises(InvalidInputError, match="not available over HTTP"):
            backend.store.record_artifact(info.id, "a/b.txt", 3, "0" * 64)
        assert backend.store.list_artifact_records(info.id) == {}
        return
    backend.store.record_artifact(info.id, "a/b.txt", 3, "0" * 64)
    backend.store.record_artifact(info.id, "c.txt", 5, "1" * 64)
    backend.store.record_artifact(info.id, "a/b.txt", 4, "2" * 64)
    assert backend.store.list_artifact_records(info.id) == {"a/b.txt": (4, "2" * 64), "c.txt": (5, "1" * 64)}
    with pytest.raises(NotFoundError):
        backend.store.record_artifact(UNKNOWN_ID, "x", 1, "3" * 64)


# === search: filters ==============================================================================
def _search_fixture(backend: Backend) -> None:
    """Four runs in two experiments with every kind of field to filter on."""
    alpha, beta = backend.experiment("alpha"), backend.experiment("beta")
    rf_small = backend.run(alpha.id, name="rf-small", user="ann", tags={"team": "ml"})
    backend.store.log_batch(
        rf_small.id,
        params={"model": "rf", "lr": "0.1", "n": "10"},
        metrics=[
            Metric("auc", 0.91, 0, T0),
            Metric("loss", 0.5, 0, T0),
            Metric("loss", 0.2, 1, T0),
            Metric("loss", 0.3, 2, T0),
        ],
    )
    rf_big = backend.run(alpha.id, name="rf-big", user="bob", tags={"team": "ML-ops"})
    backend.store.log_batch(
        rf_big.id,
        params={"model": "rf", "lr": "0.01", "n": "9"},
        metrics=[Metric("auc", 0.85, 0, T0), Metric("loss", 0.4, 0, T0)],
    )
    gbm = backend.run(beta.id, name="gbm-1", user="ann", tags={"team": "data"})
    backend.store.log_batch(
        gbm.id, params={"model": "gbm", "lr": "auto", "n": "100"}, metrics=[Metric("auc", 0.95, 0, T0)]
    )
    backend.store.update_run(gbm.id, status=RunStatus.FINISHED)
    linear = backend.run(beta.id, name="lin")
    backend.store.log_param(linear.id, "model", "linear")
    backend.store.update_run(linear.id, status=RunStatus.FAILED)


FILTER_CASES = [
    ("metrics.auc > 0.9", {"rf-small", "gbm-1"}),
    ("metrics.auc >= 0.85 AND params.model = 'rf'", {"rf-small", "rf-big"}),
    ("metrics.auc > 0.9 OR tags.team = 'data'", {"rf-small", "gbm-1"}),
    ("NOT metrics.auc > 0.9", {"rf-big", "lin"}),
    ("metrics.auc IS NULL", {"lin"}),
    ("metrics.loss.min < 0.25", {"rf-small"}),
    ("metrics.loss.max >= 0.5", {"rf-small"}),
    ("metrics.loss < 0.35", {"rf-small"}),
    ("params.n > 9", {"rf-small", "gbm-1"}),  # numeric: as text, '10' and '100' sort before '9'
    ("params.n >= 9 AND params.n < 100", {"rf-small", "rf-big"}),
    ("params.lr < 0.05", {"rf-big"}),  # 'auto' is not a number, so never compares numerically
    ("params.lr = '0.1'", {"rf-small"}),
    ("params.lr = 0.10", {"rf-small"}),
    ("params.model IN ('gbm', 'linear')", {"gbm-1", "lin"}),
    ("params.model NOT IN ('rf')", {"gbm-1", "lin"}),
    ("params.n IS NULL", {"lin"}),
    ("tags.team = 'ml'", {"rf-small"}),
    ("tags.team LIKE 'ml%'", {"rf-small"}),
    ("tags.team ILIKE 'ml%'", {"rf-small", "rf-big"}),
    ("tags.team != 'ml'", {"rf-big", "gbm-1"}),
    ("status = 'FINISHED'", {"gbm-1"}),
    ("status != 'running'", {"gbm-1", "lin"}),
    ("status IN ('finished', 'failed')", {"gbm-1", "lin"}),
    ("end_time IS NOT NULL", {"gbm-1", "lin"}),
    ("name LIKE 'rf-%'", {"rf-small", "rf-big"}),
    ("name = 'lin'", {"lin"}),
    ("user = 'ann'", {"rf-small", "gbm-1"}),
    ("user IS NULL", {"lin"}),
    ("experiment = 'beta'", {"gbm-1", "lin"}),
    ("params.model = 'rf' AND NOT tags.team = 'ml'", {"rf-big"}),
    ("params.model = 'xgboost'", set()),
]


def test_search_filters(backend: Backend) -> None:
    _search_fixture(backend)
    assert names(backend.search().runs) == {"rf-small", "rf-big", "gbm-1", "lin"}
    for text, expected in FILTER_CASES:
        assert names(backend.search(filter=text).runs) == expected, text


def test_search_returns_whole_runs(backend: Backend) -> None:
    _search_fixture(backend)
    (found,) = backend.search(filter="name = 'rf-small'").runs
    assert found == backend.store.get_run(found.info.id)
    assert found.params == {"model": "rf", "lr": "0.1", "n": "10"}
    assert found.tags == {"team": "ml"}
    loss = found.metrics["loss"]
    assert (loss.value, loss.step, loss.min, loss.max, loss.count) == (0.3, 2, 0.2, 0.5, 3)


def test_search_filter_by_ids(backend: Backend) -> None:
    parent = backend.run(name="parent")
    child = backend.run(name="child", parent_run_id=parent.id)
    assert names(backend.search(filter=f"parent_run_id = '{parent.id}'").runs) == {"child"}
    assert names(backend.search(filter=f"run_id = '{child.id}'").runs) == {"child"}
    assert names(backend.search(filter="parent_run_id IS NULL").runs) == {"parent"}


def test_search_across_and_within_experiments(backend: Backend) -> None:
    first, second, third = backend.experiment("one"), backend.experiment("two"), backend.experiment("three")
    for experiment in (first, second, third):
        for index in range(2):
            backend.run(experiment.id, name=f"{experiment.name}-{index}")
    backend.store.create_run(
        backend.store.create_experiment("one", workspace=new_workspace()).id, name="elsewhere"
    )

    assert names(backend.search().runs) == {"one-0", "one-1", "two-0", "two-1", "three-0", "three-1"}
    assert names(backend.search(experiment_ids=[first.id]).runs) == {"one-0", "one-1"}
    assert names(backend.search(experiment_ids=[first.id, third.id]).runs) == {
        "one-0",
        "one-1",
        "three-0",
        "three-1",
    }
    assert backend.search(experiment_ids=[]).runs == []
    assert backend.search(experiment_ids=[UNKNOWN_ID]).runs == []
    assert names(backend.search(filter="experiment = 'two'").runs) == {"two-0", "two-1"}


def test_search_hides_archived_runs_and_experiments_unless_asked(backend: Backend) -> None:
    kept, shelved = backend.experiment("kept"), backend.experiment("shelved")
    live = backend.run(kept.id, name="live")
    gone = backend.run(kept.id, name="gone")
    backend.run(shelved.id, name="in-shelved")
    backend.store.set_run_archived(gone.id, True)
    backend.store.set_experiment_archived(shelved.id, True)

    assert names(backend.search().runs) == {"live"}
    assert names(backend.search(include_archived=True).runs) == {"live", "gone", "in-shelved"}
    assert names(backend.search(include_archived=True, filter="lifecycle_stage = 'archived'").runs) == {
        "gone"
    }
    assert names(backend.search(include_archived=True, filter="lifecycle_stage = 'deleted'").runs) == {"gone"}
    backend.store.set_run_archived(gone.id, False)
    backend.store.set_experiment_archived(shelved.id, False)
    assert names(backend.search().runs) == {"live", "gone", "in-shelved"}
    assert live.id in ids(backend.search().runs)


@pytest.mark.parametrize(
    "bad_filter",
    ["metrics.auc >", "params.x = ", "nonsense = 1", "status = 'dun'", "(metrics.a > 1", "metrics.a > 'x'"],
)
def test_search_bad_filter(backend: Backend, bad_filter: str) -> None:
    backend.run()
    with pytest.raises(InvalidInputError):
        backend.search(filter=bad_filter)


@pytest.mark.parametrize("bad_order", [["metrics.a SIDEWAYS"], ["nonsense"], ["metrics."]])
def test_search_bad_order(backend: Backend, bad_order: list[str]) -> None:
    backend.run()
    with pytest.raises(InvalidInputError):
        backend.search(order_by=bad_order)


# === search: order and pages ======================================================================
@pytest.mark.parametrize("descending", [False, True])
def test_order_by_puts_missing_values_last_in_both_directions(backend: Backend, descending: bool) -> None:
    with_metric = {}
    for name, value in [("a", 3.0), ("b", 1.0), ("c", 2.0), ("d", None), ("e", None), ("f", -5.0)]:
        info = backend.run(name=name)
        if value is not None:
            backend.store.log_metric(info.id, "m", value, timestamp=T0)
            with_metric[name] = value
        else:
            backend.store.log_metric(info.id, "other", 0.0, timestamp=T0)
    missing = sorted(run.info.id for run in backend.search().runs if run.info.name in ("d", "e"))
    page = backend.search(order_by=["metrics.m DESC" if descending else "metrics.m ASC"])
    ordered_present = sorted(with_metric, key=with_metric.__getitem__, reverse=descending)
    assert [run.info.name for run in page.runs[:4]] == ordered_present
    assert ids(page.runs[4:]) == missing


def _order_value(run: Run, key: str) -> object | None:
    if key == "metrics.m":
        summary = run.metrics.get("m")
        return None if summary is None else summary.value
    if key == "params.p":
        return run.params.get("p")
    if key == "tags.t":
        return run.tags.get("t")
    if key in ("start_time", "name"):
        return getattr(run.info, key)
    raise AssertionError(key)


def _expected_order(runs: Sequence[Run], order_by: Sequence[str]) -> list[str]:
    """Independent of the stores: stable sorts from the last key to the first, each with its
    missing values last, over runs first sorted by id (the final tie-breaker)."""
    ordered = sorted(runs, key=lambda run: run.info.id)
    for item in reversed(order_by or ["start_time DESC"]):
        key, _, direction = item.partition(" ")
        descending = direction.upper() == "DESC"
        present = [run for run in ordered if _order_value(run, key) is not None]
        missing = [run for run in ordered if _order_value(run, key) is None]
        present.sort(key=lambda run: _order_value(run, key), reverse=descending)  # type: ignore[arg-type, return-value]
        ordered = present + missing
    return ids(ordered)


ORDERS = [
    [],
    ["metrics.m DESC"],
    ["metrics.m"],
    ["params.p"],
    ["params.p DESC", "metrics.m"],
    ["tags.t DESC", "metrics.m"],
    ["start_time DESC"],
    ["start_time", "name DESC"],
    ["name"],
]


def _many_tied_runs(backend: Backend, count: int) -> None:
    for index in range(count):
        tags = {"t": "xy"[index % 2]} if index % 11 else {}
        info = backend.run(name=f"r{index % 5}", start_time=T0 + index % 6, tags=tags)
        metrics = [] if index % 5 == 0 else [Metric("m", float(index % 4), 0, T0)]
        params = {} if index % 7 == 0 else {"p": str(index % 3)}
        backend.store.log_batch(info.id, metrics=metrics, params=params)


def test_cursor_pagination_visits_every_run_once_in_order(backend: Backend) -> None:
    count = 37
    _many_tied_runs(backend, count)
    everything = backend.search(max_results=1000).runs
    assert len(everything) == count
    for order_by in ORDERS:
        expected = _expected_order(everything, order_by)
        assert ids(backend.search(order_by=order_by, max_results=1000).runs) == expected, order_by
        for page_size in (5, 8):
            visited = ids(backend.search_all(page_size=page_size, order_by=order_by))
            assert len(visited) == len(set(visited)) == count, (order_by, page_size)
            assert visited == expected, (order_by, page_size)


def test_pagination_with_a_filter_and_archived_runs(backend: Backend) -> None:
    _many_tied_runs(backend, 20)
    everything = backend.search(max_results=1000).runs
    backend.store.set_run_archived(everything[3].info.id, True)
    wanted = {run.info.id for run in everything if "p" in run.params} - {everything[3].info.id}
    visited = ids(
        backend.search_all(
            page_size=3, filter="params.p IS NOT NULL", order_by=["params.p", "metrics.m DESC"]
        )
    )
    assert len(visited) == len(set(visited)) and set(visited) == wanted
    with_archived = ids(backend.search_all(page_size=4, include_archived=True, order_by=["metrics.m"]))
    assert sorted(with_archived) == sorted(ids(everything))


def test_a_cursor_only_fits_its_own_query(backend: Backend) -> None:
    _many_tied_runs(backend, 8)
    cursor = backend.search(order_by=["metrics.m"], max_results=3).next_cursor
    assert cursor is not None
    assert len(backend.search(order_by=["metrics.m"], max_results=3, cursor=cursor).runs) == 3
    for other in (
        {"order_by": ["metrics.m DESC"]},
        {"order_by": ["metrics.m"], "filter": "params.p = '1'"},
        {"order_by": ["metrics.m"], "include_archived": True},
        {"order_by": ["metrics.m"], "experiment_ids": [backend.default_experiment().id]},
    ):
        with pytest.raises(InvalidInputError):
            backend.search(max_results=3, cursor=cursor, **other)
    with pytest.raises(InvalidInputError):
        backend.store.search_runs(
            workspace=new_workspace(), order_by=["metrics.m"], max_results=3, cursor=cursor
        )
    for garbage in ("not-a-cursor", "eyJ2IjpbXX0", "%%%"):
        with pytest.raises(InvalidInputError):
            backend.search(order_by=["metrics.m"], cursor=garbage)


def test_max_results(backend: Backend) -> None:
    for index in range(6):
        backend.run(name=f"r{index}")
    page = backend.search(max_results=4)
    assert len(page.runs) == 4 and page.next_cursor is not None
    rest = backend.search(max_results=4, cursor=page.next_cursor)
    assert len(rest.runs) == 2 and rest.next_cursor is None
    exact = backend.search(max_results=6)
    assert len(exact.runs) == 6 and exact.next_cursor is None
    assert backend.search(max_results=10_000).next_cursor is None
    for bad in (0, -1, 10_001):
        with pytest.raises(InvalidInputError):
            backend.search(max_results=bad)


def test_search_of_an_empty_workspace(backend: Backend) -> None:
    page = backend.search(filter="metrics.m > 0", order_by=["metrics.m DESC"])
    assert (page.runs, page.next_cursor) == ([], None)


# === validation ===================================================================================
BAD_KEYS = ["", "bad*key", "/absolute", "a/../b", "..", "k" * 251, "new\nline"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused(backend: Backend, key: str) -> None:
    info = backend.run()
    calls: list[Callable[[], object]] = [
        lambda: backend.store.log_param(info.id, key, "1"),
        lambda: backend.store.set_tag(info.id, key, "1"),
        lambda: backend.store.log_metric(info.id, key, 1.0),
        lambda: backend.store.create_run(backend.default_experiment().id, tags={key: "1"}),
        lambda: backend.experiment("tagged", tags={key: "1"}),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()
    run = backend.store.get_run(info.id)
    assert (run.params, run.tags, run.metrics) == ({}, {}, {})


@pytest.mark.parametrize("name", ["", "   ", "n" * 257])
def test_bad_names_are_refused(backend: Backend, name: str) -> None:
    experiment = backend.experiment("fine")
    info = backend.run(experiment.id)
    calls: list[Callable[[], object]] = [
        lambda: backend.experiment(name),
        lambda: backend.store.update_experiment(experiment.id, name=name),
        lambda: backend.store.create_run(experiment.id, name=name),
        lambda: backend.store.update_run(info.id, name=name),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()
    assert [e.name for e in backend.store.list_experiments(workspace=backend.workspace)] == ["fine"]


@pytest.mark.parametrize("bad_workspace", ["", "Upper", "has space", "-leading", "w" * 65, "slash/ed"])
def test_bad_workspaces_are_refused(backend: Backend, bad_workspace: str) -> None:
    calls: list[Callable[[], object]] = [
        lambda: backend.store.create_experiment("e", workspace=bad_workspace),
        lambda: backend.store.list_experiments(workspace=bad_workspace),
        lambda: backend.store.get_experiment_by_name("e", workspace=bad_workspace),
        lambda: backend.store.search_runs(workspace=bad_workspace),
    ]
    for call in calls:
        with pytest.raises(InvalidInputError):
            call()


def test_bad_values_are_refused(backend: Backend) -> None:
    info = backend.run()
    bad_batches: list[dict[str, Any]] = [
        {"params": {"p": "v" * 6001}},
        {"tags": {"t": "v" * 8001}},
        {"params": {"p": 3}},
        {"metrics": [Metric("m", 1.0, 0, -1)]},
        {"metrics": [Metric("m", "high", 0, T0)]},  # type: ignore[arg-type]
        {"metrics": [Metric("m", 1.0, 2**63, T0)]},
    ]
    for batch in bad_batches:
        with pytest.raises(InvalidInputError):
            backend.store.log_batch(info.id, **batch)
    run = backend.store.get_run(info.id)
    assert (run.params, run.tags, run.metrics) == ({}, {}, {})
