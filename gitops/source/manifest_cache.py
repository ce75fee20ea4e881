"""The shared rendered-manifests cache: authenticated, compressed, keyed by what determines output.

Key: `Keys.manifests(digest)` with digest = sha256 over (canonical repo URL, commit, path, hash of
the effective render parameters, renderer versions). So N apps on one commit, path and
parameters share one entry, whichever worker rendered it.

Value: `BMC1` | HMAC-SHA256(key, `BMC1` | digest | body) | body, where body is zlib-compressed
JSON (objects, source type, repository inputs). The MAC covers the digest, so an entry cannot be
moved to another key either. Anything that fails to verify or decode is treated as a miss, logged
without its content, counted, and re-rendered (GHSA-9766-5277-j5hr: Redis writers cannot inject
manifests). An empty `manifest_cache_hmac_key` means a random per-process key: safe, but not
shared between processes (logged once as a warning). Content-key pointers (`content_keys`) are
entries of the same format under `Keys.manifest_inputs`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import zlib
from dataclasses import dataclass
from typing import Any

import orjson

from gitops.cache import ByteCache
from gitops.keys import Keys
from gitops.source.git_metrics import GitMetrics

log = logging.getLogger(__name__)
MAGIC = b"BMC1"
MAC_SIZE = 32
FORMAT_VERSION = 1
INPUTS_PREFIX = "inputs:"  # what the MAC of a content-key pointer covers besides its digest


@dataclass(frozen=True)
class CachedManifests:
    """One cache entry: a source's rendered objects and the repository paths its render read."""

    objects: list[dict[str, Any]]
    source_type: str
    inputs: frozenset[str]
    error: dict[str, str] | None = None  # a failed render: {"class", "message", "target", "hint"}


def cache_digest(*, repo: str, commit: str, path: str, params_hash: str, tools: dict[str, str]) -> str:
    """The cache identity of one render. `repo` must already be canonical and credential-free."""
    material = {
        "v": FORMAT_VERSION,
        "repo": repo,
        "commit": commit,
        "path": path,
        "params": params_hash,
        "tools": tools,
    }
    return hashlib.sha256(orjson.dumps(material, option=orjson.OPT_SORT_KEYS)).hexdigest()


