"""`opsloop runs search|show|artifacts`.

Tables show a run id by its last 8 digits: the first ones encode the creation time, so runs made
close together share them. Every command that takes a RUN_ID also accepts such a short id.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Annotated, Any

import typer

from opsloop.cli.context import JsonOption, UrlOption, WorkspaceOption, open_cli_store
from opsloop.cli.output import fail, format_time, print_json, print_table, say
from opsloop.core.floats import float_to_json
from opsloop.errors import NotFoundError, QuerySyntaxError
from opsloop.sdk.session import Session
from opsloop.tracking.entities import Run, RunInfo
from opsloop.tracking.query import Field, parse_order_by, render_field
from opsloop.tracking.serialize import artifact_json, run_json
from opsloop.tracking.store import TrackingStore

app = typer.Typer(help="Search runs, show one, list and download its artifacts.", no_args_is_help=True)

SHORT_ID_LENGTH = 8
DEFAULT_METRIC_COLUMNS = 3
DEFAULT_PARAM_COLUMNS = 2
PAGE_SIZE = 1000
_PARTIAL_ID = re.compile(r"[0-9a-f]{4,31}")

RunIdArgument = Annotated[
    str, typer.Argument(metavar="RUN_ID", help="A run id, or its last (or first) digits.")
]

_ATTRIBUTES: dict[str, Callable[[RunInfo], Any]] = {
    "run_id": lambda info: info.id,
    "name": lambda info: info.name,
    "status": lambda info: info.status.value,
    "start_time": lambda info: format_time(info.start_time),
    "end_time": lambda info: format_time(info.end_time),
    "duration": lambda info: format_duration(info.duration_ms),
    "user": lambda info: info.user,
    "experiment_id": lambda info: info.experiment_id,
    "parent_run_id": lambda info: info.parent_run_id,
    "git_commit": lambda info: info.git_commit,
    "source": lambda info: info.source,
    "lifecycle_stage": lambda info: info.lifecycle_stage.value,
}


# --- formatting ------------------------------------------------------------------------------
def format_number(value: float | None) -> str:
    if value is None:
        return ""
    if math.isfinite(value):
        return f"{value:.6g}"
    return str(float_to_json(value))


def format_duration(ms: int | None) -> str:
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, second = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {second:02d}s"
    hours, minute = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minute:02d}m"
    days, hour = divmod(hours, 24)
    return f"{days}d {hour}h"


def format_size(size: int | None) -> str:
    if size is None:
        return ""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def short_id(run_id: str) -> str:
    return run_id[-SHORT_ID_LENGTH:]


# --- JSON ------------------------------------------------------------------------------------
def run_json_with_experiment(run: Run, experiment_name: str | None) -> dict[str, Any]:
    """The API's JSON form of a run, plus the experiment's name for readers of the CLI output."""
    body = run_json(run)
    body["info"]["experiment"] = experiment_name
    return body


# --- columns ---------------------------------------------------------------------------------
def parse_columns(text: str) -> list[Field]:
    """Columns name fields as the query language does: `name`, `metrics.auc.max`, `params.lr`."""
    try:
        return [key.field for key in parse_order_by([text])]
    except QuerySyntaxError as error:
        raise QuerySyntaxError(f"--columns: {error.reason}", query=text, position=error.position) from None


def cell(run: Run, field: Field, experiment_names: Mapping[str, str]) -> Any:
    if field.kind == "param":
        return run.params.get(field.key)
    if field.kind == "tag":
        return run.tags.get(field.key)
    if field.kind == "metric":
        summary = run.metrics.get(field.key)
        if summary is None:
            return None
        return format_number(
            {"min": summary.min, "max": summary.max}.get(field.aggregate or "", summary.value)
        )
    if field.key == "experiment":
        return experiment_names.get(run.info.experiment_id, run.info.experiment_id)
    return _ATTRIBUTES[field.key](run.info)


def default_columns(runs: Sequence[Run], order_by: Sequence[str]) -> list[tuple[str, Field]]:
    """Who, where, how it went; then the metrics and params the order names, then the most common."""
    columns = [
        ("run", Field("attribute", "run_id")),
        ("name", Field("attribute", "name")),
        ("experiment", Field("attribute", "experiment")),
        ("status", Field("attribute", "status")),
        ("start time", Field("attribute", "start_time")),
        ("duration", Field("attribute", "duration")),
    ]
    ordered = [key.field for key in parse_order_by(order_by)]
    metric_counts = Counter(key for run in runs for key in run.metrics)
    param_counts = Counter(key for run in runs for key in run.params)
    metrics = [Field("metric", key, "last") for key in _most_common(metric_counts)][:DEFAULT_METRIC_COLUMNS]
    params = [Field("param", key) for key in _most_common(param_counts)][:DEFAULT_PARAM_COLUMNS]
    extra = [field for field in ordered if field.kind in ("metric", "param")]
    extra += [field for field in metrics + params if field not in extra]
    columns += [(render_field(field), field) for field in extra]
    return columns


def _most_common(counts: Counter[str]) -> list[str]:
    return sorted(counts, key=lambda key: (-counts[key], key))


# --- lookups ---------------------------------------------------------------------------------
def resolve_run(store: TrackingStore, run_id: str, workspace: str) -> Run:
    """The run with this id, or the only run whose id ends (or else starts) with these digits."""
    try:
        return store.get_run(run_id)
    except NotFoundError as error:
        partial = run_id.lower()
        if not _PARTIAL_ID.fullmatch(partial):
            raise
        not_found = error
    for pattern in (f"%{partial}", f"{partial}%"):
        found = store.search_runs(
            workspace=workspace, filter=f"run_id LIKE '{pattern}'", max_results=2, include_archived=True
        ).runs
        if len(found) == 1:
            return found[0]
        if found:
            fail(f"run id {run_id!r} is ambiguous: give more digits")
    raise not_found


def experiment_names(store: TrackingStore, workspace: str) -> dict[str, str]:
    return {e.id: e.name for e in store.list_experiments(workspace=workspace, include_archived=True)}


def experiment_ids(store: TrackingStore, names: Sequence[str], workspace: str) -> list[str] | None:
    if not names:
        return None
    ids = []
    for name in names:
        found = store.get_experiment_by_name(name, workspace=workspace)
        if found is None:
            fail(f"experiment {name!r} not found in workspace {workspace!r}")
        ids.append(found.id)
    return ids


# --- commands --------------------------------------------------------------------------------
@app.command()
def search(
    filter: Annotated[
        str | None,
        typer.Argument(
            metavar="FILTER", help="e.g. \"metrics.auc > 0.9 AND params.model = 'rf'\"; empty for all."
        ),
    ] = None,
    experiment: Annotated[
        list[str] | None,
        typer.Option("--experiment", "-e", help="Experiment name; repeatable. Default: all."),
    ] = None,
    order_by: Annotated[
        list[str] | None, typer.Option("--order-by", "-o", help='e.g. "metrics.auc DESC"; repeatable.')
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns", "-c", help='Table columns, e.g. "name,status,metrics.auc,params.lr" (--json: all).'
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many runs.")] = 100,
    all_: Annotated[bool, typer.Option("--all", help="Include archived runs and experiments.")] = False,
    json: JsonOption = False,
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Search runs with the query language; newest first unless --order-by says otherwise.

    The table shows run ids by their last 8 digits, which `runs show` accepts."""
    if limit < 1:
        fail("--limit must be at least 1")
    fields = parse_columns(columns) if columns else None
    orders = list(order_by or [])
    store, space = open_cli_store(url, workspace)
    with closing(store):
        ids = experiment_ids(store, experiment or [], space)
        runs: list[Run] = []
        cursor = None
        while len(runs) < limit:
            page = store.search_runs(
                workspace=space,
                experiment_ids=ids,
                filter=filter,
                order_by=orders,
                max_results=min(PAGE_SIZE, limit - len(runs)),
                cursor=cursor,
                include_archived=all_,
            )
            runs.extend(page.runs)
            cursor = page.next_cursor
            if cursor is None:
                break
        names = experiment_names(store, space)
    if json:
        print_json([run_json_with_experiment(run, names.get(run.info.experiment_id)) for run in runs])
        return
    chosen = [(render_field(field), field) for field in fields] if fields else default_columns(runs, orders)
    rows = []
    for run in runs:
        row = [cell(run, field, names) for _, field in chosen]
        if not fields:
            row[0] = short_id(run.info.id)
        rows.append(row)
    more = " (more match: raise --limit)" if cursor is not None else ""
    print_table(f"{len(runs)} run{'s' if len(runs) != 1 else ''}{more}", [title for title, _ in chosen], rows)


