"""Opaque `continue` tokens for paginated lists (the key of the last object served)."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from kubesim.errors import bad_request
from kubesim.store import object_key

Obj = dict[str, Any]


def continue_key(obj: Obj) -> str:
    md = obj["metadata"]
    return object_key(md.get("namespace"), md["name"])


def encode_continue(key: str, rv: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": key})).decode()


def decode_continue(token: str) -> str:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
        return str(data["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        ) from exc
