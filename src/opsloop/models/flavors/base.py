"""The flavor contract: how one kind of model is written to, and read from, a package folder.

A flavor's `save` writes its files into the folder and returns its `flavor_config` (file name,
library version …) for the manifest; `load` returns a `Predictor`. Heavy libraries are imported
only inside the flavor's methods, so a missing extra fails with a clear message, not at import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Protocol

from opsloop.models.errors import MissingDependencyError
from opsloop.models.manifest import Manifest
from opsloop.models.signature import Signature

# `True` trusts everything; a list trusts exactly those type names (flavors that can tell).
Trust = bool | Sequence[str]


class Predictor(Protocol):
    def predict(self, data: Any) -> Any: ...


class Flavor(ABC):
    name: ClassVar[str]
    # (distribution name, import name): pinned into the manifest's requirements.
    libraries: ClassVar[tuple[tuple[str, str], ...]] = ()
    extra: ClassVar[str] = ""

    @abstractmethod
    def handles(self, model: Any) -> bool:
        """Whether auto-detection picks this flavor for `model` (must not import heavy libraries)."""

    @abstractmethod
    def save(self, model: Any, folder: Path) -> dict[str, Any]: ...

    @abstractmethod
    def load(self, folder: Path, manifest: Manifest, trust: Trust) -> Predictor: ...

    def signature_of(self, model: Any) -> Signature | None:
        """A signature the model itself declares (an ONNX graph does), else None."""
        return None

    def requirements(self) -> list[str]:
        pinned = []
        for distribution, _module in self.libraries:
            try:
                pinned.append(f"{distribution}=={importlib.metadata.version(distribution)}")
            except importlib.metadata.PackageNotFoundError:
                continue
        return pinned

    def require(self, module: str) -> ModuleType:
        """Import one of this flavor's libraries, or say which extra to install."""
        try:
            return importlib.import_module(module)
        except ImportError as exc:
            raise MissingDependencyError(module.split(".")[0], self.extra or self.name) from exc


def module_of(model: Any) -> str:
    return type(model).__module__ or ""


def trusts_everything(trust: Trust) -> bool:
    return trust is True


def trusted_names(trust: Trust) -> set[str]:
    if isinstance(trust, bool):
        return set()
    if isinstance(trust, str):
        return {trust}
    return {str(name) for name in trust}
