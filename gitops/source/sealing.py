"""HMAC-SHA256 sealing of revision-cache entries, bound to their Redis key (`<64 hex mac><payload>`),
so a process that can write to Redis cannot point an app at another commit. No key: no seal."""

from __future__ import annotations

import hashlib
import hmac


def _mac(secret: bytes, key: str, payload: bytes) -> bytes:
    return hmac.new(secret, key.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()


def seal(secret: bytes, key: str, payload: bytes) -> bytes:
    return _mac(secret, key, payload) + payload if secret else payload


def unseal(secret: bytes, key: str, data: bytes) -> bytes | None:
    """The payload, or None when the seal does not hold (always the data itself without a secret)."""
    if not secret:
        return data
    mac, payload = data[:64], data[64:]
    return payload if hmac.compare_digest(mac, _mac(secret, key, payload)) else None
