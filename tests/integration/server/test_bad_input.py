"""Bad input for every endpoint: always a 4xx (never a 500) with the one error shape naming the
field, and nothing partially stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.server.conftest import WORKSPACE_HEADER, Api, assert_error, unique
from tests.support.server import LiveServer, start_server

INT64_OVERFLOW = 2**63
VALIDATION = (400, 422)


@dataclass
class Seeded:
    """A workspace with one experiment and one run holding a param, a tag, a metric and an artifact."""

    api: Api
    experiment_id: str
    run_id: str

    def snapshot(self) -> tuple[Any, ...]:
        experiments = self.api.get("/api/v1/experiments", params={"include_archived": True})
        runs = self.api.post("/api/v1/runs/search", json={"include_archived": True, "max_results": 1000})
        artifacts = self.api.get(f"/api/v1/runs/{self.run_id}/artifacts", params={"recursive": True})
        assert experiments.status_code == runs.status_code == artifacts.status_code == 200
        # Runs come with their params, tags, inputs and metric summaries (with point counts).
        return experiments.json(), runs.json(), artifacts.json()


def _seed(api: Api) -> Seeded:
    experiment = api.experiment("exp", tags={"e": "1"})
    run = api.run(experiment["id"], name="seed", tags={"t": "1"})
    batch = {"metrics": [{"key": "m", "value": 1.0, "step": 0, "timestamp": 1}], "params": {"p": "1"}}
    assert api.post(f"/api/v1/runs/{run['id']}/batch", json=batch).status_code == 204
    assert api.put(f"/api/v1/runs/{run['id']}/artifacts/files/a.txt", content=b"a").status_code == 201
    return Seeded(api, experiment["id"], run["id"])


@pytest.fixture
def seeded(api: Api) -> Seeded:
    return _seed(api)


@pytest.fixture(scope="module")
def shared(live_server: LiveServer) -> Iterator[Seeded]:
    """One seeded workspace for all the table's cases: each proves it leaves the workspace as it was."""
    workspace = unique("bad")
    with httpx.Client(base_url=live_server.url, headers={WORKSPACE_HEADER: workspace}, timeout=30) as client:
        yield _seed(Api(client, workspace))


@dataclass
class Case:
    id: str
    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    status: int | tuple[int, ...] = VALIDATION
    names: tuple[str, ...] = ()

    def send(self, seeded: Seeded) -> httpx.Response:
        path = self.path.format(run=seeded.run_id, exp=seeded.experiment_id)
        kwargs: dict[str, Any] = {"params": self.params, "headers": self.headers}
        if self.content is not None:
            kwargs["content"] = self.content
            kwargs["headers"] = {"content-type": "application/json", **self.headers}
        elif isinstance(self.json, dict):
            kwargs["json"] = {k: seeded.experiment_id if v == "{exp}" else v for k, v in self.json.items()}
        elif self.json is not None:
            kwargs["json"] = self.json
        return seeded.api.request(self.method, path, **kwargs)


EXP = "/api/v1/experiments"
EXP_ID = "/api/v1/experiments/{exp}"
RUNS = "/api/v1/runs"
RUN = "/api/v1/runs/{run}"
BATCH = "/api/v1/runs/{run}/batch"
INPUTS = "/api/v1/runs/{run}/inputs"
SEARCH = "/api/v1/runs/search"
HISTORY = "/api/v1/runs/{run}/metrics/m/history"

# A minimal valid body for every endpoint that takes one, so each case changes one thing.
VALID_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", EXP): {"name": "fresh"},
    ("PATCH", EXP_ID): {"description": "d"},
    ("POST", RUNS): {"experiment_name": "fresh"},
    ("PATCH", RUN): {"name": "n"},
    ("POST", BATCH): {"metrics": [{"key": "fresh", "value": 1}]},
    ("POST", INPUTS): {"datasets": [{"name": "d", "digest": "x"}]},
    ("POST", SEARCH): {},
}


def _with(method: str, path: str, **changes: Any) -> dict[str, Any]:
    return {**VALID_BODIES[(method, path)], **changes}


