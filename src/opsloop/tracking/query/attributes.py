"""The run attributes a query can name, with the type of value each one compares against."""

from __future__ import annotations

from typing import Literal, TypeAlias

from opsloop.tracking.entities import LifecycleStage, RunStatus

AttributeType: TypeAlias = Literal["text", "status", "stage", "instant", "duration"]

# canonical name -> (type, nullable)
ATTRIBUTES: dict[str, tuple[AttributeType, bool]] = {
    "run_id": ("text", False),
    "name": ("text", False),
    "status": ("status", False),
    "start_time": ("instant", False),
    "end_time": ("instant", True),
    "duration": ("duration", True),
    "user": ("text", True),
    "experiment": ("text", False),
    "experiment_id": ("text", False),
    "parent_run_id": ("text", True),
    "git_commit": ("text", True),
    "source": ("text", True),
    "lifecycle_stage": ("stage", False),
}

ALIASES: dict[str, str] = {
    "id": "run_id",
    "run_name": "name",
    "user_id": "user",
    "experiment_name": "experiment",
}

STATUS_NAMES: frozenset[str] = frozenset(status.value for status in RunStatus)
# MLflow calls archived things "deleted"
STAGE_NAMES: dict[str, str] = {stage.value: stage.value for stage in LifecycleStage} | {
    "deleted": LifecycleStage.ARCHIVED.value
}


def canonical_attribute(name: str) -> str | None:
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in ATTRIBUTES else None


def attribute_names() -> list[str]:
    return [*ATTRIBUTES, *ALIASES]
