"""The admin endpoint under `/kubesim/admin/`: fault rules and the simulated controllers at runtime.

    GET    /kubesim/admin/faults              {"rules": [...], "injected": {"latency": n, "error": n, "drop": n}}
    POST   /kubesim/admin/faults              a rule, or {"rules": [...], "seed": n, "replace": bool} -> 201
    DELETE /kubesim/admin/faults              remove every rule
    DELETE /kubesim/admin/faults/{id}         remove one rule (404 when unknown)
    GET    /kubesim/admin/controllers         {"paused": bool, "delay": seconds, "tracked": n}
    POST   /kubesim/admin/controllers         {"paused": bool, "delay": seconds} (both optional)
    POST   /kubesim/admin/controllers/pause | /resume

Admin requests never get injected faults. Bad input answers 400 with a `Status` and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from kubesim.middleware.asgi import ASGIApp, Receive, Scope, Send, read_body, send_json, send_status
from kubesim.middleware.faults import FaultInjector, FaultRule

PREFIX = "/kubesim/admin"


def _status(code: int, message: str) -> dict[str, Any]:
    reasons = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 503: "ServiceUnavailable"}
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reasons.get(code, "Unknown"),
        "code": code,
    }


class AdminMiddleware:
    """Serves `/kubesim/admin/*`; everything else goes to `app`."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, controllers: Any = None) -> None:
        self.app = app
        self.injector = injector
        self.controllers = controllers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET")).upper()
        parts = [p for p in path[len(PREFIX) :].split("/") if p]
        try:
            body = await self._body(receive) if method == "POST" else None
            code, answer = self._dispatch(method, parts, body)
        except ValueError as exc:
            await send_status(send, 400, _status(400, str(exc)))
            return
        await send_json(send, code, answer)

    async def _body(self, receive: Receive) -> Any:
        raw = await read_body(receive)
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the admin request body is not JSON: {exc}") from None

    def _dispatch(self, method: str, parts: list[str], body: Any) -> tuple[int, Any]:
        if parts[:1] == ["faults"]:
            return self._faults(method, parts[1:], body)
        if parts[:1] == ["controllers"]:
            return self._controllers(method, parts[1:], body)
        return 404, _status(404, f"no admin endpoint {PREFIX}/{'/'.join(parts)}; use faults or controllers")

    def _faults(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if method == "GET" and not rest:
            return 200, {
                "rules": [r.as_dict() for r in self.injector.rules()],
                "injected": dict(self.injector.injected),
            }
        if method == "DELETE" and not rest:
            self.injector.clear()
            return 200, {"rules": []}
        if method == "DELETE" and len(rest) == 1:
            if self.injector.remove(rest[0]):
                return 200, {"removed": rest[0]}
            return 404, _status(404, f'fault rule "{rest[0]}" not found')
        if method == "POST" and not rest:
            return 201, {"rules": [r.as_dict() for r in self._add_rules(body)]}
        return 405, _status(
            405, f"{method} is not allowed on {PREFIX}/faults{'/' if rest else ''}{'/'.join(rest)}"
        )

    def _add_rules(self, body: Any) -> list[FaultRule]:
        if not isinstance(body, dict):
            raise ValueError('POST a fault rule object, or {"rules": [...], "seed": n}')
        batch = bool({"rules", "seed", "replace"} & set(body))
        specs = body.get("rules", []) if batch else [body]
        if not isinstance(specs, list):
            raise ValueError("`rules` must be a list of fault rule objects")
        checker = FaultInjector()
        for spec in specs:  # validate everything first: bad input changes nothing
            checker.add_dict(dict(spec) if isinstance(spec, dict) else spec)
        seed = body.get("seed") if batch else None
        if seed is not None and not isinstance(seed, int):
            raise ValueError("`seed` must be an integer")
        if body.get("replace") and batch:
            self.injector.clear()
        if batch and "seed" in body:
            self.injector.reseed(seed)
        return [self.injector.add_dict(dict(spec)) for spec in specs]

    def _controllers(self, method: str, rest: list[str], body: Any) -> tuple[int, Any]:
        if self.controllers is None:
            return 503, _status(
                503, "the simulated controllers are not running (kubesim serve --no-controllers)"
            )
        if method == "GET" and not rest:
            return 200, self.controllers.state()
        if method == "POST" and rest in (["pause"], ["resume"]):
            self.controllers.configure(paused=rest[0] == "pause")
            return 200, self.controllers.state()
        if method == "POST" and not rest:
            if not isinstance(body, dict) or set(body) - {"paused", "delay"}:
                raise ValueError(
                    'POST {"paused": true|false, "delay": seconds} to /kubesim/admin/controllers'
                )
            paused, delay = body.get("paused"), body.get("delay")
            if paused is not None and not isinstance(paused, bool):
                raise ValueError("`paused` must be true or false")
            if delay is not None and (
                not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0
            ):
                raise ValueError("`delay` must be a number of seconds >= 0")
            self.controllers.configure(paused=paused, delay=float(delay) if delay is not None else None)
            return 200, self.controllers.state()
        return 405, _status(405, f"{method} is not allowed on {PREFIX}/controllers/{'/'.join(rest)}")
