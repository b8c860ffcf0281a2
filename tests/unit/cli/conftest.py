"""Fixtures of the CLI tests: the real `opsloop` command run in subprocesses (several at once,
since each start costs about a second), and an SDK connection to the same embedded store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from opsloop.sdk import session as sdk_session
from opsloop.sdk.session import Session


@dataclass
class Result:
    args: list[str]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.code == 0, self
        return orjson.loads(self.stdout)

    def assert_error(self, code: int = 2) -> str:
        """The one-line `error: ...` a bad input must give; returns that line."""
        assert self.code == code, self
        assert "Traceback" not in self.stderr, self.stderr
        first = self.stderr.splitlines()[0]
        assert first.startswith("error: "), self.stderr
        return first


def cli_many(*commands: Sequence[str]) -> list[Result]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}
    processes = [
        (
            list(args),
            subprocess.Popen(
                [sys.executable, "-m", "opsloop.cli.main", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in commands
    ]
    results = []
    for args, process in processes:
        stdout, stderr = process.communicate(timeout=120)
        results.append(Result(args, process.returncode, stdout, stderr))
    return results


class Cli:
    def __call__(self, *args: str) -> Result:
        return cli_many(args)[0]

    def many(self, *commands: Sequence[str]) -> list[Result]:
        return cli_many(*commands)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """The SDK connected to the embedded store under this test's OPSLOOP_HOME."""
    monkeypatch.setattr(sdk_session, "_current", None)
    connected = sdk_session.connect()
    try:
        yield connected
    finally:
        connected.close()
