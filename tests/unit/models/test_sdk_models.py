"""`log_model` / `load_model` through the SDK on the embedded store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import opsloop as ol
from opsloop.errors import InvalidInputError
from opsloop.models import UntrustedModelError
from opsloop.sdk import session
from opsloop.sdk.models import load_model, log_model

Data = tuple[pd.DataFrame, np.ndarray]


def test_log_model_and_load_it_from_the_run(table: Data, tmp_path: Path) -> None:
    session.connect()
    X, y = table
    model = LogisticRegression().fit(X, y)
    with ol.start_run(experiment="models", name="lr") as run:
        run.log_metric("auc", 0.75)
        manifest = log_model(run, model, "model", input_example=X.head(3))
    assert manifest.source_run_id == run.id and manifest.metrics == {"auc": 0.75}
    loaded = load_model(f"runs:/{run.id}/model")
    np.testing.assert_array_equal(loaded.predict(X.to_dict("records")), model.predict(X))
    assert loaded.manifest.source_run_id == run.id
    assert "cache/models" in loaded.folder.as_posix()
    again = load_model(f"runs:/{run.id}/model")  # re-downloads over the cache
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    local = load_model(loaded.folder)
    np.testing.assert_array_equal(local.predict(X), model.predict(X))


def test_python_model_from_a_run_needs_trust(tmp_path: Path) -> None:
    session.connect()
    with ol.start_run(experiment="models") as run:
        log_model(run, lambda frame: frame["a"] * 2, "fn", input_example=pd.DataFrame({"a": [1.0]}))
    with pytest.raises(UntrustedModelError):
        load_model(f"runs:/{run.id}/fn")
    assert load_model(f"runs:/{run.id}/fn", trust=True).predict([{"a": 2.0}]).tolist() == [4.0]


def test_unsupported_uris() -> None:
    with pytest.raises(InvalidInputError, match="models:/ URIs need the registry"):
        load_model("models:/fraud@champion")
    with pytest.raises(InvalidInputError, match="no valid run id"):
        load_model("runs:/../model")
    with pytest.raises(InvalidInputError, match="unsupported model URI"):
        load_model("s3://bucket/model")
