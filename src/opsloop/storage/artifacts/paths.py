"""Artifact path checks: the only gate between a user-given path and the filesystem."""

from __future__ import annotations

import posixpath
from pathlib import Path

from opsloop.errors import PathEscapeError


def clean_relative_path(path: str | None, *, allow_empty: bool = True) -> str:
    """Normalise a user-given artifact path to 'a/b/c', refusing anything that could escape
    the root: absolute paths, '..' components, backslashes, NUL bytes and drive letters."""
    raw = (path or "").strip()
    if not raw:
        if allow_empty:
            return ""
        raise PathEscapeError("artifact path must not be empty", details={"field": "path"})
    if "\x00" in raw or "\\" in raw:
        raise PathEscapeError(
            f"artifact path {raw!r} holds a NUL byte or backslash", details={"field": "path"}
        )
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise PathEscapeError(f"artifact path {raw!r} must be relative", details={"field": "path"})
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise PathEscapeError(f"artifact path {raw!r} must not contain '..'", details={"field": "path"})
    cleaned = posixpath.join(*parts) if parts else ""
    if not cleaned and not allow_empty:
        raise PathEscapeError("artifact path must not be empty", details={"field": "path"})
    return cleaned


def resolve_inside(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, refusing symlinks anywhere on the way."""
    root_real = root.resolve()
    current = root
    for part in relative.split("/") if relative else []:
        current = current / part
        if current.is_symlink():
            raise PathEscapeError(
                f"artifact path {relative!r} goes through a symlink", details={"field": "path"}
            )
    target = current.resolve()
    if target != root_real and root_real not in target.parents:
        raise PathEscapeError(f"artifact path {relative!r} leaves the run's root", details={"field": "path"})
    return target
