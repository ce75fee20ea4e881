"""The kube-apiserver wire protocol details the HTTP app needs: content negotiation (JSON, Table,
PartialObjectMetadata), query parameters (dryRun, fieldValidation, limit), request bodies (JSON, YAML,
protobuf; the 3 MiB limit), DeleteOptions, and writing responses with `Warning` headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from kubesim.errors import ApiError, bad_request
from kubesim.http import protobuf

Obj = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
JSON = b"application/json"


def negotiate(accept: str) -> str:
    """'json', 'table', 'partial' — or 406 when no JSON form is acceptable (protobuf only)."""
    if not accept:
        return "json"
    for media in accept.split(","):
        kind, _, params = media.strip().partition(";")
        kind = kind.strip()
        if kind not in ("application/json", "*/*", "application/*"):
            continue
        if "as=Table" in params:
            return "table"
        if "as=PartialObjectMetadata" in params:
            return "partial"
        if "as=" in params:
            continue  # e.g. aggregated discovery: answer it with the plain document instead
        return "json"
    if "as=APIGroupDiscoveryList" in accept:
        return "json"
    raise ApiError(406, "only the following media types are accepted: application/json, application/yaml")


def list_kind(obj: Obj) -> str:
    return obj["kind"] if obj.get("kind", "").endswith("List") and "items" in obj else ""


def headers_of(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def int_param(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"invalid limit {value!r}") from None


def bool_param(value: str) -> bool:
    """A boolean query parameter as apimachinery converts it: "0" and "false" (any case) are false,
    anything else true."""
    return value != "0" and value.lower() != "false"


def agent_manager(user_agent: str) -> str:
    return (user_agent.split("/")[0] or "unknown")[:128]


def json_body(raw: bytes, content_type: str) -> Obj:
    if content_type == protobuf.PROTOBUF:
        return protobuf.decode(raw)
    if content_type not in ("application/json", "", "*/*"):
        if content_type in ("application/yaml", "application/x-yaml"):
            import yaml

            return yaml.safe_load(raw) or {}
        raise ApiError(
            415,
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body of the request could not be decoded: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("the body of the request must be a JSON object")
    return body


async def delete_options(receive: Receive, params: dict[str, str]) -> Obj:
    raw = await read_body(receive)
    options: Obj = {}
    if raw.strip():
        try:
            options = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise bad_request(f"the body of the request could not be decoded: {exc}") from exc
    if "propagationPolicy" in params:
        options["propagationPolicy"] = params["propagationPolicy"]
    if "orphanDependents" in params:
        options["orphanDependents"] = params["orphanDependents"] == "true"
    if "dryRun" in params and not options.get("dryRun"):
        options["dryRun"] = [params["dryRun"]]
    return options


MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's request body limit


async def read_body(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"Request entity too large: limit is {MAX_BODY}")
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def respond(
    send: Send,
    status: int,
    body: bytes,
    *,
    content_type: bytes = JSON,
    headers: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> None:
    raw_headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if headers:
        raw_headers.extend((k.lower().encode(), v.encode()) for k, v in headers.items())
    for warning in warnings or ():
        escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
        raw_headers.append((b"warning", f'299 - "{escaped}"'.encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
