"""The line protocol between a benchmark and its client drivers (standard library only, so a
driver running in a baseline's own virtualenv can import it too).

The benchmark writes one JSON command per line to the driver's stdin: {"op": name, "args": {...}}.
The driver answers each with one JSON line: {"ok": true, "result": ...} or {"ok": false, "error": text}.
Stray prints of the libraries under test go to stderr, never into the answers.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

Handler = Callable[..., Any]


def serve(handlers: dict[str, Handler]) -> None:
    """Answer commands until stdin closes or the "exit" command comes."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # libraries that print must not corrupt answers
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        if command["op"] == "exit":
            answers.write(json.dumps({"ok": True, "result": None}) + "\n")
            return
        try:
            result = handlers[command["op"]](**command.get("args", {}))
            answer = {"ok": True, "result": result}
        except Exception:
            answer = {"ok": False, "error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def latency_summary(samples_s: list[float]) -> dict[str, float]:
    """Median, p90, p99 and mean of per-call latencies, in seconds."""
    return {
        "median": percentile(samples_s, 0.5),
        "p90": percentile(samples_s, 0.9),
        "p99": percentile(samples_s, 0.99),
        "mean": sum(samples_s) / len(samples_s),
        "count": len(samples_s),
    }
