"""Render an ApplicationSet template (a dict) over one parameter set: every string, and every map
key, through `{{param}}` (fasttemplate) or the Go-template subset (`goTemplate: true`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.appsets.fasttemplate import render_text
from gitops.appsets.gotemplate import render_go


class TemplateRenderer:
    """`renderer.render(template, params)`; which syntax depends on the set's `goTemplate`."""

    def __init__(self, go_template: bool = False, options: list[str] | None = None) -> None:
        self.go_template = go_template
        self.options = list(options or [])

    def text(self, text: str, params: Mapping[str, Any]) -> str:
        if self.go_template:
            return render_go(text, params, self.options)
        return render_text(text, params)

    def render(self, value: Any, params: Mapping[str, Any]) -> Any:
        """A deep copy of `value` with every string rendered."""
        if isinstance(value, str):
            return self.text(value, params)
        if isinstance(value, Mapping):
            return {self.text(str(k), params): self.render(v, params) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(item, params) for item in value]
        return value
