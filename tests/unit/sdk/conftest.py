"""SDK fixtures: a fresh module-level session per test, and no patched scikit-learn left behind."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from opsloop.sdk import session
from opsloop.sdk.run import run_stack


def _reset() -> None:
    run_stack().clear()
    previous, session._current = session._current, None
    if previous is not None:
        # A test that broke its session must not break the next one.
        with contextlib.suppress(Exception):
            previous.close()


@pytest.fixture(autouse=True)
def fresh_sdk() -> Iterator[None]:
    """Every test starts without a session (the next use connects to the embedded store under
    the test's own OPSLOOP_HOME) and without active runs; autolog is undone afterwards."""
    _reset()
    yield
    import importlib.util

    if importlib.util.find_spec("sklearn") is not None:
        import opsloop as ol

        ol.autolog(disable=True)
    _reset()
