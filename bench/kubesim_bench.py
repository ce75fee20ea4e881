"""kubesim throughput: GET of one object, LIST of 1,000 objects with a label selector, server-side apply of a
small ConfigMap. The server runs pinned to one core; load comes from separate client processes with
keep-alive connections. `python -m bench kubesim --json` prints requests/s and latency percentiles."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubesim.testing import start_subprocess

LIST_SIZE = 1000
NAMESPACE = "default"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per scenario")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to")
    parser.add_argument("--list-size", type=int, default=LIST_SIZE, help="objects matching the LIST selector")
    parser.add_argument("--scenarios", default="get,list,apply", help="comma-separated subset to run")


class RawClient:
    """A minimal keep-alive HTTP/1.1 client (pre-encoded requests, Content-Length bodies): cheap enough that
    a few client processes can saturate one server core."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.sock = socket.create_connection((self.host, self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def encode(
        self, method: str, path: str, body: bytes | None = None, content_type: str = "application/json"
    ) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Accept: application/json",
                 "User-Agent: kubesim-bench"]  # fmt: skip
        if body is not None:
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")

    def call(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        while len(rest) < length:
            self.buffer = rest
            self._fill()
            rest = self.buffer
        self.buffer = rest[length:]
        return status, rest[:length]

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("kubesim closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _populate(url: str, list_size: int) -> None:
    conn = RawClient(url)
    base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bench-get"}, "data": {"k": "v"}}
    conn.call(conn.encode("POST", base, json.dumps(body).encode()))
    for i in range(list_size + list_size // 5):
        labels = {"bench": "list"} if i < list_size else {"bench": "other"}
        doc = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": f"item-{i:05d}", "labels": {**labels, "index": str(i)}},
               "data": {"payload": "x" * 64}}  # fmt: skip
        status, text = conn.call(conn.encode("POST", base, json.dumps(doc).encode()))
        if status != 201:
            raise RuntimeError(f"populating kubesim failed: {status} {text[:200]!r}")
    conn.close()


def _worker(url: str, scenario: str, start: float, duration: float, index: int, cpus: list[int],
            out: Any) -> None:  # fmt: skip
    if cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(cpus))
    conn = RawClient(url)
    base = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
    get_one = conn.encode("GET", f"{base}/bench-get")
    list_some = conn.encode("GET", f"{base}?labelSelector=bench%3Dlist")
    latencies: list[float] = []
    errors = 0
    n = 0
    while time.time() < start:
        time.sleep(0.001)
    end = start + duration
    while time.time() < end:
        t0 = time.perf_counter()
        if scenario == "get":
            status, _ = conn.call(get_one)
            ok = status == 200
        elif scenario == "list":
            status, _ = conn.call(list_some)
            ok = status == 200
        else:
            doc = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-{index}\n"
                   f"data:\n  counter: '{n}'\n").encode()  # fmt: skip
            path = f"{base}/applied-{index}?fieldManager=bench&force=true"
            status, _ = conn.call(conn.encode("PATCH", path, doc, "application/apply-patch+yaml"))
            ok = status in (200, 201)
        latencies.append(time.perf_counter() - t0)
        n += 1
        if not ok:
            errors += 1
    conn.close()
    out.put({"count": n, "errors": errors, "latencies": latencies})


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process (Linux /proc), 0.0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(
    url: str, scenario: str, clients: int, duration: float, cpus: list[int], pid: int
) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start = time.time() + 0.5
    procs = [
        ctx.Process(target=_worker, args=(url, scenario, start, duration, i, cpus, out))
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    while time.time() < start:
        time.sleep(0.001)
    cpu_before = _cpu_seconds(pid)
    results = [out.get(timeout=duration + 60) for _ in procs]
    cpu_used = _cpu_seconds(pid) - cpu_before
    for proc in procs:
        proc.join(10)
    total = sum(r["count"] for r in results)
    latencies = [lat for r in results for lat in r["latencies"]]
    return {
        "rps": round(total / duration, 1),
        # requests per second of server CPU: what one fully used core serves (clients may not saturate it)
        "rps_per_server_core": round(total / cpu_used, 1) if cpu_used > 0 else None,
        "server_cpu_utilisation": round(cpu_used / duration, 2),
        "requests": total,
        "errors": sum(r["errors"] for r in results),
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    all_cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu = args.server_cpu if args.server_cpu in all_cpus else (all_cpus[0] if all_cpus else None)
    client_cpus = [c for c in all_cpus if c != server_cpu] or all_cpus
    directory = Path(tempfile.mkdtemp(prefix="kubesim-bench-"))
    server = start_subprocess(directory, cpu=server_cpu, extra_args=("--no-controllers",))
    figures: dict[str, Any] = {
        "server_cpu": server_cpu,
        "client_cpus": client_cpus,
        "clients": args.clients,
        "duration_s": args.duration,
        "list_size": args.list_size,
    }
    try:
        _populate(server.url, args.list_size)
        names = {"get": "get_one", "list": f"list_{args.list_size}_label_selector", "apply": "ssa_configmap"}
        for scenario in [s.strip() for s in args.scenarios.split(",") if s.strip()]:
            result = _load(
                server.url,
                scenario,
                args.clients,
                args.duration,
                client_cpus,
                server.process.pid if server.process else 0,
            )
            for key, value in result.items():
                figures[f"{names[scenario]}_{key}"] = value
    finally:
        server.stop()
    return figures
