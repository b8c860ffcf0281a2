"""`HttpTrackingStore`: every `TrackingStore` method as a call to the REST API (`/api/v1`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from opsloop.client.errors import raise_for_response
from opsloop.core.floats import float_from_json, float_to_json
from opsloop.errors import InvalidInputError, NotFoundError, StoreUnavailableError
from opsloop.tracking.entities import (
    ArtifactInfo,
    DatasetInput,
    Experiment,
    Metric,
    MetricHistory,
    Run,
    RunInfo,
    RunPage,
    RunStatus,
)
from opsloop.tracking.serialize import (
    artifact_from_json,
    experiment_from_json,
    run_from_json,
    run_info_from_json,
)
from opsloop.tracking.store import DEFAULT_WORKSPACE, DownsampleMethod, TrackingStore
from opsloop.tracking.validation import validate_workspace

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class HttpTrackingStore(TrackingStore):
    def __init__(
        self, base_url: str, *, workspace: str = DEFAULT_WORKSPACE, timeout: httpx.Timeout = DEFAULT_TIMEOUT
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.workspace = workspace
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers={"X-Opsloop-Workspace": workspace}
        )

    def close(self) -> None:
        self._client.close()

    # --- transport ---------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        workspace: str | None = None,
    ) -> Any:
        headers = {"content-type": "application/json"} if json is not None else {}
        if workspace is not None:
            # Checked here: the server reads an empty header as the default workspace.
            headers["X-Opsloop-Workspace"] = validate_workspace(workspace)
        try:
            response = self._client.request(
                method,
                path,
                content=orjson.dumps(json) if json is not None else None,
                params={key: value for key, value in (params or {}).items() if value is not None},
                headers=headers,
            )
        except httpx.TransportError as exc:
            raise StoreUnavailableError(f"cannot reach opsloop server at {self.base_url}: {exc}") from exc
        raise_for_response(response)
        return orjson.loads(response.content) if response.content else None

    # --- experiments -------------------------------------------------------------------------
    def create_experiment(
        self,
        name: str,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        body = {"name": name, "description": description, "tags": dict(tags or {})}
        return experiment_from_json(self._call("POST", "/api/v1/experiments", json=body, workspace=workspace))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return experiment_from_json(self._call("GET", f"/api/v1/experiments/{quote(experiment_id, safe='')}"))

    def get_experiment_by_name(self, name: str, *, workspace: str = DEFAULT_WORKSPACE) -> Experiment | None:
        try:
            return experiment_from_json(
                self._call("GET", f"/api/v1/experiments/by-name/{quote(name, safe='')}", workspace=workspace)
            )
        except NotFoundError:
            return None

    def list_experiments(
        self, *, workspace: str = DEFAULT_WORKSPACE, include_archived: bool = False
    ) -> list[Experiment]:
        body = self._call(
            "GET", "/api/v1/experiments", params={"include_archived": include_archived}, workspace=workspace
        )
        return [experiment_from_json(item) for item in body["experiments"]]

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        body = {"name": name, "description": description, "tags": dict(tags or {})}
        return experiment_from_json(
            self._call("PATCH", f"/api/v1/experiments/{quote(experiment_id, safe='')}", json=body)
        )

    def set_experiment_archived(self, experiment_id: str, archived: bool) -> Experiment:
        action = "archive" if archived else "restore"
        return experiment_from_json(
            self._call("POST", f"/api/v1/experiments/{quote(experiment_id, safe='')}/{action}")
        )

    # --- runs --------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        user: str | None = None,
        source: str | None = None,
        git_commit: str | None = None,
        git_dirty: bool | None = None,
        parent_run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        start_time: int | None = None,
    ) -> RunInfo:
        body = {
            "experiment_id": experiment_id,
            "name": name,
            "user": user,
            "source": source,
            "git_commit": git_commit,
            "git_dirty": git_dirty,
            "parent_run_id": parent_run_id,
            "tags": dict(tags or {}),
            "start_time": start_time,
        }
        return run_info_from_json(self._call("POST", "/api/v1/runs", json=body))

    def get_run(self, run_id: str) -> Run:
        return run_from_json(self._call("GET", f"/api/v1/runs/{quote(run_id, safe='')}"))

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunInfo:
        body = {"status": status.value if status is not None else None, "end_time": end_time, "name": name}
        return run_info_from_json(
            self._call(
                "PATCH",
                f"/api/v1/runs/{quote(run_id, safe='')}",
                json={k: v for k, v in body.items() if v is not None},
            )
        )

    def set_run_archived(self, run_id: str, archived: bool) -> RunInfo:
        action = "archive" if archived else "restore"
        return run_info_from_json(self._call("POST", f"/api/v1/runs/{quote(run_id, safe='')}/{action}"))

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        # The server validates everything (and names the field); the client only has to encode.
        points: Sequence[Metric] | list[dict[str, Any]] = metrics
        if not _all_finite(metrics):
            # orjson writes NaN and infinity as null; spell them as the JSON mapping does.
            points = [
                {"key": m.key, "value": _json_value(m.value), "step": m.step, "timestamp": m.timestamp}
                for m in metrics
            ]
        body = {
            "metrics": points,  # finite points go as dataclasses, which orjson encodes natively
            "params": dict(params or {}),
            "tags": dict(tags or {}),
        }
        self._call("POST", f"/api/v1/runs/{quote(run_id, safe='')}/batch", json=body)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call("DELETE", f"/api/v1/runs/{quote(run_id, safe='')}/tags/{quote(key, safe='')}")

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self._call(
            "POST",
            f"/api/v1/runs/{quote(run_id, safe='')}/inputs",
            json={"datasets": [dataclasses.asdict(d) for d in datasets]},
        )

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int | None = None,
        method: DownsampleMethod = "minmax",
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        params = {"max_points": max_points, "method": method, "min_step": min_step, "max_step": max_step}
        body = self._call(
            "GET",
            f"/api/v1/runs/{quote(run_id, safe='')}/metrics/{quote(key, safe='')}/history",
            params=params,
        )
        return MetricHistory(
            key=body["key"],
            steps=body["steps"],
            values=[float_from_json(value) for value in body["values"]],
            timestamps=body["timestamps"],
            total_points=body["total_points"],
            downsampled=body["downsampled"],
        )

    def search_runs(
        self,
        *,
        workspace: str = DEFAULT_WORKSPACE,
        experiment_ids: Sequence[str] | None = None,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 100,
        cursor: str | None = None,
        include_archived: bool = False,
    ) -> RunPage:
        body = {
            "filter": filter,
            "experiment_ids": list(experiment_ids) if experiment_ids is not None else None,
            "order_by": list(order_by or []),
            "max_results": max_results,
            "cursor": cursor,
            "include_archived": include_archived,
        }
        page = self._call("POST", "/api/v1/runs/search", json=body, workspace=workspace)
        return RunPage(runs=[run_from_json(item) for item in page["runs"]], next_cursor=page["next_cursor"])

    def record_artifact(self, run_id: str, path: str, size: int, sha256: str) -> None:
        """Refused: a client cannot vouch for bytes the server has not seen. The server indexes
        every file uploaded through `upload_artifact` itself."""
        del size, sha256
        raise InvalidInputError(
            f"record_artifact is not available over HTTP: upload {path!r} of run {run_id!r} instead",
            details={"field": "path"},
        )

    def list_artifact_records(self, run_id: str) -> dict[str, tuple[int, str]]:
        body = self._call(
            "GET", f"/api/v1/runs/{quote(run_id, safe='')}/artifacts", params={"recursive": True}
        )
        return {item["path"]: (item["size"], item["sha256"]) for item in body["artifacts"] if item["sha256"]}

    # --- artifacts (the server's own streaming endpoints) ----------------------------------
    def upload_artifact(self, run_id: str, path: str, chunks: Iterable[bytes]) -> ArtifactInfo:
        url = f"/api/v1/runs/{quote(run_id, safe='')}/artifacts/files/{quote(path)}"
        try:
            response = self._client.put(url, content=chunks, timeout=httpx.Timeout(None, connect=5.0))
        except httpx.TransportError as exc:
            raise StoreUnavailableError(f"cannot reach opsloop server at {self.base_url}: {exc}") from exc
        raise_for_response(response)
        return artifact_from_json(response.json())

    def list_artifacts(self, run_id: str, path: str = "", *, recursive: bool = False) -> list[ArtifactInfo]:
        body = self._call(
            "GET",
            f"/api/v1/runs/{quote(run_id, safe='')}/artifacts",
            params={"path": path, "recursive": recursive},
        )
        return [artifact_from_json(item) for item in body["artifacts"]]

    def download_artifact(self, run_id: str, path: str, destination: Path) -> Path:
        url = f"/api/v1/runs/{quote(run_id, safe='')}/artifacts/files/{quote(path)}"
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._client.stream("GET", url, timeout=httpx.Timeout(None, connect=5.0)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise_for_response(response)
                with destination.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise StoreUnavailableError(f"cannot reach opsloop server at {self.base_url}: {exc}") from exc
        return destination


def _all_finite(metrics: Sequence[Metric]) -> bool:
    try:
        return all(map(math.isfinite, [metric.value for metric in metrics]))
    except TypeError:  # not a number: sent as it is, for the server to refuse by name
        return False


def _json_value(value: Any) -> Any:
    return float_to_json(value) if isinstance(value, float) else value


__all__ = ["HttpTrackingStore"]
