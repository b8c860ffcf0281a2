"""Every flavor: save → load → identical predictions; trust rules; auto-detection."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from tests.unit.models.custom_types import MajorityClassifier

from opsloop.models import MissingDependencyError, UntrustedModelError, load_model, save_model
from opsloop.models.flavors import detect_flavor

Data = tuple[pd.DataFrame, np.ndarray]


def _round_trip(model: object, folder: Path, X: pd.DataFrame, **load: object) -> np.ndarray:
    manifest = save_model(model, folder, input_example=X.head(3))
    loaded = load_model(folder, **load)  # type: ignore[arg-type]
    assert loaded.flavor == manifest.flavor
    return np.asarray(loaded.predict(X))


def test_sklearn_pipeline_round_trip(table: Data, tmp_path: Path) -> None:
    X, y = table
    model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(_round_trip(model, tmp_path / "m", X), model.predict(X))
    loaded = load_model(tmp_path / "m")
    assert loaded.manifest.flavor_config["file"] == "model.skops"
    assert any(req.startswith("scikit-learn==") for req in loaded.manifest.requirements)
    assert loaded.manifest.input_example is not None and len(loaded.manifest.input_example) == 3
    assert loaded.signature is not None and loaded.signature.outputs is not None


def test_sklearn_records_and_ndarray_inputs(table: Data, tmp_path: Path) -> None:
    X, y = table
    model = LogisticRegression().fit(X.to_numpy(), y)
    save_model(model, tmp_path / "m", input_example=X.to_numpy()[:2])
    loaded = load_model(tmp_path / "m")
    expected = model.predict(X.to_numpy())
    np.testing.assert_array_equal(loaded.predict(X.to_numpy()), expected)
    records = [{f"x{i}": value for i, value in enumerate(row)} for row in X.to_numpy().tolist()]
    np.testing.assert_array_equal(loaded.predict(records), expected)


def test_skops_refuses_untrusted_types_unless_trusted(table: Data, tmp_path: Path) -> None:
    X, y = table
    model = MajorityClassifier().fit(X, y)
    save_model(model, tmp_path / "m")
    with pytest.raises(UntrustedModelError) as caught:
        load_model(tmp_path / "m")
    name = "tests.unit.models.custom_types.MajorityClassifier"
    assert caught.value.untrusted_types == [name]
    assert name in caught.value.message and caught.value.code == "untrusted_model"
    with pytest.raises(UntrustedModelError):
        load_model(tmp_path / "m", trust=["something.Else"])
    np.testing.assert_array_equal(load_model(tmp_path / "m", trust=[name]).predict(X), model.predict(X))
    np.testing.assert_array_equal(load_model(tmp_path / "m", trust=True).predict(X), model.predict(X))


def test_python_flavor_is_never_unpickled_without_trust(table: Data, tmp_path: Path) -> None:
    X, _ = table

    def double_score(frame: pd.DataFrame) -> np.ndarray:
        return frame["score"].to_numpy() * 2

    manifest = save_model(double_score, tmp_path / "m", input_example=X.head(2))
    assert manifest.flavor == "python"
    for trust in (False, ["double_score"]):
        with pytest.raises(UntrustedModelError, match="unpickling runs arbitrary code"):
            load_model(tmp_path / "m", trust=trust)
    np.testing.assert_allclose(load_model(tmp_path / "m", trust=True).predict(X), X["score"] * 2)


def test_xgboost_round_trip(table: Data, tmp_path: Path) -> None:
    xgboost = pytest.importorskip("xgboost")
    X, y = table
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    np.testing.assert_array_equal(_round_trip(model, tmp_path / "clf", X), model.predict(X))
    booster = xgboost.train({"max_depth": 2}, xgboost.DMatrix(X, label=y), num_boost_round=3)
    np.testing.assert_allclose(
        _round_trip(booster, tmp_path / "booster", X), booster.predict(xgboost.DMatrix(X)), rtol=1e-6
    )
    assert load_model(tmp_path / "clf").manifest.flavor_config["file"] == "model.json"


def test_lightgbm_round_trip(table: Data, tmp_path: Path) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    X, y = table
    labels = np.where(y == 1, "yes", "no")
    classifier = lightgbm.LGBMClassifier(n_estimators=5, min_child_samples=5, verbose=-1).fit(X, labels)
    np.testing.assert_array_equal(_round_trip(classifier, tmp_path / "clf", X), classifier.predict(X))
    regressor = lightgbm.LGBMRegressor(n_estimators=5, min_child_samples=5, verbose=-1).fit(X, X["income"])
    np.testing.assert_allclose(_round_trip(regressor, tmp_path / "reg", X), regressor.predict(X))


def test_missing_extra_is_named(table: Data, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xgboost = pytest.importorskip("xgboost")
    X, y = table
    save_model(xgboost.XGBRegressor(n_estimators=2).fit(X, y), tmp_path / "m")
    monkeypatch.setitem(sys.modules, "xgboost", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'opsloop\[xgboost\]'"):
        load_model(tmp_path / "m")


def test_auto_detection() -> None:
    xgboost = pytest.importorskip("xgboost")
    lightgbm = pytest.importorskip("lightgbm")
    import onnx

    assert detect_flavor(HistGradientBoostingClassifier(max_iter=2)).name == "sklearn"
    assert detect_flavor(make_pipeline(StandardScaler(), LogisticRegression())).name == "sklearn"
    assert detect_flavor(MajorityClassifier()).name == "sklearn"
    assert detect_flavor(xgboost.XGBClassifier()).name == "xgboost"
    assert detect_flavor(lightgbm.LGBMRegressor()).name == "lightgbm"
    assert detect_flavor(onnx.ModelProto()).name == "onnx"
    assert detect_flavor(lambda frame: frame).name == "python"
    assert detect_flavor(RandomForestRegressor()).name == "sklearn"
