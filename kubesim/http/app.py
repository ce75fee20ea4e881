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
from kubesim.errors import ApiError, not_found
from kubesim.http import discovery, printers, protocol, routing, table
from kubesim.http import options as request_options
from kubesim.http.openapi import openapi_document
from kubesim.http.watch import WatchRequest, stream
from kubesim.resources import ResourceType

Obj = dict[str, Any]
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
log = logging.getLogger("kubesim.http")

JSON = protocol.JSON
TABLE_CT = b"application/json;as=Table;v=v1;g=meta.k8s.io"
PARTIAL_CT = b"application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
_HEALTH = {"/healthz", "/livez", "/readyz"}
_METHOD_VERB = {"POST": "create", "PUT": "update", "PATCH": "patch"}
# what the real subresource storages implement: status and scale get/update/patch, finalize update only
_SUBRESOURCE_METHODS = {
    "status": ("GET", "PUT", "PATCH"),
    "scale": ("GET", "PUT", "PATCH"),
    "finalize": ("PUT",),
}


class KubeApp:
    """ASGI app; `server_address` is host:port for /api's serverAddressByClientCIDRs."""

    def __init__(self, api: Api, *, server_address: str = "", bookmark_interval: float = 1.0) -> None:
        self.api = api
        self.server_address = server_address
        self.bookmark_interval = bookmark_interval

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await protocol.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._handle(scope, receive, send)
        except ApiError as exc:
            await protocol.respond(send, exc.code, orjson.dumps(exc.status()), headers=exc.headers)
        except Exception as exc:  # the real server answers 500 with a Status too
            log.exception("kubesim internal error on %s %s", scope.get("method"), scope.get("path"))
            err = ApiError(500, f"Internal error occurred: {exc}")
            await protocol.respond(send, 500, orjson.dumps(err.status()))

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers = protocol.headers_of(scope)
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
            await protocol.respond(send, 200, doc)
            return
        body = self._static(route, path)
        if body is None:
            raise ApiError(404, "the server could not find the requested resource", details={})
        if isinstance(body, bytes):
            await protocol.respond(send, 200, body, content_type=b"text/plain; charset=utf-8")
        else:
            await protocol.respond(send, 200, orjson.dumps(body))

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
            if rt.custom and route.name is not None:  # the CRD handler's answer for an undeclared one
                raise not_found(rt.group, rt.plural, route.name)
            raise ApiError(404, "the server could not find the requested resource", details={})
        if route.subresource and method not in _SUBRESOURCE_METHODS.get(route.subresource, ()):
            raise ApiError(405, "the server does not allow this method on the requested resource")
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["query_string"] else {}
        if route.name is None and route.namespace is None and rt.namespaced and method not in ("GET", "HEAD"):
            raise ApiError(404, "the server could not find the requested resource", details={})
        ns = route.namespace
        if method == "GET":
            view = protocol.negotiate(headers.get("accept", ""))
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
                limit=protocol.int_param(params.get("limit")),
                continue_token=params.get("continue"),
                copy=False,
            )
            await self._reply_objects(
                send, rt, view, listed["items"], listed["metadata"], single=listed, params=params
            )
            return
        if method != "DELETE":
            request_options.check(method, params)
        dry_run = params.get("dryRun") == "All"
        manager = params.get("fieldManager") or protocol.agent_manager(headers.get("user-agent", ""))
        mode = params.get("fieldValidation") or "Warn"
        warnings: list[str] = []
        if method == "DELETE":
            options = await protocol.delete_options(receive, params)
            request_options.check(method, params, options.get("dryRun"))
            dry_run = options.get("dryRun") == ["All"]
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
            await protocol.respond(send, 200, orjson.dumps(result))
            return
        verb = _METHOD_VERB.get(method)
        if verb is None:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        raw = await protocol.read_body(receive)
        content_type = headers.get("content-type", "application/json").split(";")[0].strip()
        if verb == "create":
            if route.name is not None:
                raise ApiError(405, "the server does not allow this method on the requested resource")
            self._allow(rt, "create")
            result = api.create(
                rt,
                ns,
                protocol.json_body(raw, content_type),
                dry_run=dry_run,
                field_manager=manager,
                field_validation=mode,
                warnings=warnings,
            )
            await protocol.respond(send, 201, orjson.dumps(result), warnings=warnings)
            return
        if route.name is None:
            raise ApiError(405, "the server does not allow this method on the requested resource")
        self._allow(rt, verb)
        if verb == "update":
            result = api.update(
                rt,
                ns,
                route.name,
                protocol.json_body(raw, content_type),
                dry_run=dry_run,
                field_manager=manager,
                subresource=route.subresource,
                field_validation=mode,
                warnings=warnings,
            )
            await protocol.respond(send, 200, orjson.dumps(result), warnings=warnings)
            return
        existed = api.store.get(rt.storage_key, ns if rt.namespaced else None, route.name) is not None
        force = protocol.bool_param(params["force"]) if "force" in params else None
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
        await protocol.respond(send, 200 if existed else 201, orjson.dumps(result), warnings=warnings)

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
            await protocol.respond(send, 200, orjson.dumps(body), content_type=TABLE_CT)
        elif view == "partial":
            body = (
                table.partial(single)
                if single.get("kind") != protocol.list_kind(single)
                else table.partial_list(objects, list_meta)
            )
            await protocol.respond(send, 200, orjson.dumps(body), content_type=PARTIAL_CT)
        else:
            await protocol.respond(send, 200, orjson.dumps(single))
