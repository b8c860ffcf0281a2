"""Non-blocking metric delivery against real servers: bulk, a dead server, a server that comes
back, a 4xx; and the run lifecycle of `with ol.start_run(...)`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tests.support.server import LiveServer, start_server

import opsloop as ol
from opsloop.client.http_store import HttpTrackingStore
from opsloop.errors import DeliveryError
from opsloop.sdk.background import BackgroundLogger
from opsloop.sdk.run import ActiveRun
from opsloop.sdk.session import Session
from opsloop.tracking.entities import Metric, RunStatus


class CountingStore(HttpTrackingStore):
    """The real HTTP store, counting delivery attempts and failures."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.attempts = 0
        self.failures = 0

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: dict[str, str] | None = None,  # type: ignore[override]
        tags: dict[str, str] | None = None,  # type: ignore[override]
    ) -> None:
        if metrics:
            self.attempts += 1
        try:
            super().log_batch(run_id, metrics=metrics, params=params, tags=tags)
        except Exception:
            if metrics:
                self.failures += 1
            raise


def _session(url: str, retry_delays_s: tuple[float, ...]) -> Session:
    """A session of its own (not the module-level one) with quick retries."""
    store = CountingStore(url)
    session = Session(store, "default")
    session.logger = BackgroundLogger(store, retry_delays_s=retry_delays_s, flush_interval_s=0.05)
    return session


def _new_run(session: Session, name: str) -> ActiveRun:
    experiment = session.store.get_or_create_experiment("background")
    return ActiveRun(session, session.store.create_run(experiment.id, name=name))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    home = tmp_path / "server-home"
    home.mkdir()
    server = start_server(home)
    try:
        yield server
    finally:
        server.stop()


# --- delivery -----------------------------------------------------------------------------------
def test_ten_thousand_points_are_all_stored(live_server: LiveServer) -> None:
    ol.connect(live_server.url, workspace="background-bulk")
    with ol.start_run("bulk", name="ten-thousand") as run:
        for step in range(10_000):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.flush()
    store = run.session.store
    history = store.get_metric_history(run.id, "loss")
    assert history.total_points == 10_000
    assert history.steps == list(range(10_000))
    assert history.values == pytest.approx([1.0 / (step + 1) for step in range(10_000)])
    stored = store.get_run(run.id)
    assert stored.info.status == RunStatus.FINISHED
    assert stored.metrics["loss"].count == 10_000


def test_a_killed_server_loses_points_loudly_never_silently(own_server: LiveServer) -> None:
    session = _session(own_server.url, retry_delays_s=(0.05, 0.1, 0.2))
    try:
        run = _new_run(session, "doomed")
        run.log_metric("before", 1.0)
        run.flush()
        own_server.kill()

        for step in range(1000):  # buffered: logging goes on while nothing can be delivered
            run.log_metric("loss", float(step), step=step)

        with pytest.raises(DeliveryError) as lost:
            run.flush(timeout_s=30)
        assert "1000 metric point(s)" in str(lost.value)
        assert lost.value.details["points"] == 1000
        assert lost.value.details["runs"] == [run.id]

        # Each loss is reported once; the end of the run reports what was lost since.
        run.log_metrics({"a": 1.0, "b": 2.0}, step=1)
        with pytest.raises(DeliveryError) as at_end:
            run.end()
        assert "2 metric point(s)" in str(at_end.value)
        assert at_end.value.details["points"] == 2
    finally:
        session.close()


def test_a_server_back_within_the_retry_window_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "server-home"
    home.mkdir()
    server = start_server(home)
    port = urlsplit(server.url).port
    session = _session(server.url, retry_delays_s=(0.1, 0.2, *[0.5] * 8, 2.0, 4.0))
    store = session.store
    assert isinstance(store, CountingStore)
    try:
        run = _new_run(session, "bumpy")
        for step in range(100):
            run.log_metric("loss", float(step), step=step)
        run.flush(timeout_s=30)
        server.stop()

        for step in range(100, 600):
            run.log_metric("loss", float(step), step=step)
        deadline = time.monotonic() + 10
        while store.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.failures >= 1, "the logger never tried to deliver while the server was down"

        server = start_server(home, port=port)
        run.flush(timeout_s=30)
        history = store.get_metric_history(run.id, "loss")
        assert history.total_points == 600
        assert history.steps == list(range(600))
        run.end()
        assert store.get_run(run.id).info.status == RunStatus.FINISHED
    finally:
        session.close()
        server.stop()


