"""The README example, run for real: embedded (no server) and against a live server; datasets;
and scikit-learn autolog."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.support.server import LiveServer

import opsloop as ol
from opsloop.sdk import session
from opsloop.sdk.session import Session
from opsloop.tracking.entities import RunStatus


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> Iterator[Session]:
    """The module-level SDK connected to the embedded store (under the test's OPSLOOP_HOME) or to
    the shared live server, in a workspace of the test's own."""
    if request.param == "embedded":
        yield ol.connect()
    else:
        live_server: LiveServer = request.getfixturevalue("live_server")
        yield ol.connect(live_server.url, workspace=f"sdk-{uuid.uuid4().hex[:10]}")


def _customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "age": [34.0, 51.0, np.nan, 22.0, 45.0, 38.0, 29.0],
            "plan": ["basic", "pro", "pro", "basic", None, "pro", "team"],
            "churned": [False, True, False, False, True, False, True],
            "visits": [3, 10, 7, 1, 4, 8, 2],
        }
    )


def test_readme_example(backend: Session, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("rf with 200 trees\n")
    frame = _customers()

    # --- the example, as a user writes it ---
    with ol.start_run(experiment="churn", name="rf-1") as run:
        run.log_params({"model": "rf", "n_estimators": 200, "max_depth": None, "lr": math.nan})
        for i in range(5):
            run.log_metric("loss", 1.0 / (i + 1), step=i)
        for i in range(3):
            run.log_metrics({"auc": 0.80 + 0.06 * i, "accuracy": 0.7 + 0.1 * i}, step=i)
        run.set_tags({"team": "risk", "stage": "dev"})
        run.log_artifact(notes)
        run.log_dataset(frame, name="train")
    with ol.start_run(experiment="churn", name="lr-1") as other:
        other.log_params({"model": "lr"})
        other.log_metric("auc", 0.71)
    with ol.start_run(experiment="churn", name="gb-1") as best:
        best.log_params({"model": "gb"})
        best.log_metric("auc", 0.95)
    found = ol.search_runs("metrics.auc > 0.9 OR params.model = 'rf'")

    # --- what it stored ---
    assert isinstance(found, pd.DataFrame)
    assert sorted(found["name"]) == ["gb-1", "rf-1"]
    assert {"params.model", "params.n_estimators", "metrics.auc", "metrics.loss", "tags.team"} <= set(
        found.columns
    )
    assert {"run_id", "experiment", "status", "start_time", "duration_s"} <= set(found.columns)
    row = found.set_index("name").loc["rf-1"]
    assert row["run_id"] == run.id
    assert row["experiment"] == "churn"
    assert row["status"] == "FINISHED"
    assert row["params.model"] == "rf"
    assert row["params.n_estimators"] == "200"
    assert row["params.max_depth"] == "None"
    assert row["params.lr"] == "nan"
    assert row["metrics.loss"] == pytest.approx(0.2)  # the last value logged
    assert row["metrics.auc"] == pytest.approx(0.92)
    assert row["tags.team"] == "risk"

    ordered = ol.search_runs(experiments=["churn"], order_by="metrics.auc DESC")
    assert list(ordered["name"]) == ["gb-1", "rf-1", "lr-1"]
    assert ol.search_runs(experiments=["no-such-experiment"]).empty

    stored = ol.get_run(run.id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.metrics["loss"].count == 5
    assert stored.metrics["auc"].max == pytest.approx(0.92)
    assert stored.metrics["accuracy"].step == 2
    assert stored.tags == {"team": "risk", "stage": "dev"}
    loss = backend.store.get_metric_history(run.id, "loss")
    assert loss.steps == [0, 1, 2, 3, 4]
    assert loss.values == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2])

    listed = backend.list_artifacts(run.id)
    assert [(item.path, item.size) for item in listed] == [("notes.txt", len(notes.read_bytes()))]
    copies = backend.download_artifacts(run.id, "notes.txt", tmp_path / "back")
    assert [copy.read_text() for copy in copies] == ["rf with 200 trees\n"]


def test_logged_dataset_has_schema_profile_and_preview(backend: Session) -> None:
    frame = _customers()
    with ol.start_run(experiment="datasets", name="with-data") as run:
        run.log_dataset(frame, name="train", source="s3://bucket/customers.csv", tags={"split": "train"})
        run.log_dataset(frame.head(3), name="eval", context="evaluation")
        run.log_dataset(np.arange(12.0).reshape(4, 3), name="matrix")
    inputs = {dataset.name: dataset for dataset in ol.get_run(run.id).inputs}
    assert sorted(inputs) == ["eval", "matrix", "train"]

    train = inputs["train"]
    assert train.context == "train"
    assert train.source == "s3://bucket/customers.csv"
    assert train.source_type == "pandas"
    assert train.num_rows == 7
    assert train.tags == {"split": "train"}
    assert len(train.digest) == 16 and int(train.digest, 16) >= 0
    assert train.schema == {
        "columns": [
            {"name": "age", "type": "float64"},
            {"name": "plan", "type": str(frame["plan"].dtype)},
            {"name": "churned", "type": "bool"},
            {"name": "visits", "type": "int64"},
        ]
    }
    columns = train.profile["columns"]  # type: ignore[index]
    assert columns["age"]["count"] == 6 and columns["age"]["missing"] == 1
    assert columns["age"]["mean"] == pytest.approx(frame["age"].mean())
    assert columns["age"]["min"] == 22.0 and columns["age"]["max"] == 51.0
    assert columns["visits"]["50th"] == 4.0
    assert columns["plan"]["missing"] == 1
    assert columns["plan"]["unique"] == 3
    assert columns["plan"]["top"]["pro"] == 3
    assert "mean" not in columns["churned"]  # booleans are counted, not averaged
    assert columns["churned"]["top"] == {"False": 4, "True": 3}

    preview = train.preview
    assert preview is not None and len(preview) == 5
    assert preview[0] == {"age": 34.0, "plan": "basic", "churned": False, "visits": 3}
    assert preview[2]["age"] is None  # NaN becomes null, so the preview is valid JSON

    assert inputs["eval"].context == "evaluation"
    assert inputs["eval"].num_rows == 3
    assert inputs["eval"].digest != train.digest
    matrix = inputs["matrix"]
    assert matrix.source_type == "ndarray"
    assert [column["name"] for column in matrix.schema["columns"]] == ["col_0", "col_1", "col_2"]  # type: ignore[index]
    assert matrix.num_rows == 4

    # The same data logged by another run is the same dataset (same digest).
    with ol.start_run(experiment="datasets", name="again") as again:
        again.log_dataset(_customers(), name="train")
    assert ol.get_run(again.id).inputs[0].digest == train.digest


