"""How one fenced status write reaches an Application, for both shapes of its CRD.

Argo CD's own Application CRD has no status subresource: its controller patches the whole resource,
clearing `.operation` in the same patch that records the finished operation. Bosun's CRD
(deploy/crds) serves `/status` so that `kubectl apply` of a spec never clobbers status. A worker
meets either, so `StatusWrite.requests(current)` builds the requests for the CRD it finds:

- without the subresource: ONE JSON patch of the resource: the resourceVersion read (a stale one
  answers 409), `/status` replaced, `.operation` removed when it is still the finished one or set
  when a new one starts and none is there (so status and operation change together);
- with it: a PUT of `/status`, and, for an operation, a JSON patch of the resource, each guarded by
  the resourceVersion the previous request returned. The operation goes first when it is cleared (a reader never sees the finished
  phase beside the operation it finished) and after the status when it starts.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
JSON_PATCH = "application/json-patch+json"


@dataclass(frozen=True)
class Request:
    """One write: `target` "status" (PUT of the subresource) or "resource" (JSON patch)."""

    target: str
    body: Any

    def at_version(self, version: str) -> Any:
        """The body guarded by `version` (the resourceVersion the previous request left)."""
        body = copy.deepcopy(self.body)
        if self.target == "status":
            body["metadata"]["resourceVersion"] = version
        else:
            body[0]["value"] = version
        return body


@dataclass(frozen=True)
class StatusWrite:
    """The status to store with its fence, what to keep from the stored status, and the operation
    change to make with it (`finished`: remove `.operation` if it is still this one; `start`: set
    `.operation` if the Application has none)."""

    name: str
    namespace: str
    status: Mapping[str, Any]
    fence: int
    keep: tuple[str, ...] = ()
    finished: Mapping[str, Any] | None = None
    start: Mapping[str, Any] | None = None
    api_version: str = field(default="argoproj.io/v1alpha1")

    def body_status(self, current: Mapping[str, Any]) -> Obj:
        stored = current.get("status") or {}
        merged: Obj = {key: copy.deepcopy(stored[key]) for key in self.keep if key in stored}
        merged.update(copy.deepcopy(dict(self.status)))
        merged["bosun"] = {"fence": self.fence}
        return merged

    def operation_ops(self, current: Mapping[str, Any]) -> list[Obj]:
        present = current.get("operation")
        if self.finished is not None and present is not None and present == self.finished:
            return [{"op": "remove", "path": "/operation"}]
        if self.start is not None and not present:
            return [{"op": "add", "path": "/operation", "value": copy.deepcopy(dict(self.start))}]
        return []

    def requests(self, current: Mapping[str, Any], subresource: bool) -> list[Request]:
        version = str(current["metadata"]["resourceVersion"])
        guard = {"op": "replace", "path": "/metadata/resourceVersion", "value": version}
        status = self.body_status(current)
        operation = self.operation_ops(current)
        if not subresource:
            return [
                Request("resource", [guard, {"op": "add", "path": "/status", "value": status}, *operation])
            ]
        put = Request(
            "status",
            {
                "apiVersion": self.api_version,
                "kind": "Application",
                "metadata": {"name": self.name, "namespace": self.namespace, "resourceVersion": version},
                "status": status,
            },
        )
        if not operation:
            return [put]
        patch = Request("resource", [guard, *operation])
        if operation[0]["op"] == "remove":
            return [patch, put]
        return [put, patch]
