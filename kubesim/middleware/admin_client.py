"""A small client of the admin endpoint, for tests and scripts: `AdminClient(url, token=...)`."""

from __future__ import annotations

from typing import Any

import httpx


class AdminError(RuntimeError):
    """The admin endpoint refused a request; the message is its answer."""


class AdminClient:
    """Fault rules and controller switches of a running kubesim, over HTTP."""

    def __init__(self, url: str, token: str | None = None, *, verify: bool | str = False) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=url.rstrip("/") + "/kubesim/admin", headers=headers, verify=verify, timeout=10
        )

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            raise AdminError(f"{method} /kubesim/admin{path}: {response.status_code} {response.text}")
        return response.json()

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        """Add one rule (fields of kubesim.middleware.faults.FaultRule); returns it with its id."""
        rules: list[dict[str, Any]] = self._call("POST", "/faults", rule)["rules"]
        return rules[0]

    def set_faults(self, rules: list[dict[str, Any]], *, seed: int | None = None) -> list[dict[str, Any]]:
        """Replace every rule at once, reseeding the dice when `seed` is given."""
        body: dict[str, Any] = {"rules": rules, "replace": True}
        if seed is not None:
            body["seed"] = seed
        added: list[dict[str, Any]] = self._call("POST", "/faults", body)["rules"]
        return added

    def faults(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/faults")
        return answer

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def controllers(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("GET", "/controllers")
        return answer

    def pause_controllers(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/controllers/pause")
        return answer

    def resume_controllers(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/controllers/resume")
        return answer

    def configure_controllers(
        self, *, paused: bool | None = None, delay: float | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in (("paused", paused), ("delay", delay)) if v is not None}
        answer: dict[str, Any] = self._call("POST", "/controllers", body)
        return answer

    def close(self) -> None:
        self._http.close()
