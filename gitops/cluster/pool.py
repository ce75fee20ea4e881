"""One port per cluster for the life of a process, so discovery is cached per cluster (not per task)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

P = TypeVar("P")


class PortPool(Generic[P]):
    """`pool.get("prod")` builds the port with `factory("prod")` once, then returns the same one.
    `drop` forgets (and closes) a port, e.g. when its cluster Secret changed."""

    def __init__(self, factory: Callable[[str], P]) -> None:
        self._factory = factory
        self._ports: dict[str, P] = {}
        self._lock = threading.Lock()

    def get(self, cluster: str) -> P:
        with self._lock:
            port = self._ports.get(cluster)
            if port is None:
                port = self._ports[cluster] = self._factory(cluster)
            return port

    def drop(self, cluster: str) -> None:
        with self._lock:
            port = self._ports.pop(cluster, None)
        _close(port)

    def close(self) -> None:
        with self._lock:
            ports, self._ports = list(self._ports.values()), {}
        for port in ports:
            _close(port)

    def __len__(self) -> int:
        return len(self._ports)


def _close(port: object) -> None:
    close = getattr(port, "close", None)
    if callable(close):
        close()
