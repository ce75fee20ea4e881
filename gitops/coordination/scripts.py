"""Loads the Lua scripts that live beside the coordination modules and binds them to a client."""

from __future__ import annotations

from pathlib import Path

import redis
from redis.commands.core import Script

HERE = Path(__file__).resolve().parent


def load_script(client: redis.Redis, name: str) -> Script:
    """The script `<name>.lua` from this package, registered on `client` (EVALSHA with EVAL fallback)."""
    return client.register_script((HERE / f"{name}.lua").read_text())
