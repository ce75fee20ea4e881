"""The ASGI application: kube-apiserver's REST protocol (discovery, CRUD, PATCH, WATCH, Table output) over
`kubesim.api.Api`. No framework, orjson, one dispatch per request: the GET path stays lean."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson

from kubesim import crds
from kubesim.api import Api
from kubesim.errors import ApiError, bad_request
from kubesim.http import discovery, printers, protobuf, routing, table
from kubesim.http.openapi import openapi_document
from kubesim.http.watch import WatchRequest, stream
from kubesim.resources import ResourceType

Obj = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
log = logging.getLogger("kubesim.http")

JSON = b"application/json"
TABLE_CT = b"application/json;as=Table;v=v1;g=meta.k8s.io"
PARTIAL_CT = b"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
_HEALTH = {"/healthz", "/livez", "/readyz"}
_METHOD_VERB = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def _negotiate(accept: str) -> str:
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


class KubeApp:
    """ASGI app; `server_address` is host:port for /api's serverAddressByClientCIDRs."""

    def __init__(self, api: Api, *, server_address: str = "", bookmark_interval: float = 1.0) -> None:
        self.api = api
        self.server_address = server_address
        self.bookmark_interval = bookmark_interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._handle(scope, receive, send)
        except ApiError as exc:
            await respond(send, exc.code, orjson.dumps(exc.status()), headers=exc.headers)
        except Exception as exc:  # the real server answers 500 with a Status too
            log.exception("kubesim internal error on %s %s", scope.get("method"), scope.get("path"))
            err = ApiError(500, f"Internal error occurred: {exc}")
            await respond(send, 500, orjson.dumps(err.status()))

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers = _headers(scope)
        route = routing.parse(path)
        if isinstance(route, routing.Route):
            await self._resource(route, method, headers, scope, receive, send)
            return
        if method not in ("GET", "HEAD"):
            raise ApiError(405, "the server does not allow this method on the requested resource")
        if route is None and path.startswith("/openapi/"):
            doc = openapi_document(self.api.registry, path)
            if doc is None:
                raise ApiError(404, "the server could not find the requested resource", details={})
            await respond(send, 200, doc)
            return
        body = self._static(route, path)
        if body is None:
            raise ApiError(404, "the server could not find the requested resource", details={})
        if isinstance(body, bytes):
            await respond(send, 200, body, content_type=b"text/plain; charset=utf-8")
        else:
            await respond(send, 200, orjson.dumps(body))

    def _static(self, route: routing.Discovery | None, path: str) -> Obj | bytes | None:
        registry = self.api.registry
        if route is None:
            if path == "/version" or path == "/version/":
                return discovery.VERSION_INFO
            if path in _HEALTH or path.rstrip("/") in _HEALTH:
                return b"ok"
            return None
        if route.kind == "versions":
            return discovery.api_versions(self.server_address)
        if route.kind == "groups":
            return discovery.api_group_list(registry)
        if route.kind == "group":
            return discovery.api_group(registry, route.group)
        if route.group == "" and route.version != "v1":
            return None
        return discovery.resource_list(registry, route.group, route.version)

    async def _resource(
        self,
        route: routing.Route,
        method: str,
        headers: dict[str, str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        api = self.api
        rt = api.registry.find(route.group, route.version, route.plural)
        if rt is None or (route.namespace is not None and not rt.namespaced):
            raise ApiError(404, "the server could not find the requested resource", details={})
        if route.subresource and route.subresource not in rt.subresources:
            raise ApiError(404, "the server could not find the requested resource", details={})
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["query_string"] else {}
        if route.name is None and route.namespace is None and rt.namespaced and method not in ("GET", "HEAD"):
            raise ApiError(404, "the server could not find the requested resource", details={})
        ns = route.namespace
        if method == "GET":
            view = _negotiate(headers.get("accept", ""))
            watching = route.legacy_watch or params.get("watch") in ("true", "1")
            if watching:
                if route.name is not None:
                    params["fieldSelector"] = f"metadata.name={route.name}"
                self._allow(rt, "watch")
                req = WatchRequest(api, rt, ns, params, view == "table")
                ct = TABLE_CT if view == "table" else JSON
                await stream(req, send, receive, self.bookmark_interval, [(b"content-type", ct)])
                return
            if route.name is not None:
                self._allow(rt, "get")
                obj = api.get(rt, ns, route.name, subresource=route.subresource, copy=False)
                await self._reply_objects(
                    send,
                    rt,
                    view,
                    [obj],
                    {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                    single=obj,
                    params=params,
                )
                return
            self._allow(rt, "list")
            listed = api.list(
                rt,
                ns,
                label_selector=params.get("labelSelector"),
                field_selector=params.get("fieldSelector"),
                limit=_int(params.get("limit")),
                continue_token=params.get("continue"),
                copy=False,
            )
            await self._reply_objects(
                send, rt, view, listed["items"], listed["metadata"], single=listed, params=params
            )
            return
        dry_run = _dry_run(params)
        manager = params.get("fieldManager") or _agent_manager(headers.get("user-agent", ""))
        _check_field_validation(params)
        mode = params.get("fieldValidation") or "Warn"
        warnings: list[str] = []
        if method == "DELETE":
            options = await _delete_options(receive, params)
            dry_run = dry_run or options.get("dryRun") == ["All"]
            policy = options.get("propagationPolicy")
            if policy is None and options.get("orphanDependents") is not None:
                policy = "Orphan" if options["orphanDependents"] else "Background"
            if route.name is None:
                self._allow(rt, "deletecollection")
                result = api.delete_collection(
                    rt,
                    ns,
                    label_selector=params.get("labelSelector"),
                    field_selector=params.get("fieldSelector"),
                    dry_run=dry_run,
                    propagation_policy=policy,
                )
            else:
                self._allow(rt, "delete")
                result = api.delete(
                    rt,
                    ns,
                    route.name,
                    dry_run=dry_run,
                    propagation_policy=policy,
                    preconditions=options.get("preconditions"),
                )
            await respond(send, 200, orjson.dumps(result))
            return
        verb = _METHOD_VERB.get(method)
        if verb is None:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        raw = await read_body(receive)
        content_type = headers.get("content-type", "application/json").split(";")[0].strip()
        if verb == "create":
            if route.name is not None:
                raise ApiError(405, "the server does not allow this method on the requested resource")
            self._allow(rt, "create")
            result = api.create(
                rt,
                ns,
                _json_body(raw, content_type),
                dry_run=dry_run,
                field_manager=manager,
                field_validation=mode,
                warnings=warnings,
            )
            await respond(send, 201, orjson.dumps(result), warnings=warnings)
            return
        if route.name is None:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        self._allow(rt, verb)
        if verb == "update":
            result = api.update(
                rt,
                ns,
                route.name,
                _json_body(raw, content_type),
                dry_run=dry_run,
                field_manager=manager,
                subresource=route.subresource,
                field_validation=mode,
                warnings=warnings,
            )
            await respond(send, 200, orjson.dumps(result), warnings=warnings)
            return
        existed = api.store.get(rt.storage_key, ns if rt.namespaced else None, route.name) is not None
        force = params.get("force") in ("true", "1")
        if force and content_type != "application/apply-patch+yaml":
            raise bad_request("force: Forbidden: may not be specified for non-apply patch")
        field_manager = (
            params.get("fieldManager") if content_type == "application/apply-patch+yaml" else manager
        )
        result = api.patch(
            rt,
            ns,
            route.name,
            raw,
            patch_type=content_type,
            dry_run=dry_run,
            field_manager=field_manager,
            force=force,
            subresource=route.subresource,
            field_validation=mode,
            warnings=warnings,
        )
        await respond(send, 200 if existed else 201, orjson.dumps(result), warnings=warnings)

    def _allow(self, rt: ResourceType, verb: str) -> None:
        if verb not in rt.verbs:
            raise ApiError(405, "the server does not allow this method on the requested resource")

    async def _reply_objects(
        self,
        send: Send,
        rt: ResourceType,
        view: str,
        objects: list[Obj],
        list_meta: Obj,
        *,
        single: Obj,
        params: dict[str, str],
    ) -> None:
        if view == "table":
            columns = printers.columns_for(rt.group, rt.plural, crds.printer_columns(self.api, rt))
            body = table.table(objects, list_meta, params.get("includeObject", "Metadata"), columns)
            await respond(send, 200, orjson.dumps(body), content_type=TABLE_CT)
        elif view == "partial":
            body = (
                table.partial(single)
                if single.get("kind") != _list_kind(single)
                else table.partial_list(objects, list_meta)
            )
            await respond(send, 200, orjson.dumps(body), content_type=PARTIAL_CT)
        else:
            await respond(send, 200, orjson.dumps(single))


def _list_kind(obj: Obj) -> str:
    return obj["kind"] if obj.get("kind", "").endswith("List") and "items" in obj else ""


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"invalid limit {value!r}") from None


def _dry_run(params: dict[str, str]) -> bool:
    value = params.get("dryRun")
    if not value:
        return False
    if value != "All":
        raise bad_request(f'dryRun: Unsupported value: "{value}": supported values: "All"')
    return True


def _check_field_validation(params: dict[str, str]) -> None:
    value = params.get("fieldValidation", "")
    if value not in ("", "Ignore", "Warn", "Strict"):
        raise bad_request(
            f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", "Strict", "Warn"'
        )


def _agent_manager(user_agent: str) -> str:
    return (user_agent.split("/")[0] or "unknown")[:128]


def _json_body(raw: bytes, content_type: str) -> Obj:
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


async def _delete_options(receive: Receive, params: dict[str, str]) -> Obj:
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
    if params.get("dryRun") == "All":
        options["dryRun"] = ["All"]
    dry = options.get("dryRun")
    if dry and dry != ["All"]:
        raise bad_request(f'dryRun: Unsupported value: "{dry}": supported values: "All"')
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


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
