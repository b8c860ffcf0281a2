"""In-process subscribers to registry events, called after the change commits.

Subscribers see only the changes made through this store object; other processes read the
outbox (`RegistryStore.list_events`). A subscriber that raises is logged and skipped: the change
it reports is already committed, and one faulty listener must not hide it from the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from opsloop.registry.entities import RegistryEvent

Subscriber = Callable[[RegistryEvent], None]
_log = logging.getLogger(__name__)


class Subscribers:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Subscriber] = []

    def add(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def publish(self, events: Sequence[RegistryEvent]) -> None:
        if not events:
            return
        with self._lock:
            callbacks = list(self._callbacks)
        for event in events:
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    _log.exception("registry event subscriber %r failed on event %s", callback, event.id)
