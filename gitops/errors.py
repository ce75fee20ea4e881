"""Bosun's one exception tree. Every error a user sees names the app, the file or resource, and a fix.

BosunError
├── ConfigError            settings or CLI input that cannot work
├── SpecError              an Application/AppProject spec is invalid (InvalidSpecError condition)
├── SourceError            anything between the repo URL and rendered manifests (ComparisonError)
│   ├── GitError           ls-remote / fetch / checkout failed
│   │   ├── GitAuthError           credentials refused or missing
│   │   └── RevisionNotFoundError  targetRevision matches nothing
│   ├── RenderError        helm, kustomize, jsonnet or directory rendering failed
│   └── UnsafeSourceError  the repository tried to escape or exhaust limits
├── ClusterError           the destination cluster answered with an error or is unreachable
├── SyncError              a sync operation failed or was refused
└── LockLostError          a worker lost its app lock; its writes are fenced off

Messages never contain secrets: use `gitops.redact` helpers on anything that might carry one.
"""

from __future__ import annotations


class BosunError(Exception):
    """Base of every Bosun error: a message, plus what it concerns and what to do."""

    def __init__(
        self,
        message: str,
        *,
        app: str | None = None,
        target: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.app = app
        self.target = target
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        parts = []
        if self.app:
            parts.append(f"app {self.app!r}")
        if self.target:
            parts.append(self.target)
        where = ": ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(BosunError):
    """Settings or command-line input that cannot work."""


class SpecError(BosunError):
    """An Application or AppProject spec is invalid; surfaces as InvalidSpecError."""


class SourceError(BosunError):
    """Fetching or rendering the desired state failed; surfaces as ComparisonError."""


class GitError(SourceError):
    """A git operation (ls-remote, fetch, checkout) failed."""


class GitAuthError(GitError):
    """The git server refused the credentials, or asked for some and none were configured."""


class RevisionNotFoundError(GitError):
    """targetRevision names no branch, tag, ref or commit of the repository."""


class RenderError(SourceError):
    """A renderer (directory, helm, kustomize, jsonnet) failed or timed out."""


class UnsafeSourceError(SourceError):
    """The repository tried to escape its root or to exhaust a limit."""


class ClusterError(BosunError):
    """The destination cluster answered with an error or could not be reached.

    `code` is the HTTP status (None when unreachable), `reason` the API Status reason (NotFound,
    Conflict, AlreadyExists, Invalid, TooManyRequests...), `retry_after` the seconds a 429/503 asked for.
    """

    def __init__(
        self,
        message: str,
        *,
        app: str | None = None,
        target: str | None = None,
        hint: str | None = None,
        code: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(message, app=app, target=target, hint=hint)


class SyncError(BosunError):
    """A sync operation failed or was refused."""


class LockLostError(BosunError):
    """This worker no longer holds the app lock; its writes are rejected by the fencing number."""


class WebhookError(BosunError):
    """A webhook delivery was refused; nothing was enqueued."""


class WebhookAuthError(WebhookError):
    """The delivery's signature or token is missing, malformed or wrong (HTTP 401)."""


class WebhookPayloadError(WebhookError):
    """The delivery's body or headers cannot be read (HTTP 400)."""


class WebhookTooLargeError(WebhookError):
    """The delivery's body exceeds the configured cap (HTTP 413)."""


class ApiError(BosunError):
    """The Bosun API refused a CLI request or could not be reached; `status` is the HTTP code (None
    when there was no answer)."""

    def __init__(
        self,
        message: str,
        *,
        app: str | None = None,
        target: str | None = None,
        hint: str | None = None,
        status: int | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, app=app, target=target, hint=hint)


class DemoError(BosunError):
    """`bosun.demo`: a part of the local stack failed to start, or the apps did not converge in time."""