def _metric(**changes: Any) -> dict[str, Any]:
    return {"metrics": [{"key": "good", "value": 1.0}, {"key": "fresh", "value": 2.0, **changes}]}


def _dataset(**changes: Any) -> dict[str, Any]:
    return {"datasets": [{"name": "ok", "digest": "y"}, {"name": "d", "digest": "x", **changes}]}


def _body_shape_cases() -> Iterator[Case]:
    """Malformed JSON, a non-object, no body at all and an unknown field, for every JSON endpoint."""
    for method, path in VALID_BODIES:
        slug = f"{method} {path}"
        yield Case(f"malformed-json {slug}", method, path, content=b'{"name": "x", ', names=("body",))
        yield Case(f"not-an-object {slug}", method, path, content=b"[1, 2]", names=("body",))
        yield Case(f"empty-body {slug}", method, path, content=b"", names=("body",))
        yield Case(f"extra-field {slug}", method, path, json=_with(method, path, bogus=1), names=("bogus",))


def _wrong_type_cases() -> Iterator[Case]:
    wrong: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
        ("POST", EXP, {"name": 123}, ("name",)),
        ("POST", EXP, {"name": None}, ("name",)),
        ("POST", EXP, {"name": "x", "description": 5}, ("description",)),
        ("POST", EXP, {"name": "x", "tags": ["a"]}, ("tags",)),
        ("POST", EXP, {"name": "x", "tags": {"a": 1}}, ("tags", "a")),
        ("PATCH", EXP_ID, {"name": 1}, ("name",)),
        ("PATCH", EXP_ID, {"description": []}, ("description",)),
        ("PATCH", EXP_ID, {"tags": "x"}, ("tags",)),
        ("POST", RUNS, {"experiment_id": 1}, ("experiment_id",)),
        ("POST", RUNS, {"experiment_name": ["x"]}, ("experiment_name",)),
        ("POST", RUNS, _with("POST", RUNS, name=3), ("name",)),
        ("POST", RUNS, _with("POST", RUNS, user={}), ("user",)),
        ("POST", RUNS, _with("POST", RUNS, source=[]), ("source",)),
        ("POST", RUNS, _with("POST", RUNS, git_commit=1), ("git_commit",)),
        ("POST", RUNS, _with("POST", RUNS, git_dirty="maybe"), ("git_dirty",)),
        ("POST", RUNS, _with("POST", RUNS, parent_run_id=7), ("parent_run_id",)),
        ("POST", RUNS, _with("POST", RUNS, tags=[]), ("tags",)),
        ("POST", RUNS, _with("POST", RUNS, start_time="soon"), ("start_time",)),
        ("POST", RUNS, _with("POST", RUNS, start_time=1.5), ("start_time",)),
        ("PATCH", RUN, {"status": 1}, ("status",)),
        ("PATCH", RUN, {"end_time": "x"}, ("end_time",)),
        ("PATCH", RUN, {"name": 2}, ("name",)),
        ("POST", BATCH, {"metrics": {"a": 1}}, ("metrics",)),
        ("POST", BATCH, {"metrics": [1]}, ("metrics",)),
        ("POST", BATCH, _metric(key=1), ("metrics", "key")),
        ("POST", BATCH, _metric(value={}), ("metrics", "value")),
        ("POST", BATCH, _metric(value=None), ("metrics", "value")),
        ("POST", BATCH, _metric(value=True), ("metrics", "value")),
        ("POST", BATCH, _metric(step="x"), ("metrics", "step")),
        ("POST", BATCH, _metric(step=1.5), ("metrics", "step")),
        ("POST", BATCH, _metric(timestamp="x"), ("metrics", "timestamp")),
        ("POST", BATCH, {"params": ["p"]}, ("params",)),
        ("POST", BATCH, {"params": {"q": 1}}, ("params", "q")),
        ("POST", BATCH, {"tags": "x"}, ("tags",)),
        ("POST", BATCH, {"tags": {"q": None}}, ("tags", "q")),
        ("POST", INPUTS, {"datasets": {}}, ("datasets",)),
        ("POST", INPUTS, _dataset(name=1), ("datasets", "name")),
        ("POST", INPUTS, _dataset(digest=1), ("datasets", "digest")),
        ("POST", INPUTS, _dataset(context=1), ("datasets", "context")),
        ("POST", INPUTS, _dataset(source=[]), ("datasets", "source")),
        ("POST", INPUTS, _dataset(source_type={}), ("datasets", "source_type")),
        ("POST", INPUTS, _dataset(schema=[1]), ("datasets", "schema")),
        ("POST", INPUTS, _dataset(profile=1), ("datasets", "profile")),
        ("POST", INPUTS, _dataset(preview={"a": 1}), ("datasets", "preview")),
        ("POST", INPUTS, _dataset(num_rows="x"), ("datasets", "num_rows")),
        ("POST", INPUTS, _dataset(tags=[]), ("datasets", "tags")),
        ("POST", SEARCH, {"filter": 1}, ("filter",)),
        ("POST", SEARCH, {"experiment_ids": "x"}, ("experiment_ids",)),
        ("POST", SEARCH, {"order_by": "name"}, ("order_by",)),
        ("POST", SEARCH, {"max_results": "x"}, ("max_results",)),
        ("POST", SEARCH, {"cursor": 1}, ("cursor",)),
        ("POST", SEARCH, {"include_archived": "maybe"}, ("include_archived",)),
    ]
    for method, path, body, names in wrong:
        yield Case(f"wrong-type {method} {path} {body}", method, path, json=body, names=names)


