"""Generators: each turns its spec into parameter sets. `generate(spec, ctx, where)` dispatches on the
one generator key (list, clusters, git, matrix, merge) and applies the post `selector`.

Matrix takes exactly two children; the second may use the first's parameters in its spec (each row
of the first renders it). Merge combines later generators into the first by `mergeKeys`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gitops.appsets.clusters import ClusterInfo
from gitops.appsets.gitgen import RepoTrees, git_generator
from gitops.appsets.params import Params, combine_strict, deep_merge, flatten, normalize_name, scalar_text
from gitops.appsets.render import TemplateRenderer
from gitops.appsets.selector import matches, validate_selector
from gitops.errors import SpecError

KINDS = ("list", "clusters", "git", "matrix", "merge")
UNSUPPORTED = ("clusterDecisionResource", "scmProvider", "pullRequest", "plugin")


@dataclass
class GeneratorContext:
    """What generators read: the registered clusters, repository trees, and the set's template mode."""

    clusters: Callable[[], list[ClusterInfo]]
    trees: RepoTrees
    renderer: TemplateRenderer

    @property
    def go_template(self) -> bool:
        return self.renderer.go_template


def _with_values(params: Params, values: Mapping[str, Any] | None, ctx: GeneratorContext) -> Params:
    if not values:
        return params
    rendered = {str(k): ctx.renderer.render(v, params) for k, v in values.items()}
    if ctx.go_template:
        return {**params, "values": rendered}
    return {**params, **{f"values.{k}": scalar_text(v) for k, v in rendered.items()}}


def list_generator(spec: Mapping[str, Any], ctx: GeneratorContext, where: str) -> list[Params]:
    elements = spec.get("elements")
    if elements is None and spec.get("elementsYaml"):
        raise SpecError("elementsYaml is not supported", target=where, hint="use elements")
    if not isinstance(elements, list) or not all(isinstance(e, Mapping) for e in elements):
        raise SpecError("list.elements must be a list of objects", target=where)
    out = []
    for element in elements:
        values = element.get("values") if isinstance(element.get("values"), Mapping) else None
        body = {k: v for k, v in element.items() if k != "values"}
        params: Params = dict(body) if ctx.go_template else flatten(body)
        out.append(_with_values(params, values, ctx))
    return out


def cluster_params(cluster: ClusterInfo, go_template: bool) -> Params:
    base: Params = {"name": cluster.name, "nameNormalized": normalize_name(cluster.name),
                    "server": cluster.server, "project": cluster.project}  # fmt: skip
    if go_template:
        return base | {"metadata": {"labels": dict(cluster.labels), "annotations": dict(cluster.annotations)}}
    flat = dict(base)
    flat |= {f"metadata.labels.{k}": v for k, v in cluster.labels.items()}
    flat |= {f"metadata.annotations.{k}": v for k, v in cluster.annotations.items()}
    return flat


def cluster_generator(spec: Mapping[str, Any], ctx: GeneratorContext, where: str) -> list[Params]:
    selector = spec.get("selector") or {}
    validate_selector(selector, f"{where}.selector")
    out = []
    for cluster in ctx.clusters():
        if selector and not cluster.from_secret:
            continue  # the local cluster has no labels: only an empty selector includes it (Argo CD)
        if not matches(selector, cluster.labels):
            continue
        out.append(_with_values(cluster_params(cluster, ctx.go_template), spec.get("values"), ctx))
    return out


def _only_key(spec: Mapping[str, Any], where: str) -> str:
    found = [k for k in spec if k in KINDS or k in UNSUPPORTED]
    if len(found) != 1:
        raise SpecError(
            f"a generator needs exactly one of {', '.join(KINDS)} (found {found or 'none'})", target=where
        )
    if found[0] in UNSUPPORTED:
        raise SpecError(f"the {found[0]} generator is not supported by Bosun", target=where,
                        hint="see docs/fleet.md for the supported generators")  # fmt: skip
    return found[0]


def matrix_generator(spec: Mapping[str, Any], ctx: GeneratorContext, where: str) -> list[Params]:
    children = spec.get("generators") or []
    if len(children) != 2:
        raise SpecError(f"a matrix needs exactly two generators (found {len(children)})", target=where)
    rows = []
    child = children[1]
    templated = "{{" in repr(child)
    fixed = None if templated else generate(child, ctx, f"{where}.generators[1]")  # once, not per row
    for first in generate(children[0], ctx, f"{where}.generators[0]"):
        seconds = (
            fixed
            if fixed is not None
            else generate(ctx.renderer.render(dict(child), first), ctx, f"{where}.generators[1]")
        )
        for second in seconds:
            rows.append(combine_strict(first, second, where))
    return rows


def _merge_key(params: Mapping[str, Any], keys: list[str], go_template: bool) -> tuple[str, ...] | None:
    flat = flatten(params) if go_template else {k: scalar_text(v) for k, v in params.items()}
    if not all(k in flat for k in keys):
        return None
    return tuple(flat[k] for k in keys)


def merge_generator(spec: Mapping[str, Any], ctx: GeneratorContext, where: str) -> list[Params]:
    children = spec.get("generators") or []
    keys = [str(k) for k in spec.get("mergeKeys") or []]
    if len(children) < 2 or not keys:
        raise SpecError("a merge needs at least two generators and mergeKeys", target=where)
    base = generate(children[0], ctx, f"{where}.generators[0]")
    for index, child in enumerate(children[1:], start=1):
        by_key: dict[tuple[str, ...], Params] = {}
        for params in generate(child, ctx, f"{where}.generators[{index}]"):
            key = _merge_key(params, keys, ctx.go_template)
            if key is None:
                continue
            if key in by_key:
                raise SpecError(
                    f"generator {index} gives two parameter sets for merge key {key}", target=where
                )
            by_key[key] = params
        merged = []
        for params in base:
            key = _merge_key(params, keys, ctx.go_template)
            extra = by_key.get(key) if key is not None else None
            merged.append(deep_merge(params, extra) if extra else params)
        base = merged
    return base


_BY_KIND: dict[str, Callable[[Mapping[str, Any], GeneratorContext, str], list[Params]]] = {
    "list": list_generator,
    "clusters": cluster_generator,
    "matrix": matrix_generator,
    "merge": merge_generator,
}


def generate(
    spec: Mapping[str, Any], ctx: GeneratorContext, where: str = "spec.generators[0]"
) -> list[Params]:
    """The parameter sets of one generator entry, filtered by its post `selector`."""
    if not isinstance(spec, Mapping):
        raise SpecError("a generator must be a mapping", target=where)
    kind = _only_key(spec, where)
    body = spec[kind] or {}
    if kind == "git":
        sets = [
            _with_values(p, body.get("values"), ctx)
            for p in git_generator(body, ctx.trees, ctx.go_template, f"{where}.git")
        ]
    else:
        sets = _BY_KIND[kind](body, ctx, f"{where}.{kind}")
    selector = spec.get("selector")
    validate_selector(selector, f"{where}.selector")
    if selector:
        sets = [p for p in sets if matches(selector, flatten(p) if ctx.go_template else p)]
    return sets
