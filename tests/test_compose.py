"""docker-compose.yml, checked without a container engine: every Bosun service's command parses with the
`bosun` CLI's own argparse parser, every BOSUN_* variable it passes is a field of gitops.settings.Settings,
Redis keeps an append-only file and requires a password, Flower requires basic auth and listens where
its published port reaches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bosun.cli import build_parser
from gitops.settings import Settings

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
SETTINGS = {f"BOSUN_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    document = yaml.safe_load(COMPOSE.read_text())  # resolves the x-bosun anchor and `<<:` merges
    return dict(document["services"])


def bosun_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if s.get("command", [None])[0] == "bosun"}


def test_every_role_runs_the_bosun_cli(services: dict[str, dict[str, Any]]) -> None:
    assert set(bosun_services(services)) == {"server", "worker", "beat", "flower"}


def test_every_command_parses_with_the_cli_parser(services: dict[str, dict[str, Any]]) -> None:
    parser = build_parser()
    for name, service in bosun_services(services).items():
        try:
            args = parser.parse_args(service["command"][1:])
        except SystemExit:
            pytest.fail(f"service {name}: `{' '.join(service['command'])}` is not a valid bosun command")
        assert args.command == service["command"][1], name


def test_every_bosun_variable_is_a_setting(services: dict[str, dict[str, Any]]) -> None:
    for name, service in bosun_services(services).items():
        environment = service.get("environment") or {}
        keys = environment if isinstance(environment, dict) else [e.split("=", 1)[0] for e in environment]
        passed = {k for k in keys if k.startswith("BOSUN_")}
        assert passed, f"service {name} passes no settings"
        assert passed <= SETTINGS, f"service {name}: not settings: {sorted(passed - SETTINGS)}"


def test_redis_keeps_an_append_only_file_and_requires_a_password(services: dict[str, dict[str, Any]]) -> None:
    redis = services["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert ":?" in command[command.index("--requirepass") + 1]  # compose refuses to start without one
    assert any(v.endswith(":/data") for v in redis["volumes"]), "the AOF must live on a volume"
    assert "healthcheck" in redis
    for name, service in bosun_services(services).items():
        url = service["environment"]["BOSUN_REDIS_URL"]
        assert url.startswith("redis://:${BOSUN_REDIS_PASSWORD") and url.endswith("@redis:6379/0"), name


def test_flower_requires_basic_auth_and_listens_on_all_interfaces(
    services: dict[str, dict[str, Any]],
) -> None:
    flower = services["flower"]
    args = build_parser().parse_args(flower["command"][1:])
    assert args.no_auth is False
    assert args.address == "0.0.0.0", "inside a container Flower must bind 0.0.0.0 for its published port"
    password = flower["environment"]["BOSUN_FLOWER_PASSWORD"]
    assert password.startswith("${BOSUN_FLOWER_PASSWORD:?"), "compose must refuse to start Flower without one"
    assert flower["environment"]["BOSUN_FLOWER_USER"]
    assert str(args.port) in flower["ports"][0].split(":")[-1]


def test_server_is_health_checked_and_workers_scale(services: dict[str, dict[str, Any]]) -> None:
    server = services["server"]
    args = build_parser().parse_args(server["command"][1:])
    assert args.host == "0.0.0.0" and "/healthz" in " ".join(server["healthcheck"]["test"])
    worker = services["worker"]
    assert "ports" not in worker and "container_name" not in worker, "`--scale worker=N` needs neither"
    assert set(build_parser().parse_args(worker["command"][1:]).queues.split(",")) == {"refresh", "sync"}