def _missing_field_cases() -> Iterator[Case]:
    yield Case("missing experiment name", "POST", EXP, json={"description": "d"}, names=("name",))
    yield Case("missing run experiment", "POST", RUNS, json={"name": "x"}, names=("experiment_id",))
    yield Case(
        "both experiment_id and name",
        "POST",
        RUNS,
        json={"experiment_id": "{exp}", "experiment_name": "x"},
        names=("experiment_id",),
    )
    yield Case(
        "missing metric key", "POST", BATCH, json={"metrics": [{"value": 1}]}, names=("metrics", "key")
    )
    yield Case(
        "missing metric value", "POST", BATCH, json={"metrics": [{"key": "a"}]}, names=("metrics", "value")
    )
    yield Case("missing datasets", "POST", INPUTS, json={}, names=("datasets",))
    yield Case("no datasets", "POST", INPUTS, json={"datasets": []}, names=("datasets",))
    yield Case(
        "missing dataset digest", "POST", INPUTS, json={"datasets": [{"name": "d"}]}, names=("digest",)
    )
    yield Case("missing dataset name", "POST", INPUTS, json={"datasets": [{"digest": "d"}]}, names=("name",))


def _value_cases() -> Iterator[Case]:
    long_key = "k" * 251
    yield Case("bad status", "PATCH", RUN, json={"status": "DONE"}, names=("status",))
    yield Case("lowercase status", "PATCH", RUN, json={"status": "finished"}, names=("status",))
    yield Case(
        "negative start_time", "POST", RUNS, json=_with("POST", RUNS, start_time=-1), names=("start_time",)
    )
    yield Case("negative end_time", "PATCH", RUN, json={"end_time": -1}, names=("end_time",))
    yield Case("negative metric timestamp", "POST", BATCH, json=_metric(timestamp=-5), names=("timestamp",))
    yield Case("empty experiment name", "POST", EXP, json={"name": ""}, names=("name",))
    yield Case("blank experiment name", "POST", EXP, json={"name": "   "}, names=("name",))
    yield Case("long experiment name", "POST", EXP, json={"name": "n" * 257}, names=("name",))
    yield Case("empty experiment rename", "PATCH", EXP_ID, json={"name": ""}, names=("name",))
    yield Case("empty run name", "POST", RUNS, json=_with("POST", RUNS, name=""), names=("name",))
    yield Case("long run name", "POST", RUNS, json=_with("POST", RUNS, name="n" * 257), names=("name",))
    yield Case("empty run rename", "PATCH", RUN, json={"name": ""}, names=("name",))
    yield Case("empty experiment_name", "POST", RUNS, json={"experiment_name": ""}, names=("name",))
    yield Case("empty dataset name", "POST", INPUTS, json=_dataset(name=""), names=("datasets", "name"))
    yield Case("empty dataset digest", "POST", INPUTS, json=_dataset(digest=""), names=("datasets", "digest"))
    yield Case("negative num_rows", "POST", INPUTS, json=_dataset(num_rows=-1), names=("num_rows",))
    yield Case("long metric key", "POST", BATCH, json=_metric(key=long_key), names=("metrics", "key"))
    yield Case("empty metric key", "POST", BATCH, json=_metric(key=""), names=("metrics", "key"))
    yield Case("bad metric key", "POST", BATCH, json=_metric(key="a$b"), names=("metrics", "key"))
    yield Case("dotdot metric key", "POST", BATCH, json=_metric(key="a/../b"), names=("metrics", "key"))
    yield Case("long param key", "POST", BATCH, json={"params": {long_key: "v"}}, names=("params",))
    yield Case("long param value", "POST", BATCH, json={"params": {"q": "v" * 6001}}, names=("params.q",))
    yield Case("long tag key", "POST", BATCH, json={"tags": {long_key: "v"}}, names=("tags",))
    yield Case("long tag value", "POST", BATCH, json={"tags": {"q": "v" * 8001}}, names=("tags.q",))
    yield Case(
        "long run tag key", "POST", RUNS, json=_with("POST", RUNS, tags={long_key: "v"}), names=("tags",)
    )
    yield Case(
        "bad experiment tag key", "POST", EXP, json={"name": "x", "tags": {"a b!": "v"}}, names=("tags",)
    )
    yield Case(
        "bad experiment tag rename", "PATCH", EXP_ID, json={"name": "y", "tags": {"!": "v"}}, names=("tags",)
    )
    for bad in ("abc", "", "1,5", "nan-ish", "0x10"):
        yield Case(
            f"metric value {bad!r}", "POST", BATCH, json=_metric(value=bad), names=("metrics", "value")
        )
    # Values that do not fit a signed 64-bit column.
    yield Case(
        "huge start_time",
        "POST",
        RUNS,
        json=_with("POST", RUNS, start_time=INT64_OVERFLOW),
        names=("start_time",),
    )
    yield Case("huge end_time", "PATCH", RUN, json={"end_time": INT64_OVERFLOW}, names=("end_time",))
    yield Case("huge step", "POST", BATCH, json=_metric(step=INT64_OVERFLOW), names=("metrics", "step"))
    yield Case("huge timestamp", "POST", BATCH, json=_metric(timestamp=INT64_OVERFLOW), names=("timestamp",))
    yield Case("huge num_rows", "POST", INPUTS, json=_dataset(num_rows=INT64_OVERFLOW), names=("num_rows",))
    yield Case("huge min_step", "GET", HISTORY, params={"min_step": 10**25}, names=("min_step",))
    yield Case("huge max_step", "GET", HISTORY, params={"max_step": -(10**25)}, names=("max_step",))
    # History and search parameters.
    for points in (3, 0, -1, 100_001, "many"):
        yield Case(
            f"max_points {points}", "GET", HISTORY, params={"max_points": points}, names=("max_points",)
        )
    yield Case("bad method", "GET", HISTORY, params={"method": "average"}, names=("method",))
    yield Case("bad min_step", "GET", HISTORY, params={"min_step": "x"}, names=("min_step",))
    for count in (0, -1, 10_001):
        yield Case(
            f"max_results {count}", "POST", SEARCH, json={"max_results": count}, names=("max_results",)
        )
    for cursor in ("garbage", "eyJ2IjpbXX0", "!!!", "x" * 5000):
        yield Case(
            f"bad cursor {cursor!r}", "POST", SEARCH, json={"cursor": cursor}, status=400, names=("cursor",)
        )
    yield Case(
        "bad include_archived", "GET", EXP, params={"include_archived": "maybe"}, names=("include_archived",)
    )
    yield Case(
        "bad recursive",
        "GET",
        "/api/v1/runs/{run}/artifacts",
        params={"recursive": "x"},
        names=("recursive",),
    )


