"""What every benchmark needs: a pinned baseline in its own virtualenv, servers and client drivers as
subprocesses (always stopped), medians and ratios, and the results file of BENCHMARKS.md with its
markdown table."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil
from rich.console import Console
from rich.table import Table

from _chart import write_ratio_chart

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
CACHE = REPO / ".cache" / "bench"
RESULTS = BENCHMARKS / "results"

# Wide enough for the results table when the output is a file or a pipe, not a terminal.
console = Console(width=None if sys.stdout.isatty() else 140)


# --- environment --------------------------------------------------------------------------------


def machine() -> str:
    memory_gib = round(psutil.virtual_memory().total / 1024**3)
    return f"{os.cpu_count()} cores, {memory_gib} GiB, Python {platform.python_version()}"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ensure_venv(name: str, requirements: Sequence[str], check: str) -> Path:
    """The python of virtualenv `CACHE/name` with `requirements` installed; made (or remade) only
    when `check`, a python snippet that exits non-zero when the venv is unfit, fails."""
    folder = CACHE / name
    python = folder / "bin" / "python"
    if python.exists() and _venv_ok(python, check):
        console.print(f"[dim]reusing {folder.relative_to(REPO)}[/]")
        return python
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with console.status(
        f"creating {folder.relative_to(REPO)} with {' '.join(requirements)} (a minute or two)"
    ):
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
            capture_output=True,
            text=True,
        )
    if install.returncode != 0 or not _venv_ok(python, check):
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not install {requirements} into {folder}:\n{install.stderr[-3000:]}")
    return python


def _venv_ok(python: Path, check: str) -> bool:
    return subprocess.run([str(python), "-c", check], capture_output=True).returncode == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(drop_prefixes: Sequence[str] = ("OPSLOOP_", "MLFLOW_"), **extra: str) -> dict[str, str]:
    """The current environment without settings that could point a server or client elsewhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(tuple(drop_prefixes))}
    env.update(extra)
    return env


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# --- processes ----------------------------------------------------------------------------------
@dataclass
class Server:
    """A server subprocess (with whatever workers it forks), ready once `health_url` answers 200."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    @classmethod
    def start(
        cls,
        name: str,
        command: Sequence[str],
        *,
        health_url: str,
        log_path: Path,
        cwd: Path,
        env: dict[str, str],
        timeout_s: float = 180.0,
    ) -> Server:
        log_file = log_path.open("wb")
        process = subprocess.Popen(list(command), stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        server = cls(name, process, log_path, log_file)
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                server.stop()
                raise RuntimeError(f"{name} server exited with {process.returncode}:\n{tail(log_path)}")
            try:
                with urllib.request.urlopen(health_url, timeout=2) as response:
                    if response.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} server not healthy after {timeout_s}s:\n{tail(log_path)}")
            time.sleep(0.25)

    def processes(self) -> list[psutil.Process]:
        try:
            parent = psutil.Process(self.process.pid)
            return [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_mb(self) -> tuple[float, list[tuple[str, float]]]:
        """Resident memory of the server and all its children, in MiB, with the per-process split."""
        parts = []
        for proc in self.processes():
            try:
                words = [Path(word).name if word.startswith("/") else word for word in proc.cmdline()[1:4]]
                label = " ".join(words) or proc.name()
                parts.append((label[:60], proc.memory_info().rss / 1024**2))
            except psutil.NoSuchProcess:
                continue
        return sum(rss for _, rss in parts), parts

    def stop(self) -> None:
        """SIGTERM the server and its children by pid, SIGKILL whatever is left after 10 s."""
        procs = self.processes()
        for proc in reversed(procs):
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
        _, alive = psutil.wait_procs(procs, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=5)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        self.log_file.close()


class DriverError(RuntimeError):
    pass


@dataclass
class Driver:
    """A client-side driver subprocess speaking `_protocol` (one JSON command and answer a line)."""

    name: str
    process: subprocess.Popen[str]
    log_path: Path
    log_file: IO[str]
    calls: int = field(default=0)

    @classmethod
    def start(
        cls, name: str, python: Path | str, script: Path, *, env: dict[str, str], log_path: Path
    ) -> Driver:
        log_file = log_path.open("w")
        process = subprocess.Popen(
            [str(python), "-u", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            cwd=script.parent,
            env=env,
            text=True,
        )
        return cls(name, process, log_path, log_file)

    def call(self, op: str, **args: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.calls += 1
        try:
            self.process.stdin.write(json.dumps({"op": op, "args": args}) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError as exc:
            raise DriverError(f"{self.name} driver is gone:\n{tail(self.log_path)}") from exc
        line = self.process.stdout.readline()
        if not line:
            raise DriverError(f"{self.name} driver died during {op!r}:\n{tail(self.log_path)}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise DriverError(f"{self.name} driver failed in {op!r}:\n{answer['error']}")
        return answer["result"]

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(DriverError, OSError, ValueError):
                self.call("exit")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log_file.close()


# --- figures ------------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _round(value: float, digits: int = 4) -> float:
    return float(f"{value:.{digits}g}")


def metric_entry(
    opsloop: float,
    baseline: float,
    *,
    unit: str,
    better: str,
    target_ratio: float | None,
    repeats: int,
) -> dict[str, Any]:
    """One entry of `metrics`: ratio > 1 always favours opsloop, and `met` is ratio >= target_ratio."""
    if better not in ("higher", "lower"):
        raise ValueError(f"better must be 'higher' or 'lower', not {better!r}")
    ratio = opsloop / baseline if better == "higher" else baseline / opsloop
    return {
        "opsloop": _round(opsloop),
        "baseline": _round(baseline),
        "unit": unit,
        "better": better,
        "target_ratio": target_ratio,
        "ratio": _round(ratio, 3),
        "met": None if target_ratio is None else bool(ratio >= target_ratio),
        "repeats": repeats,
    }


def human(value: float, unit: str) -> str:
    """A value for people: seconds in s/ms/µs, big rates with thousands separators."""
    if unit == "s":
        if value >= 1:
            return f"{value:.2f} s"
        if value >= 1e-3:
            return f"{value * 1e3:.1f} ms"
        return f"{value * 1e6:.1f} µs"
    if value >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def _cells(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    """opsloop, baseline, ratio and target of one metric, formatted for a table."""
    target = "-" if entry["target_ratio"] is None else f">= {entry['target_ratio']}x"
    return (
        human(entry["opsloop"], entry["unit"]),
        human(entry["baseline"], entry["unit"]),
        f"{entry['ratio']:,.0f}x" if entry["ratio"] >= 100 else f"{entry['ratio']:.3g}x",
        target,
    )


def results_markdown(results: dict[str, Any], title: str) -> str:
    baseline = results["baseline"]
    baseline_label = f"{baseline['name']} {baseline['version']}"
    lines = [
        f"<!-- written by benchmarks/{results['benchmark']}.py; do not edit by hand -->",
        f"### {title}",
        "",
        f"{results['date']} · {results['machine']} · baseline: {baseline_label} ({baseline['config']}). "
        "Ratio > 1 favours opsloop; each figure is a median over repeats in one run.",
        "",
        f"| metric | opsloop | {baseline_label} | better | ratio | target | met |",
        "|---|---:|---:|---|---:|---:|---|",
    ]
    for name, entry in results["metrics"].items():
        ours, theirs, ratio, target = _cells(entry)
        verdict = {None: "-", True: "yes", False: "**no**"}[entry["met"]]
        lines.append(f"| `{name}` | {ours} | {theirs} | {entry['better']} | {ratio} | {target} | {verdict} |")
    return "\n".join(lines) + "\n"


def results_table(results: dict[str, Any], title: str) -> Table:
    baseline = results["baseline"]
    table = Table(title=title, caption=f"{results['machine']} · {baseline['config']}")
    for column, justify in (
        ("metric", "left"),
        ("opsloop", "right"),
        (f"{baseline['name']} {baseline['version']}", "right"),
        ("better", "left"),
        ("ratio", "right"),
        ("target", "right"),
        ("met", "center"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for name, entry in results["metrics"].items():
        ours, theirs, ratio, target = _cells(entry)
        met = {None: "-", True: "[green]yes[/]", False: "[red]no[/]"}[entry["met"]]
        table.add_row(name, ours, theirs, entry["better"], ratio, target, met)
    return table


def write_results(results: dict[str, Any], *, stem: str, title: str) -> tuple[Path, Path]:
    """Write `results/<stem>.json` and `results/<stem>.md`; return both paths."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{stem}.json"
    md_path = RESULTS / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(results_markdown(results, title))
    write_ratio_chart(json_path)
    return json_path, md_path
