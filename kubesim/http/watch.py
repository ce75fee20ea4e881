"""WATCH streams: `{"type","object"}` lines (ADDED, MODIFIED, DELETED, BOOKMARK) from a resourceVersion,
an ERROR event carrying a 410 Expired Status for versions older than the retained window."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from kubesim import crds
from kubesim.api import Api
from kubesim.errors import ApiError, bad_request
from kubesim.http import printers, table
from kubesim.resources import ResourceType
from kubesim.selectors import Predicate, combine, parse_field_selector, parse_label_selector
from kubesim.store import Event, Subscription

Obj = dict[str, Any]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
DEFAULT_TIMEOUT = 1800.0


class WatchRequest:
    """What to stream: resource type, namespace, selectors, start version, timeout, bookmarks, table view."""

    def __init__(
        self, api: Api, rt: ResourceType, namespace: str | None, params: dict[str, str], as_table: bool
    ) -> None:
        self.api = api
        self.rt = rt
        self.namespace = namespace if rt.namespaced else None
        self.predicate: Predicate | None = combine(
            parse_label_selector(params.get("labelSelector")),
            parse_field_selector(params.get("fieldSelector"), rt.field_labels),
        )
        rv = params.get("resourceVersion") or ""
        # WatchList (client-go's reflector, kubectl wait / rollout status): the current state as ADDED events,
        # then a BOOKMARK annotated k8s.io/initial-events-end, then changes
        self.send_initial = params.get("sendInitialEvents") in ("true", "1")
        try:
            self.since = int(rv) if rv not in ("", "0") and not self.send_initial else None
        except ValueError:
            raise bad_request(f'invalid resource version "{rv}"') from None
        try:
            self.timeout = (
                float(params["timeoutSeconds"]) if params.get("timeoutSeconds") else DEFAULT_TIMEOUT
            )
        except ValueError:
            raise bad_request(f"invalid timeoutSeconds {params['timeoutSeconds']!r}") from None
        self.bookmarks = params.get("allowWatchBookmarks") in ("true", "1")
        self.as_table = as_table
        self.columns = (
            printers.columns_for(rt.group, rt.plural, crds.printer_columns(api, rt)) if as_table else []
        )

    def _matches(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.predicate is None or self.predicate(obj)

    def translate(self, event: Event) -> tuple[str, Obj] | None:
        """The event this watcher sees: objects leaving or entering a selector become DELETED or ADDED."""
        now = self._matches(event.obj)
        if event.type == "ADDED":
            return ("ADDED", event.obj) if now else None
        if event.type == "DELETED":
            return ("DELETED", event.obj) if now else None
        before = self._matches(event.old)
        if now and before:
            return ("MODIFIED", event.obj)
        if now:
            return ("ADDED", event.obj)
        if before:
            return ("DELETED", event.obj)
        return None

    def line(self, event_type: str, obj: Obj) -> bytes:
        shown = self.api.present(self.rt, obj)
        if self.as_table:
            shown = table.table(
                [shown], {"resourceVersion": obj["metadata"]["resourceVersion"]}, "Metadata", self.columns
            )
        return orjson.dumps({"type": event_type, "object": shown}) + b"\n"

    def bookmark(self, initial_events_end: bool = False) -> bytes:
        metadata: Obj = {"resourceVersion": str(self.api.store.rv)}
        if initial_events_end:
            metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": metadata}
        return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


async def _disconnected(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def stream(
    req: WatchRequest,
    send: Send,
    receive: Receive,
    bookmark_interval: float,
    headers: list[tuple[bytes, bytes]],
) -> None:
    store = req.api.store
    sub = Subscription(req.rt.storage_key, lambda e: True)
    initial: list[bytes] = []
    expired: ApiError | None = None
    if req.since is None:
        for obj in store.items(req.rt.storage_key, req.namespace):
            if req._matches(obj):
                initial.append(req.line("ADDED", obj))
    elif req.since < store.oldest_rv():
        expired = ApiError(
            410, f"too old resource version: {req.since} ({store.oldest_rv() + 1})", reason="Expired"
        )
    else:
        for event in store.events_after(req.rt.storage_key, req.since):
            seen = req.translate(event)
            if seen:
                initial.append(req.line(*seen))
    if req.send_initial:
        initial.append(req.bookmark(initial_events_end=True))
    if expired is None:
        store.subscribe(sub)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if expired is not None:
        body = orjson.dumps({"type": "ERROR", "object": expired.status()}) + b"\n"
        await send({"type": "http.response.body", "body": body, "more_body": False})
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + req.timeout
    next_bookmark = loop.time() + bookmark_interval
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        if initial:
            await send({"type": "http.response.body", "body": b"".join(initial), "more_body": True})
        while True:
            now = loop.time()
            wait = deadline - now
            if wait <= 0:
                break
            if req.bookmarks:
                wait = min(wait, max(next_bookmark - now, 0))
            getter = asyncio.ensure_future(sub.queue.get())
            done, _ = await asyncio.wait({getter, gone}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            if gone in done:
                getter.cancel()
                return
            if getter not in done:
                getter.cancel()
                if req.bookmarks and loop.time() >= next_bookmark:
                    await send({"type": "http.response.body", "body": req.bookmark(), "more_body": True})
                    next_bookmark = loop.time() + bookmark_interval
                continue
            events: list[Event | None] = [getter.result()]
            while not sub.queue.empty():
                events.append(sub.queue.get_nowait())
            chunk = []
            closing = False
            for item in events:
                if item is None:
                    closing = True
                    break
                seen = req.translate(item)
                if seen:
                    chunk.append(req.line(*seen))
            if chunk:
                await send({"type": "http.response.body", "body": b"".join(chunk), "more_body": True})
            if closing:
                break
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        return
    finally:
        store.unsubscribe(sub)
        gone.cancel()