def _workspace_cases() -> Iterator[Case]:
    for workspace in ("UPPER", "a b", "-dash", "a" * 65, "dots.not.allowed", "ünï"):
        headers: dict[str, str | bytes] = {WORKSPACE_HEADER: workspace.encode()}
        for method, path in (("GET", EXP), ("POST", EXP), ("POST", RUNS), ("POST", SEARCH)):
            yield Case(
                f"workspace {workspace!r} {method} {path}",
                method,
                path,
                json=VALID_BODIES.get((method, path)),
                headers=headers,
                status=400,
                names=(WORKSPACE_HEADER,),
            )
    yield Case(
        "workspace on by-name",
        "GET",
        "/api/v1/experiments/by-name/exp",
        headers={WORKSPACE_HEADER: "BAD"},
        status=400,
        names=(WORKSPACE_HEADER,),
    )


def _unknown_id_cases() -> Iterator[Case]:
    nope = "0" * 32
    for method, path, body in [
        ("GET", f"{EXP}/{nope}", None),
        ("PATCH", f"{EXP}/{nope}", {"description": "x"}),
        ("POST", f"{EXP}/{nope}/archive", None),
        ("POST", f"{EXP}/{nope}/restore", None),
        ("GET", f"{EXP}/by-name/nope", None),
        ("GET", f"{RUNS}/{nope}", None),
        ("PATCH", f"{RUNS}/{nope}", {"status": "FINISHED"}),
        ("POST", f"{RUNS}/{nope}/archive", None),
        ("POST", f"{RUNS}/{nope}/restore", None),
        ("POST", f"{RUNS}/{nope}/batch", {"metrics": [{"key": "a", "value": 1}]}),
        ("DELETE", f"{RUNS}/{nope}/tags/t", None),
        ("POST", f"{RUNS}/{nope}/inputs", {"datasets": [{"name": "d", "digest": "x"}]}),
        ("GET", f"{RUNS}/{nope}/metrics/m/history", None),
        ("GET", f"{RUNS}/{nope}/artifacts", None),
        ("GET", f"{RUNS}/{nope}/artifacts/files/a.txt", None),
        ("PUT", f"{RUNS}/{nope}/artifacts/files/a.txt", None),
        ("DELETE", f"{RUN}/tags/never-set", None),
        ("GET", f"{RUN}/artifacts/files/missing.txt", None),
    ]:
        yield Case(f"unknown {method} {path}", method, path, json=body, status=404)
    yield Case(
        "unknown experiment_id",
        "POST",
        RUNS,
        json={"experiment_id": nope},
        status=404,
        names=("experiment_id",),
    )
    yield Case(
        "unknown parent_run_id",
        "POST",
        RUNS,
        json={"experiment_id": "{exp}", "parent_run_id": nope},
        status=404,
        names=("parent_run_id",),
    )
    yield Case(
        "unknown parent_run_id with a new experiment name",
        "POST",
        RUNS,
        json={"experiment_name": "fresh", "parent_run_id": nope},
        status=404,
        names=("parent_run_id",),
    )


