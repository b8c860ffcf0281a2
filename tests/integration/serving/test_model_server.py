"""`opsloop serve` as a user runs it: a real process on a loopback port, a real scikit-learn
model package, MLflow-style clients, concurrent load and Prometheus metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from tests.support.server import free_port

from opsloop.models import save_model

X = pd.DataFrame(
    {"age": [25, 40, 61, 33, 52, 47, 29, 58], "income": [30.0, 52.5, 41.0, 75.0, 60.0, 38.5, 44.0, 70.0]}
)
Y = np.array([0, 1, 1, 0, 1, 0, 0, 1])


@dataclass
class Served:
    url: str
    model: LogisticRegression


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served") / "churn"
    model = LogisticRegression().fit(X, Y)
    save_model(model, folder, input_example=X.head(3))
    port = free_port()
    log = (folder.parent / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "serve", str(folder), "--port", str(port)],
        env={**os.environ, "OPSLOOP_HOME": str(folder.parent / "home")},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, (folder.parent / "serve.log").read_text()
                time.sleep(0.1)
        yield Served(url, model)
    finally:
        process.terminate()
        process.wait(15)


def test_every_payload_shape_predicts_like_the_model(served: Served) -> None:
    expected = served.model.predict(X).tolist()
    bodies = [
        X.to_dict("records"),
        {"columns": list(X.columns), "data": X.to_numpy().tolist()},
        {"dataframe_split": X.to_dict("split")},
        {"dataframe_records": X.to_dict("records")},
        {"instances": X.to_dict("records")},
        {"inputs": X.to_dict("list")},
    ]
    for body in bodies:
        for path in ("/predict", "/invocations"):
            response = httpx.post(served.url + path, json=body)
            assert response.status_code == 200, response.text
            assert response.json() == {"predictions": expected}


def test_signature_mismatch_is_a_422_naming_the_columns(served: Served) -> None:
    response = httpx.post(served.url + "/predict", json=[{"age": "old", "zip": 12}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "signature_mismatch"
    assert error["details"]["missing"] == ["income"]
    assert error["details"]["extra"] == ["zip"]
    assert error["details"]["mistyped"] == ["age"]


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "invalid_input"),
        (b'"text"', 400, "invalid_payload"),
        (b'{"instances": [], "inputs": []}', 400, "invalid_payload"),
        (b'{"dataframe_split": {"columns": ["age"], "data": [[1, 2]]}}', 400, "invalid_payload"),
    ],
)
def test_bad_bodies_are_4xx_json(served: Served, content: bytes, status: int, code: str) -> None:
    response = httpx.post(
        served.url + "/predict", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_concurrent_requests_are_answered_correctly_and_batched(served: Served) -> None:
    rows = [X.iloc[[i % len(X)]] for i in range(64)]

    def call(frame: pd.DataFrame) -> list[int]:
        with httpx.Client() as client:
            response = client.post(served.url + "/predict", json=frame.to_dict("records"))
        assert response.status_code == 200, response.text
        predictions: list[int] = response.json()["predictions"]
        return predictions

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(call, rows))
    assert answers == [served.model.predict(frame).tolist() for frame in rows]

    assert httpx.post(served.url + "/predict", json=[{"age": 1}]).status_code == 422
    metrics = httpx.get(served.url + "/metrics").text
    assert 'opsloop_serving_requests_total{status="200"}' in metrics
    assert 'opsloop_serving_requests_total{status="422"}' in metrics
    assert "opsloop_serving_batch_rows_bucket" in metrics
    assert 'opsloop_serving_model_info{flavor="sklearn"' in metrics


def test_health_and_ready(served: Served) -> None:
    assert httpx.get(served.url + "/health").json() == {"status": "ok"}
    ready = httpx.get(served.url + "/ready").json()
    assert ready["ready"] is True and ready["flavor"] == "sklearn"
    assert httpx.get(served.url + "/nope").status_code == 404


def test_serve_refuses_a_missing_model_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "opsloop.cli.main",
            "serve",
            str(tmp_path / "nothing"),
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error:")
    assert "Traceback" not in done.stderr
