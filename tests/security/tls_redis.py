"""A private redis-server serving TLS only (`--port 0`), with a throwaway CA made per test session.

`make_ca(dir, name)` writes a CA certificate and key; `issue_server_cert(ca, dir)` a server
certificate for 127.0.0.1 / localhost signed by it. `start_tls_redis(workdir, password)` starts
redis-server on an ephemeral TLS port (password required, client certificates not asked for) and
returns a `TLSRedis` once a verified TLS PING answers.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from controlplane.servers import free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


@dataclass
class TLSRedis:
    """A running TLS-only redis-server and the files a client needs."""

    proc: subprocess.Popen[bytes]
    port: int
    password: str
    ca_file: Path
    wrong_ca_file: Path
    log: Path

    @property
    def url(self) -> str:
        return f"rediss://:{self.password}@127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def make_ca(directory: Path, name: str) -> CertPair:
    """A self-signed CA (certificate and key PEM files) named `name`."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(name, _name(name), key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    pair = CertPair(directory / f"{name}.crt", directory / f"{name}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pair.key)
    return pair


def issue_server_cert(ca: CertPair, directory: Path) -> CertPair:
    """A server certificate for 127.0.0.1 and localhost, signed by `ca`."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    cert = (
        _builder("redis-test", ca_cert.subject, key.public_key())
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pair = CertPair(directory / "server.crt", directory / "server.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, pair.key)
    return pair


def start_tls_redis(workdir: Path, password: str) -> TLSRedis:
    """redis-server with TLS only on an ephemeral port; returns once a verified TLS PING answers."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server must be on PATH (scripts/bootstrap.sh installs it)"
    ca = make_ca(workdir, "test-ca")
    wrong = make_ca(workdir, "other-ca")
    server = issue_server_cert(ca, workdir)
    log = workdir / "redis.log"
    for _attempt in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
             "--tls-cert-file", str(server.cert), "--tls-key-file", str(server.key),
             "--tls-ca-cert-file", str(ca.cert), "--tls-auth-clients", "no",
             "--requirepass", password, "--save", "", "--appendonly", "no", "--dir", str(workdir),
             "--logfile", str(log)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=port, password=password, ssl=True, ssl_ca_certs=str(ca.cert))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if client.ping():
                    client.close()
                    return TLSRedis(proc, port, password, ca.cert, wrong.cert, log)
            except redis.ConnectionError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError(f"could not start a TLS redis-server (is it built with TLS?); log:\n{_tail(log)}")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"