# --- scikit-learn autolog -----------------------------------------------------------------------


def _children(parent_id: str) -> dict[str, str]:
    frame = ol.search_runs(f"parent_run_id = '{parent_id}'")
    return dict(zip(frame["name"], frame["run_id"], strict=True))


def _load_model(run_id: str, folder: Path) -> object:
    files = session.current().download_artifacts(run_id, "model", folder)
    assert "opsloop-model.yaml" in {path.name for path in files}
    return ol.load_model(f"runs:/{run_id}/model")


def test_autolog_logs_nested_runs_with_params_metrics_and_model(tmp_path: Path) -> None:
    from sklearn.datasets import make_classification, make_regression
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, r2_score

    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    Xr, yr = make_regression(n_samples=120, n_features=4, noise=0.5, random_state=0)
    ol.autolog()
    with ol.start_run("autolog", name="parent") as parent:
        classifier = LogisticRegression(C=0.5, max_iter=300).fit(X, y)
        regressor = RandomForestRegressor(n_estimators=8, max_depth=4, random_state=0).fit(Xr, yr)

    children = _children(parent.id)
    assert sorted(children) == ["LogisticRegression", "RandomForestRegressor"]

    logistic = ol.get_run(children["LogisticRegression"])
    assert logistic.info.status == RunStatus.FINISHED
    assert logistic.info.parent_run_id == parent.id
    assert logistic.params["C"] == "0.5"
    assert logistic.params["max_iter"] == "300"
    assert logistic.tags["estimator_class"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert logistic.tags["opsloop.autolog"] == "sklearn"
    expected_accuracy = accuracy_score(y, classifier.predict(X))
    assert logistic.metrics["training_accuracy_score"].value == pytest.approx(expected_accuracy)
    for key in ("training_precision_score", "training_recall_score", "training_f1_score", "training_roc_auc"):
        assert 0.0 <= logistic.metrics[key].value <= 1.0, key

    forest = ol.get_run(children["RandomForestRegressor"])
    assert forest.params["n_estimators"] == "8"
    assert forest.params["max_depth"] == "4"
    assert forest.metrics["training_r2_score"].value == pytest.approx(r2_score(yr, regressor.predict(Xr)))
    assert {"training_mean_squared_error", "training_mean_absolute_error", "training_score"} <= set(
        forest.metrics
    )

    loaded_classifier = _load_model(logistic.info.id, tmp_path / "logistic")
    assert np.array_equal(loaded_classifier.predict(X), classifier.predict(X))  # type: ignore[attr-defined]
    loaded_regressor = _load_model(forest.info.id, tmp_path / "forest")
    assert np.allclose(loaded_regressor.predict(Xr), regressor.predict(Xr))  # type: ignore[attr-defined]


def test_autolog_logs_only_the_outer_fit_of_a_meta_estimator() -> None:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = make_classification(n_samples=90, n_features=4, random_state=1)
    ol.autolog(log_models=False)
    with ol.start_run("autolog", name="search") as parent:
        search = GridSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    children = _children(parent.id)
    assert list(children) == ["GridSearchCV"]
    logged = ol.get_run(children["GridSearchCV"])
    assert logged.params["cv"] == "3"
    assert "LogisticRegression" in logged.params["estimator"]
    assert logged.metrics["training_accuracy_score"].value == pytest.approx(search.score(X, y))
    everything = ol.search_runs(experiments=["autolog"])
    assert sorted(everything["name"]) == ["GridSearchCV", "search"]


def test_autolog_without_an_active_run_starts_its_own_run() -> None:
    from sklearn.linear_model import LinearRegression

    ol.autolog(experiment="autolog-top", log_models=False)
    LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 2.0, 4.0])
    assert ol.active_run() is None
    frame = ol.search_runs(experiments=["autolog-top"])
    assert list(frame["name"]) == ["LinearRegression"]
    assert frame["parent_run_id"].isna().all()
    assert list(frame["status"]) == ["FINISHED"]
    assert frame["metrics.training_r2_score"].iloc[0] == pytest.approx(1.0)


def test_autolog_disable_restores_fit() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    def owners() -> list[object]:
        return [
            next(klass.__dict__["fit"] for klass in cls.__mro__ if "fit" in klass.__dict__)
            for cls in (LogisticRegression, RandomForestClassifier, GridSearchCV)
        ]

    originals = owners()
    ol.autolog(log_models=False)
    assert all(patched is not original for patched, original in zip(owners(), originals, strict=True))
    ol.autolog(disable=True)
    assert owners() == originals

    with ol.start_run("autolog-off", name="parent") as parent:
        LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    assert _children(parent.id) == {}
