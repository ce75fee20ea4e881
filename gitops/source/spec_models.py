"""Pydantic models of Argo CD's ApplicationSource and its tool blocks (fields as in the CRD).

Strict: camelCase keys, unknown fields refused, no type coercion. Parsing with error paths and
the checks across fields live in gitops/source/spec.py.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class _Strict(BaseModel):
    """Base of every spec model: camelCase keys, no unknown fields, no type coercion."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class JsonnetVar(_Strict):
    name: str
    value: str = ""
    code: bool = False


class Jsonnet(_Strict):
    ext_vars: list[JsonnetVar] = []
    tlas: list[JsonnetVar] = []
    libs: list[str] = []


class Directory(_Strict):
    recurse: bool = False
    include: str = ""
    exclude: str = ""
    jsonnet: Jsonnet = Jsonnet()


class HelmParameter(_Strict):
    name: str
    value: str = ""
    force_string: bool = False


class HelmFileParameter(_Strict):
    name: str
    path: str


class Helm(_Strict):
    value_files: list[str] = []
    values: str = ""
    values_object: dict[str, Any] | None = None
    parameters: list[HelmParameter] = []
    file_parameters: list[HelmFileParameter] = []
    release_name: str = ""
    namespace: str = ""
    skip_crds: bool = False
    skip_tests: bool = False
    skip_schema_validation: bool = False
    ignore_missing_value_files: bool = False
    pass_credentials: bool = False
    version: str = ""
    kube_version: str = ""
    api_versions: list[str] = []


class KustomizeReplica(_Strict):
    name: str
    count: int | str


class KustomizePatchTarget(_Strict):
    group: str = ""
    version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    label_selector: str = ""
    annotation_selector: str = ""


class KustomizePatch(_Strict):
    path: str = ""
    patch: str = ""
    target: KustomizePatchTarget | None = None
    options: dict[str, bool] | None = None


class Kustomize(_Strict):
    name_prefix: str = ""
    name_suffix: str = ""
    images: list[str] = []
    common_labels: dict[str, str] = {}
    common_annotations: dict[str, str] = {}
    common_annotations_envsubst: bool = False
    force_common_labels: bool = False
    force_common_annotations: bool = False
    label_without_selector: bool = False
    label_include_templates: bool = False
    namespace: str = ""
    replicas: list[KustomizeReplica] = []
    patches: list[KustomizePatch] = []
    components: list[str] = []
    ignore_missing_components: bool = False
    version: str = ""
    kube_version: str = ""
    api_versions: list[str] = []


class PluginEnv(_Strict):
    name: str
    value: str = ""


class Plugin(_Strict):
    name: str = ""
    env: list[PluginEnv] = []
    parameters: list[dict[str, Any]] = []


class SourceSpec(_Strict):
    """One Argo CD ApplicationSource."""

    repo_url: str = Field(alias="repoURL")  # capital URL, which to_camel would not produce
    target_revision: str = ""
    path: str = ""
    chart: str = ""
    ref: str = ""
    name: str = ""
    directory: Directory | None = None
    helm: Helm | None = None
    kustomize: Kustomize | None = None
    plugin: Plugin | None = None

    @property
    def explicit_tool(self) -> str | None:
        """The tool a block forces ("Helm", "Kustomize", "Directory"), or None to detect."""
        for tool, block in (
            ("Helm", self.helm),
            ("Kustomize", self.kustomize),
            ("Directory", self.directory),
        ):
            if block is not None:
                return tool
        return None

    @property
    def renders(self) -> bool:
        """A `ref`-only source (no path) only supplies value files to other sources."""
        return not (self.ref and not self.path)
