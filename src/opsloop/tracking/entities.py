"""Tracking entities: frozen dataclasses, separate from storage rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    SCHEDULED = "SCHEDULED"  # MLflow has it; kept so every MLflow status is expressible

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class LifecycleStage(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"  # MLflow calls it "deleted"; archived things are hidden, not lost


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    workspace: str
    name: str
    description: str | None
    artifact_location: str
    lifecycle_stage: LifecycleStage
    created_at: int
    updated_at: int
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def archived(self) -> bool:
        return self.lifecycle_stage is LifecycleStage.ARCHIVED


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """The latest point of one metric in one run, with its extremes over all points."""

    key: str
    value: float
    step: int
    timestamp: int
    min: float | None
    max: float | None
    count: int


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """A dataset a run used, with the profile Neptune keeps: schema, rows, per-column stats."""

    name: str
    digest: str
    context: str | None = None
    source: str | None = None
    source_type: str | None = None
    schema: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None
    preview: list[dict[str, Any]] | None = None
    num_rows: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    experiment_id: str
    workspace: str
    name: str
    status: RunStatus
    start_time: int
    end_time: int | None
    user: str | None
    source: str | None
    git_commit: str | None
    git_dirty: bool | None
    parent_run_id: str | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage

    @property
    def duration_ms(self) -> int | None:
        return None if self.end_time is None else self.end_time - self.start_time


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    inputs: tuple[DatasetInput, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    path: str
    is_dir: bool
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class RunPage:
    runs: list[Run]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """A metric's points as parallel columns (cheap to ship and to chart)."""

    key: str
    steps: list[int]
    values: list[float]
    timestamps: list[int]
    total_points: int
    downsampled: bool = False
