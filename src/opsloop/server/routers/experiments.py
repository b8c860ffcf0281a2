"""Experiments: create, list, get, rename, tag, archive and restore."""

from __future__ import annotations

from fastapi import APIRouter

from opsloop.errors import NotFoundError
from opsloop.server.deps import StoreDep, WorkspaceDep
from opsloop.server.responses import JsonResponse
from opsloop.server.schemas import ExperimentCreate, ExperimentList, ExperimentPublic, ExperimentUpdate
from opsloop.tracking.serialize import experiment_json

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])


@router.post("", status_code=201, response_model=ExperimentPublic)
def create_experiment(body: ExperimentCreate, store: StoreDep, workspace: WorkspaceDep) -> JsonResponse:
    experiment = store.create_experiment(
        body.name, workspace=workspace, description=body.description, tags=body.tags
    )
    return JsonResponse(experiment_json(experiment), status_code=201)


@router.get("", response_model=ExperimentList)
def list_experiments(
    store: StoreDep, workspace: WorkspaceDep, include_archived: bool = False
) -> JsonResponse:
    experiments = store.list_experiments(workspace=workspace, include_archived=include_archived)
    return JsonResponse({"experiments": [experiment_json(experiment) for experiment in experiments]})


@router.get("/by-name/{name:path}", response_model=ExperimentPublic)
def get_experiment_by_name(name: str, store: StoreDep, workspace: WorkspaceDep) -> JsonResponse:
    experiment = store.get_experiment_by_name(name, workspace=workspace)
    if experiment is None:
        raise NotFoundError(
            f"experiment {name!r} not found in workspace {workspace!r}", details={"field": "name"}
        )
    return JsonResponse(experiment_json(experiment))


@router.get("/{experiment_id}", response_model=ExperimentPublic)
def get_experiment(experiment_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(experiment_json(store.get_experiment(experiment_id)))


@router.patch("/{experiment_id}", response_model=ExperimentPublic)
def update_experiment(experiment_id: str, body: ExperimentUpdate, store: StoreDep) -> JsonResponse:
    experiment = store.update_experiment(
        experiment_id, name=body.name, description=body.description, tags=body.tags
    )
    return JsonResponse(experiment_json(experiment))


@router.post("/{experiment_id}/archive", response_model=ExperimentPublic)
def archive_experiment(experiment_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(experiment_json(store.set_experiment_archived(experiment_id, True)))


@router.post("/{experiment_id}/restore", response_model=ExperimentPublic)
def restore_experiment(experiment_id: str, store: StoreDep) -> JsonResponse:
    return JsonResponse(experiment_json(store.set_experiment_archived(experiment_id, False)))
