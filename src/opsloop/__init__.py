"""opsloop: the whole loop of ML in production.

    import opsloop as ol
    with ol.start_run(experiment="churn", name="rf-1") as run:
        run.log_params({"n_estimators": 200})
        run.log_metric("loss", 0.3, step=1)
    ol.search_runs("metrics.auc > 0.9 OR params.model = 'rf'")

The SDK is imported on first use, so `import opsloop` stays cheap for the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "start_run": "opsloop.sdk.fluent",
    "active_run": "opsloop.sdk.fluent",
    "end_run": "opsloop.sdk.fluent",
    "get_run": "opsloop.sdk.fluent",
    "search_runs": "opsloop.sdk.fluent",
    "flush": "opsloop.sdk.fluent",
    "connect": "opsloop.sdk.session",
    "autolog": "opsloop.sdk.autolog",
    "load_model": "opsloop.sdk.models",
    "ActiveRun": "opsloop.sdk.run",
}

if TYPE_CHECKING:
    from opsloop.sdk.autolog import autolog
    from opsloop.sdk.fluent import active_run, end_run, flush, get_run, search_runs, start_run
    from opsloop.sdk.models import load_model
    from opsloop.sdk.run import ActiveRun
    from opsloop.sdk.session import connect

__all__ = [
    "ActiveRun",
    "__version__",
    "active_run",
    "autolog",
    "connect",
    "end_run",
    "flush",
    "get_run",
    "load_model",
    "search_runs",
    "start_run",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'opsloop' has no attribute {name!r}")
