"""Artifacts in a local folder (the embedded default), streamed in 1 MiB chunks."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from opsloop.errors import InvalidInputError, NotFoundError
from opsloop.storage.artifacts.base import CHUNK_SIZE, ArtifactStore, StoredEntry, WriteReceipt
from opsloop.storage.artifacts.paths import clean_relative_path, resolve_inside


def _root_path(root: str) -> Path:
    return Path(root.removeprefix("file://"))


class LocalArtifactStore(ArtifactStore):
    def write(self, root: str, path: str, chunks: Iterable[bytes]) -> WriteReceipt:
        relative = clean_relative_path(path, allow_empty=False)
        base = _root_path(root)
        base.mkdir(parents=True, exist_ok=True)
        target = resolve_inside(base, relative)
        if target.is_dir():
            raise InvalidInputError(f"artifact path {relative!r} is a folder", details={"field": "path"})
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise InvalidInputError(
                f"artifact path {relative!r} is inside a file", details={"field": "path"}
            ) from exc
        resolve_inside(base, relative)  # re-check: the folders we just made may not be links
        digest = hashlib.sha256()
        size = 0
        # Write to a temporary file and rename, so a reader never sees half a file.
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return WriteReceipt(size=size, sha256=digest.hexdigest())

    def read(self, root: str, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative = clean_relative_path(path, allow_empty=False)
        target = resolve_inside(_root_path(root), relative)
        if target.is_dir():
            raise InvalidInputError(f"artifact {relative!r} is a folder", details={"field": "path"})
        if not target.is_file():
            raise NotFoundError(f"artifact {relative!r} not found", details={"field": "path"})
        return _stream(target, chunk_size)

    def list(self, root: str, path: str = "") -> list[StoredEntry]:
        relative = clean_relative_path(path)
        base = _root_path(root)
        if not base.exists():
            return []
        folder = resolve_inside(base, relative)
        if folder.is_file():
            return [StoredEntry(path=relative, is_dir=False, size=folder.stat().st_size)]
        if not folder.is_dir():
            return []
        entries = []
        for child in sorted(folder.iterdir(), key=lambda item: item.name):
            if child.name.startswith(".upload-") or child.is_symlink():
                continue
            child_path = f"{relative}/{child.name}" if relative else child.name
            is_dir = child.is_dir()
            entries.append(
                StoredEntry(path=child_path, is_dir=is_dir, size=None if is_dir else child.stat().st_size)
            )
        return entries

    def is_file(self, root: str, path: str) -> bool:
        relative = clean_relative_path(path, allow_empty=False)
        base = _root_path(root)
        return base.exists() and resolve_inside(base, relative).is_file()


def _stream(target: Path, chunk_size: int) -> Iterator[bytes]:
    with target.open("rb") as source:
        while chunk := source.read(chunk_size):
            yield chunk
