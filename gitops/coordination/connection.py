"""Builds the Redis client every Bosun process uses, from settings: AUTH and TLS (`rediss://`) included.

The URL carries the password; it is read from a secret setting and never logged or put in an error.
Over TLS the server's certificate is verified (hostname included) against `BOSUN_REDIS_CA_FILE`, or the
system trust store when unset; a handshake that fails raises `RedisTLSError` (a `ConfigError` that is
also a `redis.ConnectionError`, so retry paths keep working) naming the URL without its password and
what to fix. `redis_client(settings, decode_responses=False)` gives the binary client of the caches.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis

from gitops.errors import ConfigError
from gitops.settings import Settings


class RedisTLSError(ConfigError, redis.ConnectionError):
    """The TLS handshake with Redis failed (certificate not trusted, or no TLS on that port)."""


def public_redis_url(url: str) -> str:
    """`url` without userinfo (user and password) or query (which may carry a password), for messages."""
    try:
        split = urlsplit(url)
        netloc = split.netloc.rpartition("@")[2]
        return split._replace(netloc=netloc, query="", fragment="").geturl()
    except ValueError:
        return url.split("://", 1)[0] + "://(unparseable URL)"


class _TLSConnection(redis.SSLConnection):
    """redis-py's TLS connection, turning handshake failures into a `RedisTLSError` with a fix."""

    bosun_url: str = ""
    bosun_ca_file: str | None = None

    def _connect(self) -> Any:
        try:
            return super()._connect()
        except ssl.SSLCertVerificationError as exc:
            trust = (
                f"BOSUN_REDIS_CA_FILE={self.bosun_ca_file}"
                if self.bosun_ca_file
                else "the system trust store"
            )
            raise RedisTLSError(
                f"the server's TLS certificate is not trusted ({exc.verify_message}; checked against {trust})",
                target=f"Redis {self.bosun_url}",
                hint="set BOSUN_REDIS_CA_FILE to the PEM bundle of the CA that signed the server's certificate, "
                "and make sure the certificate names the host of BOSUN_REDIS_URL",
            ) from None
        except ssl.SSLError as exc:
            raise RedisTLSError(
                f"TLS handshake failed ({exc.reason or type(exc).__name__})",
                target=f"Redis {self.bosun_url}",
                hint="check that the server serves TLS on this port (rediss://) or use redis:// for a plain port",
            ) from None


def redis_client(settings: Settings, *, decode_responses: bool = True) -> redis.Redis:
    """A Redis client (connection-pooled, thread-safe) for `settings.redis_url`: str responses, or bytes
    with `decode_responses=False` (caches)."""
    url = settings.redis_url.get_secret_value()
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"unsupported Redis URL scheme {scheme!r}",
            target="BOSUN_REDIS_URL",
            hint="use redis://[:password@]host:port/db or rediss:// for TLS",
        )
    options: dict[str, Any] = {
        "decode_responses": decode_responses,
        "health_check_interval": 30,
        "socket_timeout": 30,
    }
    if scheme == "rediss":
        if settings.redis_ca_file:
            if not Path(settings.redis_ca_file).is_file():
                raise ConfigError(
                    "CA file not found",
                    target=f"BOSUN_REDIS_CA_FILE={settings.redis_ca_file}",
                    hint="point it at a PEM bundle",
                )
            options["ssl_ca_certs"] = settings.redis_ca_file
        connection = type(
            "BosunTLSConnection",
            (_TLSConnection,),
            {"bosun_url": public_redis_url(url), "bosun_ca_file": settings.redis_ca_file},
        )
        options["connection_class"] = connection
    return redis.Redis.from_url(url, **options)
