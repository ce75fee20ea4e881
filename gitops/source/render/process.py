"""Running renderer binaries (helm, kubectl kustomize, jsonnet worker) as untrusted subprocesses.

Each run gets its own process group (a timeout kills the whole group), a minimal environment
(nothing inherited: no cloud or Redis credentials leak into a chart's reach), HOME in a fresh temp
dir, a cap on its output, a cap on its address space (`memory_bytes`, RLIMIT_AS set in the child
before exec; 0 = none), and its stderr (credential-free) in the error it raises.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from gitops.errors import RenderError
from gitops.source.repo_url import redact

STDERR_KEEP = 4000
MIB = 1024 * 1024
# How renderers die when an allocation fails under RLIMIT_AS: Go's runtime, C++ (jsonnet), Python.
_OUT_OF_MEMORY = re.compile(
    r"out of memory|cannot allocate memory|std::bad_alloc|MemoryError|memory allocation (?:failed|error)"
    r"|failed to reserve|mmap.*errno=12",
    re.IGNORECASE,
)


def memory_limiter(memory_bytes: int) -> Callable[[], None] | None:
    """The preexec_fn capping a child's address space at `memory_bytes` (None when 0: no cap)."""
    if memory_bytes <= 0:
        return None

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return limit


def ran_out_of_memory(returncode: int, stderr: str) -> bool:
    """Whether a failed renderer ended on a refused allocation (message, or killed by SIGSEGV/SIGABRT)."""
    return returncode != 0 and (
        bool(_OUT_OF_MEMORY.search(stderr)) or returncode in (-signal.SIGSEGV, -signal.SIGABRT)
    )


def redact_text(text: str) -> str:
    """Strip credentials (URL userinfo, token parameters, auth headers) from `text`."""
    return redact(text)


def minimal_env(home: str, extra: Mapping[str, str], tool_dirs: Sequence[str] = ()) -> dict[str, str]:
    """The whole environment a renderer sees."""
    path = os.pathsep.join([*tool_dirs, "/usr/local/bin", "/usr/bin", "/bin"])
    env = {
        "PATH": path,
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "HELM_CACHE_HOME": os.path.join(home, ".cache", "helm"),
        "HELM_CONFIG_HOME": os.path.join(home, ".config", "helm"),
        "HELM_DATA_HOME": os.path.join(home, ".local", "share", "helm"),
        "KUBECONFIG": os.path.join(home, "kubeconfig-none"),
    }
    env.update(extra)
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


