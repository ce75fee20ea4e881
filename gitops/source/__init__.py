"""Source: from an Application's repoURL and targetRevision to files on disk, then to manifests.

Git half (this package's modules, each documents its interface):
- `repo_url`: normalise (matching), canonical identity and digest (caches), redact (errors, logs);
- `ref_resolution`: `resolve_from_refs` (pure: targetRevision -> commit, given the refs);
- `revisions`: `RevisionResolver` (one ls-remote per repo per TTL, shared through
  `gitops.cache.ByteCache`), re-exporting `ref_resolution`'s names;
- `semver_constraints`: Masterminds-style constraints over tags, as Argo CD;
- `git_remote`: `GitRunner` (every git command, credentials, timeouts, redacted errors), `GitRemote`;
- `mirrors`: bare mirror per repository, read-only snapshot per commit; `mirror_eviction` and
  `cache_files` (locks, read-only trees) beside it;
- `credentials`: repository / repo-creds Secrets and settings, matched to repository URLs;
- `git_auth`: the environment handing credentials to one git command without exposing them;
- `git_metrics`: counters of git traffic;
- `git_setup`: `build_git_source(settings, cache, secrets)` wires all of the above from settings.
Rendering (spec, tools, manifest cache, safety) lives beside them.
"""
