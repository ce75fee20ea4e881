"""Running git against remote repositories: `GitRunner` (every git command) and `GitRemote` (ls-remote).

`GitRunner(timeout_seconds=90, known_hosts_file=None).run(args, repo_url=, creds=, action=, cwd=)`
runs `git ARGS` through GitPython with the credential environment of `git_auth.git_auth_env`
(no secret in argv or URLs), kills it past the timeout, and turns a failure into a `GitError`
(`GitAuthError` for refused or missing credentials; an unknown or changed SSH host key names
`BOSUN_SSH_KNOWN_HOSTS_FILE`) whose message names the repository (redacted) and says what to do.
Every message passes through `redact()` with the credentials' secrets.

`GitRemote(runner).ls_remote(repo_url, creds) -> {ref: sha | "ref: target"}` implements
`revisions.LsRemotePort` with one `git ls-remote --symref URL`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import git

from gitops.errors import GitAuthError, GitError
from gitops.source.credentials import RepoCredentials, with_url_credentials
from gitops.source.git_auth import git_auth_env
from gitops.source.repo_url import redact, validate

log = logging.getLogger(__name__)

_AUTH_MARKERS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "invalid username or password",
    "http basic: access denied",
    "403",
)
_HOST_KEY_MARKERS = ("host key verification failed", "remote host identification has changed")
_NOT_FOUND_MARKERS = (
    "not found",
    "does not appear to be a git repository",
    "no such repository",
    "not exported",
)
_UNREACHABLE_MARKERS = (
    "could not resolve host",
    "connection refused",
    "failed to connect",
    "couldn't connect",
    "unable to connect",
    "network is unreachable",
    "connection timed out",
    "unable to access",
)


class GitRunner:
    """Runs one git command at a time for a repository, with credentials and a time limit."""

    def __init__(self, timeout_seconds: float = 90.0, known_hosts_file: str | None = None) -> None:
        self.timeout_seconds = timeout_seconds
        self.known_hosts_file = known_hosts_file

    def run(
        self,
        args: list[str],
        *,
        repo_url: str,
        creds: RepoCredentials | None,
        action: str,
        cwd: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        quiet: bool = False,
    ) -> str:
        """stdout of `git ARGS`; GitError (redacted, naming `repo_url` and a fix) on failure.

        Failures are logged (redacted) unless `quiet` (probes whose failure is an answer)."""
        secrets = creds.secrets() if creds else ()
        log.debug("running %s for %s", action, redact(repo_url, secrets))
        with git_auth_env(creds, self.known_hosts_file) as env:
            if extra_env:
                env.update(extra_env)
            try:
                out = git.cmd.Git(str(cwd) if cwd else None).execute(
                    ["git", *args],
                    env=env,
                    kill_after_timeout=self.timeout_seconds,
                    with_extended_output=True,
                    stdout_as_string=True,
                )
            except git.exc.GitCommandError as exc:
                error = self._error(exc, repo_url, action, secrets)
                if not quiet:
                    log.warning("%s", error)
                raise error from None
            except git.exc.GitCommandNotFound:
                raise GitError(
                    "the git binary was not found",
                    target=redact(repo_url, secrets),
                    hint="install git on PATH",
                ) from None
        _status, stdout, _stderr = out
        return str(stdout)

    def _error(
        self, exc: git.exc.GitCommandError, repo_url: str, action: str, secrets: tuple[str, ...]
    ) -> GitError:
        stderr = (
            exc.stderr if isinstance(exc.stderr, str) else bytes(exc.stderr or b"").decode(errors="replace")
        )
        detail = redact(" ".join(stderr.split()).replace("stderr: ", "").strip(" '"), secrets)[:600]
        target = f"repository {redact(repo_url, secrets)}"
        lowered = detail.lower()
        if "timeout:" in lowered and "did not complete" in lowered:
            return GitError(
                f"{action} timed out after {self.timeout_seconds:g}s",
                target=target,
                hint="check that the git server is reachable and responsive, or raise BOSUN_GIT_TIMEOUT_SECONDS",
            )
        if any(marker in lowered for marker in _HOST_KEY_MARKERS):
            known = (
                f"BOSUN_SSH_KNOWN_HOSTS_FILE={self.known_hosts_file}"
                if self.known_hosts_file
                else ("BOSUN_SSH_KNOWN_HOSTS_FILE (unset)")
            )
            return GitError(
                f"{action} failed: the SSH server's host key is not in the known hosts or has changed ({detail})",
                target=target,
                hint=f'add the server\'s host key (ssh-keyscan) to {known}, or set insecure: "true" in the '
                "repository Secret to skip host key checking",
            )
        if any(marker in lowered for marker in _AUTH_MARKERS):
            return GitAuthError(
                f"{action} was refused: authentication failed or is required ({detail})",
                target=target,
                hint="check the repository URL and the credentials of its repository or repo-creds Secret",
            )
        if any(marker in lowered for marker in _UNREACHABLE_MARKERS):
            return GitError(
                f"{action} failed: server unreachable ({detail})",
                target=target,
                hint="check the repository URL, DNS and network access from the workers",
            )
        if any(marker in lowered for marker in _NOT_FOUND_MARKERS):
            return GitError(
                f"{action} failed: repository not found ({detail})",
                target=target,
                hint="check the repository URL and that the credentials can read it",
            )
        return GitError(
            f"{action} failed ({detail})", target=target, hint="check the repository URL and credentials"
        )


def parse_ls_remote(output: str) -> dict[str, str]:
    """`git ls-remote --symref` output as `{ref: sha}`, symbolic refs as `{ref: "ref: target"}`."""
    refs: dict[str, str] = {}
    for line in output.splitlines():
        if "\t" not in line:
            continue
        left, name = line.split("\t", 1)
        name = name.strip()
        if left.startswith("ref: "):
            refs[name] = "ref: " + left[len("ref: ") :].strip()
        elif not refs.get(name, "").startswith("ref: "):
            refs[name] = left.strip().lower()
    return refs


class GitRemote:
    """`LsRemotePort` on real git servers."""

    def __init__(self, runner: GitRunner | None = None) -> None:
        self.runner = runner or GitRunner()

    def ls_remote(self, repo_url: str, creds: RepoCredentials | None = None) -> dict[str, str]:
        url, creds = with_url_credentials(validate(repo_url), creds)
        output = self.runner.run(
            ["ls-remote", "--symref", url], repo_url=url, creds=creds, action="git ls-remote"
        )
        return parse_ls_remote(output)
