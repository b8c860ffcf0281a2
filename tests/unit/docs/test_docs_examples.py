"""Every ```python block in the README and docs/ runs, as written, on a fresh embedded store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opsloop.sdk import session

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for index, code in enumerate(BLOCK.findall(document.read_text())):
            found.append((f"{document.name}#{index}", code))
    return found


def test_there_are_examples() -> None:
    names = [name for name, _ in _examples()]
    assert any(name.startswith("README.md") for name in names)
    assert any(name.startswith("tracking.md") for name in names)


@pytest.mark.parametrize(("name", "code"), _examples(), ids=[name for name, _ in _examples()])
def test_example_runs(name: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    session.connect()  # a fresh embedded store in this test's OPSLOOP_HOME
    try:
        exec(compile(code, name, "exec"), {"__name__": "__docs__"})
    finally:
        session.current().close()
