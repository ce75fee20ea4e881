"""The source side of one Application: resolve each source, snapshot it, render it (or load it).

`SourceService(resolver, mirrors, cache, settings).desired_state(app, force=False,
changed_files=None) -> DesiredState`. For each source: revision resolved (shared per repo/ref),
snapshot of that commit, tool chosen, then the manifests are looked up by content
(`content_keys`: git tree ids of the app path, of its manifest-generate-paths and of the paths
outside it the last render read, with the effective parameters and tool versions), so a commit
that touches none of them reuses the render; where content cannot be trusted to cover the
render's inputs, by commit (repo, commit, path, parameters, tool versions). A cache hit costs two
GETs and a decode. On a miss with a webhook's `ChangedFiles` whose `before` commit has a
commit-keyed entry for the same recipe and none of whose files touches the app's relevant paths,
that entry is re-keyed for the new commit instead of rendering. Otherwise one worker renders
(others wait for its entry) and stores it. Any error raises; nothing partial is returned.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from gitops.cache import ByteCache
from gitops.errors import GitError, RenderError, UnsafeSourceError
from gitops.keys import Keys
from gitops.settings import Settings
from gitops.source.content_keys import ContentKeys, PointerMemo
from gitops.source.credentials import RepoCredentials
from gitops.source.git_metrics import GitMetrics
from gitops.source.manifest_cache import (
    CachedManifests,
    ManifestCache,
    cache_digest,
    params_hash,
    relevant_paths,
    unaffected,
)
from gitops.source.render.dispatch import detect_tool, render_source, resolve_app_dir
from gitops.source.render.job import RenderJob, RenderSettings
from gitops.source.render.process import tool_versions
from gitops.source.render.recipe import recipe
from gitops.source.render.safety import check_symlinks
from gitops.source.repo_url import canonical
from gitops.source.service_types import (
    ChangedFiles,
    CredentialsPort,
    DesiredState,
    MirrorsPort,
    ResolverPort,
    failure,
    public_url,
)
from gitops.source.spec import AppContext, ApplicationSourceView, SourceSpec

__all__ = ["ChangedFiles", "CredentialsPort", "DesiredState", "MirrorsPort", "ResolverPort", "SourceService"]


@dataclass
class _Source:
    spec: SourceSpec
    sha: str
    creds: RepoCredentials | None
    root: Path | None = None


@dataclass
class _Tally:
    renders: int = 0
    hits: int = 0
    reused: int = 0
    types: list[str] = field(default_factory=list)


FAILED_RENDER_TTL_SECONDS = 60.0  # a failed render is remembered this long (per digest) unless forced


class SourceService:
    """Desired state of Applications, with renders shared through the manifest cache."""

    def __init__(
        self,
        resolver: ResolverPort,
        mirrors: MirrorsPort,
        cache: ByteCache,
        settings: Settings,
        *,
        credentials: CredentialsPort | None = None,
        metrics: GitMetrics | None = None,
        keys: Keys | None = None,
    ) -> None:
        self.resolver = resolver
        self.mirrors = mirrors
        self.credentials = credentials
        self.metrics = metrics or GitMetrics()
        self.render_settings = RenderSettings.from_settings(settings)
        self.manifests = ManifestCache(
            cache,
            settings.manifest_cache_hmac_key.get_secret_value().encode(),
            ttl_seconds=settings.manifest_cache_ttl_seconds,
            keys=keys or Keys(settings.redis_prefix),
            metrics=self.metrics,
        )
        self._tools: dict[str, str] | None = None
        self._checked_roots: set[str] = set()
        self._pointers = PointerMemo()
        self._locks = [threading.Lock() for _ in range(64)]  # striped: bounded, whatever the digests

    @property
    def tools(self) -> dict[str, str]:
        if self._tools is None:
            rs = self.render_settings
            self._tools = tool_versions(rs.helm_path, rs.kubectl_path, rs.kustomize_path)
        return self._tools

    def desired_state(
        self, app: ApplicationSourceView, force: bool = False, changed_files: ChangedFiles | None = None
    ) -> DesiredState:
        sources = []
        for spec in app.sources:
            creds = self.credentials.for_url(spec.repo_url) if self.credentials else None
            resolved = self.resolver.resolve(spec.repo_url, spec.target_revision, force=force, creds=creds)
            sources.append(_Source(spec, resolved.sha, creds))
        refs = {s.spec.ref: s for s in sources if s.spec.ref}
        tally, objects = _Tally(), []
        for source in sources:
            if source.spec.renders:
                objects.extend(self._objects(app, source, refs, force, changed_files, tally))
        if sum(1 for s in sources if s.spec.renders) > 1:
            self._check_combined(app, objects)
        return DesiredState(
            revisions=tuple(s.sha for s in sources),
            objects=objects,
            source_type=tally.types[0] if tally.types else "",
            source_types=tuple(tally.types),
            renders_performed=tally.renders,
            cache_hits=tally.hits,
            reused=tally.reused,
        )

    def _root(self, app: str, source: _Source) -> Path:
        if source.root is None:
            source.root = Path(self.mirrors.snapshot(source.spec.repo_url, source.sha, source.creds))
            key = os.path.realpath(source.root)
            if key not in self._checked_roots:
                check_symlinks(source.root, app=app)  # snapshots are immutable: once per process
                self._checked_roots.add(key)
        return source.root

    def _objects(
        self,
        app: ApplicationSourceView,
        source: _Source,
        refs: dict[str, _Source],
        force: bool,
        changed: ChangedFiles | None,
        tally: _Tally,
    ) -> list[dict[str, Any]]:
        spec = source.spec
        ctx = AppContext(
            app_name=app.name,
            app_namespace=app.namespace,
            destination_namespace=app.destination_namespace,
            revision=source.sha,
            repo_url=public_url(spec.repo_url),
            source_path=spec.path,
            target_revision=spec.target_revision,
            kube_version=app.kube_version,
            api_versions=app.api_versions,
        )
        used_refs = {
            v[1:].split("/", 1)[0] for v in (spec.helm.value_files if spec.helm else ()) if v.startswith("$")
        }
        ref_roots = {name: self._root(app.name, refs[name]) for name in used_refs if name in refs}
        job = RenderJob(app.name, self._root(app.name, source), spec, ctx, self.render_settings, ref_roots)
        tool = spec.explicit_tool or detect_tool(resolve_app_dir(job))
        ref_commits = {
            name: (canonical(refs[name].spec.repo_url), refs[name].sha) for name in used_refs if name in refs
        }
        params = params_hash(recipe(spec, tool, ctx, ref_commits))
        repo, path = canonical(spec.repo_url), os.path.normpath(spec.path or ".")

        def digest_for(commit: str) -> str:
            return cache_digest(repo=repo, commit=commit, path=path, params_hash=params, tools=self.tools)

        digest = digest_for(source.sha)
        keys = self._content_keys(app, source, tool, repo, path, params)
        entry = None if force else self._lookup(keys, digest, tally)
        if entry is None and not force and changed is not None:
            entry = self._reuse(app, spec, changed, digest_for, digest, source.sha, tally)
        if entry is None:
            entry = self._render_once(digest, keys, job, force, tally)
        if entry.error is not None:
            raise failure(entry.error, app.name)
        tally.types.append(entry.source_type)
        return entry.objects

    def _content_keys(
        self, app: ApplicationSourceView, source: _Source, tool: str, repo: str, path: str, params: str
    ) -> ContentKeys | None:
        """Content keys of the source, or None to key it by commit (no tree index, or a tool that
        may read what tree ids do not cover: kustomize with network access)."""
        tree_index = getattr(self.mirrors, "tree_index", None)
        if tree_index is None or (tool == "Kustomize" and self.render_settings.kustomize_allow_network):
            return None
        try:
            index = tree_index(source.spec.repo_url, source.sha)
        except GitError:
            return None
        return ContentKeys.build(self.manifests, index, repo=repo, path=path, params_hash=params,
                                 tools=self.tools, generate_paths=app.manifest_generate_paths,
                                 memo=self._pointers)  # fmt: skip

    def _lookup(self, keys: ContentKeys | None, digest: str, tally: _Tally) -> CachedManifests | None:
        """The cached entry by content, else by commit (commit-keyed renders and failures)."""
        content = keys.lookup() if keys is not None else None
        if content is not None and (entry := self._hit(content, tally)) is not None:
            return entry
        return self._hit(digest, tally)

    def _hit(self, digest: str, tally: _Tally) -> CachedManifests | None:
        entry = self.manifests.get(digest)
        if entry is not None:
            tally.hits += 1
            self.metrics.inc("manifest_cache_total", result="hit")
        return entry

    def _reuse(
        self,
        app: ApplicationSourceView,
        spec: SourceSpec,
        changed: ChangedFiles,
        digest_for: Any,
        digest: str,
        sha: str,
        tally: _Tally,
    ) -> CachedManifests | None:
        """Re-key the `before` commit's entry when the push touched nothing this app reads."""
        if changed.before == sha or canonical(changed.repo_url) != canonical(spec.repo_url):
            return None
        previous = self.manifests.get(digest_for(changed.before))
        if previous is None:
            return None
        relevant = relevant_paths(spec.path, app.manifest_generate_paths, previous.inputs)
        if not unaffected(changed.paths, relevant):
            return None
        self.manifests.put(digest, previous)
        tally.reused += 1
        self.metrics.inc("manifest_cache_total", result="reused")
        return previous

    def _local_lock(self, digest: str) -> threading.Lock:
        return self._locks[int(digest[:8], 16) % len(self._locks)]

    def _render_once(
        self, digest: str, keys: ContentKeys | None, job: RenderJob, force: bool, tally: _Tally
    ) -> CachedManifests:
        """Render, unless another thread or worker is already rendering the same digest."""
        with self._local_lock(digest):
            if not force and (entry := self._lookup(keys, digest, tally)) is not None:
                return entry
            timeout = self.render_settings.timeout_seconds
            deadline = time.monotonic() + timeout + 10
            locked = self.manifests.try_lock(digest, timeout + 10)
            while not locked and time.monotonic() < deadline:
                time.sleep(0.05)
                if (entry := self._lookup(keys, digest, tally)) is not None:
                    return entry
                locked = self.manifests.try_lock(digest, timeout + 10)
            try:
                self.metrics.inc("manifest_cache_total", result="miss")
                tally.renders += 1
                try:
                    output = render_source(job, symlinks_checked=True)
                except (RenderError, UnsafeSourceError) as exc:
                    self.metrics.inc("renders_failed_total")
                    failure = {
                        "class": type(exc).__name__,
                        "message": exc.message,
                        "target": exc.target or "",
                        "hint": exc.hint or "",
                    }
                    self.manifests.put_error(digest, failure, FAILED_RENDER_TTL_SECONDS)
                    raise
                self.metrics.inc("renders_total", tool=output.source_type)
                entry = CachedManifests(output.objects, output.source_type, output.inputs)
                if keys is None or not keys.store(entry):
                    self.manifests.put(digest, entry)
                return CachedManifests(
                    orjson.loads(orjson.dumps(entry.objects)), entry.source_type, entry.inputs
                )
            finally:
                if locked:
                    self.manifests.unlock(digest)

    def _check_combined(self, app: ApplicationSourceView, objects: Sequence[dict[str, Any]]) -> None:
        limits = self.render_settings.limits
        size = len(orjson.dumps(list(objects)))
        if len(objects) > limits.max_documents or size > limits.max_manifest_bytes:
            raise UnsafeSourceError(
                f"sources together render {len(objects)} documents, {size} bytes (caps {limits.max_documents}, {limits.max_manifest_bytes})",
                app=app.name,
                hint="split the app or raise BOSUN_MAX_DOCUMENTS / BOSUN_MAX_MANIFEST_BYTES",
            )
