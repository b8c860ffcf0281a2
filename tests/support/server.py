"""Start a real `opsloop up` process on a free loopback port and wait until it is healthy."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    home: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def start_server(
    home: Path, *, database_url: str | None = None, port: int | None = None, timeout_s: float = 30
) -> LiveServer:
    port = port or free_port()
    env = {**os.environ, "OPSLOOP_HOME": str(home)}
    env.pop("OPSLOOP_URL", None)
    if database_url:
        env["OPSLOOP_DATABASE_URL"] = database_url
    else:
        env.pop("OPSLOOP_DATABASE_URL", None)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "opsloop.cli.main", "up", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited with {process.returncode}: {(home / 'server.log').read_text()}"
            )
        with contextlib.suppress(httpx.TransportError):  # not listening yet
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LiveServer(url=url, home=home, process=process, env=env)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not become healthy in {timeout_s}s: {(home / 'server.log').read_text()}")
