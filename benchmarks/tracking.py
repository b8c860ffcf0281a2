"""Tracking server benchmark: opsloop against MLflow 3.17.2, both as servers on this machine, in one run.

    python benchmarks/tracking.py            # full run (~20 minutes): results/tracking.json and .md
    python benchmarks/tracking.py --quick    # smoke run: results/tracking.quick.json and .md

MLflow is installed into its own virtualenv under .cache/bench/ and driven from there
(`_mlflow_driver.py`); opsloop is driven from this interpreter (`_opsloop_driver.py`). Both servers
start fresh on a temporary folder; every measurement alternates opsloop, MLflow, opsloop, MLflow...
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from _common import (
    BENCHMARKS,
    REPO,
    Driver,
    Server,
    clean_env,
    console,
    ensure_venv,
    free_port,
    human,
    machine,
    median,
    metric_entry,
    results_table,
    utc_now,
    write_results,
)

MLFLOW_VERSION = "3.17.2"
MLFLOW_CONFIG = "server, sqlite, --workers 1, job runner off"
# MLflow 3.x also starts a job runner with 8 huey worker processes (GenAI jobs, nothing of tracking);
# it is switched off for the measurement and its cost reported in the notes.
MLFLOW_SERVER_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
MLFLOW_CLIENT_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
SEARCH_FILTER = {
    "opsloop": "metrics.acc > 0.5 AND params.model = 'rf'",
    "mlflow": "metrics.acc > 0.5 and params.model = 'rf'",
}
SEARCH_QUERY = {"order_by": ["metrics.acc DESC"], "max_results": 100}
SEED = 20261127

FULL = {
    "ingest_runs": 200,
    "ingest_params": 10,
    "ingest_metrics": 5,
    "ingest_steps": 200,
    "ingest_repeats": 3,
    "latency_calls": 2000,
    "latency_warmup": 100,
    "latency_rounds": 3,
    "search_runs": 10_000,
    "search_chunk": 500,
    "search_repeats": 9,
    "history_points": 100_000,
    "history_repeats": 7,
    "downsample_points": 1000,
    "downsample_repeats": 9,
}
QUICK = FULL | {
    "ingest_runs": 20,
    "ingest_repeats": 2,
    "latency_calls": 300,
    "latency_warmup": 20,
    "latency_rounds": 1,
    "search_runs": 2000,
    "search_repeats": 7,
    "history_points": 20_000,
    "history_repeats": 5,
    "downsample_repeats": 5,
}


@dataclass
class Bench:
    size: dict[str, int]
    ol: Driver
    ml: Driver
    progress: Progress
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def alternate(
        self, label: str, repeats: int, ours: Callable[[], Any], theirs: Callable[[], Any]
    ) -> tuple[list[Any], list[Any]]:
        """opsloop, MLflow, opsloop, MLflow... `repeats` times each."""
        task = self.progress.add_task(label, total=2 * repeats)
        ours_samples: list[Any] = []
        theirs_samples: list[Any] = []
        for _ in range(repeats):
            ours_samples.append(ours())
            self.progress.advance(task)
            theirs_samples.append(theirs())
            self.progress.advance(task)
        return ours_samples, theirs_samples


def seconds(samples: list[dict[str, Any]]) -> list[float]:
    return [sample["seconds"] for sample in samples]


def spread(values: list[float], unit: str) -> str:
    low, high = human(min(values), unit), human(max(values), unit)
    return f"median {human(median(values), unit)} (min {low}, max {high})"


def measure_latency(bench: Bench) -> None:
    size = bench.size
    args = {"experiment": "latency", "calls": size["latency_calls"], "warmup": size["latency_warmup"]}
    ours, theirs = bench.alternate(
        "log_metric latency",
        size["latency_rounds"],
        lambda: bench.ol.call("latency", **args),
        lambda: bench.ml.call("latency", **args),
    )
    bench.metrics["log_metric_latency"] = metric_entry(
        median([sample["latency"]["median"] for sample in ours]),
        median([sample["latency"]["median"] for sample in theirs]),
        unit="s",
        better="lower",
        target_ratio=100,
        repeats=size["latency_rounds"],
    )
    ours_p99 = human(median([sample["latency"]["p99"] for sample in ours]), "s")
    theirs_p99 = human(median([sample["latency"]["p99"] for sample in theirs]), "s")
    flush = human(median([sample["flush_s"] for sample in ours]), "s")
    bench.notes.append(
        f"log_metric_latency (seconds): median per-call latency over {size['latency_calls']} calls after "
        f"{size['latency_warmup']} warm-up calls, median of {size['latency_rounds']} alternating rounds. "
        "opsloop: run.log_metric of ol.start_run after ol.connect(server url); it buffers and a background "
        f"thread delivers; p99 {ours_p99}; the run.flush() after the calls took {flush} and every point was "
        f"verified stored. MLflow: synchronous mlflow.log_metric inside mlflow.start_run(); p99 {theirs_p99}."
    )


def measure_ingest(bench: Bench) -> None:
    size = bench.size
    shape = {
        "runs": size["ingest_runs"],
        "n_params": size["ingest_params"],
        "n_metrics": size["ingest_metrics"],
        "n_steps": size["ingest_steps"],
        "seed": SEED,
    }
    names = iter(range(1_000_000))
    # Headline: each side's batch API called once per run, as its users write it. MLflow's client
    # splits the call at its 1000-entity limit (10 params + 990 metrics, then 10 metrics);
    # opsloop's takes the run's 1000 points and 10 params in one request.
    ours, theirs = bench.alternate(
        "ingest (one log_batch call per run)",
        size["ingest_repeats"],
        lambda: bench.ol.call(
            "ingest", experiment=f"ingest-{next(names)}", **shape, batch_size=5000, params_count=False
        ),
        lambda: bench.ml.call("ingest", experiment=f"ingest-{next(names)}", **shape),
    )
    points = ours[0]["points"]
    if any(sample["points"] != points for sample in ours + theirs):
        bench.warnings.append("ingest: the two sides sent different numbers of points")
    ours_rate = [sample["points"] / sample["seconds"] for sample in ours]
    theirs_rate = [sample["points"] / sample["seconds"] for sample in theirs]
    bench.metrics["ingest_points_per_s"] = metric_entry(
        median(ours_rate),
        median(theirs_rate),
        unit="points/s",
        better="higher",
        target_ratio=20,
        repeats=size["ingest_repeats"],
    )
    # Also, for doubters: opsloop sending exactly MLflow's requests, and full 5000-point requests.
    task = bench.progress.add_task(
        "ingest (opsloop, MLflow-sized and full requests)", total=2 * size["ingest_repeats"]
    )
    same, full = [], []
    long_shape = shape | {"runs": max(1, shape["runs"] // 5), "n_steps": shape["n_steps"] * 5}
    for repeat in range(size["ingest_repeats"]):
        same.append(bench.ol.call("ingest", experiment=f"same-{repeat}", **shape, batch_size=1000))
        bench.progress.advance(task)
        full.append(
            bench.ol.call(
                "ingest", experiment=f"5000-{repeat}", **long_shape, batch_size=5000, params_count=False
            )
        )
        bench.progress.advance(task)
    same_rates = [s["points"] / s["seconds"] for s in same]
    same_ratio = median(same_rates) / median(theirs_rate)
    full_rate = human(median([s["points"] / s["seconds"] for s in full]), "points/s")
    bench.notes.append(
        f"ingest_points_per_s: {shape['runs']} runs x {shape['n_params']} params x {shape['n_metrics']} "
        f"metrics x {shape['n_steps']} steps = {points:,} points over HTTP; run creation INCLUDED in the "
        "timed span on both sides; the client objects are built before the clock starts; "
        f"{size['ingest_repeats']} alternating repeats, each into a fresh experiment. Each side calls its "
        "batch API once per run with the run's params and points: MlflowClient.log_batch splits that at "
        f"MLflow's 1000-entity limit ({shape['n_params']} params + {1000 - shape['n_params']} metrics, then "
        f"the rest: {theirs[0]['requests']} requests per repeat); HttpTrackingStore.log_batch sends one "
        f"request per run ({ours[0]['requests']} requests per repeat)."
        f" opsloop {spread(ours_rate, 'points/s')}; "
        f"MLflow {spread(theirs_rate, 'points/s')}. opsloop sending exactly MLflow's requests (at most "
        f"1000 entities, {same[0]['requests']} requests per repeat): {spread(same_rates, 'points/s')}, "
        f"{same_ratio:.1f}x MLflow; {long_shape['runs']} runs x {long_shape['n_steps']} steps in full "
        f"5000-point requests: {full_rate}."
    )


def measure_history(bench: Bench) -> None:
    size = bench.size
    n_points = size["history_points"]
    task = bench.progress.add_task(f"history setup ({n_points:,} points each)", total=2)
    ours_run = bench.ol.call("history_setup", experiment="history", n_points=n_points, seed=SEED)
    bench.progress.advance(task)
    theirs_run = bench.ml.call("history_setup", experiment="history", n_points=n_points, seed=SEED)
    bench.progress.advance(task)

    def fetch(driver: Driver, run: dict[str, Any], op: str, **extra: Any) -> Callable[[], Any]:
        return lambda: driver.call(op, run_id=run["run_id"], key=run["key"], **extra)

    full_ours, full_theirs = fetch(bench.ol, ours_run, "history"), fetch(bench.ml, theirs_run, "history")
    full_ours(), full_theirs()  # warm-up
    ours, theirs = bench.alternate("history (full)", size["history_repeats"], full_ours, full_theirs)
    counts = {sample["count"] for sample in ours + theirs}
    if counts != {n_points}:
        bench.warnings.append(f"history: point counts {sorted(counts)}, expected {n_points}")
    bench.metrics["history_100k_points"] = metric_entry(
        median(seconds(ours)),
        median(seconds(theirs)),
        unit="s",
        better="lower",
        target_ratio=5,
        repeats=size["history_repeats"],
    )
    bench.notes.append(
        f"history_100k_points: full fetch of one {n_points:,}-point metric history into client objects; "
        "MLflow MlflowClient.get_metric_history (it pages by 25,000 internally), opsloop "
        f"HttpTrackingStore.get_metric_history (one response). Median of {size['history_repeats']} "
        f"alternating repeats after one warm-up each: opsloop {spread(seconds(ours), 's')}, MLflow "
        f"{spread(seconds(theirs), 's')}. Setup, logging the history in 1000-point batches: opsloop "
        f"{human(ours_run['seconds'], 's')}, MLflow {human(theirs_run['seconds'], 's')}."
    )

    max_points = size["downsample_points"]
    down_ours = fetch(bench.ol, ours_run, "history_downsampled", max_results=max_points)
    down_theirs = fetch(bench.ml, theirs_run, "history_downsampled", max_results=max_points)
    down_ours(), down_theirs()  # warm-up
    ours, theirs = bench.alternate(
        f"history (downsampled to {max_points})", size["downsample_repeats"], down_ours, down_theirs
    )
    bench.metrics["history_100k_downsampled"] = metric_entry(
        median(seconds(ours)),
        median(seconds(theirs)),
        unit="s",
        better="lower",
        target_ratio=None,
        repeats=size["downsample_repeats"],
    )
    bench.notes.append(
        f"history_100k_downsampled (no target): opsloop get_metric_history(max_points={max_points}) (min/max "
        f"per bucket; {ours[0]['count']} points returned) against MLflow's sampled-history REST endpoint GET "
        f"/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?max_results={max_points}, the one its UI "
        f"charts use ({theirs[0]['count']} points returned; called with requests, parsed as JSON). Median of "
        f"{size['downsample_repeats']} alternating repeats after one warm-up each: opsloop "
        f"{spread(seconds(ours), 's')}, MLflow {spread(seconds(theirs), 's')}."
    )


def measure_search(bench: Bench) -> None:
    size = bench.size
    chunk, total = size["search_chunk"], size["search_runs"]
    chunks = math.ceil(total / chunk)
    task = bench.progress.add_task(f"search setup ({total:,} runs each)", total=2 * chunks)
    setup_s = {"opsloop": 0.0, "mlflow": 0.0}
    experiment_ids = {"opsloop": "", "mlflow": ""}
    for index in range(chunks):
        start = index * chunk
        for name, driver in (("opsloop", bench.ol), ("mlflow", bench.ml)):
            answer = driver.call(
                "search_setup", experiment="search", start=start, count=min(chunk, total - start), seed=SEED
            )
            experiment_ids[name] = answer["experiment_id"]
            setup_s[name] += answer["seconds"]
            bench.progress.advance(task)

    def search(name: str, driver: Driver) -> Callable[[], Any]:
        query = {"experiment_id": experiment_ids[name], "filter": SEARCH_FILTER[name], **SEARCH_QUERY}
        return lambda: driver.call("search", **query)

    search_ours, search_theirs = search("opsloop", bench.ol), search("mlflow", bench.ml)
    search_ours(), search_theirs()  # warm-up
    ours, theirs = bench.alternate("search", size["search_repeats"], search_ours, search_theirs)
    same = [round(v, 12) for v in ours[0]["acc"]] == [round(v, 12) for v in theirs[0]["acc"]]
    if not same or ours[0]["count"] != SEARCH_QUERY["max_results"]:
        bench.warnings.append(
            f"search: opsloop returned {ours[0]['count']} runs, MLflow {theirs[0]['count']}; same acc values "
            f"in the same order: {same}"
        )
    if not (ours[0]["complete"] and theirs[0]["complete"]):
        bench.warnings.append("search: some returned runs lack params, tags or metrics")
    bench.metrics["search_10k_runs"] = metric_entry(
        median(seconds(ours)),
        median(seconds(theirs)),
        unit="s",
        better="lower",
        target_ratio=5,
        repeats=size["search_repeats"],
    )
    bench.notes.append(
        f"search_10k_runs: {total:,} runs with 3 params, 3 metrics and 1 tag each (created with one "
        f"create-run and one log_batch call per run: opsloop {human(setup_s['opsloop'], 's')}, MLflow "
        f'{human(setup_s["mlflow"], "s")}); query "{SEARCH_FILTER["opsloop"]}" ordered by metrics.acc DESC, '
        "first page of 100 full runs (params, metrics, tags) into client objects; both sides returned the "
        f"same 100 acc values in the same order: {same}. MLflow MlflowClient.search_runs, opsloop "
        f"HttpTrackingStore.search_runs. Median of {size['search_repeats']} alternating repeats after one "
        f"warm-up each: opsloop {spread(seconds(ours), 's')}, MLflow {spread(seconds(theirs), 's')}."
    )


def measure_memory(
    bench: Bench, servers: dict[str, Server], idle: dict[str, float], default_mib: str
) -> None:
    rss = {name: server.rss_mb() for name, server in servers.items()}
    bench.metrics["server_rss_mb"] = metric_entry(
        rss["opsloop"][0], rss["mlflow"][0], unit="MiB", better="lower", target_ratio=1, repeats=1
    )
    parts = "; ".join(f"{label}: {mib:.0f} MiB" for label, mib in rss["mlflow"][1])
    bench.notes.append(
        "server_rss_mb: resident memory (psutil RSS, MiB) of each server's whole process tree after all the "
        f"above. MLflow's tree is the `mlflow server` launcher and its uvicorn worker ({parts}). Idle at "
        f"start: opsloop {idle['opsloop']:.0f} MiB, MLflow {idle['mlflow']:.0f} MiB. MLflow with its default "
        f"job runner on (job runner + huey consumers), idle after start: {default_mib}."
    )


def mlflow_command(mlflow_python: Path, folder: Path, port: int) -> list[str]:
    return [
        str(mlflow_python.parent / "mlflow"),
        "server",
        "--backend-store-uri",
        f"sqlite:///{folder / 'mlflow.db'}",
        "--default-artifact-root",
        str(folder / "mlruns"),
        "--artifacts-destination",
        str(folder / "mlartifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--uvicorn-opts",
        "--no-access-log",  # opsloop does not log every request either
    ]


def start_servers(workdir: Path, mlflow_python: Path, stack: list[Server]) -> dict[str, str]:
    """Fresh opsloop and MLflow servers on free loopback ports; returns their URLs."""
    ports = {"opsloop": free_port(), "mlflow": free_port()}
    home = workdir / "opsloop"
    home.mkdir()
    with console.status("starting the opsloop server"):
        command = [sys.executable, "-m", "opsloop.cli.main", "up", "--host", "127.0.0.1"]
        command += ["--port", str(ports["opsloop"]), "--home", str(home), "--log-level", "warning"]
        stack.append(
            Server.start(
                "opsloop",
                command,
                health_url=f"http://127.0.0.1:{ports['opsloop']}/health",
                log_path=workdir / "opsloop-server.log",
                cwd=workdir,
                env=clean_env(OPSLOOP_HOME=str(home)),
            )
        )
    folder = workdir / "mlflow"
    folder.mkdir()
    with console.status("starting the MLflow server (it migrates its database first)"):
        stack.append(
            Server.start(
                "mlflow",
                mlflow_command(mlflow_python, folder, ports["mlflow"]),
                health_url=f"http://127.0.0.1:{ports['mlflow']}/health",
                log_path=workdir / "mlflow-server.log",
                cwd=folder,
                env=clean_env(**MLFLOW_SERVER_ENV, **MLFLOW_CLIENT_ENV),
            )
        )
    return {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}


def default_mlflow_rss(workdir: Path, mlflow_python: Path) -> str:
    """Idle memory of an MLflow server in its default configuration (job runner on)."""
    folder = workdir / "mlflow-default"
    folder.mkdir()
    port = free_port()
    try:
        with console.status("measuring an idle MLflow server with its default job runner"):
            server = Server.start(
                "mlflow-default",
                mlflow_command(mlflow_python, folder, port),
                health_url=f"http://127.0.0.1:{port}/health",
                log_path=workdir / "mlflow-default-server.log",
                cwd=folder,
                env=clean_env(**MLFLOW_CLIENT_ENV),
            )
            try:
                time.sleep(15)  # the job runner starts its workers after the server is up
                total, parts = server.rss_mb()
            finally:
                server.stop()
    except RuntimeError as error:
        return f"not measured ({str(error).splitlines()[0]})"
    return f"{total:.0f} MiB in {len(parts)} processes"


def source_state() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' with uncommitted changes in src/' if dirty else ''}"


def load_average() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run(size: dict[str, int], workdir: Path, mlflow_python: Path) -> dict[str, Any]:
    servers: list[Server] = []
    drivers: list[Driver] = []
    source = source_state()  # before the servers import the code
    try:
        urls = start_servers(workdir, mlflow_python, servers)
        idle = {server.name: server.rss_mb()[0] for server in servers}
        ol = Driver.start(
            "opsloop",
            sys.executable,
            BENCHMARKS / "_opsloop_driver.py",
            env=clean_env(OPSLOOP_URL=urls["opsloop"], OPSLOOP_HOME=str(workdir / "opsloop-client")),
            log_path=workdir / "opsloop-driver.log",
        )
        drivers.append(ol)
        ml = Driver.start(
            "mlflow",
            mlflow_python,
            BENCHMARKS / "_mlflow_driver.py",
            env=clean_env(MLFLOW_TRACKING_URI=urls["mlflow"], **MLFLOW_CLIENT_ENV),
            log_path=workdir / "mlflow-driver.log",
        )
        drivers.append(ml)
        versions = {"opsloop": ol.call("version"), "mlflow": ml.call("version")}
        if versions["mlflow"] != MLFLOW_VERSION:
            raise RuntimeError(f"the MLflow driver runs MLflow {versions['mlflow']}, not {MLFLOW_VERSION}")
        console.print(f"opsloop {versions['opsloop']} at {urls['opsloop']}, MLflow at {urls['mlflow']}")
        load_before = load_average()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            bench = Bench(size, ol, ml, progress)
            measure_latency(bench)
            measure_ingest(bench)
            measure_history(bench)
            measure_search(bench)
        load_after = load_average()
        for driver in drivers:
            driver.close()
        default_mib = default_mlflow_rss(workdir, mlflow_python)
        measure_memory(bench, {server.name: server for server in servers}, idle, default_mib)
    finally:
        for driver in drivers:
            driver.close()
        for server in servers:
            server.stop()
    bench.notes.append(
        f"Setup: opsloop {versions['opsloop']} at commit {source}; both servers fresh on a temporary "
        "folder with SQLite: `opsloop up` (uvicorn, one process) and `mlflow server --backend-store-uri "
        "sqlite:///... --workers 1 --uvicorn-opts --no-access-log` (uvicorn) with "
        f"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false. Clients are separate processes: MLflow {MLFLOW_VERSION} "
        "from its own virtualenv (.cache/bench/), telemetry off (MLFLOW_DISABLE_TELEMETRY, DO_NOT_TRACK); "
        "opsloop from the current interpreter. Times are wall clock (perf_counter) in the client around "
        f"each call. Load average (1/5/15 min) before: {load_before}, after: {load_after}; the machine is "
        "shared, so compare ratios, not absolute times."
    )
    if bench.warnings:
        bench.notes.append("WARNINGS: " + " | ".join(bench.warnings))
    return {"metrics": bench.metrics, "notes": " ".join(bench.notes), "warnings": bench.warnings}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes; writes results/tracking.quick.*")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, logs)")
    args = parser.parse_args()
    mlflow_python = ensure_venv(
        f"mlflow-{MLFLOW_VERSION}",
        [f"mlflow=={MLFLOW_VERSION}"],
        f"import mlflow, sys; sys.exit(mlflow.__version__ != {MLFLOW_VERSION!r})",
    )
    workdir = Path(tempfile.mkdtemp(prefix="opsloop-bench-tracking-"))
    try:
        measured = run(QUICK if args.quick else FULL, workdir, mlflow_python)
    finally:
        if args.keep:
            console.print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    results = {
        "benchmark": "tracking",
        "date": utc_now(),
        "machine": machine(),
        "baseline": {"name": "mlflow", "version": MLFLOW_VERSION, "config": MLFLOW_CONFIG},
        "metrics": measured["metrics"],
        "notes": ("QUICK RUN (smaller sizes). " if args.quick else "") + measured["notes"],
    }
    title = f"Tracking server: opsloop vs MLflow {MLFLOW_VERSION}" + (" (--quick)" if args.quick else "")
    json_path, md_path = write_results(
        results, stem="tracking.quick" if args.quick else "tracking", title=title
    )
    console.print(results_table(results, title))
    for warning in measured["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"wrote {json_path.relative_to(REPO)} and {md_path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