def _conflict_cases() -> Iterator[Case]:
    yield Case("duplicate experiment", "POST", EXP, json={"name": "exp"}, status=409, names=("exp",))
    yield Case(
        "param conflict",
        "POST",
        BATCH,
        json={
            "params": {"fresh": "1", "p": "2"},
            "tags": {"fresh": "x"},
            "metrics": [{"key": "m", "value": 9.0}, {"key": "fresh", "value": 1}],
        },
        status=409,
        names=("p",),
    )


def _all_cases() -> list[Case]:
    cases = [
        *_body_shape_cases(),
        *_wrong_type_cases(),
        *_missing_field_cases(),
        *_value_cases(),
        *_workspace_cases(),
        *_unknown_id_cases(),
        *_conflict_cases(),
    ]
    return cases


ALL_CASES = _all_cases()


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_bad_input_is_a_4xx_that_names_the_field_and_stores_nothing(shared: Seeded, case: Case) -> None:
    before = shared.snapshot()
    response = case.send(shared)
    assert_error(response, case.status, *case.names)
    assert shared.snapshot() == before


def test_nan_and_infinity_as_strings_are_fine(seeded: Seeded) -> None:
    points = [
        {"key": "x", "value": value, "step": step}
        for step, value in enumerate(["NaN", "Infinity", "-Infinity"])
    ]
    response = seeded.api.post(f"/api/v1/runs/{seeded.run_id}/batch", json={"metrics": points})
    assert response.status_code == 204, response.text
    history = seeded.api.history(seeded.run_id, "x")
    assert history["values"] == ["NaN", "Infinity", "-Infinity"]


