"""Fault injection, switchable at runtime: added latency, error answers (500, 503, 429 with Retry-After,
409 Conflict, 504) and dropped connections, per verb, resource and namespace.

Python API: `injector.add(FaultRule(...))` / `injector.add_dict({...})`, `injector.remove(id)`,
`injector.clear()`, `injector.reseed(n)`. HTTP: `/kubesim/admin/faults` (see middleware/admin.py).
Rules are checked in order; every matching rule adds its latency, and the first matching rule whose
dice roll hits decides the fault (drop before error). A drop with `drop_after` seconds serves the
request and cuts the connection only if the answer is still streaming by then (watches). A rule with `times` stops after firing that often.
`seed` makes the dice deterministic for tests. `statuses` picks the error code at random among several
(e.g. [500, 503, 429]); `duration` makes a rule expire after that many seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from kubesim.middleware.admin_client import AdminClient
from kubesim.middleware.asgi import ASGIApp, Receive, Scope, Send, drop_connection, send_status
from kubesim.middleware.fault_statuses import error_status
from kubesim.middleware.request_info import RequestInfo, request_info

ERROR_CODES = (409, 429, 500, 503, 504)
VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"})
_RULE_FIELDS = {
    "verbs",
    "resources",
    "namespaces",
    "names",
    "error_rate",
    "status",
    "statuses",
    "duration",
    "retry_after",
    "latency",
    "drop_rate",
    "drop_after",
    "times",
    "id",
}


@dataclass
class FaultRule:
    """One fault. Empty `verbs` / `resources` / `namespaces` / `names` match everything; a resource is
    a plural (`configmaps`), `plural.group` (`deployments.apps`) or `plural/subresource`."""

    verbs: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    error_rate: float = 0.0
    status: int = 500
    statuses: list[int] = field(default_factory=list)
    duration: float | None = None
    retry_after: int = 1
    latency: float = 0.0
    drop_rate: float = 0.0
    drop_after: float = 0.0
    times: int | None = None
    id: str = ""
    fired: int = 0
    expires_at: float | None = None

    def check(self) -> None:
        unknown = set(self.verbs) - VERBS
        if unknown:
            raise ValueError(f"unknown verbs {sorted(unknown)}; use {sorted(VERBS)}")
        for code in [self.status, *self.statuses]:
            if code not in ERROR_CODES:
                raise ValueError(f"status must be one of {list(ERROR_CODES)}, got {code}")
        if self.duration is not None and self.duration <= 0:
            raise ValueError("duration must be > 0 seconds when set")
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency < 0 or self.retry_after < 0 or self.drop_after < 0:
            raise ValueError("latency, retry_after and drop_after must be >= 0")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 when set")

    def matches(self, info: RequestInfo) -> bool:
        if not info.is_resource:
            return False
        if self.verbs and info.verb not in self.verbs:
            return False
        if self.namespaces and info.namespace not in self.namespaces:
            return False
        if self.names and info.name not in self.names:
            return False
        if self.resources:
            names = {info.resource, info.qualified_resource}
            if info.subresource:
                names |= {f"{n}/{info.subresource}" for n in list(names)}
            if not names & set(self.resources):
                return False
        return True

    def as_dict(self) -> dict[str, Any]:
        shown = asdict(self)
        expires = shown.pop("expires_at", None)
        if expires is not None:
            shown["expires_in"] = round(max(expires - time.monotonic(), 0.0), 3)
        return shown


@dataclass
class Decision:
    latency: float = 0.0
    drop: FaultRule | None = None
    error: FaultRule | None = None
    code: int = 503


class FaultInjector:
    """The fault rules of one server (thread-safe) and the seeded dice."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.injected: dict[str, int] = {"latency": 0, "error": 0, "drop": 0}

    def add(self, rule: FaultRule) -> FaultRule:
        rule.check()
        if rule.duration is not None:
            rule.expires_at = time.monotonic() + rule.duration
        with self._lock:
            if not rule.id:
                rule.id = f"fault-{next(self._ids)}"
            self._rules = [r for r in self._rules if r.id != rule.id] + [rule]
        return rule

    def add_dict(self, spec: dict[str, Any]) -> FaultRule:
        """A rule from JSON (the admin endpoint); ValueError names what is wrong."""
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        unknown = set(spec) - _RULE_FIELDS
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}; known: {sorted(_RULE_FIELDS)}")
        values = dict(spec)
        for key in ("verbs", "resources", "namespaces", "names"):
            if isinstance(values.get(key), str):
                values[key] = [values[key]]
        try:
            rule = FaultRule(**values)
            rule.error_rate, rule.drop_rate = float(rule.error_rate), float(rule.drop_rate)
            rule.latency, rule.drop_after = float(rule.latency), float(rule.drop_after)
            rule.status, rule.retry_after = int(rule.status), int(rule.retry_after)
            rule.statuses = [int(code) for code in rule.statuses]
            rule.duration = float(rule.duration) if rule.duration is not None else None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"invalid fault rule: {exc}") from None
        return self.add(rule)

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random = random.Random(seed)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, info: RequestInfo) -> Decision:
        decision = Decision()
        now = time.monotonic()
        with self._lock:
            self._rules = [r for r in self._rules if r.expires_at is None or r.expires_at > now]
            for rule in list(self._rules):
                if not rule.matches(info):
                    continue
                decision.latency += rule.latency
                if decision.drop is not None or decision.error is not None:
                    continue
                if rule.drop_rate and self._random.random() < rule.drop_rate:
                    decision.drop = rule
                elif rule.error_rate and self._random.random() < rule.error_rate:
                    decision.error = rule
                    decision.code = self._random.choice(rule.statuses) if rule.statuses else rule.status
                else:
                    continue
                rule.fired += 1
                if rule.times is not None and rule.fired >= rule.times:
                    self._rules.remove(rule)
        return decision


