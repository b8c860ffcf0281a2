"""Artifact stores: where run files live. Chosen by URI scheme (see `registry.py`)."""

from opsloop.storage.artifacts.base import ArtifactStore, StoredEntry
from opsloop.storage.artifacts.local import LocalArtifactStore
from opsloop.storage.artifacts.memory import InMemoryArtifactStore
from opsloop.storage.artifacts.paths import clean_relative_path
from opsloop.storage.artifacts.registry import artifact_store_for

__all__ = [
    "ArtifactStore",
    "InMemoryArtifactStore",
    "LocalArtifactStore",
    "StoredEntry",
    "artifact_store_for",
    "clean_relative_path",
]
