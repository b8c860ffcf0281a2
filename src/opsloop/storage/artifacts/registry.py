"""The URI-scheme registry of artifact stores: a plain path or file:// is local, memory:// is in memory."""

from __future__ import annotations

from collections.abc import Callable

from opsloop.errors import InvalidInputError
from opsloop.storage.artifacts.base import ArtifactStore
from opsloop.storage.artifacts.local import LocalArtifactStore
from opsloop.storage.artifacts.memory import InMemoryArtifactStore

_FACTORIES: dict[str, Callable[[], ArtifactStore]] = {
    "file": LocalArtifactStore,
    "memory": InMemoryArtifactStore,
}
_SHARED: dict[str, ArtifactStore] = {}


def register_scheme(scheme: str, factory: Callable[[], ArtifactStore]) -> None:
    _FACTORIES[scheme] = factory


def artifact_store_for(uri: str) -> ArtifactStore:
    """One shared store per scheme (an in-memory store must be shared to be useful)."""
    scheme = uri.split("://", 1)[0] if "://" in uri else "file"
    if scheme not in _FACTORIES:
        raise InvalidInputError(
            f"no artifact store for URI scheme {scheme!r}", details={"field": "artifact_uri"}
        )
    if scheme not in _SHARED:
        _SHARED[scheme] = _FACTORIES[scheme]()
    return _SHARED[scheme]
