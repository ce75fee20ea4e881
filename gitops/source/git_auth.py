"""Handing credentials to one git command without exposing them.

`git_auth_env(creds, known_hosts_file=None) -> ContextManager[dict[str, str]]`: the environment
for one git command. Secrets never reach argv, URLs or environment values:
- HTTPS username/password or token: answered by a `GIT_ASKPASS` script reading two 0600 files;
- SSH private key: a 0600 key file named in `GIT_SSH_COMMAND` (host keys checked against
  `known_hosts_file` unless `insecure`);
- TLS client certificate: 0600 files named in `GIT_SSL_CERT` / `GIT_SSL_KEY`;
- proxy: `https_proxy` / `http_proxy` / `no_proxy` (a proxy password, if any, is in the URL: it is
  listed in `RepoCredentials.secrets()` so that messages are scrubbed of it).
The private directory (in /dev/shm when available) is removed when the block ends.
`base_git_env()`: what every git command gets: no prompts, no user or system config, only the
https, http, ssh and git transports, no LFS smudging.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops.source.credentials import DEFAULT_TOKEN_USERNAME, RepoCredentials

_ASKPASS = """#!/bin/sh
# Bosun git askpass: answers git's username/password prompts from the files beside this script.
here=$(dirname "$0")
case "$1" in
  Username*|username*) cat "$here/username" ;;
  *) cat "$here/password" ;;
esac
"""


def _private_dir() -> Path:
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="bosun-git-", dir=base))


def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def base_git_env() -> dict[str, str]:
    """Environment every git command gets: no prompts, no user or system config, safe transports."""
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": shutil.which("false") or "/bin/false",
        "SSH_ASKPASS": shutil.which("false") or "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": "https:http:ssh:git",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_SSH_COMMAND": "ssh -F /dev/null -o BatchMode=yes",
        "GIT_HTTP_LOW_SPEED_LIMIT": "1",
        "GIT_HTTP_LOW_SPEED_TIME": "60",
    }


def _ssh_command(key: Path | None, insecure: bool, known_hosts_file: str | None) -> str:
    """ssh for git: no user config, no prompts; the key file if any; host keys from
    `known_hosts_file` (BOSUN_SSH_KNOWN_HOSTS_FILE), or unchecked when the repository is `insecure`."""
    parts = ["ssh -F /dev/null -o BatchMode=yes"]
    if key is not None:
        parts += ["-o IdentitiesOnly=yes", f"-i {shlex.quote(str(key))}"]
    known = known_hosts_file if (known_hosts_file and not insecure) else os.devnull
    parts += [
        f"-o StrictHostKeyChecking={'no' if insecure else 'yes'}",
        f"-o UserKnownHostsFile={shlex.quote(known)}",
    ]
    return " ".join(parts)


@contextmanager
def git_auth_env(
    creds: RepoCredentials | None, known_hosts_file: str | None = None
) -> Iterator[dict[str, str]]:
    """Environment for one git command using `creds`; secret files are removed on exit."""
    env = base_git_env()
    if creds is not None:
        if creds.insecure:
            env["GIT_SSL_NO_VERIFY"] = "true"
        if creds.proxy:
            env["https_proxy"] = env["http_proxy"] = env["HTTPS_PROXY"] = creds.proxy
        if creds.no_proxy:
            env["no_proxy"] = env["NO_PROXY"] = creds.no_proxy
    if known_hosts_file or (creds is not None and creds.insecure):  # host keys even without a key
        env["GIT_SSH_COMMAND"] = _ssh_command(None, creds is not None and creds.insecure, known_hosts_file)
    if creds is None or not creds.has_auth():
        yield env
        return
    directory = _private_dir()
    try:
        if creds.tls_client_cert_data and creds.tls_client_cert_key:
            _write_private(directory / "client.crt", creds.tls_client_cert_data)
            _write_private(directory / "client.key", creds.tls_client_cert_key)
            env["GIT_SSL_CERT"] = str(directory / "client.crt")
            env["GIT_SSL_KEY"] = str(directory / "client.key")
        if creds.password or creds.username:
            _write_private(directory / "username", (creds.username or DEFAULT_TOKEN_USERNAME) + "\n")
            _write_private(directory / "password", (creds.password or "") + "\n")
            script = directory / "askpass.sh"
            _write_private(script, _ASKPASS, 0o700)
            env["GIT_ASKPASS"] = str(script)
        if creds.ssh_private_key:
            key = directory / "id_key"
            text = (
                creds.ssh_private_key
                if creds.ssh_private_key.endswith("\n")
                else creds.ssh_private_key + "\n"
            )
            _write_private(key, text)
            env["GIT_SSH_COMMAND"] = _ssh_command(key, creds.insecure, known_hosts_file)
        yield env
    finally:
        shutil.rmtree(directory, ignore_errors=True)
