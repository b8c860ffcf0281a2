"""Request and response schemas of the tracking API (separate Create/Update/Public models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opsloop.tracking.entities import RunStatus
from opsloop.tracking.validation import INT64_MAX

JsonFloat = float | Literal["NaN", "Infinity", "-Infinity"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExperimentCreate(Strict):
    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ExperimentUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=256)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class ExperimentPublic(BaseModel):
    id: str
    workspace: str
    name: str
    description: str | None
    artifact_location: str
    lifecycle_stage: str
    created_at: int
    updated_at: int
    tags: dict[str, str]


class ExperimentList(BaseModel):
    experiments: list[ExperimentPublic]


class RunCreate(Strict):
    experiment_id: str | None = None
    experiment_name: str | None = Field(default=None, description="Created if it does not exist.")
    name: str | None = Field(default=None, max_length=256)
    user: str | None = None
    source: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    parent_run_id: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    start_time: int | None = Field(default=None, ge=0, le=INT64_MAX)


class RunUpdate(Strict):
    status: RunStatus | None = None
    end_time: int | None = Field(default=None, ge=0, le=INT64_MAX)
    name: str | None = Field(default=None, min_length=1, max_length=256)


class MetricPoint(Strict):
    key: str
    value: JsonFloat
    step: int = 0
    timestamp: int | None = Field(default=None, ge=0, description="Epoch ms; the server's clock when absent.")


class LogBatch(Strict):
    metrics: list[MetricPoint] = Field(default_factory=list)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class DatasetIn(Strict):
    name: str
    digest: str
    context: str | None = None
    source: str | None = None
    source_type: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    profile: dict[str, Any] | None = None
    preview: list[dict[str, Any]] | None = None
    num_rows: int | None = Field(default=None, ge=0, le=INT64_MAX)
    tags: dict[str, str] = Field(default_factory=dict)


class LogInputs(Strict):
    datasets: list[DatasetIn] = Field(min_length=1)


class RunSearch(Strict):
    filter: str | None = Field(
        default=None, description="Query language, e.g. metrics.auc > 0.9 AND params.model = 'rf'"
    )
    experiment_ids: list[str] | None = None
    order_by: list[str] = Field(default_factory=list)
    max_results: int = Field(default=100, ge=1, le=10_000)
    cursor: str | None = None
    include_archived: bool = False


class MetricSummaryPublic(BaseModel):
    value: JsonFloat
    step: int
    timestamp: int
    min: float | None
    max: float | None
    count: int


class RunInfoPublic(BaseModel):
    id: str
    experiment_id: str
    workspace: str
    name: str
    status: RunStatus
    start_time: int
    end_time: int | None
    duration_ms: int | None
    user: str | None
    source: str | None
    git_commit: str | None
    git_dirty: bool | None
    parent_run_id: str | None
    artifact_uri: str
    lifecycle_stage: str


class RunPublic(BaseModel):
    info: RunInfoPublic
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, MetricSummaryPublic]
    inputs: list[dict[str, Any]]


class RunPagePublic(BaseModel):
    runs: list[RunPublic]
    next_cursor: str | None


class MetricHistoryPublic(BaseModel):
    key: str
    steps: list[int]
    values: list[JsonFloat]
    timestamps: list[int]
    total_points: int
    downsampled: bool


class ArtifactPublic(BaseModel):
    path: str
    is_dir: bool
    size: int | None
    sha256: str | None


class ArtifactList(BaseModel):
    artifacts: list[ArtifactPublic]
