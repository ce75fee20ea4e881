"""ApplicationSet templates: `{{param}}` (fasttemplate) and the Go-template subset, pure."""

from __future__ import annotations

import pytest

from gitops.appsets.fasttemplate import render_text
from gitops.appsets.gofuncs import GoTemplateError
from gitops.appsets.gotemplate import render_go
from gitops.appsets.render import TemplateRenderer

PARAMS = {
    "name": "Prod-EU",
    "server": "https://prod.example",
    "metadata": {"labels": {"env": "prod", "tier": ""}},
    "path": {"basename": "guestbook", "segments": ["apps", "guestbook"]},
    "replicas": 3,
    "enabled": True,
}


def test_fasttemplate_replaces_known_and_keeps_unknown() -> None:
    flat = {"name": "dev", "metadata.labels.env": "dev", "path[0]": "apps", "n": 3}
    text = "{{name}}-{{ metadata.labels.env }}/{{path[0]}}/{{n}}/{{missing}}"
    assert render_text(text, flat) == "dev-dev/apps/3/{{missing}}"
    assert render_text("no tags", flat) == "no tags"


def test_go_field_access_index_and_pipelines() -> None:
    assert render_go("{{ .name | lower }}-{{ .metadata.labels.env | upper }}", PARAMS) == "prod-eu-PROD"
    assert (
        render_go('{{ index .path.segments 1 }}/{{ index .metadata.labels "env" }}', PARAMS)
        == "guestbook/prod"
    )
    assert render_go('{{ .name | replace "-" "_" }}', PARAMS) == "Prod_EU"
    assert render_go('{{ replace "-" "." .name | lower }}', PARAMS) == "prod.eu"
    assert render_go("{{ .replicas }} {{ .enabled }}", PARAMS) == "3 true"


def test_go_default_tojson_printf_normalize() -> None:
    assert render_go('{{ default "web" .metadata.labels.tier }}', PARAMS) == "web"
    assert render_go('{{ .metadata.labels.tier | default "x" }}', PARAMS) == "x"
    assert render_go('{{ default "web" .metadata.labels.env }}', PARAMS) == "prod"
    assert render_go("{{ toJson .metadata.labels }}", PARAMS) == '{"env":"prod","tier":""}'
    assert render_go('{{ printf "%s-%d" .path.basename .replicas }}', PARAMS) == "guestbook-3"
    assert render_go("{{ normalize .name }}", PARAMS) == "prod-eu"
    assert render_go("{{ (index .path.segments 0) | upper }}", PARAMS) == "APPS"


def test_go_if_else_and_trimming() -> None:
    text = (
        '{{- if eq .metadata.labels.env "prod" }} big {{- else if .enabled }} small{{ else }}none{{ end -}}  '
    )
    assert render_go(text, PARAMS) == " big"
    assert render_go(text, {**PARAMS, "metadata": {"labels": {"env": "dev"}}}) == " small"
    assert render_go(text, {**PARAMS, "enabled": False, "metadata": {"labels": {}}}) == "none"
    assert render_go("{{/* a comment */}}x{{ if not .enabled }}y{{ end }}", PARAMS) == "x"


def test_go_missing_keys() -> None:
    assert render_go("{{ .nope }}", PARAMS) == "<no value>"
    with pytest.raises(GoTemplateError, match=r"no entry for key '\.nope'"):
        render_go("{{ .nope }}", PARAMS, ["missingkey=error"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("{{ range .path.segments }}{{ . }}{{ end }}", "range"),
        ("{{ with .name }}{{ end }}", "with"),
        ('{{ env "HOME" }}', "function 'env' is not supported"),
        ("{{ if .enabled }}x", "without {{ end }}"),
        ("{{ end }}", "without {{ if }}"),
        ("{{ .name .server }}", "only functions take arguments"),
        ("{{ index .path.segments 7 }}", "out of range"),
        ("{{ lower }}", "wrong number of arguments"),
    ],
)
def test_go_unsupported_and_bad_templates_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(GoTemplateError, match=message):
        render_go(text, PARAMS)


def test_renderer_renders_nested_values_and_keys() -> None:
    renderer = TemplateRenderer(go_template=True)
    template = {"metadata": {"name": "{{ .path.basename }}", "labels": {"{{ .metadata.labels.env }}": "yes"}},
                "spec": {"list": ["{{ .name | lower }}", 5]}}  # fmt: skip
    assert renderer.render(template, PARAMS) == {
        "metadata": {"name": "guestbook", "labels": {"prod": "yes"}},
        "spec": {"list": ["prod-eu", 5]},
    }