def test_a_4xx_is_not_retried_and_surfaces_at_flush(live_server: LiveServer) -> None:
    session = _session(live_server.url, retry_delays_s=(5.0, 5.0))
    store = session.store
    assert isinstance(store, CountingStore)
    try:
        run = _new_run(session, "archived")
        store.set_run_archived(run.id, True)
        run.log_metric("loss", 0.5)
        with pytest.raises(DeliveryError) as lost:
            run.flush(timeout_s=30)
        assert store.attempts == 1  # a 4xx is final: no retry
        assert "archived" in str(lost.value)
        assert lost.value.details["points"] == 1

        # The logger keeps working once the cause is gone.
        store.set_run_archived(run.id, False)
        run.log_metric("loss", 0.25, step=1)
        run.flush(timeout_s=30)
        assert store.get_metric_history(run.id, "loss").values == [0.25]
    finally:
        session.close()


# --- the run lifecycle --------------------------------------------------------------------------
def test_leaving_the_block_sets_the_status() -> None:
    with ol.start_run("lifecycle", name="ok") as run:
        run.log_metric("a", 1.0)
        assert ol.active_run() is run
    assert ol.active_run() is None
    finished = ol.get_run(run.id)
    assert finished.info.status == RunStatus.FINISHED
    assert finished.info.end_time is not None
    assert finished.metrics["a"].value == 1.0

    with pytest.raises(ValueError, match="boom"), ol.start_run("lifecycle", name="broken") as failed:
        failed.log_metric("a", 2.0)
        raise ValueError("boom")
    assert ol.get_run(failed.id).info.status == RunStatus.FAILED
    assert ol.get_run(failed.id).metrics["a"].value == 2.0  # delivered before the status changed

    with pytest.raises(KeyboardInterrupt), ol.start_run("lifecycle", name="interrupted") as killed:
        raise KeyboardInterrupt
    assert ol.get_run(killed.id).info.status == RunStatus.KILLED
    assert ol.active_run() is None


def test_nested_runs_get_their_parent() -> None:
    with ol.start_run("nesting", name="parent") as parent:
        with ol.start_run("nesting", name="child") as child:
            with ol.start_run("nesting", name="grandchild") as grandchild:
                assert ol.active_run() is grandchild
            assert ol.active_run() is child
        with ol.start_run("nesting", name="unrelated", nested=False) as unrelated:
            assert ol.active_run() is unrelated
    assert parent.info.parent_run_id is None
    assert child.info.parent_run_id == parent.id
    assert grandchild.info.parent_run_id == child.id
    assert unrelated.info.parent_run_id is None
    assert ol.get_run(grandchild.id).info.parent_run_id == child.id
    frame = ol.search_runs(f"parent_run_id = '{parent.id}'")
    assert list(frame["name"]) == ["child"]


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_git_commit_dirty_flag_and_source_are_captured(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    script = repo / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            import opsloop as ol

            with ol.start_run("git", name="clean") as run:
                print(run.id)
            Path(__file__).with_name("data.txt").write_text("changed")
            with ol.start_run("git", name="dirty") as run:
                print(run.id)
            """
        )
    )
    (repo / "data.txt").write_text("original")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "init")
    commit = _git(repo, "rev-parse", "HEAD")

    # Run from elsewhere: the repository is the script's, not the working directory's.
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    clean_id, dirty_id = done.stdout.split()

    clean, dirty = ol.get_run(clean_id).info, ol.get_run(dirty_id).info
    assert clean.git_commit == dirty.git_commit == commit
    assert clean.git_dirty is False
    assert dirty.git_dirty is True
    assert clean.source == str(script.resolve())
    assert clean.user
    assert clean.status == RunStatus.FINISHED
