"""`opsloop experiments list|create|archive|restore`."""

from __future__ import annotations

from contextlib import closing
from typing import Annotated

import typer

from opsloop.cli.context import JsonOption, UrlOption, WorkspaceOption, open_cli_store
from opsloop.cli.output import fail, format_time, print_json, print_table, say
from opsloop.errors import NotFoundError
from opsloop.tracking.entities import Experiment
from opsloop.tracking.serialize import experiment_json
from opsloop.tracking.store import TrackingStore

app = typer.Typer(help="Create, list, archive and restore experiments.", no_args_is_help=True)


def parse_tags(items: list[str] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"bad --tag {item!r}: expected KEY=VALUE")
        tags[key.strip()] = value
    return tags


def resolve_experiment(store: TrackingStore, name_or_id: str, workspace: str) -> Experiment:
    """The experiment with this name in the workspace, else the one with this id."""
    found = store.get_experiment_by_name(name_or_id, workspace=workspace)
    if found is not None:
        return found
    try:
        by_id = store.get_experiment(name_or_id)
    except NotFoundError:
        by_id = None
    if by_id is not None and by_id.workspace == workspace:
        return by_id
    fail(f"experiment {name_or_id!r} not found in workspace {workspace!r}")


@app.command("list")
def list_experiments(
    all_: Annotated[bool, typer.Option("--all", help="Include archived experiments.")] = False,
    json: JsonOption = False,
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the experiments of the workspace."""
    store, space = open_cli_store(url, workspace)
    with closing(store):
        experiments = store.list_experiments(workspace=space, include_archived=all_)
    if json:
        print_json([experiment_json(experiment) for experiment in experiments])
        return
    columns = ["id", "name", "description", "created", "tags"] + (["stage"] if all_ else [])
    rows = [
        [
            experiment.id,
            experiment.name,
            experiment.description,
            format_time(experiment.created_at),
            ", ".join(f"{key}={value}" for key, value in sorted(experiment.tags.items())),
        ]
        + ([experiment.lifecycle_stage.value] if all_ else [])
        for experiment in experiments
    ]
    print_table(f"experiments in {space}", columns, rows)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="Experiment name, unique in the workspace.")],
    description: Annotated[str | None, typer.Option("--description", "-d", help="What it is for.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="KEY=VALUE; repeatable.")] = None,
    json: JsonOption = False,
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create an experiment."""
    tags = parse_tags(tag)
    store, space = open_cli_store(url, workspace)
    with closing(store):
        experiment = store.create_experiment(name, workspace=space, description=description, tags=tags)
    if json:
        print_json(experiment_json(experiment))
    else:
        say(f"created experiment {experiment.name!r} ({experiment.id})")


def _set_archived(name_or_id: str, archived: bool, url: str | None, workspace: str | None) -> None:
    store, space = open_cli_store(url, workspace)
    with closing(store):
        experiment = resolve_experiment(store, name_or_id, space)
        experiment = store.set_experiment_archived(experiment.id, archived)
    action = "archived" if archived else "restored"
    say(f"{action} experiment {experiment.name!r} ({experiment.id})")


@app.command()
def archive(
    name_or_id: Annotated[str, typer.Argument(metavar="NAME_OR_ID")],
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Archive an experiment: it and its runs are hidden, not deleted."""
    _set_archived(name_or_id, True, url, workspace)


@app.command()
def restore(
    name_or_id: Annotated[str, typer.Argument(metavar="NAME_OR_ID")],
    url: UrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Restore an archived experiment."""
    _set_archived(name_or_id, False, url, workspace)