@app.command()
def show(
    run_id: RunIdArgument,
    json: JsonOption = False,
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Everything about one run: info, params, metrics, tags, datasets and artifacts."""
    store, space = open_cli_store(url, workspace)
    with closing(store):
        run = resolve_run(store, run_id, space)
        experiment = store.get_experiment(run.info.experiment_id)
        records = store.list_artifact_records(run.info.id)
    artifacts = [{"path": path, "size": size, "sha256": sha} for path, (size, sha) in sorted(records.items())]
    if json:
        print_json(run_json_with_experiment(run, experiment.name) | {"artifacts": artifacts})
        return
    _print_run(run, experiment.name, artifacts)


def _print_run(run: Run, experiment_name: str, artifacts: list[dict[str, Any]]) -> None:
    info = run.info
    dirty = " (dirty)" if info.git_dirty else ""
    details = [
        ("id", info.id),
        ("name", info.name),
        ("experiment", f"{experiment_name} ({info.experiment_id})"),
        ("status", info.status.value),
        ("start time", format_time(info.start_time)),
        ("end time", format_time(info.end_time)),
        ("duration", format_duration(info.duration_ms)),
        ("user", info.user),
        ("source", info.source),
        ("git commit", f"{info.git_commit}{dirty}" if info.git_commit else None),
        ("parent run", info.parent_run_id),
        ("artifact uri", info.artifact_uri),
        ("stage", info.lifecycle_stage.value),
    ]
    print_table(f"run {info.name}", ["field", "value"], [row for row in details if row[1] is not None])
    if run.params:
        print_table("params", ["key", "value"], sorted(run.params.items()))
    if run.metrics:
        metric_rows = [
            [key, format_number(m.value), m.step, format_number(m.min), format_number(m.max), m.count]
            for key, m in sorted(run.metrics.items())
        ]
        print_table("metrics", ["key", "latest", "step", "min", "max", "count"], metric_rows)
    if run.tags:
        print_table("tags", ["key", "value"], sorted(run.tags.items()))
    if run.inputs:
        dataset_rows = [[d.name, d.context, d.digest, d.num_rows, d.source] for d in run.inputs]
        print_table("datasets", ["name", "context", "digest", "rows", "source"], dataset_rows)
    if artifacts:
        artifact_rows = [[a["path"], format_size(a["size"]), a["sha256"]] for a in artifacts]
        print_table("artifacts", ["path", "size", "sha256"], artifact_rows)


@app.command()
def artifacts(
    run_id: RunIdArgument,
    path: Annotated[
        str, typer.Option("--path", "-p", help="A folder to list, or a file or folder to download.")
    ] = "",
    download: Annotated[
        Path | None,
        typer.Option("--download", "-d", help="Download --path (default: everything) into this folder."),
    ] = None,
    json: JsonOption = False,
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List a run's artifacts (one folder level), or download a file or folder with --download."""
    store, space = open_cli_store(url, workspace)
    with closing(Session(store, space)) as session:
        run = resolve_run(store, run_id, space)
        if download is not None:
            written = session.download_artifacts(run.info.id, path, download)
        else:
            listed = session.list_artifacts(run.info.id, path)
    if download is not None:
        if not written:
            fail(f"run {run.info.id!r} has no artifacts under {path or '/'!r}")
        if json:
            print_json([str(file) for file in written])
        else:
            say(f"downloaded {len(written)} file(s) to {download}")
        return
    if json:
        print_json([artifact_json(item) for item in listed])
        return
    rows = [
        [f"{item.path}/" if item.is_dir else item.path, format_size(item.size), item.sha256]
        for item in listed
    ]
    print_table(f"artifacts of run {run.info.name}: /{path}", ["path", "size", "sha256"], rows)
