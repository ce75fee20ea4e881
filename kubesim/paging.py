"""Paginated lists like etcd-backed ones: the first page fixes a snapshot (the matching objects at the list's
resourceVersion), later pages serve the rest of that snapshot, and an opaque `continue` token names it. A token
whose snapshot is gone continues from its key in the current state, or is 410 Expired once its
resourceVersion has left the watch window (as a compacted one does on the real server)."""

from __future__ import annotations

import base64
import itertools
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from kubesim.errors import ApiError, bad_request
from kubesim.store import object_key

Obj = dict[str, Any]
EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an inconsistent list - objects that were "
    "created, modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


@dataclass(frozen=True)
class Token:
    rv: int
    start: str  # key of the last object served
    snapshot: str = ""


def continue_key(obj: Obj) -> str:
    md = obj["metadata"]
    return object_key(md.get("namespace"), md["name"])


def encode(token: Token) -> str:
    data = {"v": "meta.k8s.io/v1", "rv": token.rv, "start": token.start, "snap": token.snapshot}
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode(text: str) -> Token:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4)))
        return Token(int(data["rv"]), str(data["start"]), str(data.get("snap") or ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from exc


def expired() -> ApiError:
    return ApiError(410, EXPIRED, reason="Expired")


class Snapshots:
    """The unserved rest of recent paginated lists (objects are immutable once stored, so references do)."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._data: OrderedDict[str, tuple[int, list[Obj]]] = OrderedDict()
        self._ids = itertools.count(1)

    def put(self, rv: int, rest: list[Obj]) -> str:
        snapshot = str(next(self._ids))
        self._data[snapshot] = (rv, rest)
        while len(self._data) > self._size:
            self._data.popitem(last=False)
        return snapshot

    def take(self, snapshot: str) -> tuple[int, list[Obj]] | None:
        return self._data.pop(snapshot, None) if snapshot else None
