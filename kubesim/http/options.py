"""The request options kube-apiserver validates before anything else (apimachinery's
`ValidateCreateOptions`, `ValidateUpdateOptions`, `ValidatePatchOptions`, `ValidateDeleteOptions`):
`dryRun` values, `fieldValidation` and the `fieldManager` length. Every broken rule is one cause of a
422 `<Verb>Options.meta.k8s.io "" is invalid`. Patch-only rules (`force`, apply's fieldManager) are in
`kubesim.patch_request`, propagation policies in `kubesim.deletion`."""

from __future__ import annotations

import json

from kubesim.errors import invalid

OPTIONS_KIND = {
    "POST": "CreateOptions",
    "PUT": "UpdateOptions",
    "PATCH": "PatchOptions",
    "DELETE": "DeleteOptions",
}
FIELD_VALIDATIONS = ("", "Ignore", "Strict", "Warn")  # sorted, as sets.List prints them
FIELD_MANAGER_MAX = 128


def check(method: str, params: dict[str, str], dry_run: list[str] | None = None) -> None:
    """422 when an option is invalid; `dry_run` is DeleteOptions.dryRun from the body, if any."""
    kind = OPTIONS_KIND.get(method)
    if kind is None:
        return
    causes: list[tuple[str, str, str]] = []
    values = dry_run if dry_run is not None else ([params["dryRun"]] if "dryRun" in params else [])
    if not isinstance(values, list):
        values = [str(values)]
    if any(value != "All" for value in values):
        shown = json.dumps(values, separators=(",", ":"))
        causes.append(
            ("FieldValueNotSupported", "dryRun", f'Unsupported value: {shown}: supported values: "All"')
        )
    if kind != "DeleteOptions":
        manager = params.get("fieldManager", "")
        if len(manager.encode()) > FIELD_MANAGER_MAX:
            causes.append(
                (
                    "FieldValueTooLong",
                    "fieldManager",
                    f"Too long: may not be more than {FIELD_MANAGER_MAX} bytes",
                )
            )
        mode = params.get("fieldValidation", "")
        if mode not in FIELD_VALIDATIONS:
            allowed = ", ".join(f'"{value}"' for value in FIELD_VALIDATIONS)
            causes.append(
                (
                    "FieldValueNotSupported",
                    "fieldValidation",
                    f'Unsupported value: "{mode}": supported values: {allowed}',
                )
            )
    if causes:
        raise invalid(kind, "", "meta.k8s.io", causes)