def params_hash(recipe: dict[str, Any]) -> str:
    """Hash of the effective render parameters (spec fields after substitution, defaults applied)."""
    return hashlib.sha256(
        orjson.dumps(recipe, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    ).hexdigest()


class ManifestCache:
    """Authenticated rendered manifests in a shared ByteCache."""

    def __init__(
        self,
        cache: ByteCache,
        hmac_key: bytes,
        *,
        ttl_seconds: float = 86400,
        keys: Keys | None = None,
        metrics: GitMetrics | None = None,
    ) -> None:
        if not hmac_key:
            log.warning(
                "manifest cache: BOSUN_MANIFEST_CACHE_HMAC_KEY is empty; using a per-process key (entries not shared between processes)"
            )
            hmac_key = os.urandom(32)
        self._cache = cache
        self._key = hmac_key
        self._ttl = ttl_seconds
        self.keys = keys or Keys()
        self.metrics = metrics or GitMetrics()

    def _mac(self, digest: str, body: bytes) -> bytes:
        return hmac.new(self._key, MAGIC + digest.encode() + body, hashlib.sha256).digest()

    def encode(self, digest: str, entry: CachedManifests) -> bytes:
        payload = {
            "objects": entry.objects,
            "type": entry.source_type,
            "inputs": sorted(entry.inputs),
            "error": entry.error,
        }
        body = zlib.compress(orjson.dumps(payload), 6)
        return MAGIC + self._mac(digest, body) + body

    def decode(self, digest: str, value: bytes) -> CachedManifests | None:
        """The entry, or None when it is not authentic or not readable (never raises)."""
        if not value.startswith(MAGIC) or len(value) < len(MAGIC) + MAC_SIZE:
            return self._reject(digest, "unknown format")
        mac, body = value[len(MAGIC) : len(MAGIC) + MAC_SIZE], value[len(MAGIC) + MAC_SIZE :]
        if not hmac.compare_digest(mac, self._mac(digest, body)):
            return self._reject(digest, "HMAC mismatch (forged, corrupted, or written with another key)")
        try:
            payload = orjson.loads(zlib.decompress(body))
            return CachedManifests(
                objects=payload["objects"],
                source_type=str(payload["type"]),
                inputs=frozenset(payload["inputs"]),
                error=payload.get("error"),
            )
        except (zlib.error, orjson.JSONDecodeError, KeyError, TypeError):
            return self._reject(digest, "undecodable body")

    def _reject(self, digest: str, why: str) -> CachedManifests | None:
        log.warning("manifest cache: rejected entry %s: %s; re-rendering", digest[:16], why)
        self.metrics.inc("manifest_cache_total", result="rejected")
        return None

    def get(self, digest: str) -> CachedManifests | None:
        value = self._cache.get(self.keys.manifests(digest))
        return None if value is None else self.decode(digest, value)

    def put(self, digest: str, entry: CachedManifests) -> None:
        self._cache.set(self.keys.manifests(digest), self.encode(digest, entry), self._ttl)

    def get_inputs(self, pointer: str) -> CachedManifests | None:
        """A content-key pointer (`Keys.manifest_inputs`; its MAC is bound to that namespace)."""
        value = self._cache.get(self.keys.manifest_inputs(pointer))
        return None if value is None else self.decode(INPUTS_PREFIX + pointer, value)

    def put_inputs(self, pointer: str, entry: CachedManifests) -> None:
        value = self.encode(INPUTS_PREFIX + pointer, entry)
        self._cache.set(self.keys.manifest_inputs(pointer), value, self._ttl)

    def put_error(self, digest: str, error: dict[str, str], ttl_seconds: float) -> None:
        """Remember a failed render briefly, so N apps on a broken commit do not render it N times."""
        entry = CachedManifests([], "", frozenset(), error)
        self._cache.set(self.keys.manifests(digest), self.encode(digest, entry), min(ttl_seconds, self._ttl))

    def delete(self, digest: str) -> None:
        self._cache.delete(self.keys.manifests(digest))

    def try_lock(self, digest: str, seconds: float) -> bool:
        """Claim the right to render `digest` (other workers wait for the entry instead)."""
        return self._cache.add(self.keys.manifests_render_lock(digest), b"1", seconds)

    def unlock(self, digest: str) -> None:
        self._cache.delete(self.keys.manifests_render_lock(digest))


def _glob(pattern: str) -> re.Pattern[str]:
    """filepath.Match semantics (as Argo CD matches manifest-generate-paths): `*` stays in a segment."""
    out = []
    for part in re.split(r"(\*|\?|\[[^\]]*\])", pattern):
        if part == "*":
            out.append("[^/]*")
        elif part == "?":
            out.append("[^/]")
        elif part.startswith("[") and part.endswith("]") and len(part) > 2:
            out.append("[" + ("^" + part[2:-1] if part[1] in "!^" else part[1:-1]) + "]")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + r"(?:/.*)?\Z")


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.strip("/")
    if prefix in ("", "."):
        return True
    if any(char in prefix for char in "*?["):
        return _glob(prefix).match(path) is not None
    return path == prefix or path.startswith(prefix + "/")


def relevant_paths(app_path: str, generate_paths: tuple[str, ...], inputs: frozenset[str]) -> list[str]:
    """Repository paths whose change can change an app's manifests (Argo CD's manifest-generate-paths
    rule: entries relative to the app path, or absolute from the repository root with a leading /)."""
    base = os.path.normpath(app_path or ".")
    paths = [base]
    for entry in generate_paths:
        if entry.startswith("/"):
            paths.append(os.path.normpath(entry.lstrip("/") or "."))
        else:
            paths.append(os.path.normpath(os.path.join(base, entry)))
    return paths + sorted(inputs)


def unaffected(changed: tuple[str, ...], relevant: list[str]) -> bool:
    """True when no changed file is under any relevant path (a path outside the repo counts as root)."""
    if not changed:
        return False  # an empty list says nothing about what changed
    for file in changed:
        clean = os.path.normpath(file.strip("/"))
        for prefix in relevant:
            if prefix.startswith("..") or _under(clean, prefix):
                return False
    return True
