"""Fixtures of the HTTP API tests: a client per test in its own workspace of the shared live server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.server import LiveServer

WORKSPACE_HEADER = "X-Opsloop-Workspace"


class Api:
    """A thin httpx wrapper that knows the test's workspace and makes experiments and runs."""

    def __init__(self, client: httpx.Client, workspace: str) -> None:
        self.client = client
        self.workspace = workspace

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def experiment(self, name: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post("/api/v1/experiments", json={"name": name or unique("exp"), **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def run(self, experiment_id: str | None = None, **fields: Any) -> dict[str, Any]:
        experiment_id = experiment_id or self.experiment()["id"]
        response = self.client.post("/api/v1/runs", json={"experiment_id": experiment_id, **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def get_run(self, run_id: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/runs/{run_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def history(self, run_id: str, key: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/runs/{run_id}/metrics/{key}/history", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_error(response: httpx.Response, status: int | tuple[int, ...], *names: str) -> dict[str, Any]:
    """The response is the given 4xx with the one error shape, and its message or details name
    every string in `names` (the offending field)."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text)
    assert response.status_code < 500
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    said = f"{error['message']} {error['details']}"
    for name in names:
        assert name in said, (name, error)
    result: dict[str, Any] = error
    return result


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[Api]:
    """A client of the shared server, in a workspace of its own so tests cannot see each other."""
    workspace = unique("ws")
    with httpx.Client(base_url=live_server.url, headers={WORKSPACE_HEADER: workspace}, timeout=30) as client:
        yield Api(client, workspace)
