"""Run artifacts: files and folders kept in the run's artifact store, indexed with size and sha256."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator
from pathlib import Path

from opsloop.errors import InvalidInputError, NotFoundError
from opsloop.storage.artifacts import artifact_store_for, clean_relative_path
from opsloop.storage.artifacts.base import CHUNK_SIZE, ArtifactStore
from opsloop.tracking.entities import ArtifactInfo, LifecycleStage
from opsloop.tracking.store import TrackingStore


class RunArtifacts:
    """Artifact operations of the runs of one tracking store."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    def _root(self, run_id: str) -> tuple[ArtifactStore, str]:
        uri = self.store.get_run(run_id).info.artifact_uri
        return artifact_store_for(uri), uri

    def upload(self, run_id: str, path: str, chunks: Iterable[bytes]) -> ArtifactInfo:
        relative = clean_relative_path(path, allow_empty=False)
        info = self.store.get_run(run_id).info
        if info.lifecycle_stage is LifecycleStage.ARCHIVED:
            raise InvalidInputError(
                f"run {run_id!r} is archived; restore it to log to it", details={"field": "run_id"}
            )
        artifact_store, root = artifact_store_for(info.artifact_uri), info.artifact_uri
        receipt = artifact_store.write(root, relative, chunks)
        self.store.record_artifact(run_id, relative, receipt.size, receipt.sha256)
        return ArtifactInfo(path=relative, is_dir=False, size=receipt.size, sha256=receipt.sha256)

    def log_local(
        self, run_id: str, local_path: str | Path, artifact_path: str | None = None
    ) -> builtins.list[ArtifactInfo]:
        """Upload a local file, or a folder with everything in it, under `artifact_path`."""
        source = Path(local_path)
        prefix = clean_relative_path(artifact_path)
        if source.is_file():
            name = f"{prefix}/{source.name}" if prefix else source.name
            return [self.upload(run_id, name, _read_file(source))]
        if source.is_dir():
            logged = []
            for file in sorted(
                item for item in source.rglob("*") if item.is_file() and not item.is_symlink()
            ):
                relative = file.relative_to(source).as_posix()
                logged.append(
                    self.upload(run_id, f"{prefix}/{relative}" if prefix else relative, _read_file(file))
                )
            return logged
        raise InvalidInputError(f"no such file or folder: {source}", details={"field": "local_path"})

    def list(self, run_id: str, path: str = "") -> builtins.list[ArtifactInfo]:
        artifact_store, root = self._root(run_id)
        records = self.store.list_artifact_records(run_id)
        return [
            ArtifactInfo(
                path=entry.path,
                is_dir=entry.is_dir,
                size=entry.size,
                sha256=None if entry.is_dir else records.get(entry.path, (0, None))[1],
            )
            for entry in artifact_store.list(root, clean_relative_path(path))
        ]

    def walk(self, run_id: str, path: str = "") -> builtins.list[ArtifactInfo]:
        artifact_store, root = self._root(run_id)
        records = self.store.list_artifact_records(run_id)
        return [
            ArtifactInfo(
                path=entry.path, is_dir=False, size=entry.size, sha256=records.get(entry.path, (0, None))[1]
            )
            for entry in artifact_store.walk(root, clean_relative_path(path))
        ]

    def is_file(self, run_id: str, path: str) -> bool:
        artifact_store, root = self._root(run_id)
        return artifact_store.is_file(root, path)

    def read(self, run_id: str, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        artifact_store, root = self._root(run_id)
        return artifact_store.read(root, path, chunk_size)

    def download(self, run_id: str, path: str, destination: str | Path) -> builtins.list[Path]:
        """Copy a file or a folder of artifacts into `destination` (a folder), streaming."""
        relative = clean_relative_path(path)
        target_dir = Path(destination)
        if relative and self.is_file(run_id, relative):
            files = [relative]
            base = relative.rsplit("/", 1)[0] if "/" in relative else ""
        else:
            files = [entry.path for entry in self.walk(run_id, relative)]
            base = relative
            if not files:
                raise NotFoundError(f"no artifacts under {relative or '/'!r}", details={"field": "path"})
        written = []
        for file in files:
            local = target_dir / (file[len(base) :].lstrip("/") if base else file)
            local.parent.mkdir(parents=True, exist_ok=True)
            with local.open("wb") as out:
                for chunk in self.read(run_id, file):
                    out.write(chunk)
            written.append(local)
        return written


def _read_file(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            yield chunk