def test_a_bad_metric_among_good_ones_stores_none_of_the_batch(seeded: Seeded) -> None:
    api, run_id = seeded.api, seeded.run_id
    good = [{"key": "loss", "value": 1.0 / (step + 1), "step": step} for step in range(500)]
    batch = {"metrics": [*good[:250], {"key": "loss", "value": "abc", "step": 250}, *good[250:]]}
    batch |= {"params": {"lr": "0.1"}, "tags": {"new": "tag"}}
    response = api.post(f"/api/v1/runs/{run_id}/batch", json=batch)
    error = assert_error(response, VALIDATION, "metrics", "value")
    assert "250" in str(error)  # the offending index
    assert api.history(run_id, "loss")["total_points"] == 0
    stored = api.get_run(run_id)
    assert "loss" not in stored["metrics"]
    assert stored["params"] == {"p": "1"}
    assert stored["tags"] == {"t": "1"}


def test_archived_runs_and_experiments_refuse_writes(seeded: Seeded) -> None:
    api, run_id = seeded.api, seeded.run_id
    assert api.post(f"/api/v1/runs/{run_id}/archive").status_code == 200
    before = seeded.snapshot()
    assert_error(api.post(f"/api/v1/runs/{run_id}/batch", json=_metric()), 400, "archived")
    assert_error(api.post(f"/api/v1/runs/{run_id}/inputs", json=_dataset()), 400, "archived")
    assert_error(api.delete(f"/api/v1/runs/{run_id}/tags/t"), 400, "archived")
    assert seeded.snapshot() == before

    assert api.post(f"/api/v1/experiments/{seeded.experiment_id}/archive").status_code == 200
    before = seeded.snapshot()
    response = api.post("/api/v1/runs", json={"experiment_id": seeded.experiment_id})
    assert_error(response, 400, "archived", "experiment_id")
    assert seeded.snapshot() == before


def test_renaming_an_experiment_onto_another_is_a_conflict(seeded: Seeded) -> None:
    other = seeded.api.experiment("other")
    before = seeded.snapshot()
    assert_error(seeded.api.patch(f"/api/v1/experiments/{other['id']}", json={"name": "exp"}), 409, "exp")
    assert seeded.snapshot() == before


def test_cursor_of_another_query_is_refused(seeded: Seeded) -> None:
    api = seeded.api
    for _ in range(3):
        api.run(seeded.experiment_id)
    page = api.post("/api/v1/runs/search", json={"max_results": 1, "order_by": ["name"]}).json()
    assert page["next_cursor"]
    response = api.post(
        "/api/v1/runs/search",
        json={"max_results": 1, "order_by": ["name DESC"], "cursor": page["next_cursor"]},
    )
    assert_error(response, 400, "cursor")
    truncated = api.post("/api/v1/runs/search", json={"max_results": 1, "cursor": page["next_cursor"][:-3]})
    assert_error(truncated, 400, "cursor")