class FaultMiddleware:
    """Applies the injector's decision to each API request."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.injector.rules():
            await self.app(scope, receive, send)
            return
        info = request_info(scope)
        decision = self.injector.decide(info)
        if decision.latency:
            self.injector.injected["latency"] += 1
            await asyncio.sleep(decision.latency)
        if decision.drop is not None and decision.drop.drop_after > 0:
            await self._serve_then_drop(scope, receive, send, decision.drop.drop_after)
            return
        if decision.drop is not None and drop_connection(send):
            self.injector.injected["drop"] += 1
            return
        if decision.drop is not None or decision.error is not None:
            rule = decision.error or FaultRule(status=503)
            code = decision.code if decision.error is not None else 503
            self.injector.injected["error"] += 1
            body, headers = error_status(rule, info, code)
            await send_status(send, code, body, headers)
            return
        await self.app(scope, receive, send)

    async def _serve_then_drop(self, scope: Scope, receive: Receive, send: Send, after: float) -> None:
        """Serve normally, but cut the connection if the answer is still streaming after `after` seconds
        (a watch, a slow list): the client sees its stream end without a clean close."""

        def cut() -> None:
            if drop_connection(send):
                self.injector.injected["drop"] += 1

        handle = asyncio.get_running_loop().call_later(after, cut)
        try:
            await self.app(scope, receive, send)
        finally:
            handle.cancel()


def wrap(app: ASGIApp, *, api: Any = None, controllers: Any = None, seed: int | None = None) -> ASGIApp:
    """The fault middleware around `app`, with the admin endpoint in front of it (admin calls never get
    faults). The returned app has `.injector` (this server's FaultInjector) and `.controllers`."""
    from kubesim.middleware.admin import AdminMiddleware

    injector = FaultInjector(seed)
    return AdminMiddleware(FaultMiddleware(app, injector), injector, controllers)


def find_injector(app: Any) -> FaultInjector | None:
    """The FaultInjector inside a wrapped ASGI app (follows `.app` through the middlewares)."""
    for _ in range(10):
        injector = getattr(app, "injector", None)
        if isinstance(injector, FaultInjector):
            return injector
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


__all__ = ["AdminClient", "FaultInjector", "FaultMiddleware", "FaultRule", "find_injector", "wrap"]
