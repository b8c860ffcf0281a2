"""`ActiveRun`: the handle a training script logs through."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from opsloop.core.clock import now_ms
from opsloop.errors import InvalidInputError
from opsloop.models.manifest import Manifest
from opsloop.sdk import datasets
from opsloop.sdk.session import Session
from opsloop.storage.artifacts import clean_relative_path
from opsloop.tracking.entities import ArtifactInfo, Metric, Run, RunInfo, RunStatus
from opsloop.tracking.validation import validate_key

_active = threading.local()
logger = logging.getLogger("opsloop.sdk")


def run_stack() -> list[ActiveRun]:
    stack: list[ActiveRun] | None = getattr(_active, "stack", None)
    if stack is None:
        stack = []
        _active.stack = stack
    return stack


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"metric {key!r}: {value!r} is not a number", details={"field": key}) from exc


class ActiveRun:
    def __init__(self, session: Session, info: RunInfo) -> None:
        self.session = session
        self.info = info
        self._ended = False

    @property
    def id(self) -> str:
        return self.info.id

    # --- logging -----------------------------------------------------------------------------
    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Buffered: returns at once; delivered in the background (see `flush`)."""
        validate_key(key, "key")
        point = Metric(key, _number(value, key), 0 if step is None else int(step), timestamp or now_ms())
        self.session.logger.log(self.info.id, [point])

    def log_metrics(
        self, metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None
    ) -> None:
        at = timestamp or now_ms()
        points = []
        for key, value in metrics.items():
            validate_key(key, "key")
            points.append(Metric(key, _number(value, key), 0 if step is None else int(step), at))
        self.session.logger.log(self.info.id, points)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Synchronous, so a conflicting value (params are write-once) fails right here."""
        self.session.store.log_batch(
            self.info.id, params={key: _param_text(value) for key, value in params.items()}
        )

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self.session.store.log_batch(self.info.id, tags={key: str(value) for key, value in tags.items()})

    def log_artifact(self, local_path: str | Path, artifact_path: str | None = None) -> list[ArtifactInfo]:
        """Upload a file, or a folder with everything in it, streaming."""
        source = Path(local_path)
        prefix = clean_relative_path(artifact_path)
        if source.is_file():
            return [self.session.upload(self.info.id, _join(prefix, source.name), _read(source))]
        if source.is_dir():
            return [
                self.session.upload(
                    self.info.id, _join(prefix, file.relative_to(source).as_posix()), _read(file)
                )
                for file in sorted(
                    item for item in source.rglob("*") if item.is_file() and not item.is_symlink()
                )
            ]
        raise InvalidInputError(f"no such file or folder: {source}", details={"field": "local_path"})

    def log_text(self, text: str, artifact_file: str) -> ArtifactInfo:
        return self.session.upload(
            self.info.id, clean_relative_path(artifact_file, allow_empty=False), [text.encode()]
        )

    def log_dataset(
        self,
        data: Any,
        name: str,
        *,
        context: str | None = None,
        source: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        dataset = datasets.describe(data, name=name, context=context or name, source=source, tags=tags)
        self.session.store.log_inputs(self.info.id, [dataset])

    def log_model(self, model: Any, artifact_path: str = "model", **options: Any) -> Manifest:
        """Save `model` as a model package (see docs/models.md) under `artifact_path`:
        `run.log_model(clf, "model", input_example=X[:5])`."""
        from opsloop.sdk.models import log_model  # sdk.models imports this module

        return log_model(self, model, artifact_path, **options)

    # --- reading -----------------------------------------------------------------------------
    def get(self) -> Run:
        """The run as stored, after delivering everything logged so far."""
        self.flush()
        return self.session.store.get_run(self.info.id)

    # --- lifecycle ---------------------------------------------------------------------------
    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until all buffered metrics are stored; raise DeliveryError if some could not be."""
        self.session.logger.flush(timeout_s)

    def end(self, status: RunStatus = RunStatus.FINISHED) -> None:
        if self._ended:
            return
        self._ended = True
        stack = run_stack()
        if self in stack:
            stack.remove(self)
        try:
            self.flush()
        except Exception:
            try:
                self.info = self.session.store.update_run(self.info.id, status=RunStatus.FAILED)
            except Exception as error:  # the store may be down too: the lost points are what to report
                logger.warning("could not mark run %s FAILED: %s", self.info.id, error)
            raise
        self.info = self.session.store.update_run(self.info.id, status=status)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.end(RunStatus.FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end(RunStatus.KILLED)
        else:
            self.end(RunStatus.FAILED)

    def __repr__(self) -> str:
        return f"<ActiveRun {self.info.name!r} id={self.info.id} status={self.info.status.value}>"


def _param_text(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return str(value)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _read(path: Path, chunk_size: int = 1024 * 1024) -> Any:
    with path.open("rb") as source:
        while chunk := source.read(chunk_size):
            yield chunk
