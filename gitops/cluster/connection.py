"""How to reach a cluster, independent of any client library: from Argo CD cluster-Secret `config`.

`ClusterConnection.from_argo_config(name, server, config)` reads the JSON of an Argo CD cluster Secret
(`bearerToken`, `username`/`password`, `tlsClientConfig{caData, certData, keyData, insecure,
serverName}`); `gitops.cluster.kube.KubeClusterPort.connect` turns it into a port. `repr` never shows
credentials.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.errors import ConfigError

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"


def _decode(name: str, field_name: str, value: Any) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            f"tlsClientConfig.{field_name} is not valid base64",
            target=f"cluster {name}",
            hint="store the PEM base64-encoded, as Argo CD does",
        ) from None


@dataclass(frozen=True)
class ClusterConnection:
    """Address and credentials of one cluster (PEM bytes already decoded)."""

    name: str
    server: str
    bearer_token: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    ca_pem: bytes | None = field(default=None, repr=False)
    cert_pem: bytes | None = field(default=None, repr=False)
    key_pem: bytes | None = field(default=None, repr=False)
    insecure: bool = False
    server_name: str | None = None

    @classmethod
    def from_argo_config(cls, name: str, server: str, config: Mapping[str, Any]) -> ClusterConnection:
        """From an Argo CD cluster Secret; exec providers and AWS/GCP auth are refused with a clear error."""
        if not server or not server.startswith(("https://", "http://")):
            raise ConfigError(
                f"server {server!r} is not an http(s) URL",
                target=f"cluster {name}",
                hint="set the Secret's server field",
            )
        for unsupported in ("execProviderConfig", "awsAuthConfig"):
            if config.get(unsupported):
                raise ConfigError(
                    f"{unsupported} is not supported",
                    target=f"cluster {name}",
                    hint="use a bearerToken or client certificates",
                )
        tls = config.get("tlsClientConfig") or {}
        return cls(
            name=name,
            server=server.rstrip("/"),
            bearer_token=config.get("bearerToken") or None,
            username=config.get("username") or None,
            password=config.get("password") or None,
            ca_pem=_decode(name, "caData", tls.get("caData")),
            cert_pem=_decode(name, "certData", tls.get("certData")),
            key_pem=_decode(name, "keyData", tls.get("keyData")),
            insecure=bool(tls.get("insecure", False)),
            server_name=tls.get("serverName") or None,
        )
