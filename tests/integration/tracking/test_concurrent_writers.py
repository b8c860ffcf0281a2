"""Sixteen writer processes at once, through the SDK and its background logger: against one
embedded SQLite file, against one live server, and against PostgreSQL. Afterwards the database
holds exactly what was acknowledged: every run, param and metric point, none twice.

The writers are forked from a multiprocessing forkserver that preloads the SDK: each is still a
fresh process with its own connections (nothing inherited from pytest), but 16 interpreters do
not each pay the ~2 s of imports on a 2-core machine.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from typing import Any

import pytest
from sqlalchemy import select
from tests.integration.tracking.concurrent_writer import EXPERIMENT, METRIC_KEYS, Target, loss, write_runs
from tests.integration.tracking.conftest import new_workspace
from tests.support.server import LiveServer

from opsloop.client.http_store import HttpTrackingStore
from opsloop.storage import tables as t
from opsloop.storage.database import Database
from opsloop.storage.migrations import upgrade
from opsloop.tracking.entities import RunStatus
from opsloop.tracking.metric_chunks import read_points

WORKERS = 16
RUNS_PER_WORKER = 2
STEPS = 1500  # x 2 keys x 2 runs = 6,000 points per writer, 96,000 in all
REPORT_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def forkserver() -> Iterator[ForkServerContext]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.integration.tracking.concurrent_writer"])
    yield context


def run_writers(context: ForkServerContext, target: Target) -> list[dict[str, Any]]:
    """Start the writers together; return every run they acknowledged."""
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    processes = [
        context.Process(
            target=write_runs, args=(target, worker, RUNS_PER_WORKER, STEPS, barrier, results), daemon=True
        )
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=REPORT_TIMEOUT_S) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    errors = [report["error"] for report in reports if "error" in report]
    assert not errors, f"{len(errors)} writer(s) failed; the first:\n{errors[0]}"
    assert [process.exitcode for process in processes] == [0] * WORKERS
    acknowledged = [run for report in reports for run in report["runs"]]
    assert len(acknowledged) == WORKERS * RUNS_PER_WORKER
    return acknowledged


def assert_stored_exactly(database_url: str, workspace: str, acknowledged: list[dict[str, Any]]) -> None:
    """Count rows in the database itself: what was acknowledged is there, once, and nothing else."""
    database = Database.from_url(database_url)
    try:
        with database.read() as conn:
            experiments = conn.execute(
                select(t.experiments.c.name).where(t.experiments.c.workspace == workspace)
            ).scalars()
            experiment_names = list(experiments)
            runs = {
                row.id: row for row in conn.execute(select(t.runs).where(t.runs.c.workspace == workspace))
            }
            run_ids = list(runs)
            params = conn.execute(
                select(t.params.c.run_id, t.params.c.key, t.params.c.value).where(
                    t.params.c.run_id.in_(run_ids)
                )
            ).all()
            pairs = conn.execute(
                select(t.metric_chunks.c.run_id, t.metric_chunks.c.key)
                .where(t.metric_chunks.c.run_id.in_(run_ids))
                .distinct()
            ).all()
            metric_groups = []
            for run_id, key in pairs:
                points = read_points(conn, run_id, key, None, None)
                steps = points.steps.tolist()
                metric_groups.append((run_id, key, len(steps), len(set(steps)), min(steps), max(steps)))
            latest = conn.execute(
                select(t.latest_metrics).where(t.latest_metrics.c.run_id.in_(run_ids))
            ).all()
    finally:
        database.dispose()

    # get_or_create_experiment raced in 16 processes and still made exactly one experiment
    assert experiment_names == [EXPERIMENT]
    expected_ids = {run["run_id"] for run in acknowledged}
    assert len(expected_ids) == len(acknowledged)
    assert set(runs) == expected_ids
    for run in acknowledged:
        row = runs[run["run_id"]]
        assert (row.name, row.status, row.end_time is not None) == (
            run["name"],
            RunStatus.FINISHED.value,
            True,
        )

    expected_params = {
        (run["run_id"], key): value for run in acknowledged for key, value in run["params"].items()
    }
    assert len(params) == len(expected_params)
    assert {(row.run_id, row.key): row.value for row in params} == expected_params

    expected_groups = {
        (run_id, key): (STEPS, STEPS, 0, STEPS - 1) for run_id in expected_ids for key in METRIC_KEYS
    }
    assert {(row[0], row[1]): tuple(row[2:]) for row in metric_groups} == expected_groups

    assert len(latest) == len(expected_groups)
    for row in latest:
        assert (row.count, row.step) == (STEPS, STEPS - 1), row
        if row.key == "loss":
            assert row.value == loss(STEPS - 1)
            assert (row.min_value, row.max_value) == (loss(STEPS - 1), 1.0)


def test_sixteen_processes_on_one_sqlite_file(forkserver: ForkServerContext, tmp_path: Any) -> None:
    database_url = f"sqlite:///{(tmp_path / 'shared.db').as_posix()}"
    database = Database.from_url(database_url)
    upgrade(database)
    database.dispose()
    workspace = new_workspace()
    acknowledged = run_writers(forkserver, Target(workspace=workspace, database_url=database_url))
    assert_stored_exactly(database_url, workspace, acknowledged)


def test_sixteen_processes_through_one_server(forkserver: ForkServerContext, live_server: LiveServer) -> None:
    workspace = new_workspace()
    acknowledged = run_writers(forkserver, Target(workspace=workspace, url=live_server.url))
    assert_stored_exactly(
        f"sqlite:///{(live_server.home / 'opsloop.db').as_posix()}", workspace, acknowledged
    )

    # and the API serves the same: every run, every point
    store = HttpTrackingStore(live_server.url, workspace=workspace)
    try:
        page = store.search_runs(workspace=workspace, max_results=1000)
        assert {run.info.id for run in page.runs} == {run["run_id"] for run in acknowledged}
        for run in page.runs:
            assert {key: summary.count for key, summary in run.metrics.items()} == dict.fromkeys(
                METRIC_KEYS, STEPS
            )
        sample = acknowledged[0]["run_id"]
        history = store.get_metric_history(sample, "loss")
        assert history.steps == list(range(STEPS))
        assert history.values == [loss(step) for step in range(STEPS)]
    finally:
        store.close()


@pytest.mark.postgres
def test_sixteen_processes_on_postgres(forkserver: ForkServerContext, postgres_url: str) -> None:
    database = Database.from_url(postgres_url)
    upgrade(database)
    database.dispose()
    workspace = new_workspace()
    acknowledged = run_writers(forkserver, Target(workspace=workspace, database_url=postgres_url))
    assert_stored_exactly(postgres_url, workspace, acknowledged)
