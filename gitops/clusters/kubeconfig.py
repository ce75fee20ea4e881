"""Reading one kubeconfig context into an Argo CD cluster `config` (for `bosun cluster add`).

`cluster_config_from_kubeconfig(path, context) -> (server, config)`: the context's server and
{bearerToken | username/password, tlsClientConfig{caData, certData, keyData, insecure,
serverName}}; file references are read and base64-encoded. exec and auth-provider users are refused
(Bosun cannot run a credential plugin for a remote cluster): use a service-account token.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

from gitops.errors import ConfigError


def _load(path: str | None) -> tuple[dict[str, Any], Path]:
    chosen = Path(path or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or "~/.kube/config")
    chosen = chosen.expanduser()
    try:
        data = yaml.safe_load(chosen.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"cannot read kubeconfig: {type(exc).__name__}",
            target=str(chosen),
            hint="pass --kubeconfig or set KUBECONFIG",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError("kubeconfig is not a mapping", target=str(chosen), hint="fix the file")
    return data, chosen


def _named(items: Any, name: str, what: str, where: str) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            return dict(item.get(what) or {})
    raise ConfigError(f"{what} {name!r} not found", target=where, hint="check `kubectl config get-contexts`")


def _data(section: dict[str, Any], key: str, base: Path) -> str | None:
    if section.get(f"{key}-data"):
        return str(section[f"{key}-data"])
    if section.get(key):
        file = Path(str(section[key]))
        file = file if file.is_absolute() else base.parent / file
        try:
            return base64.b64encode(file.read_bytes()).decode()
        except OSError:
            raise ConfigError(f"cannot read {key} file", target=str(file), hint="check the path") from None
    return None


def cluster_config_from_kubeconfig(path: str | None, context: str) -> tuple[str, dict[str, Any]]:
    data, chosen = _load(path)
    where = f"kubeconfig {chosen}"
    ctx = _named(data.get("contexts"), context, "context", where)
    cluster = _named(data.get("clusters"), str(ctx.get("cluster") or ""), "cluster", where)
    user = _named(data.get("users"), str(ctx.get("user") or ""), "user", where) if ctx.get("user") else {}
    if user.get("exec") or user.get("auth-provider"):
        raise ConfigError(
            "users with exec or auth-provider credentials are not supported",
            target=f"{where} context {context}",
            hint="use a context whose user has a service-account token or client certificates",
        )
    server = str(cluster.get("server") or "")
    if not server:
        raise ConfigError("the context's cluster has no server", target=f"{where} context {context}")
    config: dict[str, Any] = {}
    token = user.get("token")
    if not token and user.get("tokenFile"):
        try:
            token = Path(str(user["tokenFile"])).read_text().strip()
        except OSError:
            raise ConfigError("cannot read tokenFile", target=f"{where} context {context}") from None
    if token:
        config["bearerToken"] = str(token)
    elif user.get("username"):
        config["username"] = str(user["username"])
        config["password"] = str(user.get("password") or "")
    tls: dict[str, Any] = {}
    for source, key, section in (
        ("certificate-authority", "caData", cluster),
        ("client-certificate", "certData", user),
        ("client-key", "keyData", user),
    ):
        value = _data(section, source, chosen)
        if value:
            tls[key] = value
    if cluster.get("insecure-skip-tls-verify"):
        tls["insecure"] = True
    if cluster.get("tls-server-name"):
        tls["serverName"] = str(cluster["tls-server-name"])
    if tls:
        config["tlsClientConfig"] = tls
    return server, config