def run_tool(
    argv: Sequence[str],
    *,
    app: str,
    target: str,
    cwd: Path,
    timeout: float,
    max_output_bytes: int,
    extra_env: Mapping[str, str] | None = None,
    stdin: bytes = b"",
    name: str | None = None,
    hide_paths: Mapping[str, str] | None = None,
    memory_bytes: int = 0,
) -> bytes:
    """Run `argv` and return its stdout; RenderError on failure, timeout, oversized output or an
    allocation refused past `memory_bytes` (0 = no cap).

    `hide_paths` maps host directories (snapshot, scratch copy) to what error messages show instead.
    """
    tool = name or os.path.basename(argv[0])
    executable = shutil.which(argv[0])
    if executable is None:
        raise RenderError(
            f"{tool} not found", app=app, target=target, hint="install it or set its path in settings"
        )
    with tempfile.TemporaryDirectory(prefix="bosun-render-home-") as home:
        env = minimal_env(home, extra_env or {}, [os.path.dirname(executable)])
        try:
            proc = subprocess.Popen(
                [executable, *argv[1:]],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=memory_limiter(memory_bytes),  # only a setrlimit call: safe after fork
            )
        except OSError as exc:
            raise RenderError(
                f"cannot run {tool}: {exc.strerror}",
                app=app,
                target=target,
                hint="install it or set its path in settings",
            ) from None
        try:
            out, err, outcome = _collect(proc, stdin, timeout, max_output_bytes)
        finally:
            _kill_group(proc)  # also reaps anything the tool left behind in its group
    stderr = redact_text(err.decode("utf-8", "replace"))
    for host_path, shown in sorted((hide_paths or {}).items(), key=lambda item: -len(item[0])):
        stderr = stderr.replace(host_path.rstrip("/") + "/", shown).replace(
            host_path.rstrip("/"), shown or "."
        )
    stderr = stderr.strip()[-STDERR_KEEP:]
    if outcome == "timeout":
        raise RenderError(
            f"{tool} timed out after {timeout:g}s and was killed",
            app=app,
            target=target,
            hint="simplify the render or raise BOSUN_RENDER_TIMEOUT_SECONDS",
        )
    if outcome == "too-big":
        raise RenderError(
            f"{tool} wrote more than {max_output_bytes} bytes",
            app=app,
            target=target,
            hint="split the app or raise BOSUN_MAX_MANIFEST_BYTES",
        )
    if memory_bytes > 0 and ran_out_of_memory(proc.returncode, err.decode("utf-8", "replace")):
        raise RenderError(
            f"{tool} exceeded the memory limit of {memory_bytes // MIB} MiB and was stopped",
            app=app,
            target=target,
            hint="reduce what the render builds or raise BOSUN_RENDER_MEMORY_BYTES",
        )
    if proc.returncode != 0:
        raise RenderError(
            f"{tool} failed (exit {proc.returncode}): {stderr or 'no error output'}",
            app=app,
            target=target,
            hint="fix the source; run the same command locally to see more",
        )
    return out


def _collect(
    proc: subprocess.Popen[bytes], stdin: bytes, timeout: float, max_out: int
) -> tuple[bytes, bytes, str]:
    assert proc.stdin and proc.stdout and proc.stderr
    deadline = time.monotonic() + timeout
    out, err = bytearray(), bytearray()
    selector = selectors.DefaultSelector()
    if stdin:
        os.set_blocking(proc.stdin.fileno(), False)
        selector.register(proc.stdin, selectors.EVENT_WRITE)
    else:
        proc.stdin.close()
    selector.register(proc.stdout, selectors.EVENT_READ)
    selector.register(proc.stderr, selectors.EVENT_READ)
    pending = memoryview(stdin)
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(out), bytes(err), "timeout"
            for key, _ in selector.select(min(remaining, 1.0)):
                if key.fileobj is proc.stdin:
                    try:
                        pending = pending[os.write(key.fd, pending[:65536]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        selector.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is proc.stdout:
                    out += chunk
                    if len(out) > max_out:
                        return bytes(out), bytes(err), "too-big"
                elif len(err) < 1_000_000:
                    err += chunk
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return bytes(out), bytes(err), "timeout"
        return bytes(out), bytes(err), "done"
    finally:
        selector.close()


@lru_cache(maxsize=16)
def _version_of(argv: tuple[str, ...]) -> str:
    executable = shutil.which(argv[0])
    if executable is None:
        return "unavailable (not found)"
    try:
        done = subprocess.run(
            [executable, *argv[1:]],
            capture_output=True,
            timeout=30,
            env=minimal_env(tempfile.gettempdir(), {}),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({type(exc).__name__})"
    return done.stdout.decode("utf-8", "replace").strip() or f"unavailable (exit {done.returncode})"


def tool_versions(helm_path: str, kubectl_path: str, kustomize_path: str | None) -> dict[str, str]:
    """Renderer versions (computed once per process and binary); part of every manifest cache key."""
    import _jsonnet

    kustomize_argv = (kustomize_path, "version") if kustomize_path else (kubectl_path, "version", "--client")
    return {
        "helm": _version_of((helm_path, "version", "--short")),
        "kustomize": _version_of(kustomize_argv),
        "jsonnet": str(getattr(_jsonnet, "version", "unknown")),
        "python": sys.version.split()[0],
    }
