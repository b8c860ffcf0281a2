"""`opsloop runs search|show|artifacts`, on the embedded store and against a real server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import opsloop as ol
from opsloop.sdk import session as sdk_session
from opsloop.tracking.entities import Metric, RunStatus


def _make_run(
    store: Any, experiment_id: str, name: str, params: dict[str, str], metrics: dict[str, float]
) -> str:
    run_id: str = store.create_run(experiment_id, name=name, tags={"owner": "ana"}).id
    points = [Metric(key, value, 0, 1_700_000_000_000) for key, value in metrics.items()]
    store.log_batch(run_id, metrics=points, params=params)
    store.update_run(run_id, status=RunStatus.FINISHED)
    return run_id


@pytest.fixture
def runs(sdk: Any) -> dict[str, str]:
    """Three runs in 'churn' and one in 'other'; name -> id."""
    store = sdk.store
    churn = store.create_experiment("churn", workspace="default").id
    other = store.create_experiment("other", workspace="default").id
    return {
        "rf-1": _make_run(store, churn, "rf-1", {"model": "rf", "lr": "0.1"}, {"auc": 0.8}),
        "rf-2": _make_run(
            store, churn, "rf-2", {"model": "rf", "lr": "0.2"}, {"auc": 0.9, "odd": float("nan")}
        ),
        "xgb-1": _make_run(store, churn, "xgb-1", {"model": "xgb", "lr": "0.3"}, {"auc": 0.7}),
        "lin-1": _make_run(store, other, "lin-1", {"model": "lin"}, {"auc": 0.95, "loss": float("inf")}),
    }


def _names(result: Any) -> list[str]:
    return [run["info"]["name"] for run in result.json()]


def test_search_filters_orders_limits_and_picks_columns(cli: Any, sdk: Any, runs: dict[str, str]) -> None:
    columns = "name,status,metrics.auc,params.lr,tags.note"
    sdk.store.set_tag(runs["rf-2"], "note", "[/data/train.csv]")  # shown as is, not as Rich markup
    (
        filtered,
        ordered,
        both_experiments,
        columns_table,
        default_table,
        bad_filter,
        bad_column,
        unknown_experiment,
        bad_limit,
    ) = cli.many(
        ["runs", "search", "metrics.auc > 0.85", "--json"],
        ["runs", "search", "--experiment", "churn", "--order-by", "metrics.auc DESC", "--json"],
        ["runs", "search", "params.model != 'xgb'", "-e", "churn", "-e", "other", "-o", "name", "--json"],
        ["runs", "search", "-e", "churn", "-o", "metrics.auc DESC", "-c", columns, "--limit", "2"],
        ["runs", "search", "params.model = 'rf'"],
        ["runs", "search", "metrics.auc >> 1"],
        ["runs", "search", "--columns", "name,nosuch"],
        ["runs", "search", "-e", "nosuch"],
        ["runs", "search", "--limit", "0"],
    )
    assert sorted(_names(filtered)) == ["lin-1", "rf-2"]
    assert _names(ordered) == ["rf-2", "rf-1", "xgb-1"]
    assert _names(both_experiments) == ["lin-1", "rf-1", "rf-2"]

    full = {run["info"]["name"]: run for run in filtered.json()}
    assert full["rf-2"]["info"]["id"] == runs["rf-2"]
    assert full["rf-2"]["info"]["experiment"] == "churn"
    assert full["rf-2"]["info"]["status"] == "FINISHED"
    assert full["rf-2"]["params"] == {"model": "rf", "lr": "0.2"}
    assert full["rf-2"]["tags"]["owner"] == "ana"
    assert full["rf-2"]["metrics"]["odd"]["value"] == "NaN"
    assert full["lin-1"]["metrics"]["loss"]["value"] == "Infinity"
    auc = {"value": 0.95, "step": 0, "timestamp": 1_700_000_000_000, "min": 0.95, "max": 0.95, "count": 1}
    assert full["lin-1"]["metrics"]["auc"] == auc

    assert columns_table.code == 0, columns_table
    header = next(line for line in columns_table.stdout.splitlines() if "status" in line)
    assert [title.strip() for title in header.split("┃")[1:-1]] == columns.split(",")
    rf2_row = next(line for line in columns_table.stdout.splitlines() if "rf-2" in line)
    assert [cell.strip() for cell in rf2_row.split("│")[1:-1]] == [
        "rf-2",
        "FINISHED",
        "0.9",
        "0.2",
        "[/data/train.csv]",
    ]
    assert "rf-1" in columns_table.stdout
    assert "xgb-1" not in columns_table.stdout
    assert "2 runs (more match: raise --limit)" in columns_table.stdout

    assert default_table.code == 0, default_table
    for title in (
        "run",
        "name",
        "experiment",
        "status",
        "start time",
        "duration",
        "metrics.auc",
        "params.lr",
    ):
        assert title in default_table.stdout
    assert runs["rf-1"][-8:] in default_table.stdout
    assert runs["rf-1"] not in default_table.stdout  # the short id only

    error = bad_filter.assert_error()
    assert "position 13" in error
    lines = bad_filter.stderr.splitlines()
    assert lines[1].strip() == "metrics.auc >> 1"
    assert lines[2].index("^") - lines[1].index("m") == 13
    assert "--columns: unknown attribute 'nosuch'" in bad_column.assert_error()
    assert unknown_experiment.assert_error() == "error: experiment 'nosuch' not found in workspace 'default'"
    assert bad_limit.assert_error() == "error: --limit must be at least 1"


def test_show_and_artifacts(cli: Any, sdk: Any, tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "weights").mkdir(parents=True)
    (source / "weights" / "w.bin").write_bytes(b"\x00\x01weights" * 1000)
    (source / "config.json").write_text('{"depth": 3}')
    with ol.start_run("churn", "rf-1", tags={"team": "ml"}) as run:
        run.log_params({"lr": 0.1})
        for step, value in enumerate([0.5, 0.2, 0.3]):
            run.log_metric("loss", value, step=step)
        run.log_dataset(pd.DataFrame({"x": [1, 2, 3]}), "train")
        run.log_artifact(source, "model")
    run_id = run.id
    dest_all, dest_file = tmp_path / "all", tmp_path / "one"

    show_json, show_table, unknown, listing, folder, everything, one_file, missing = cli.many(
        ["runs", "show", run_id, "--json"],
        ["runs", "show", run_id[-8:]],
        ["runs", "show", "xyz"],
        ["runs", "artifacts", run_id, "--json"],
        ["runs", "artifacts", run_id, "--path", "model/weights"],
        ["runs", "artifacts", run_id, "--download", str(dest_all)],
        ["runs", "artifacts", run_id, "-p", "model/config.json", "-d", str(dest_file)],
        ["runs", "artifacts", run_id, "-p", "nothing/here", "-d", str(tmp_path / "none")],
    )
    shown = show_json.json()
    assert shown["info"]["id"] == run_id
    assert shown["info"]["experiment"] == "churn"
    assert shown["params"] == {"lr": "0.1"}
    assert shown["tags"]["team"] == "ml"
    loss = shown["metrics"]["loss"]
    assert (loss["value"], loss["min"], loss["max"], loss["count"]) == (0.3, 0.2, 0.5, 3)
    assert [dataset["name"] for dataset in shown["inputs"]] == ["train"]
    assert shown["inputs"][0]["num_rows"] == 3
    assert [artifact["path"] for artifact in shown["artifacts"]] == [
        "model/config.json",
        "model/weights/w.bin",
    ]
    assert shown["artifacts"][1]["size"] == 9000
    assert len(shown["artifacts"][1]["sha256"]) == 64

    assert show_table.code == 0, show_table
    for text in (run_id, "params", "metrics", "loss", "datasets", "train", "artifacts", "model/config.json"):
        assert text in show_table.stdout
    assert unknown.assert_error() == "error: run 'xyz' not found"

    assert listing.json() == [{"path": "model", "is_dir": True, "size": None, "sha256": None}]
    assert folder.code == 0, folder
    assert "model/weights/w.bin" in folder.stdout
    assert shown["artifacts"][1]["sha256"] in folder.stdout

    assert everything.code == 0, everything
    assert "downloaded 2 file(s)" in everything.stdout
    assert (dest_all / "model" / "weights" / "w.bin").read_bytes() == (
        source / "weights" / "w.bin"
    ).read_bytes()
    assert one_file.code == 0, one_file
    assert (dest_file / "config.json").read_text() == '{"depth": 3}'
    assert "no artifacts under 'nothing/here'" in missing.assert_error()


def test_commands_against_a_server(cli: Any, live_server: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(sdk_session, "_current", None)
    remote = sdk_session.connect(live_server.url)
    experiment = f"remote-{uuid.uuid4().hex[:8]}"
    try:
        experiment_id = remote.store.create_experiment(experiment, workspace="default").id
        run_id = _make_run(remote.store, experiment_id, "remote-run", {"lr": "0.5"}, {"auc": 0.99})
        remote.upload(run_id, "notes/readme.txt", [b"hello ", b"server"])
    finally:
        remote.close()
    url = ["--url", live_server.url]
    created, searched, shown, downloaded, unknown, unreachable = cli.many(
        ["experiments", "create", f"{experiment}-2", "--json", *url],
        ["runs", "search", "metrics.auc > 0.9", "-e", experiment, "--json", *url],
        ["runs", "show", run_id[-8:], "--json", *url],
        ["runs", "artifacts", run_id, "--download", str(tmp_path / "dl"), *url],
        ["runs", "show", "nosuchrun", *url],
        ["experiments", "list", "--url", "http://127.0.0.1:9"],
    )
    assert created.json()["name"] == f"{experiment}-2"
    assert [(run["info"]["id"], run["info"]["experiment"]) for run in searched.json()] == [
        (run_id, experiment)
    ]
    assert shown.json()["artifacts"][0]["path"] == "notes/readme.txt"
    assert shown.json()["params"] == {"lr": "0.5"}
    assert downloaded.code == 0, downloaded
    assert (tmp_path / "dl" / "notes" / "readme.txt").read_bytes() == b"hello server"
    assert unknown.assert_error() == "error: run 'nosuchrun' not found"
    assert "cannot reach opsloop server" in unreachable.assert_error(code=3)
