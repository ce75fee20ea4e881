"""The default ApplicationSet template syntax (Argo CD's fasttemplate): `{{param}}` or `{{ param }}`
is replaced by the parameter's text; an unknown parameter is left as written (Argo CD does the same).
Flat parameter names only (`metadata.labels.env`, `path[0]`, `values.size`)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from gitops.appsets.params import lookup, scalar_text

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def render_text(text: str, params: Mapping[str, object]) -> str:
    """Replace every `{{name}}` whose name is a parameter."""
    if "{{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in params:
            return scalar_text(params[name])
        value = lookup(params, name)
        return match.group(0) if value is None else scalar_text(value)

    return _TAG.sub(replace, text)
