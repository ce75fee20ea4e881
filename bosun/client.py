"""The CLI's client of Bosun's v1 API (httpx): one method per endpoint, every failure an ApiError.

URL and bearer token come from `BOSUN_API_URL` / `BOSUN_API_TOKEN` (gitops.settings). Errors are one
line naming the app and what to do; they never contain the token or credentials from the URL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from gitops.errors import ApiError
from gitops.settings import Settings

Obj = dict[str, Any]
PAGE_SIZE = 500


def display_url(url: str) -> str:
    """`url` without userinfo (never print credentials embedded in BOSUN_API_URL)."""
    parts = urlsplit(url)
    if not parts.username and not parts.password:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):  # FastAPI validation errors
        return "; ".join(f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}" for d in detail)
    return str(detail or body)


class BosunClient:
    """Talks to one Bosun API server with one bearer token."""

    def __init__(
        self, url: str, token: str, timeout: float = 30.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        # The API authenticates by bearer token only; userinfo in the URL would make httpx send Basic
        # auth instead, so it is dropped.
        self.url = display_url(url).rstrip("/")
        self._token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings, timeout: float = 30.0) -> BosunClient:
        return cls(settings.api_url, settings.api_token.get_secret_value(), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BosunClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport and error mapping ---
    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _fail(self, response: httpx.Response, app: str | None) -> ApiError:
        status = response.status_code
        detail = self._scrub(_detail(response))
        where = display_url(self.url)
        if status == 401:
            hint = (
                "set BOSUN_API_TOKEN to the API's read or write token"
                if self._token
                else "set BOSUN_API_TOKEN (no token is configured)"
            )
            return ApiError(f"the API at {where} refused the token (401)", app=app, hint=hint, status=status)
        if status == 403:
            return ApiError(
                f"not allowed (403): {detail}",
                app=app,
                hint="set BOSUN_API_TOKEN to the write token",
                status=status,
            )
        if status == 404 and detail == "Not Found":  # FastAPI's answer for a route it does not have
            request = response.request
            return ApiError(
                f"the API at {where} has no endpoint {request.method} {request.url.path}",
                app=app,
                hint="this `bosun server` is older than the CLI; upgrade it",
                status=status,
            )
        if status == 404:
            return ApiError(detail, app=app if app and app not in detail else None, status=status,
                            hint="`bosun app list` shows the existing applications" if app else None)  # fmt: skip
        return ApiError(f"the API answered {status}: {detail}", app=app, status=status)

    def _call(self, method: str, path: str, app: str | None = None, **kwargs: Any) -> Any:
        where = display_url(self.url)
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError:
            raise ApiError(
                f"cannot connect to the Bosun API: is `bosun server` running at {where}?",
                app=app,
                hint="start it, or set BOSUN_API_URL",
            ) from None
        except httpx.TimeoutException:
            raise ApiError(f"the Bosun API at {where} did not answer in time", app=app) from None
        except httpx.HTTPError as exc:
            raise ApiError(
                f"request to the Bosun API at {where} failed: {type(exc).__name__}", app=app
            ) from None
        if response.status_code >= 400:
            raise self._fail(response, app)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError(f"the API at {where} answered with something that is not JSON", app=app) from None

    @staticmethod
    def _app_path(name: str, suffix: str = "") -> str:
        return f"/api/v1/applications/{quote(name, safe='')}{suffix}"

    # --- endpoints ---
    def healthz(self) -> Obj:
        result: Obj = self._call("GET", "/healthz")
        return result

    def applications(
        self, project: str | None = None, sync: str | None = None, health: str | None = None
    ) -> Iterator[Obj]:
        """Every Application matching the filters (follows the API's pages)."""
        params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": 0}
        for key, value in (("project", project), ("sync", sync), ("health", health)):
            if value:
                params[key] = value
        while True:
            page = self._call("GET", "/api/v1/applications", params=params)
            yield from page.get("items") or []
            following = (page.get("metadata") or {}).get("next")
            if following is None:
                return
            params["offset"] = following

    def application(self, name: str) -> Obj:
        result: Obj = self._call("GET", self._app_path(name), app=name)
        return result

    def create(self, resource: Mapping[str, Any], upsert: bool = False) -> Obj:
        name = (resource.get("metadata") or {}).get("name")
        params = {"upsert": "true"} if upsert else None
        result: Obj = self._call("POST", "/api/v1/applications", app=name, json=dict(resource), params=params)
        return result

    def delete(self, name: str, cascade: bool) -> Obj:
        params = {"cascade": "true" if cascade else "false"}
        result: Obj = self._call("DELETE", self._app_path(name), app=name, params=params)
        return result

    def diff(self, name: str) -> Obj:
        result: Obj = self._call("GET", self._app_path(name, "/diff"), app=name)
        return result

    def sync(
        self,
        name: str,
        revision: str | None = None,
        prune: bool = False,
        dry_run: bool = False,
        resources: list[dict[str, str]] | None = None,
        sync_options: list[str] | None = None,
    ) -> Obj:
        body: Obj = {"prune": prune, "dryRun": dry_run, "syncOptions": sync_options or []}
        if revision:
            body["revision"] = revision
        if resources:
            body["resources"] = resources
        result: Obj = self._call("POST", self._app_path(name, "/sync"), app=name, json=body)
        return result

    def refresh(self, name: str, hard: bool = False) -> Obj:
        params = {"hard": "true"} if hard else None
        result: Obj = self._call("POST", self._app_path(name, "/refresh"), app=name, params=params)
        return result

    def history(self, name: str) -> list[Obj]:
        result = self._call("GET", self._app_path(name, "/history"), app=name)
        return list(result.get("history") or [])

    def events(self, name: str, count: int = 50) -> list[Obj]:
        result = self._call("GET", self._app_path(name, "/events"), app=name, params={"count": count})
        return list(result.get("events") or [])

    def rollback(self, name: str, history_id: int, prune: bool = False, dry_run: bool = False) -> Obj:
        body = {"id": history_id, "prune": prune, "dryRun": dry_run}
        result: Obj = self._call("POST", self._app_path(name, "/rollback"), app=name, json=body)
        return result

    def terminate_operation(self, name: str) -> Obj:
        result: Obj = self._call("DELETE", self._app_path(name, "/operation"), app=name)
        return result
