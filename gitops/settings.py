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
    redis_url: SecretStr = Field(SecretStr("redis://127.0.0.1:6379/0"), description="Redis URL (redis:// or rediss://)")
    redis_prefix: str = Field("bosun", description="Prefix of every Redis key Bosun writes")
    namespace: str = Field("bosun", description="Management namespace holding Applications, AppProjects and Secrets")
    kubeconfig: str | None = Field(None, description="Kubeconfig path of the management cluster (default: standard lookup)")
    kube_context: str | None = Field(None, description="Kubeconfig context of the management cluster")

    # Source
    git_cache_dir: Path = Field(Path.home() / ".cache" / "bosun" / "git", description="Bare mirrors and snapshots")
    revision_cache_seconds: int = Field(180, ge=0, description="How long a resolved (repo, ref) is cached; 0 disables")
    manifest_cache_hmac_key: SecretStr = Field(SecretStr(""), description="HMAC key authenticating manifest cache entries")
    manifest_cache_ttl_seconds: int = Field(86400, ge=0, description="Lifetime of a rendered-manifests cache entry")
    render_timeout_seconds: float = Field(90.0, gt=0, description="Renderer (helm, kustomize, jsonnet) time limit")
    max_manifest_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Cap on an app's combined manifests")
    max_documents: int = Field(5000, gt=0, description="Cap on the number of documents an app renders")
    helm_path: str = Field("helm", description="helm binary")
    kubectl_path: str = Field("kubectl", description="kubectl binary (used for `kubectl kustomize`)")
    kustomize_path: str | None = Field(None, description="kustomize binary; unset means `kubectl kustomize`")
    kustomize_allow_network: bool = Field(False, description="Allow kustomizations to load remote bases")

    # Reconcile
    sync_timeout_seconds: int = Field(600, gt=0, description="Operation timeout; a sync past it is terminated")
    field_manager: str = Field("bosun", description="Field manager name for server-side apply")
    tracking_annotation: str = Field("bosun.dev/tracking-id", description="Annotation that records ownership")

    # Scheduling
    refresh_interval_seconds: int = Field(120, gt=0, description="Refresh period of every app")
    refresh_jitter_seconds: int = Field(60, ge=0, description="Up to this much random delay added per app")

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