@pytest.mark.parametrize(
    ("expression", "kind", "token"),
    [
        ("metrics.auc > 0.9 AND foo.bar = 1", "filter", "foo"),
        ("metrics.auc > > 0.9", "filter", "> 0.9"),
        ("metrics.auc > 0.9 ANDD params.x = 'a'", "filter", "ANDD"),
        ("params.model = 'rf", "filter", "'rf"),
        ("metrics.auc > 'high'", "filter", "'high'"),
        ("status = 'FINISHED' OR bogus = 1", "filter", "bogus"),
        ("status = 'DONE'", "filter", "'DONE'"),
        ("metrics.auc >", "filter", ""),
        ("(metrics.auc > 0.9", "filter", "("),
        ("metrics.auc DESC NULLS", "order_by", "NULLS"),
        ("bogus", "order_by", "bogus"),
    ],
)
def test_bad_query_points_at_the_offending_token(
    seeded: Seeded, expression: str, kind: str, token: str
) -> None:
    body = {"filter": expression} if kind == "filter" else {"order_by": ["name", expression]}
    error = assert_error(seeded.api.post("/api/v1/runs/search", json=body), 400)
    details = error["details"]
    position = details["position"]
    assert isinstance(position, int)
    assert details["query"] == expression
    if token:
        assert expression[position:].startswith(token), (expression, position, error["message"])
    else:
        assert position == len(expression), (expression, position)
    assert "^" in error["message"]  # the pointer under the query


def test_unknown_route_and_wrong_method_are_json(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        for path in ("/nope", "/api/v1/nope", "/api/v2/runs/search", "/api/v1/runs/x/y/z"):
            assert_error(client.get(path), 404)
        for method, path in [
            ("DELETE", "/api/v1/experiments"),
            ("PUT", "/api/v1/runs/search"),
            ("POST", "/health"),
            ("DELETE", "/api/v1/runs/x"),
            ("POST", "/api/v1/runs/x/artifacts/files/a.txt"),
        ]:
            error = assert_error(client.request(method, path), 405)
            assert error["code"] == "method_not_allowed"


# --- request-size limit -------------------------------------------------------------------------
LIMIT = 10_000


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own with a 10 kB limit on JSON bodies (settings read OPSLOOP_* from the env)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPSLOOP_MAX_REQUEST_BYTES", str(LIMIT))
        server = start_server(tmp_path_factory.mktemp("small-server"))
    try:
        yield server
    finally:
        server.stop()


def _chunks(data: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_json_bodies_over_the_limit_are_413(small_server: LiveServer, tmp_path: Path) -> None:
    import orjson

    with httpx.Client(base_url=small_server.url, timeout=30) as client:
        run = client.post("/api/v1/runs", json={"experiment_name": unique("limits")}).json()
        batch_path = f"/api/v1/runs/{run['id']}/batch"
        points = [{"key": "loss", "value": 0.5, "step": step} for step in range(400)]
        big_batch = orjson.dumps({"metrics": points})
        assert len(big_batch) > LIMIT
        big_experiment = orjson.dumps({"name": "x", "description": "d" * 2 * LIMIT})
        json_headers = {"content-type": "application/json"}

        for path, body in ((batch_path, big_batch), ("/api/v1/experiments", big_experiment)):
            # With a Content-Length header ...
            error = assert_error(client.post(path, content=body, headers=json_headers), 413)
            assert error["code"] == "payload_too_large"
            assert str(LIMIT) in error["message"]
            # ... and streamed chunked, without one.
            response = client.post(path, content=_chunks(body), headers=json_headers)
            assert "content-length" not in response.request.headers
            error = assert_error(response, 413)
            assert error["code"] == "payload_too_large"

        assert client.get(f"/api/v1/runs/{run['id']}/metrics/loss/history").json()["total_points"] == 0
        assert client.get("/api/v1/experiments/by-name/x").status_code == 404

        # Under the limit is fine, and artifact uploads stream past it.
        small = orjson.dumps({"metrics": points[:50]})
        assert len(small) < LIMIT
        assert client.post(batch_path, content=small, headers=json_headers).status_code == 204
        artifact = b"z" * (5 * LIMIT)
        upload = client.put(f"/api/v1/runs/{run['id']}/artifacts/files/big.bin", content=_chunks(artifact))
        assert upload.status_code == 201, upload.text
        assert upload.json()["size"] == len(artifact)
