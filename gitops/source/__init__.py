"""Source: from an Application's repoURL and targetRevision to files on disk, then to manifests.

Git half (this package's modules, each documents its interface):
- `repo_url`: normalise (matching), canonical identity and digest (caches), redact (errors, logs);
- `revisions`: `resolve_from_refs` (pure) and `RevisionResolver` (one ls-remote per repo per TTL,
  shared through `gitops.cache.ByteCache`);
- `semver_constraints`: Masterminds-style constraints over tags, as Argo CD;
- `git_remote`: `GitRunner` (every git command, credentials, timeouts, redacted errors), `GitRemote`;
- `mirrors`: bare mirror per repository, read-only snapshot per commit, eviction;
- `credentials`: repository / repo-creds Secrets and settings, handed to git without exposure;
- `git_metrics`: counters of git traffic;
- `git_setup`: `build_git_source(settings, cache, secrets)` wires all of the above from settings.
Rendering (spec, tools, manifest cache, safety) lives beside them.
"""
