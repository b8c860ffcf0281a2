"""Artifacts through the HTTP API: large streamed round trips, and no way out of a run's root."""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from tests.integration.server.conftest import assert_error, unique
from tests.support.server import LiveServer

from opsloop.client.http_store import HttpTrackingStore
from opsloop.errors import OpsloopError

MIB = 1024 * 1024


@pytest.fixture
def store(live_server: LiveServer) -> Iterator[HttpTrackingStore]:
    client = HttpTrackingStore(live_server.url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def run_root(store: HttpTrackingStore) -> tuple[str, Path]:
    """A run with one artifact, and its artifact folder on the server's disk."""
    experiment = store.create_experiment(unique("artifacts"))
    run = store.create_run(experiment.id)
    store.upload_artifact(run.id, "inside.txt", [b"inside"])
    root = Path(run.artifact_uri.removeprefix("file://"))
    assert (root / "inside.txt").read_bytes() == b"inside"
    return run.id, root


def _file_chunks(path: Path, size: int = MIB) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(size):
            yield chunk


class PeakRss:
    """Samples a process's resident memory in a thread while the block runs."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.002)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def test_large_file_round_trip_streams(
    live_server: LiveServer, store: HttpTrackingStore, tmp_path: Path
) -> None:
    size = 30 * MIB
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for _ in range(size // MIB):
            out.write(os.urandom(MIB))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    run = store.create_run(store.create_experiment(unique("big")).id)

    with PeakRss(live_server.process.pid) as rss:
        info = store.upload_artifact(run.id, "data/big.bin", _file_chunks(source))
        copy = store.download_artifact(run.id, "data/big.bin", tmp_path / "back" / "big.bin")

    assert (info.path, info.size, info.sha256) == ("data/big.bin", size, expected)
    assert copy.stat().st_size == size
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == expected
    listed = store.list_artifacts(run.id, "data")
    assert [(item.path, item.size, item.sha256) for item in listed] == [("data/big.bin", size, expected)]
    # Streamed both ways: the server never holds the file in memory (it holds a chunk or two).
    assert rss.growth < size // 2, (
        f"server RSS grew by {rss.growth / MIB:.1f} MiB for a {size // MIB} MiB file"
    )


# --- path traversal -----------------------------------------------------------------------------
def _raw_request(url: str, method: str, raw_path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Send the request line exactly as given: no client-side URL normalisation."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(method, raw_path, skip_accept_encoding=True)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body or b"")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _escapes(target: Path) -> list[str]:
    """Ways of naming `target` (four levels above a run's artifact root, or absolute) in a URL path."""
    up4 = "../../../../"
    name = target.name
    absolute = str(target)
    return [
        f"{up4}{name}",
        f"{up4.replace('/', '%2F')}{name}",
        f"{up4.replace('..', '%2e%2e')}{name}",
        f"{up4.replace('../', '%2e%2e%2f')}{name}",
        f"{up4.replace('../', '%2E%2E%2F')}{name}",
        f"{up4.replace('../', '..%5C')}{name}",
        f"{up4.replace('/', '%5C')}{name}",
        f"a/b/{up4}{up4}{name}",
        f"./{up4}{name}",
        f"{up4.replace('../', '%252e%252e%252f')}{name}",
        absolute,
        absolute.replace("/", "%2F"),
        f"/{absolute}",
        absolute.replace("/", "\\"),
        f"C:%5C{name}",
        f"{name}%00.txt",
    ]


def test_traversal_cannot_read_outside_the_run(live_server: LiveServer, run_root: tuple[str, Path]) -> None:
    run_id, root = run_root
    secret = live_server.home / f"secret-{unique('s')}.txt"
    secret.write_text("TOP SECRET")
    assert root.parents[3] == live_server.home  # four levels up from the run's root
    for escape in _escapes(secret):
        path = f"/api/v1/runs/{run_id}/artifacts/files/{escape}"
        status, body = _raw_request(live_server.url, "GET", path)
        assert status in (400, 404), (escape, status, body)
        assert b"TOP SECRET" not in body, escape
    for escape in ("../../../..", "%2e%2e%2F%2e%2e", "/etc", str(live_server.home)):
        status, body = _raw_request(live_server.url, "GET", f"/api/v1/runs/{run_id}/artifacts?path={escape}")
        assert status == 400, (escape, status, body)


def test_traversal_cannot_write_outside_the_run(live_server: LiveServer, run_root: tuple[str, Path]) -> None:
    run_id, root = run_root
    target = live_server.home / f"pwned-{unique('p')}.txt"
    for escape in _escapes(target):
        path = f"/api/v1/runs/{run_id}/artifacts/files/{escape}"
        status, body = _raw_request(live_server.url, "PUT", path, b"pwned")
        assert status != 500, (escape, body)
        if status == 201:
            # Only a literal, harmless name inside the run's root may be created (double encoding).
            created = root / body.decode().split('"path":"')[1].split('"')[0]
            assert created.resolve().is_relative_to(root.resolve()), (escape, body)
        else:
            assert status in (400, 404, 405), (escape, status, body)
        assert not target.exists(), escape
    for found in live_server.home.rglob(f"*{target.name}*"):
        assert found.resolve().is_relative_to(root.resolve()), found


def test_traversal_through_the_client_is_refused(
    live_server: LiveServer, store: HttpTrackingStore, tmp_path: Path
) -> None:
    run = store.create_run(store.create_experiment(unique("client")).id)
    target = live_server.home / f"client-{unique('c')}.txt"
    for escape in (f"../../../../{target.name}", str(target), f"a/../../../../../{target.name}", "a\\..\\b"):
        with pytest.raises(OpsloopError):
            store.upload_artifact(run.id, escape, [b"pwned"])
        with pytest.raises(OpsloopError):
            store.download_artifact(run.id, escape, tmp_path / "out.bin")
        assert not target.exists()


def test_symlinks_in_a_run_folder_are_refused(
    live_server: LiveServer, run_root: tuple[str, Path], tmp_path: Path
) -> None:
    run_id, root = run_root
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOP SECRET")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    base = f"{live_server.url}/api/v1/runs/{run_id}/artifacts"
    with httpx.Client(timeout=30) as client:
        for path in ("escape/secret.txt", "leak.txt"):
            response = client.get(f"{base}/files/{path}")
            assert_error(response, 400, "symlink")
            assert "TOP SECRET" not in response.text
        for path in ("escape/new.txt", "escape/deeper/new.txt", "leak.txt"):
            assert_error(client.put(f"{base}/files/{path}", content=b"pwned"), 400, "symlink")
        assert_error(client.get(base, params={"path": "escape"}), 400, "symlink")

        listed = client.get(base).json()["artifacts"]
        assert [item["path"] for item in listed] == ["inside.txt"]
        walked = client.get(base, params={"recursive": True}).json()["artifacts"]
        assert [item["path"] for item in walked] == ["inside.txt"]

    assert sorted(item.name for item in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "TOP SECRET"
