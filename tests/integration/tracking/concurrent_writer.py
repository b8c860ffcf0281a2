"""The body of one writer process of `test_concurrent_writers.py`: log runs through the SDK
(`connect` + `start_run`, so metrics go through the background logger) and report exactly what
was acknowledged. A run counts as acknowledged only once its `with` block ended cleanly, i.e.
every metric was flushed and the run was marked FINISHED."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

# Imported here so that a forkserver that preloads this module has the SDK loaded once.
from opsloop.sdk import fluent, session

EXPERIMENT = "concurrent"
METRIC_KEYS = ("loss", "acc")


@dataclass(frozen=True)
class Target:
    workspace: str
    url: str | None = None
    database_url: str | None = None


def params_for(worker: int, run: int) -> dict[str, str]:
    return {"worker": str(worker), "run": str(run), "lr": str(0.001 * (worker + 1))}


def loss(step: int) -> float:
    return 1.0 / (step + 1)


def write_runs(target: Target, worker: int, runs: int, steps: int, barrier: Any, results: Any) -> None:
    """Process entry point: puts one dict on `results`, with the acknowledged runs or an error."""
    try:
        sdk = session.connect(url=target.url, database_url=target.database_url, workspace=target.workspace)
        barrier.wait(timeout=120)  # start writing together, for the most contention
        acknowledged = []
        for index in range(runs):
            with fluent.start_run(experiment=EXPERIMENT, name=f"w{worker}-r{index}") as run:
                run.log_params(params_for(worker, index))
                for step in range(steps):
                    run.log_metrics({"loss": loss(step), "acc": step / steps}, step=step)
                run.set_tag("worker", str(worker))
            acknowledged.append(
                {"run_id": run.id, "name": run.info.name, "params": params_for(worker, index)}
            )
        sdk.close()
        results.put({"worker": worker, "runs": acknowledged})
    except BaseException as error:  # every failure must reach the test, not die with the process
        results.put({"worker": worker, "error": "".join(traceback.format_exception(error))})
