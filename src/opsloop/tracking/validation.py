"""Input rules shared by every tracking store, so SQL, in-memory and HTTP behave the same.

Limits follow MLflow's where it has them, so anything MLflow accepts is accepted here too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from opsloop.errors import InvalidInputError
from opsloop.tracking.entities import DatasetInput, Metric

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_NAME_LENGTH = 256
MAX_BATCH_METRICS = 100_000
MAX_BATCH_PARAMS = 1000
MAX_BATCH_TAGS = 1000
INT64_MAX = 2**63 - 1
# MLflow's key alphabet, plus ':' which W&B-style keys use ("train:loss").
_KEY_PATTERN = re.compile(r"^[\w\-./: ]+$")
_WORKSPACE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def validate_key(key: object, field: str) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidInputError(f"{field}: a key must be a non-empty string", details={"field": field})
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"{field}: key {key[:40]!r}... is longer than {MAX_KEY_LENGTH} characters",
            details={"field": field},
        )
    if not _KEY_PATTERN.match(key) or key.startswith("/") or ".." in key.split("/"):
        raise InvalidInputError(
            f"{field}: key {key!r} may only hold letters, digits, spaces and _ - . / :",
            details={"field": field, "key": key},
        )
    return key


def validate_name(name: object, field: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{field} must be a non-empty string", details={"field": field})
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInputError(
            f"{field} is longer than {MAX_NAME_LENGTH} characters", details={"field": field}
        )
    return name


def validate_workspace(workspace: object) -> str:
    if not isinstance(workspace, str) or not _WORKSPACE_PATTERN.match(workspace):
        raise InvalidInputError(
            f"workspace {workspace!r} must be 1-64 lowercase letters, digits, '_' or '-'",
            details={"field": "workspace"},
        )
    return workspace


def validate_metrics(metrics: Sequence[Metric]) -> None:
    if len(metrics) > MAX_BATCH_METRICS:
        raise InvalidInputError(
            f"metrics: a batch holds at most {MAX_BATCH_METRICS} points, got {len(metrics)}",
            details={"field": "metrics"},
        )
    checked_keys: set[str] = set()
    for index, metric in enumerate(metrics):
        # Batches repeat a few keys many times: check each distinct key once.
        if metric.key not in checked_keys:
            validate_key(metric.key, f"metrics[{index}].key")
            checked_keys.add(metric.key)
        value, step, timestamp = metric.value, metric.step, metric.timestamp
        if (
            type(value) is float
            and type(step) is int
            and type(timestamp) is int
            and -INT64_MAX <= step <= INT64_MAX
            and 0 <= timestamp <= INT64_MAX
        ):
            continue  # the common case, checked with the cheapest tests
        _check_point(index, value, step, timestamp)


def _check_point(index: int, value: object, step: object, timestamp: object) -> None:
    if not isinstance(value, float):
        raise InvalidInputError(
            f"metrics[{index}].value must be a number", details={"field": f"metrics[{index}].value"}
        )
    if not isinstance(step, int) or isinstance(step, bool) or not -INT64_MAX <= step <= INT64_MAX:
        raise InvalidInputError(
            f"metrics[{index}].step must be a 64-bit integer", details={"field": f"metrics[{index}].step"}
        )
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp <= INT64_MAX:
        raise InvalidInputError(
            f"metrics[{index}].timestamp must be epoch milliseconds (a non-negative integer)",
            details={"field": f"metrics[{index}].timestamp"},
        )


def validate_values(
    values: Mapping[str, str] | None, kind: str, max_count: int, max_length: int
) -> dict[str, str]:
    if not values:
        return {}
    if len(values) > max_count:
        raise InvalidInputError(f"{kind}: a batch holds at most {max_count}", details={"field": kind})
    clean: dict[str, str] = {}
    for key, value in values.items():
        validate_key(key, f"{kind}.{key}" if isinstance(key, str) else kind)
        if not isinstance(value, str):
            raise InvalidInputError(f"{kind}.{key} must be a string", details={"field": f"{kind}.{key}"})
        if len(value) > max_length:
            raise InvalidInputError(
                f"{kind}.{key} is longer than {max_length} characters", details={"field": f"{kind}.{key}"}
            )
        clean[key] = value
    return clean


def validate_params(params: Mapping[str, str] | None) -> dict[str, str]:
    return validate_values(params, "params", MAX_BATCH_PARAMS, MAX_PARAM_VALUE_LENGTH)


def validate_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    return validate_values(tags, "tags", MAX_BATCH_TAGS, MAX_TAG_VALUE_LENGTH)


def is_nan(value: float) -> bool:
    return math.isnan(value)


def validate_instant(value: int | None, field: str) -> int | None:
    """An optional epoch-milliseconds instant that fits the 64-bit column."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT64_MAX:
        raise InvalidInputError(
            f"{field} must be epoch milliseconds (a non-negative 64-bit integer)", details={"field": field}
        )
    return value


def validate_datasets(datasets: Sequence[DatasetInput]) -> None:
    for index, dataset in enumerate(datasets):
        validate_name(dataset.name, f"datasets[{index}].name")
        validate_name(dataset.digest, f"datasets[{index}].digest")
        validate_values(dataset.tags, f"datasets[{index}].tags", MAX_BATCH_TAGS, MAX_TAG_VALUE_LENGTH)
        if dataset.num_rows is not None and not 0 <= dataset.num_rows <= INT64_MAX:
            raise InvalidInputError(
                f"datasets[{index}].num_rows must be a non-negative 64-bit integer",
                details={"field": f"datasets[{index}].num_rows"},
            )
