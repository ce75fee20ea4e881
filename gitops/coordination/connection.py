"""Builds the Redis client every Bosun process uses, from settings: AUTH and TLS (`rediss://`) included.

The URL carries the password; it is read from a secret setting and never logged or put in an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis

from gitops.errors import ConfigError
from gitops.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    """A Redis client (connection-pooled, thread-safe, str responses) for `settings.redis_url`."""
    url = settings.redis_url.get_secret_value()
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"unsupported Redis URL scheme {scheme!r}",
            target="BOSUN_REDIS_URL",
            hint="use redis://[:password@]host:port/db or rediss:// for TLS",
        )
    options: dict[str, Any] = {"decode_responses": True, "health_check_interval": 30, "socket_timeout": 30}
    if scheme == "rediss" and settings.redis_ca_file:
        if not Path(settings.redis_ca_file).is_file():
            raise ConfigError(
                "CA file not found",
                target=f"BOSUN_REDIS_CA_FILE={settings.redis_ca_file}",
                hint="point it at a PEM bundle",
            )
        options["ssl_ca_certs"] = settings.redis_ca_file
    return redis.Redis.from_url(url, **options)
