"""Runs: create, get, update, log batches and inputs, metric history and search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from opsloop.core.clock import now_ms
from opsloop.errors import InvalidInputError, NotFoundError
from opsloop.server.batch_body import read_log_batch
from opsloop.server.deps import StoreDep, WorkspaceDep
from opsloop.server.openapi import inline_schema
from opsloop.server.responses import JsonResponse
from opsloop.server.schemas import (
    LogBatch,
    LogInputs,
    MetricHistoryPublic,
    RunCreate,
    RunInfoPublic,
    RunPagePublic,
    RunPublic,
    RunSearch,
    RunUpdate,
)
from opsloop.tracking.entities import DatasetInput
from opsloop.tracking.serialize import history_json, run_info_json, run_json, run_page_json
from opsloop.tracking.validation import INT64_MAX, validate_name, validate_tags

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
_BATCH = inline_schema(LogBatch)


@router.post("", status_code=201, response_model=RunInfoPublic)
def create_run(body: RunCreate, store: StoreDep, workspace: WorkspaceDep) -> JsonResponse:
    if (body.experiment_id is None) == (body.experiment_name is None):
        raise InvalidInputError(
            "give exactly one of experiment_id or experiment_name", details={"field": "experiment_id"}
        )
    experiment_id = body.experiment_id
    if experiment_id is None:
        assert body.experiment_name is not None
        # Check the run's own fields first, so a bad request does not leave a new experiment behind.
        if body.name is not None:
            validate_name(body.name, "name")
        validate_tags(body.tags)
        if body.parent_run_id is not None:
            try:
                store.get_run(body.parent_run_id)
            except NotFoundError as exc:
                exc.details["field"] = "parent_run_id"
                raise
        experiment_id = store.get_or_create_experiment(body.experiment_name, workspace=workspace).id
    info = store.create_run(
        experiment_id,
        name=body.name,
        user=body.user,
        source=body.source,
        git_commit=body.git_commit,
        git_dirty=body.git_dirty,
        parent_run_id=body.parent_run_id,
        tags=body.tags,
        start_time=body.start_time,
    )
    return JsonResponse(run_info_json(info), status_code=201)


@router.post("/search", response_model=RunPagePublic)
def search_runs(body: RunSearch, store: StoreDep, workspace: WorkspaceDep) -> JsonResponse:
    page = store.search_runs(
        workspace=workspace,
        experiment_ids=body.experiment_ids,
        filter=body.filter,
        order_by=body.order_by,
        max_results=body.max_results,
        cursor=body.cursor,
        include_archived=body.include_archived,
    )
    return JsonResponse(run_page_json(page))


@router.get("/{run_id}", response_model=RunPublic)
def get_run(run_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(run_json(store.get_run(run_id)))


@router.patch("/{run_id}", response_model=RunInfoPublic)
def update_run(run_id: str, body: RunUpdate, store: StoreDep) -> JsonResponse:
    info = store.update_run(run_id, status=body.status, end_time=body.end_time, name=body.name)
    return JsonResponse(run_info_json(info))


@router.post("/{run_id}/archive", response_model=RunInfoPublic)
def archive_run(run_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(run_info_json(store.set_run_archived(run_id, True)))


@router.post("/{run_id}/restore", response_model=RunInfoPublic)
def restore_run(run_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(run_info_json(store.set_run_archived(run_id, False)))


@router.post(
    "/{run_id}/batch",
    status_code=204,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _BATCH}}}},
)
async def log_batch(run_id: str, request: Request, store: StoreDep) -> Response:
    """Log metrics, params and tags atomically (see `LogBatch` for the body)."""
    raw = await request.body()
    metrics, params, tags = read_log_batch(raw, now_ms())
    await run_in_threadpool(store.log_batch, run_id, metrics=metrics, params=params, tags=tags)
    return Response(status_code=204)


@router.delete("/{run_id}/tags/{key:path}", status_code=204)
def delete_tag(run_id: str, key: str, store: StoreDep) -> None:
    store.delete_tag(run_id, key)


@router.post("/{run_id}/inputs", status_code=204)
def log_inputs(run_id: str, body: LogInputs, store: StoreDep) -> None:
    datasets = [
        DatasetInput(
            name=item.name,
            digest=item.digest,
            context=item.context,
            source=item.source,
            source_type=item.source_type,
            schema=item.schema_,
            profile=item.profile,
            preview=item.preview,
            num_rows=item.num_rows,
            tags=item.tags,
        )
        for item in body.datasets
    ]
    store.log_inputs(run_id, datasets)


@router.get("/{run_id}/metrics/{key:path}/history", response_model=MetricHistoryPublic)
def metric_history(
    run_id: str,
    key: str,
    store: StoreDep,
    max_points: Annotated[int | None, Query(ge=4, le=100_000)] = None,
    method: Literal["minmax", "lttb"] = "minmax",
    min_step: Annotated[int | None, Query(ge=-INT64_MAX, le=INT64_MAX)] = None,
    max_step: Annotated[int | None, Query(ge=-INT64_MAX, le=INT64_MAX)] = None,
) -> JsonResponse:
    history = store.get_metric_history(
        run_id, key, max_points=max_points, method=method, min_step=min_step, max_step=max_step
    )
    return JsonResponse(history_json(history))
