"""`ol.autolog()` for scikit-learn: every `fit` logs the estimator's params, its training
metrics and the fitted model, in a run nested under the active one (or a new run)."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import threading
from collections.abc import Callable
from typing import Any

from opsloop.errors import InvalidInputError
from opsloop.sdk.fluent import active_run, start_run
from opsloop.sdk.run import ActiveRun

_state = threading.local()
_patched: dict[type, Callable[..., Any]] = {}
_config: dict[str, Any] = {"experiment": "default", "log_models": True}


def autolog(*, experiment: str = "default", log_models: bool = True, disable: bool = False) -> None:
    """Patch every scikit-learn estimator's `fit`. `disable=True` restores the originals."""
    if importlib.util.find_spec("sklearn") is None:
        raise InvalidInputError("autolog needs scikit-learn: pip install 'opsloop[sklearn]'")
    if disable:
        for cls, original in _patched.items():
            cls.fit = original  # type: ignore[attr-defined]
        _patched.clear()
        return
    _config.update(experiment=experiment, log_models=log_models)
    from sklearn.utils import all_estimators

    for _name, cls in all_estimators():
        # Patch the class that defines `fit`: many estimators inherit it (RandomForestRegressor
        # from BaseForest, GridSearchCV from BaseSearchCV), and those bases are not listed.
        owner = next((klass for klass in cls.__mro__ if "fit" in klass.__dict__), None)
        if owner is not None and owner not in _patched:
            original = owner.__dict__["fit"]
            _patched[owner] = original
            owner.fit = _wrap_fit(original)


def _wrap_fit(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Arguments pass through untouched: some `fit`s take only y (LabelEncoder.fit(y)).
        # A meta-estimator (Pipeline, GridSearchCV) fits inner estimators: log only the outermost.
        if getattr(_state, "depth", 0) > 0:
            return original(self, *args, **kwargs)
        _state.depth = 1
        try:
            return _logged_fit(original, self, *args, **kwargs)
        finally:
            _state.depth = 0

    return fit


def _logged_fit(original: Callable[..., Any], estimator: Any, *args: Any, **kwargs: Any) -> Any:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y")
    parent = active_run()
    name = type(estimator).__name__
    with start_run(
        parent.session.store.get_experiment(parent.info.experiment_id).name
        if parent
        else _config["experiment"],
        name=name,
        tags={"estimator_class": f"{type(estimator).__module__}.{name}", "opsloop.autolog": "sklearn"},
    ) as run:
        run.log_params({key: _short(value) for key, value in estimator.get_params(deep=False).items()})
        result = original(estimator, *args, **kwargs)
        run.log_metrics(training_metrics(estimator, X, y))
        if _config["log_models"]:
            _log_model(run, estimator, X)
        return result


def training_metrics(estimator: Any, X: Any, y: Any) -> dict[str, float]:
    """The metrics MLflow's sklearn autolog reports on the training set, by estimator type."""
    from sklearn import metrics
    from sklearn.base import is_classifier, is_regressor

    if y is None:
        return {}
    scores: dict[str, float] = {}
    try:
        predicted = estimator.predict(X)
    except Exception:
        return {}
    if is_classifier(estimator):
        average = "binary" if len(set(list(y))) == 2 else "weighted"
        scores["training_accuracy_score"] = float(metrics.accuracy_score(y, predicted))
        scores["training_precision_score"] = float(
            metrics.precision_score(y, predicted, average=average, zero_division=0)
        )
        scores["training_recall_score"] = float(
            metrics.recall_score(y, predicted, average=average, zero_division=0)
        )
        scores["training_f1_score"] = float(metrics.f1_score(y, predicted, average=average, zero_division=0))
        if hasattr(estimator, "predict_proba") and average == "binary":
            with contextlib.suppress(ValueError, AttributeError):
                scores["training_roc_auc"] = float(metrics.roc_auc_score(y, estimator.predict_proba(X)[:, 1]))
    elif is_regressor(estimator):
        scores["training_mean_squared_error"] = float(metrics.mean_squared_error(y, predicted))
        scores["training_mean_absolute_error"] = float(metrics.mean_absolute_error(y, predicted))
        scores["training_r2_score"] = float(metrics.r2_score(y, predicted))
    scores["training_score"] = float(estimator.score(X, y))
    return scores


def _log_model(run: ActiveRun, estimator: Any, X: Any) -> None:
    """The fitted estimator as a model package (sklearn flavor, skops), with a 5-row input
    example so its signature is inferred from the data it was trained on."""
    from opsloop.sdk.models import log_model

    example = X[:5] if X is not None and hasattr(X, "__getitem__") else None
    log_model(run, estimator, "model", input_example=example)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."
