"""The module-level SDK: `ol.start_run`, `ol.search_runs`, `ol.connect`, `ol.active_run`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from opsloop.sdk import provenance, session
from opsloop.sdk.frames import runs_to_frame
from opsloop.sdk.run import ActiveRun, run_stack
from opsloop.tracking.entities import Run


def start_run(
    experiment: str = "default",
    name: str | None = None,
    *,
    tags: Mapping[str, Any] | None = None,
    nested: bool | None = None,
    parent_run_id: str | None = None,
) -> ActiveRun:
    """Start a run in `experiment` (created if missing). Inside another active run the new run
    is nested under it, unless `nested=False`. Use it as a context manager: leaving the block
    normally marks the run FINISHED, an exception FAILED, Ctrl-C KILLED."""
    current = session.current()
    store = current.store
    stack = run_stack()
    parent = parent_run_id
    if parent is None and stack and nested is not False:
        parent = stack[-1].id
    experiment_id = store.get_or_create_experiment(experiment, workspace=current.workspace).id
    origin = provenance.capture()
    info = store.create_run(
        experiment_id,
        name=name,
        user=origin.user,
        source=origin.source,
        git_commit=origin.git_commit,
        git_dirty=origin.git_dirty,
        parent_run_id=parent,
        tags={key: str(value) for key, value in (tags or {}).items()},
    )
    run = ActiveRun(current, info)
    stack.append(run)
    return run


def active_run() -> ActiveRun | None:
    stack = run_stack()
    return stack[-1] if stack else None


def end_run() -> None:
    run = active_run()
    if run is not None:
        run.end()


def get_run(run_id: str) -> Run:
    return session.current().store.get_run(run_id)


def search_runs(
    filter: str | None = None,
    *,
    experiments: Sequence[str] | None = None,
    order_by: Sequence[str] | str | None = None,
    max_results: int = 1000,
    include_archived: bool = False,
) -> pd.DataFrame:
    """Runs matching the query language as a DataFrame: one row per run, with `params.*`,
    `metrics.*` and `tags.*` columns. `experiments` are names; None searches all of them."""
    current = session.current()
    store = current.store
    experiment_ids = None
    if experiments is not None:
        experiment_ids = []
        for experiment_name in experiments:
            found = store.get_experiment_by_name(experiment_name, workspace=current.workspace)
            if found is not None:
                experiment_ids.append(found.id)
    orders = [order_by] if isinstance(order_by, str) else list(order_by or [])
    runs: list[Run] = []
    cursor = None
    while len(runs) < max_results:
        page = store.search_runs(
            workspace=current.workspace,
            experiment_ids=experiment_ids,
            filter=filter,
            order_by=orders,
            max_results=min(1000, max_results - len(runs)),
            cursor=cursor,
            include_archived=include_archived,
        )
        runs.extend(page.runs)
        cursor = page.next_cursor
        if cursor is None:
            break
    names = {
        experiment.id: experiment.name
        for experiment in store.list_experiments(workspace=current.workspace, include_archived=True)
    }
    return runs_to_frame(runs, names)


def flush() -> None:
    session.current().logger.flush()
