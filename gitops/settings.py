"""Bosun's one settings class: every knob, read from environment variables prefixed `BOSUN_`.

Documented field by field in docs/configuration.md; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All of Bosun's configuration. Environment: `BOSUN_<FIELD>` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="BOSUN_", extra="ignore")

    # Where state lives
    redis_url: SecretStr = Field(
        SecretStr("redis://127.0.0.1:6379/0"), description="Redis URL (redis:// or rediss://)"
    )
    redis_prefix: str = Field("bosun", description="Prefix of every Redis key Bosun writes")
    namespace: str = Field(
        "bosun", description="Management namespace holding Applications, AppProjects and Secrets"
    )
    kubeconfig: str | None = Field(
        None, description="Kubeconfig path of the management cluster (default: standard lookup)"
    )
    kube_context: str | None = Field(None, description="Kubeconfig context of the management cluster")

    # Source
    git_cache_dir: Path = Field(
        Path.home() / ".cache" / "bosun" / "git", description="Bare mirrors and snapshots"
    )
    revision_cache_seconds: int = Field(
        180, ge=0, description="How long a resolved (repo, ref) is cached; 0 disables"
    )
    git_timeout_seconds: float = Field(
        90.0, gt=0, description="Time limit of one git command (ls-remote, fetch)"
    )
    git_cache_max_bytes: int = Field(
        10 * 1024**3,
        gt=0,
        description="Mirrors and snapshots above this size are evicted, least recently used first",
    )
    git_cache_max_age_seconds: int = Field(
        7 * 86400, gt=0, description="Mirrors and snapshots unused for this long are evicted"
    )
    git_credentials: SecretStr = Field(
        SecretStr(""),
        description="JSON list of git credentials ({url, username, password, sshPrivateKey, kind})",
    )
    ssh_known_hosts_file: str | None = Field(None, description="known_hosts file for SSH repositories")
    manifest_cache_hmac_key: SecretStr = Field(
        SecretStr(""), description="HMAC key authenticating manifest cache entries"
    )
    manifest_cache_ttl_seconds: int = Field(
        86400, ge=0, description="Lifetime of a rendered-manifests cache entry"
    )
    render_timeout_seconds: float = Field(
        90.0, gt=0, description="Renderer (helm, kustomize, jsonnet) time limit"
    )
    render_memory_bytes: int = Field(
        1 << 30, ge=0, description="Address-space cap (RLIMIT_AS) of each renderer subprocess; 0 = unlimited"
    )
    max_manifest_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Cap on an app's combined manifests")
    max_documents: int = Field(5000, gt=0, description="Cap on the number of documents an app renders")
    helm_path: str = Field("helm", description="helm binary")
    kubectl_path: str = Field("kubectl", description="kubectl binary (used for `kubectl kustomize`)")
    kustomize_path: str | None = Field(None, description="kustomize binary; unset means `kubectl kustomize`")
    kustomize_allow_network: bool = Field(False, description="Allow kustomizations to load remote bases")

    # Reconcile
    sync_timeout_seconds: int = Field(
        600, gt=0, description="Operation timeout; a sync past it is terminated"
    )
    field_manager: str = Field("bosun", description="Field manager name for server-side apply")
    tracking_annotation: str = Field("bosun.dev/tracking-id", description="Annotation that records ownership")
    cluster_qps: float = Field(
        50.0, gt=0, description="Requests per second one worker process sends to one cluster"
    )
    cluster_burst: int = Field(100, ge=1, description="Requests one worker may send to a cluster in a burst")
    cluster_request_timeout_seconds: float = Field(
        30.0, gt=0, description="Time limit of one request to a registered cluster (connect: at most 5 s)"
    )

    # Scheduling
    refresh_interval_seconds: int = Field(120, gt=0, description="Refresh period of every app")
    refresh_jitter_seconds: int = Field(60, ge=0, description="Up to this much random delay added per app")
    tick_seconds: float = Field(
        5.0, gt=0, description="How often the beat's tick task looks for apps due a refresh"
    )
    appset_poll_seconds: int = Field(
        180, gt=0, description="ApplicationSets are regenerated at least this often (git generators poll)"
    )
    lock_ttl_seconds: float = Field(
        30.0, gt=0, description="App lock lifetime; renewed every third of it while a worker works"
    )
    refresh_pending_ttl_seconds: int = Field(
        600, gt=0, description="A queued refresh marker expires after this (lost message)"
    )
    events_max_len: int = Field(1000, gt=0, description="Entries kept in each app's event log")
    task_events: bool = Field(
        False, description="Send Celery task events (for Flower; `bosun flower` also enables them at runtime)"
    )
    task_soft_time_limit_seconds: int = Field(300, gt=0, description="Soft time limit of a worker task")
    task_time_limit_seconds: int = Field(
        360, gt=0, description="Hard time limit of a worker task (worker child killed)"
    )
    broker_visibility_timeout_seconds: int = Field(
        420, gt=0, description="Unacknowledged task redelivered after this (> hard limit)"
    )
    task_max_deliveries: int = Field(
        3, gt=0, description="A task delivered more often than this is dropped (poison message)"
    )
    sync_step_countdown_seconds: float = Field(
        2.0, ge=0, description="Delay before the next step of a running sync"
    )
    redis_ca_file: str | None = Field(
        None, description="CA bundle for rediss:// (default: system trust store)"
    )

    # Webhooks
    webhook_github_secret: SecretStr = Field(
        SecretStr(""), description="GitHub webhook secret (HMAC-SHA256); empty = unsigned accepted"
    )
    webhook_gitlab_secret: SecretStr = Field(
        SecretStr(""), description="GitLab webhook token (X-Gitlab-Token)"
    )
    webhook_gitea_secret: SecretStr = Field(SecretStr(""), description="Gitea webhook secret (HMAC-SHA256)")
    webhook_gogs_secret: SecretStr = Field(SecretStr(""), description="Gogs webhook secret (HMAC-SHA256)")
    webhook_bitbucket_uuid: SecretStr = Field(
        SecretStr(""), description="Bitbucket Cloud webhook UUID (X-Hook-UUID)"
    )
    webhook_bitbucketserver_secret: SecretStr = Field(
        SecretStr(""), description="Bitbucket Server webhook secret (HMAC-SHA256)"
    )
    webhook_max_payload_bytes: int = Field(
        25 * 1024 * 1024, gt=0, description="Webhook bodies above this get 413"
    )
    webhook_dedupe_seconds: int = Field(
        86400, gt=0, description="How long a webhook delivery id is remembered"
    )
    webhook_max_queue_depth: int = Field(
        10000,
        ge=0,
        description="Webhooks get 503 + Retry-After while the refresh queue is longer; 0 = no bound",
    )

    # API
    api_url: str = Field("http://127.0.0.1:8080", description="Where the CLI finds the API server")
    api_token: SecretStr = Field(SecretStr(""), description="Token the CLI sends")
    api_read_token: SecretStr = Field(SecretStr(""), description="Token accepted for reads")
    api_write_token: SecretStr = Field(SecretStr(""), description="Token accepted for reads and writes")
    api_host: str = Field("127.0.0.1", description="API server bind address")
    api_port: int = Field(8080, description="API server port")

    # Flower
    flower_user: str = Field("admin", description="Flower basic-auth user")
    flower_password: SecretStr = Field(SecretStr(""), description="Flower basic-auth password (required)")

    log_level: str = Field("INFO", description="Log level of every Bosun process")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
