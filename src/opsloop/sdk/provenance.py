"""What a run records about where it came from: entry point, user, git commit and dirty flag."""

from __future__ import annotations

import getpass
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Provenance:
    source: str | None
    user: str | None
    git_commit: str | None
    git_dirty: bool | None


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def capture() -> Provenance:
    entry = sys.argv[0] if sys.argv and sys.argv[0] else None
    source = (
        str(Path(entry).resolve()) if entry and entry not in ("-c", "-m") and Path(entry).exists() else entry
    )
    folder = Path(source).parent if source and Path(source).exists() else Path.cwd()
    commit = _git(folder, "rev-parse", "HEAD")
    dirty = None
    if commit is not None:
        status = _git(folder, "status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):
        user = None
    return Provenance(source=source, user=user, git_commit=commit, git_dirty=dirty)
