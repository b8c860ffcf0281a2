"""Happy paths of every endpoint, through a real `opsloop up` process."""

from __future__ import annotations

import hashlib
import math

import httpx
import pytest
from tests.integration.server.conftest import WORKSPACE_HEADER, Api, unique
from tests.support.server import LiveServer

RUN_INFO_FIELDS = {
    "id",
    "experiment_id",
    "workspace",
    "name",
    "status",
    "start_time",
    "end_time",
    "duration_ms",
    "user",
    "source",
    "git_commit",
    "git_dirty",
    "parent_run_id",
    "artifact_uri",
    "lifecycle_stage",
}


# --- system ------------------------------------------------------------------------------------
def test_health(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_is_valid_and_lists_every_route(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "opsloop"
    routes = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    expected = {
        ("GET", "/health"),
        ("POST", "/api/v1/experiments"),
        ("GET", "/api/v1/experiments"),
        ("GET", "/api/v1/experiments/by-name/{name}"),
        ("GET", "/api/v1/experiments/{experiment_id}"),
        ("PATCH", "/api/v1/experiments/{experiment_id}"),
        ("POST", "/api/v1/experiments/{experiment_id}/archive"),
        ("POST", "/api/v1/experiments/{experiment_id}/restore"),
        ("POST", "/api/v1/runs"),
        ("POST", "/api/v1/runs/search"),
        ("GET", "/api/v1/runs/{run_id}"),
        ("PATCH", "/api/v1/runs/{run_id}"),
        ("POST", "/api/v1/runs/{run_id}/archive"),
        ("POST", "/api/v1/runs/{run_id}/restore"),
        ("POST", "/api/v1/runs/{run_id}/batch"),
        ("DELETE", "/api/v1/runs/{run_id}/tags/{key}"),
        ("POST", "/api/v1/runs/{run_id}/inputs"),
        ("GET", "/api/v1/runs/{run_id}/metrics/{key}/history"),
        ("GET", "/api/v1/runs/{run_id}/artifacts"),
        ("PUT", "/api/v1/runs/{run_id}/artifacts/files/{path}"),
        ("GET", "/api/v1/runs/{run_id}/artifacts/files/{path}"),
    }
    assert expected <= routes, expected - routes
    # Every operation documents its responses, and the batch endpoint its body.
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("responses"), (method, path)
    assert {"ExperimentCreate", "RunCreate", "RunSearch", "RunPublic"} <= set(spec["components"]["schemas"])
    batch = spec["paths"]["/api/v1/runs/{run_id}/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)


# --- experiments --------------------------------------------------------------------------------
def test_experiment_create_get_list_update(api: Api) -> None:
    name = unique("churn")
    created = api.experiment(name, description="churn models", tags={"team": "risk"})
    assert created["name"] == name
    assert created["workspace"] == api.workspace
    assert created["description"] == "churn models"
    assert created["tags"] == {"team": "risk"}
    assert created["lifecycle_stage"] == "active"
    assert created["created_at"] > 0
    assert created["artifact_location"]

    assert api.get(f"/api/v1/experiments/{created['id']}").json() == created
    assert api.get(f"/api/v1/experiments/by-name/{name}").json() == created
    listed = api.get("/api/v1/experiments").json()["experiments"]
    assert [item["id"] for item in listed] == [created["id"]]

    renamed = unique("renamed")
    response = api.patch(
        f"/api/v1/experiments/{created['id']}",
        json={"name": renamed, "description": "new", "tags": {"owner": "me"}},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == renamed
    assert updated["description"] == "new"
    assert updated["tags"]["owner"] == "me"
    assert api.get(f"/api/v1/experiments/by-name/{renamed}").json()["id"] == created["id"]
    assert api.get(f"/api/v1/experiments/by-name/{name}").status_code == 404


def test_experiment_names_with_spaces_and_slashes_are_found_by_name(api: Api) -> None:
    name = f"team a/{unique('churn')}"
    created = api.experiment(name)
    from urllib.parse import quote

    response = api.get(f"/api/v1/experiments/by-name/{quote(name, safe='')}")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]


def test_experiment_archive_and_restore(api: Api) -> None:
    experiment = api.experiment()
    response = api.post(f"/api/v1/experiments/{experiment['id']}/archive")
    assert response.status_code == 200
    assert response.json()["lifecycle_stage"] == "archived"
    assert api.get("/api/v1/experiments").json()["experiments"] == []
    archived = api.get("/api/v1/experiments", params={"include_archived": True}).json()["experiments"]
    assert [item["id"] for item in archived] == [experiment["id"]]

    response = api.post(f"/api/v1/experiments/{experiment['id']}/restore")
    assert response.status_code == 200
    assert response.json()["lifecycle_stage"] == "active"
    assert [item["id"] for item in api.get("/api/v1/experiments").json()["experiments"]] == [experiment["id"]]


# --- runs ---------------------------------------------------------------------------------------
def test_run_create_by_experiment_id_with_every_field(api: Api) -> None:
    experiment = api.experiment()
    parent = api.run(experiment["id"])
    fields = {
        "name": "rf-1",
        "user": "ada",
        "source": "train.py",
        "git_commit": "a" * 40,
        "git_dirty": True,
        "parent_run_id": parent["id"],
        "tags": {"model": "rf"},
        "start_time": 1_700_000_000_000,
    }
    run = api.run(experiment["id"], **fields)
    assert set(run) == RUN_INFO_FIELDS
    for key, value in fields.items():
        if key != "tags":
            assert run[key] == value, key
    assert run["experiment_id"] == experiment["id"]
    assert run["workspace"] == api.workspace
    assert run["status"] == "RUNNING"
    assert run["end_time"] is None
    assert run["lifecycle_stage"] == "active"

    stored = api.get_run(run["id"])
    assert stored["info"] == run
    assert stored["tags"] == {"model": "rf"}
    assert stored["params"] == {}
    assert stored["metrics"] == {}
    assert stored["inputs"] == []


def test_run_create_by_experiment_name_creates_it_once(api: Api) -> None:
    name = unique("auto")
    first = api.post("/api/v1/runs", json={"experiment_name": name})
    second = api.post("/api/v1/runs", json={"experiment_name": name})
    assert first.status_code == second.status_code == 201
    assert first.json()["experiment_id"] == second.json()["experiment_id"]
    experiment = api.get(f"/api/v1/experiments/by-name/{name}").json()
    assert experiment["id"] == first.json()["experiment_id"]
    assert first.json()["name"]  # a generated name


def test_run_patch_status_and_name(api: Api) -> None:
    run = api.run()
    response = api.patch(f"/api/v1/runs/{run['id']}", json={"name": "renamed"})
    assert response.status_code == 200
    assert response.json()["name"] == "renamed"
    assert response.json()["status"] == "RUNNING"

    response = api.patch(f"/api/v1/runs/{run['id']}", json={"status": "FINISHED"})
    assert response.status_code == 200
    info = response.json()
    assert info["status"] == "FINISHED"
    assert info["end_time"] >= info["start_time"]
    assert info["duration_ms"] == info["end_time"] - info["start_time"]

    for status in ("FAILED", "KILLED", "SCHEDULED", "RUNNING"):
        assert api.patch(f"/api/v1/runs/{run['id']}", json={"status": status}).json()["status"] == status

    end_time = run["start_time"] + 5000
    info = api.patch(f"/api/v1/runs/{run['id']}", json={"status": "FINISHED", "end_time": end_time}).json()
    assert info["end_time"] == end_time
    assert info["duration_ms"] == 5000


def test_run_archive_and_restore(api: Api) -> None:
    run = api.run()
    response = api.post(f"/api/v1/runs/{run['id']}/archive")
    assert response.status_code == 200
    assert response.json()["lifecycle_stage"] == "archived"
    assert api.get_run(run["id"])["info"]["lifecycle_stage"] == "archived"
    found = api.post("/api/v1/runs/search", json={}).json()["runs"]
    assert found == []
    found = api.post("/api/v1/runs/search", json={"include_archived": True}).json()["runs"]
    assert [item["info"]["id"] for item in found] == [run["id"]]

    response = api.post(f"/api/v1/runs/{run['id']}/restore")
    assert response.status_code == 200
    assert response.json()["lifecycle_stage"] == "active"
    assert api.post(f"/api/v1/runs/{run['id']}/batch", json={"params": {"a": "1"}}).status_code == 204


def test_log_batch_stores_metrics_params_and_tags(api: Api) -> None:
    run = api.run()
    body = {
        "metrics": [
            {"key": "loss", "value": 0.9, "step": 0, "timestamp": 1_000},
            {"key": "loss", "value": 0.5, "step": 1, "timestamp": 2_000},
            {"key": "loss", "value": 0.7, "step": 2},
            {"key": "train/acc", "value": 1},
            {"key": "weird", "value": "NaN", "step": 0},
            {"key": "weird", "value": "Infinity", "step": 1},
            {"key": "low", "value": "-Infinity"},
        ],
        "params": {"lr": "0.01", "model": "rf"},
        "tags": {"team": "risk", "note": "first try"},
    }
    response = api.post(f"/api/v1/runs/{run['id']}/batch", json=body)
    assert response.status_code == 204, response.text
    assert response.content == b""

    stored = api.get_run(run["id"])
    assert stored["params"] == {"lr": "0.01", "model": "rf"}
    assert stored["tags"] == {"team": "risk", "note": "first try"}
    loss = stored["metrics"]["loss"]
    assert (loss["value"], loss["step"], loss["min"], loss["max"], loss["count"]) == (0.7, 2, 0.5, 0.9, 3)
    assert loss["timestamp"] > 2_000  # the server's clock stamped the point without a timestamp
    assert stored["metrics"]["train/acc"]["value"] == 1.0
    assert stored["metrics"]["weird"]["value"] == "Infinity"
    assert stored["metrics"]["weird"]["count"] == 2
    assert stored["metrics"]["low"]["value"] == "-Infinity"

    weird = api.history(run["id"], "weird")
    assert weird["values"] == ["NaN", "Infinity"]

    # The same params again are a no-op (write-once, idempotent); tags are overwritten.
    again = api.post(
        f"/api/v1/runs/{run['id']}/batch", json={"params": {"lr": "0.01"}, "tags": {"team": "ops"}}
    )
    assert again.status_code == 204
    assert api.get_run(run["id"])["tags"]["team"] == "ops"


def test_delete_tag(api: Api) -> None:
    run = api.run(tags={"keep": "1", "drop/me": "2"})
    response = api.delete(f"/api/v1/runs/{run['id']}/tags/drop/me")
    assert response.status_code == 204
    assert api.get_run(run["id"])["tags"] == {"keep": "1"}


def test_log_inputs(api: Api) -> None:
    run = api.run()
    dataset = {
        "name": "train",
        "digest": "abc123",
        "context": "training",
        "source": "s3://bucket/train.csv",
        "source_type": "pandas",
        "schema": {"columns": [{"name": "x", "type": "float64"}]},
        "profile": {"columns": {"x": {"mean": 1.5}}},
        "preview": [{"x": 1.0}, {"x": 2.0}],
        "num_rows": 2,
        "tags": {"split": "train"},
    }
    response = api.post(f"/api/v1/runs/{run['id']}/inputs", json={"datasets": [dataset]})
    assert response.status_code == 204, response.text
    inputs = api.get_run(run["id"])["inputs"]
    assert len(inputs) == 1
    stored = inputs[0]
    for key, value in dataset.items():
        assert stored[key] == value, key
    # Logging the same dataset again does not duplicate it.
    assert api.post(f"/api/v1/runs/{run['id']}/inputs", json={"datasets": [dataset]}).status_code == 204
    assert len(api.get_run(run["id"])["inputs"]) == 1


# --- metric history -----------------------------------------------------------------------------
@pytest.fixture
def long_series(api: Api) -> tuple[str, list[float]]:
    run = api.run()
    values = [
        math.sin(step / 25) + (5.0 if step == 613 else 0.0) - (7.0 if step == 250 else 0.0)
        for step in range(1000)
    ]
    metrics = [
        {"key": "loss", "value": value, "step": step, "timestamp": 1_000 + step}
        for step, value in enumerate(values)
    ]
    assert api.post(f"/api/v1/runs/{run['id']}/batch", json={"metrics": metrics}).status_code == 204
    return run["id"], values


def test_history_full(api: Api, long_series: tuple[str, list[float]]) -> None:
    run_id, values = long_series
    history = api.history(run_id, "loss")
    assert history["key"] == "loss"
    assert history["steps"] == list(range(1000))
    assert history["values"] == pytest.approx(values)
    assert history["timestamps"] == [1_000 + step for step in range(1000)]
    assert history["total_points"] == 1000
    assert history["downsampled"] is False


@pytest.mark.parametrize("method", ["minmax", "lttb"])
def test_history_downsampled_keeps_ends_and_spikes(
    api: Api, long_series: tuple[str, list[float]], method: str
) -> None:
    run_id, values = long_series
    history = api.history(run_id, "loss", max_points=50, method=method)
    assert history["downsampled"] is True
    assert history["total_points"] == 1000
    assert 4 <= len(history["steps"]) <= 50
    assert len(history["values"]) == len(history["steps"]) == len(history["timestamps"])
    assert history["steps"][0] == 0 and history["steps"][-1] == 999
    assert history["steps"] == sorted(history["steps"])
    for step, value in zip(history["steps"], history["values"], strict=True):
        assert value == pytest.approx(values[step])
    if method == "minmax":
        assert 613 in history["steps"] and 250 in history["steps"]


def test_history_step_range(api: Api, long_series: tuple[str, list[float]]) -> None:
    run_id, values = long_series
    history = api.history(run_id, "loss", min_step=100, max_step=199)
    assert history["steps"] == list(range(100, 200))
    assert history["values"] == pytest.approx(values[100:200])
    assert history["total_points"] == 100
    ranged = api.history(run_id, "loss", min_step=100, max_step=199, max_points=10)
    assert ranged["downsampled"] is True
    assert all(100 <= step <= 199 for step in ranged["steps"])
    assert api.history(run_id, "missing-key")["steps"] == []


# --- search -------------------------------------------------------------------------------------
@pytest.fixture
def searchable(api: Api) -> dict[str, str]:
    """Seven runs in two experiments with auc 0.80 .. 0.98 and model rf/lr."""
    first, second = api.experiment(), api.experiment()
    ids = {}
    for index, auc in enumerate([0.80, 0.83, 0.86, 0.89, 0.92, 0.95, 0.98]):
        experiment = first if index % 2 == 0 else second
        run = api.run(experiment["id"], name=f"run-{index}")
        model = "rf" if index < 3 else "lr"
        batch = {
            "metrics": [{"key": "auc", "value": auc}],
            "params": {"model": model},
            "tags": {"i": str(index)},
        }
        assert api.post(f"/api/v1/runs/{run['id']}/batch", json=batch).status_code == 204
        ids[run["name"]] = run["id"]
    ids["first"], ids["second"] = first["id"], second["id"]
    return ids


def _names(page: dict[str, object]) -> list[str]:
    return [run["info"]["name"] for run in page["runs"]]  # type: ignore[attr-defined]


def test_search_filter_and_order(api: Api, searchable: dict[str, str]) -> None:
    page = api.post(
        "/api/v1/runs/search",
        json={"filter": "metrics.auc > 0.9 OR params.model = 'rf'", "order_by": ["metrics.auc DESC"]},
    ).json()
    assert _names(page) == ["run-6", "run-5", "run-4", "run-2", "run-1", "run-0"]
    assert page["next_cursor"] is None
    run = page["runs"][0]
    assert run["params"] == {"model": "lr"}
    assert run["metrics"]["auc"]["value"] == pytest.approx(0.98)

    page = api.post(
        "/api/v1/runs/search",
        json={"filter": "params.model = 'lr' AND tags.i != '3'", "order_by": ["metrics.auc ASC"]},
    ).json()
    assert _names(page) == ["run-4", "run-5", "run-6"]

    only_second = api.post(
        "/api/v1/runs/search", json={"experiment_ids": [searchable["second"]], "order_by": ["name"]}
    ).json()
    assert _names(only_second) == ["run-1", "run-3", "run-5"]


def test_search_paginates_with_a_cursor(api: Api, searchable: dict[str, str]) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        body = {"order_by": ["metrics.auc DESC"], "max_results": 3, "cursor": cursor}
        page = api.post("/api/v1/runs/search", json=body).json()
        pages += 1
        assert len(page["runs"]) <= 3
        seen.extend(_names(page))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [f"run-{index}" for index in range(6, -1, -1)]


# --- artifacts ----------------------------------------------------------------------------------
def test_artifacts_put_get_and_list(api: Api) -> None:
    run = api.run()
    base = f"/api/v1/runs/{run['id']}/artifacts"
    files = {
        "model/model.pkl": b"\x00\x01binary" * 100,
        "model/conf/params.json": b'{"lr": 0.01}',
        "report.txt": b"all good\n",
    }
    for path, content in files.items():
        response = api.put(f"{base}/files/{path}", content=content)
        assert response.status_code == 201, response.text
        assert response.json() == {
            "path": path,
            "is_dir": False,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }

    response = api.get(f"{base}/files/report.txt")
    assert response.status_code == 200
    assert response.content == files["report.txt"]
    assert response.headers["content-type"].startswith("text/plain")
    assert 'filename="report.txt"' in response.headers["content-disposition"]
    assert api.get(f"{base}/files/model/model.pkl").content == files["model/model.pkl"]

    top = api.get(base).json()["artifacts"]
    assert [(item["path"], item["is_dir"]) for item in top] == [("model", True), ("report.txt", False)]
    assert top[1]["sha256"] == hashlib.sha256(files["report.txt"]).hexdigest()

    model = api.get(base, params={"path": "model"}).json()["artifacts"]
    assert [(item["path"], item["is_dir"]) for item in model] == [
        ("model/conf", True),
        ("model/model.pkl", False),
    ]

    walked = api.get(base, params={"recursive": True}).json()["artifacts"]
    assert sorted(item["path"] for item in walked) == sorted(files)
    for item in walked:
        assert item["is_dir"] is False
        assert item["size"] == len(files[item["path"]])
        assert item["sha256"] == hashlib.sha256(files[item["path"]]).hexdigest()

    # Overwriting a file replaces it.
    assert api.put(f"{base}/files/report.txt", content=b"v2").status_code == 201
    assert api.get(f"{base}/files/report.txt").content == b"v2"


# --- workspaces ---------------------------------------------------------------------------------
def test_workspace_header_isolates_experiments_and_runs(live_server: LiveServer) -> None:
    first, second = unique("wsa"), unique("wsb")
    with (
        httpx.Client(base_url=live_server.url, headers={WORKSPACE_HEADER: first}) as a,
        httpx.Client(base_url=live_server.url, headers={WORKSPACE_HEADER: second}) as b,
    ):
        api_a, api_b = Api(a, first), Api(b, second)
        # The same name may exist once in each workspace.
        exp_a = api_a.experiment("shared-name")
        exp_b = api_b.experiment("shared-name")
        assert exp_a["id"] != exp_b["id"]
        assert exp_a["workspace"] == first and exp_b["workspace"] == second

        run_a = api_a.run(exp_a["id"])
        assert run_a["workspace"] == first
        by_name = api_b.post("/api/v1/runs", json={"experiment_name": "only-in-b"}).json()
        assert by_name["workspace"] == second

        assert [item["id"] for item in api_a.get("/api/v1/experiments").json()["experiments"]] == [
            exp_a["id"]
        ]
        assert {item["name"] for item in api_b.get("/api/v1/experiments").json()["experiments"]} == {
            "shared-name",
            "only-in-b",
        }
        assert api_a.get("/api/v1/experiments/by-name/only-in-b").status_code == 404
        assert api_b.get("/api/v1/experiments/by-name/shared-name").json()["id"] == exp_b["id"]
        assert [r["info"]["id"] for r in api_a.post("/api/v1/runs/search", json={}).json()["runs"]] == [
            run_a["id"]
        ]
        assert [r["info"]["id"] for r in api_b.post("/api/v1/runs/search", json={}).json()["runs"]] == [
            by_name["id"]
        ]

    # Without the header, requests land in the "default" workspace.
    default = httpx.post(f"{live_server.url}/api/v1/experiments", json={"name": unique("dflt")})
    assert default.status_code == 201
    assert default.json()["workspace"] == "default"
