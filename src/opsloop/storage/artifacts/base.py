"""The artifact-store contract: streamed writes and reads of files under a run's root."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredEntry:
    path: str  # relative to the root, '/'-separated
    is_dir: bool
    size: int | None


@dataclass(frozen=True, slots=True)
class WriteReceipt:
    size: int
    sha256: str


class ArtifactStore(abc.ABC):
    """Every `path` is relative to `root` and checked by `clean_relative_path` first, so nothing
    can be read or written outside the root."""

    @abc.abstractmethod
    def write(self, root: str, path: str, chunks: Iterable[bytes]) -> WriteReceipt:
        """Stream chunks into a file, replacing it atomically; returns size and sha256."""

    @abc.abstractmethod
    def read(self, root: str, path: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Stream a file's bytes. Raises NotFoundError; a folder is an InvalidInputError."""

    @abc.abstractmethod
    def list(self, root: str, path: str = "") -> list[StoredEntry]:
        """The direct children of a folder (empty when the folder does not exist)."""

    @abc.abstractmethod
    def is_file(self, root: str, path: str) -> bool: ...

    def walk(self, root: str, path: str = "") -> Iterator[StoredEntry]:
        """Every file below a folder, depth first."""
        for entry in self.list(root, path):
            if entry.is_dir:
                yield from self.walk(root, entry.path)
            else:
                yield entry
