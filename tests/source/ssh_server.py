"""A real OpenSSH server for source tests: `/usr/sbin/sshd` on an ephemeral loopback port, run as the
current user with a throwaway host key and an authorized_keys file, so git reaches bare repositories
on this machine over `ssh://` through git-upload-pack.

`keygen(path, comment)` makes an ed25519 key pair; `start_sshd(directory)` returns an `SSHServer` (stop() ends it by its pid) with the client key pair
(`client_key`: OpenSSH private key text), the host key line for a known_hosts file
(`known_hosts_line()`) and the server's log (`log_text()`, LogLevel VERBOSE: accepted keys, invalid
users). Without sshd the test fails (never skips) and names the package to install. As root, sshd
needs its privilege-separation directory /run/sshd (created 0755, as Debian's ssh.service does).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
INSTALL_HINT = "install OpenSSH's server: `apt-get install -y openssh-server` (Debian/Ubuntu, as root)"


def sshd_binary() -> str:
    """sshd's absolute path (it must be run by absolute path); the test fails naming the fix if missing."""
    found = shutil.which("sshd") or next((c for c in SSHD_CANDIDATES if os.access(c, os.X_OK)), None)
    if not found:
        pytest.fail(f"sshd not found on PATH or in /usr/sbin: {INSTALL_HINT}", pytrace=False)
    return str(Path(found).resolve())


def keygen(path: Path, comment: str) -> None:
    """A fresh ed25519 key pair without passphrase: `path` (private) and `path`.pub."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SSHServer:
    proc: subprocess.Popen[bytes]
    port: int
    user: str
    host_key_pub: str
    client_key: str
    client_key_pub: str
    log: Path

    def known_hosts_line(self) -> str:
        """This server's host key as ssh writes it into known_hosts for a non-default port."""
        kind, blob = self.host_key_pub.split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}\n"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_sshd(directory: Path) -> SSHServer:
    """sshd on 127.0.0.1 (public keys only, for the current user), ready to accept connections."""
    binary = sshd_binary()
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and not Path("/run/sshd").is_dir():
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    keygen(directory / "host_key", "bosun-test-host")
    keygen(directory / "client_key", "bosun-test-client")
    (directory / "authorized_keys").write_text((directory / "client_key.pub").read_text())
    log = directory / "sshd.log"
    for _attempt in range(5):
        port = _free_port()
        config = directory / "sshd_config"
        config.write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {directory / 'host_key'}\n"
            f"AuthorizedKeysFile {directory / 'authorized_keys'}\nPidFile {directory / 'sshd.pid'}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            "PermitRootLogin prohibit-password\nLogLevel VERBOSE\nPrintMotd no\n"
        )
        proc = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(config), "-E", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if f"listening on 127.0.0.1 port {port}" in (
                log.read_text(errors="replace") if log.exists() else ""
            ):
                return SSHServer(
                    proc, port, _user(), (directory / "host_key.pub").read_text(),
                    (directory / "client_key").read_text(), (directory / "client_key.pub").read_text(), log,
                )  # fmt: skip
            time.sleep(0.02)
        proc.kill()
        proc.wait()
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise AssertionError(f"sshd did not start; its log:\n{text[-2000:]}")


def _user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name
