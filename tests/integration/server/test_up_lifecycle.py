"""`opsloop up` as a user runs it: prints its URL, survives kill -9 without losing acknowledged
data, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.support.server import start_server

from opsloop.client import HttpTrackingStore
from opsloop.tracking.entities import Metric


def test_up_prints_url_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    code = server.stop(signal.SIGTERM)
    log = (tmp_path / "server.log").read_text()
    assert code == 0
    assert server.url in log
    assert "opsloop stopped" in log
    assert (tmp_path / "opsloop.db").exists()  # the embedded default lives in OPSLOOP_HOME


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    store = HttpTrackingStore(server.url)
    experiment = store.create_experiment("durable")
    run = store.create_run(experiment.id)
    acknowledged = 0
    for batch in range(30):
        store.log_batch(run.id, metrics=[Metric("loss", float(i), batch * 100 + i, 1) for i in range(100)])
        acknowledged += 100  # log_batch returned: the server has answered 204
    store.log_param(run.id, "lr", "0.1")
    store.close()
    server.kill()

    restarted = start_server(tmp_path)
    try:
        store = HttpTrackingStore(restarted.url)
        stored = store.get_run(run.id)
        history = store.get_metric_history(run.id, "loss")
        assert len(history.steps) == acknowledged
        assert stored.metrics["loss"].count == acknowledged
        assert stored.metrics["loss"].step == 2999
        assert stored.params == {"lr": "0.1"}
        store.close()
    finally:
        restarted.stop()
