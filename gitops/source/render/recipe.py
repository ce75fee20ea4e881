"""The effective render parameters of one source: everything besides the commit that shapes output.

Two apps with equal recipes on the same commit and path render the same objects, so they share a
manifest cache entry. A recipe holds the source's tool block, the tool chosen, Helm's effective
release name, namespace and cluster capabilities, the build variables the spec actually references
(`$ARGOCD_APP_NAME` in a parameter makes the app name matter; otherwise it does not), and the
commits of the `$ref` sources it reads values from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from gitops.source.spec import AppContext, Helm, SourceSpec

_REFERENCED_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_NOT_RENDER_INPUTS = {"repo_url", "target_revision", "path", "name", "ref"}


def recipe(
    source: SourceSpec, tool: str, ctx: AppContext, ref_commits: Mapping[str, tuple[str, str]]
) -> dict[str, Any]:
    """`ref_commits`: ref name -> (canonical repo, commit) of every `$ref` source this one reads."""
    spec = source.model_dump(
        by_alias=True, exclude=_NOT_RENDER_INPUTS, exclude_defaults=True, exclude_none=True
    )
    env = ctx.build_env()
    text = orjson.dumps(spec).decode()
    used = sorted({name for name in _REFERENCED_VAR.findall(text) if name in env})
    out: dict[str, Any] = {"tool": tool, "spec": spec, "env": {name: env[name] for name in used}}
    if tool == "Helm":
        helm = source.helm or Helm()
        out["helm"] = {
            "release": helm.release_name or ctx.app_name,
            "namespace": helm.namespace or ctx.destination_namespace,
            "kubeVersion": helm.kube_version or ctx.kube_version,
            "apiVersions": list(helm.api_versions or ctx.api_versions),
        }
        refs = sorted({v[1:].split("/", 1)[0] for v in helm.value_files if v.startswith("$")})
        out["refs"] = {ref: list(ref_commits[ref]) for ref in refs if ref in ref_commits}
    return out
