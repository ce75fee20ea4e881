"""The jsonnet evaluation subprocess: `python -I -m gitops.source.render.jsonnet_worker`.

Reads a JSON request on stdin (root, files, ext/tla vars and codes, library paths), evaluates each
file with the `jsonnet` package, and writes {"outputs": {file: json text}, "imports": [...]} or
{"error", "file"}. Its import callback resolves an import beside the importing file, then in each
library path, and refuses anything outside the repository root; "imports" lists the files read and
the candidates probed before them inside the repository (a file added there would shadow). Imports nothing of Bosun but this
module, so it starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def evaluate(request: dict[str, Any]) -> dict[str, Any]:
    import _jsonnet

    root: str = request["root"]
    imports: set[str] = set()

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return real == root or real.startswith(root + os.sep)

    def import_callback(base: str, rel: str) -> tuple[str, bytes]:
        if os.path.isabs(rel):
            raise RuntimeError(f"import {rel!r}: absolute imports are not allowed")
        for directory in [base, *request["libs"]]:
            candidate = os.path.normpath(os.path.join(directory, rel))
            if not os.path.isfile(candidate):
                if inside(candidate):  # probed: a file added here would shadow what is found later
                    imports.add(os.path.relpath(os.path.realpath(candidate), root))
                continue
            if not inside(candidate):
                raise RuntimeError(f"import {rel!r} resolves outside the repository")
            imports.add(os.path.relpath(os.path.realpath(candidate), root))
            with open(candidate, "rb") as handle:
                return candidate, handle.read()
        raise RuntimeError(f"import {rel!r} not found")

    outputs: dict[str, str] = {}
    for path in request["files"]:
        try:
            outputs[path] = _jsonnet.evaluate_file(
                path,
                ext_vars=request["ext_vars"],
                ext_codes=request["ext_codes"],
                tla_vars=request["tla_vars"],
                tla_codes=request["tla_codes"],
                import_callback=import_callback,
            )
        except RuntimeError as exc:
            message = str(exc).replace(root + os.sep, "")
            return {"error": message.strip(), "file": os.path.relpath(path, root)}
    return {"outputs": outputs, "imports": sorted(imports)}


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps(evaluate(request)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
