"""Micro-batching: concurrent requests share model calls, each gets its own rows back, and one
bad request never fails the others."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pandas as pd
import pytest

from opsloop.serving.batcher import MicroBatcher


class SlowDoubler:
    """Doubles column x; waits on a gate so that requests pile up behind the first call."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls: list[int] = []

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        self.gate.wait(5)
        if (frame["x"] < 0).any():
            raise ValueError("negative input")
        self.calls.append(len(frame))
        return frame["x"].to_numpy() * 2


def _frame(*values: float) -> pd.DataFrame:
    return pd.DataFrame({"x": list(values)})


async def _predict_all(batcher: MicroBatcher, model: SlowDoubler, frames: list[pd.DataFrame]) -> list[Any]:
    first = asyncio.create_task(batcher.predict(frames[0]))
    await asyncio.sleep(0.05)  # the first request is now inside the model, held at the gate
    rest = [asyncio.create_task(batcher.predict(frame)) for frame in frames[1:]]
    await asyncio.sleep(0.05)  # the others queue up behind it
    model.gate.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_requests_that_arrive_during_a_call_share_the_next_call() -> None:
    model = SlowDoubler()
    batcher = MicroBatcher(model.predict)
    frames = [_frame(float(i), float(i) + 0.5) for i in range(10)]
    results = asyncio.run(_predict_all(batcher, model, frames))
    for i, result in enumerate(results):
        assert list(result) == [2.0 * i, 2.0 * i + 1.0]
    assert model.calls[0] == 2  # the first request ran alone, at once
    assert sum(model.calls) == 20 and len(model.calls) == 2  # the other nine ran as one batch
    assert batcher.batch_sizes == [2, 18]


def test_a_failing_request_fails_alone() -> None:
    model = SlowDoubler()
    batcher = MicroBatcher(model.predict)
    frames = [_frame(1.0), _frame(2.0), _frame(-1.0), _frame(3.0)]
    results = asyncio.run(_predict_all(batcher, model, frames))
    assert [list(r) for r in (results[0], results[1], results[3])] == [[2.0], [4.0], [6.0]]
    assert isinstance(results[2], ValueError)


def test_batches_respect_the_row_limit() -> None:
    model = SlowDoubler()
    batcher = MicroBatcher(model.predict, max_batch_rows=3)
    frames = [_frame(1.0, 1.0) for _ in range(5)]
    results = asyncio.run(_predict_all(batcher, model, frames))
    assert all(list(result) == [2.0, 2.0] for result in results)
    assert max(model.calls) <= 3


def test_arrays_are_batched_too() -> None:
    batcher = MicroBatcher(lambda rows: np.asarray(rows).sum(axis=1))

    async def run() -> list[Any]:
        return list(await asyncio.gather(*(batcher.predict(np.array([[i, i]])) for i in range(4))))

    assert [list(result) for result in asyncio.run(run())] == [[0], [2], [4], [6]]


@pytest.mark.parametrize("rows", [1, 7])
def test_one_request_runs_immediately(rows: int) -> None:
    calls: list[int] = []

    def predict(frame: pd.DataFrame) -> np.ndarray:
        calls.append(len(frame))
        return frame["x"].to_numpy()

    result = asyncio.run(MicroBatcher(predict).predict(_frame(*range(rows))))
    assert list(result) == list(range(rows)) and calls == [rows]
