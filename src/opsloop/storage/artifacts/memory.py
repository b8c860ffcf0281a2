"""Artifacts in memory, for tests and throwaway sessions."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator

from opsloop.errors import InvalidInputError, NotFoundError
from opsloop.storage.artifacts.base import CHUNK_SIZE, ArtifactStore, StoredEntry, WriteReceipt
from opsloop.storage.artifacts.paths import clean_relative_path


class InMemoryArtifactStore(ArtifactStore):
    def __init__(self) -> None:
        self._files: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def write(self, root: str, path: str, chunks: Iterable[bytes]) -> WriteReceipt:
        relative = clean_relative_path(path, allow_empty=False)
        data = b"".join(chunks)
        parts = relative.split("/")
        with self._lock:
            if any(key[0] == root and key[1].startswith(relative + "/") for key in self._files):
                raise InvalidInputError(f"artifact path {relative!r} is a folder", details={"field": "path"})
            if any((root, "/".join(parts[:end])) in self._files for end in range(1, len(parts))):
                raise InvalidInputError(
                    f"artifact path {relative!r} is inside a file", details={"field": "path"}
                )
            self._files[(root, relative)] = data
        return WriteReceipt(size=len(data), sha256=hashlib.sha256(data).hexdigest())

    def read(self, root: str, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        relative = clean_relative_path(path, allow_empty=False)
        with self._lock:
            data = self._files.get((root, relative))
            is_folder = data is None and any(
                key[0] == root and key[1].startswith(relative + "/") for key in self._files
            )
        if is_folder:
            raise InvalidInputError(f"artifact {relative!r} is a folder", details={"field": "path"})
        if data is None:
            raise NotFoundError(f"artifact {relative!r} not found", details={"field": "path"})
        return iter([data[start : start + chunk_size] for start in range(0, len(data), chunk_size)] or [b""])

    def list(self, root: str, path: str = "") -> list[StoredEntry]:
        relative = clean_relative_path(path)
        prefix = f"{relative}/" if relative else ""
        children: dict[str, StoredEntry] = {}
        with self._lock:
            if (root, relative) in self._files:
                return [StoredEntry(path=relative, is_dir=False, size=len(self._files[(root, relative)]))]
            for (file_root, file_path), data in self._files.items():
                if file_root != root or not file_path.startswith(prefix):
                    continue
                head, _, rest = file_path[len(prefix) :].partition("/")
                child = prefix + head
                children[child] = StoredEntry(path=child, is_dir=bool(rest), size=None if rest else len(data))
        return [children[name] for name in sorted(children)]

    def is_file(self, root: str, path: str) -> bool:
        with self._lock:
            return (root, clean_relative_path(path, allow_empty=False)) in self._files
