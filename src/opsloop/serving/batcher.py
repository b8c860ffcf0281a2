"""Adaptive micro-batching of concurrent prediction requests.

No fixed wait: a request that arrives while the model is idle runs at once (lowest latency);
requests that arrive while a prediction is running queue up and run together as one batch as
soon as it ends. Under load, batches grow by themselves to what the model can absorb; with one
client at a time, nothing waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import numpy as np
import pandas as pd

Predict = Callable[[Any], Any]


@dataclass
class _Pending:
    data: pd.DataFrame | np.ndarray
    done: asyncio.Future[Any]


class MicroBatcher:
    def __init__(self, predict: Predict, *, max_batch_rows: int = 8192) -> None:
        self._predict = predict
        self.max_batch_rows = max_batch_rows
        self._queue: list[_Pending] = []
        self._draining = False
        self._drain_task: asyncio.Task[None] | None = None
        self.batch_sizes: list[int] = []  # rows per model call, for /metrics (bounded below)

    async def predict(self, data: pd.DataFrame | np.ndarray) -> Any:
        """`data` is already checked against the signature; the answer has one item per row."""
        loop = asyncio.get_running_loop()
        pending = _Pending(data, loop.create_future())
        self._queue.append(pending)
        if not self._draining:
            self._draining = True
            # Keep a reference: the event loop holds tasks weakly, and a drain must not vanish.
            self._drain_task = loop.create_task(self._drain())
        return await pending.done

    def _take(self) -> list[_Pending]:
        taken: list[_Pending] = []
        rows = 0
        while self._queue and (not taken or rows + len(self._queue[0].data) <= self.max_batch_rows):
            item = self._queue.pop(0)
            taken.append(item)
            rows += len(item.data)
        return taken

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._take()
                await self._run(batch)
        finally:
            self._draining = False

    async def _run(self, batch: list[_Pending]) -> None:
        lengths = [len(item.data) for item in batch]
        try:
            combined = _concat([item.data for item in batch])
            result = await anyio.to_thread.run_sync(self._predict, combined)
        except Exception as error:
            if len(batch) > 1:
                # One request must not fail the others: retry each on its own.
                for item in batch:
                    await self._run([item])
                return
            _settle(batch[0].done, error=error)
            return
        self._record(sum(lengths))
        start = 0
        for item, length in zip(batch, lengths, strict=True):
            _settle(item.done, result=_slice(result, start, start + length))
            start += length

    def _record(self, rows: int) -> None:
        self.batch_sizes.append(rows)
        if len(self.batch_sizes) > 10_000:
            del self.batch_sizes[:5_000]


def _concat(parts: list[pd.DataFrame | np.ndarray]) -> pd.DataFrame | np.ndarray:
    if len(parts) == 1:
        return parts[0]
    frames = [part for part in parts if isinstance(part, pd.DataFrame)]
    if len(frames) == len(parts):
        return pd.concat(frames, ignore_index=True)
    return np.concatenate([np.asarray(part) for part in parts])


def _slice(result: Any, start: int, stop: int) -> Any:
    if isinstance(result, pd.DataFrame | pd.Series):
        return result.iloc[start:stop].reset_index(drop=True)
    return np.asarray(result)[start:stop]


def _settle(future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None) -> None:
    if future.done():  # the caller went away (cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
