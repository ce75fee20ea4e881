"""Renderer memory cap: RLIMIT_AS set in the child before exec; a refused allocation is a RenderError
naming the app, the tool and the setting to raise; 0 means no cap."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gitops.errors import RenderError
from gitops.settings import Settings
from gitops.source.render.job import RenderSettings
from gitops.source.render.process import memory_limiter, run_tool

MIB = 1024 * 1024


def _python(code: str, tmp_path: Path, memory_bytes: int) -> bytes:
    return run_tool(
        [sys.executable, "-I", "-c", code], app="big", target="main.jsonnet", cwd=tmp_path, timeout=30,
        max_output_bytes=1000, name="jsonnet", memory_bytes=memory_bytes,
    )  # fmt: skip


def test_allocation_past_the_cap_is_reported(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as info:
        _python("b = bytearray(400 * 1024 * 1024); print(len(b))", tmp_path, 192 * MIB)
    message = str(info.value)
    assert "app 'big'" in message and "main.jsonnet" in message
    assert "jsonnet exceeded the memory limit of 192 MiB" in message
    assert "raise BOSUN_RENDER_MEMORY_BYTES" in message


def test_under_the_cap_runs_and_zero_means_no_cap(tmp_path: Path) -> None:
    assert (
        _python("b = bytearray(20 * 1024 * 1024); print(len(b))", tmp_path, 192 * MIB).strip() == b"20971520"
    )
    assert memory_limiter(0) is None
    assert _python("print('ok')", tmp_path, 0).strip() == b"ok"


def test_an_ordinary_failure_is_not_called_out_of_memory(tmp_path: Path) -> None:
    with pytest.raises(RenderError) as info:
        _python("import sys; sys.exit('bad input')", tmp_path, 192 * MIB)
    assert "memory" not in str(info.value) and "bad input" in str(info.value)


def test_setting_reaches_the_renderers() -> None:
    assert Settings().render_memory_bytes == 1 << 30
    assert RenderSettings.from_settings(Settings(render_memory_bytes=5 * MIB)).memory_bytes == 5 * MIB
