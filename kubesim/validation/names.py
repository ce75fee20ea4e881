"""Name, label, annotation and key syntax (k8s.io/apimachinery/pkg/util/validation) and ObjectMeta checks."""

from __future__ import annotations

import re
from typing import Any

from kubesim.validation.field_errors import Errors

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = _LABEL + r"(\." + _LABEL + ")*"
_QUALIFIED = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED + ")?"
_CONFIG_KEY = "[-._a-zA-Z0-9]+"

DNS1123_LABEL_ERROR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    f"'{_LABEL}')"
)
DNS1123_SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    f"'{_SUBDOMAIN}')"
)
_QUALIFIED_ERROR = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    f"'{_QUALIFIED}')"
)
_LABEL_VALUE_ERROR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    f"for validation is '{_LABEL_VALUE}')"
)
_CONFIG_KEY_ERROR = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    f"'KEY_NAME',  or 'key-name', regex used for validation is '{_CONFIG_KEY}')"
)
TOTAL_ANNOTATION_SIZE = 256 * 1024

_LABEL_RE = re.compile(f"^{_LABEL}$")
_SUBDOMAIN_RE = re.compile(f"^{_SUBDOMAIN}$")
_QUALIFIED_RE = re.compile(f"^{_QUALIFIED}$")
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE}$")
_CONFIG_KEY_RE = re.compile(f"^{_CONFIG_KEY}$")


def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_RE.match(value):
        errors.append(DNS1123_LABEL_ERROR)
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _SUBDOMAIN_RE.match(value):
        errors.append(DNS1123_SUBDOMAIN_ERROR)
    return errors


def path_segment_name(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def qualified_name(value: str) -> list[str]:
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            return ["prefix part must be non-empty"]
        errors = ["prefix part " + msg for msg in dns1123_subdomain(prefix)]
        if errors:
            return errors + _name_part(name)
    else:
        return [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            f"validation is '{_QUALIFIED}') with an optional DNS subdomain prefix and '/' (e.g. "
            "'example.com/MyName')"
        ]
    return _name_part(name)


def _name_part(name: str) -> list[str]:
    if not name:
        return ["name part must be non-empty"]
    errors = []
    if len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QUALIFIED_RE.match(name):
        errors.append(_QUALIFIED_ERROR)
    return errors


def label_value(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE_RE.match(value):
        errors.append(_LABEL_VALUE_ERROR)
    return errors


def config_key(value: str) -> list[str]:
    errors = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _CONFIG_KEY_RE.match(value):
        errors.append(_CONFIG_KEY_ERROR)
    if value in (".", ".."):
        errors.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def validate_labels(errors: Errors, labels: Any, path: str) -> None:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        for msg in qualified_name(str(key)):
            errors.invalid(path, key, msg)
        if not isinstance(value, str):
            errors.invalid(path, value, "label values must be strings")
            continue
        for msg in label_value(value):
            errors.invalid(path, value, msg)


def validate_annotations(errors: Errors, annotations: Any, path: str) -> None:
    if not isinstance(annotations, dict):
        return
    for key in annotations:
        for msg in qualified_name(str(key).lower()):
            errors.invalid(path, key, msg)
    size = sum(len(str(k)) + len(str(v)) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE:
        errors.too_long(path, TOTAL_ANNOTATION_SIZE)


NAME_RULES = {"label": dns1123_label, "subdomain": dns1123_subdomain, "path": path_segment_name}


def validate_object_meta(errors: Errors, metadata: Any, name_rule: str) -> None:
    """Name (or generateName), labels, annotations and finalizers of ObjectMeta."""
    metadata = metadata if isinstance(metadata, dict) else {}
    name, generate_name = metadata.get("name"), metadata.get("generateName")
    check = NAME_RULES[name_rule]
    if not name and not generate_name:
        errors.required("metadata.name", "name or generateName is required")
    elif name:
        for msg in check(str(name)):
            errors.invalid("metadata.name", name, msg)
    if generate_name and not name:
        prefix = str(generate_name)
        stripped = prefix[:-1] if prefix.endswith("-") and name_rule != "path" else prefix
        for msg in check(stripped) if stripped else []:
            errors.invalid("metadata.generateName", generate_name, msg)
    validate_labels(errors, metadata.get("labels"), "metadata.labels")
    validate_annotations(errors, metadata.get("annotations"), "metadata.annotations")
    for index, finalizer in enumerate(metadata.get("finalizers") or []):
        for msg in qualified_name(str(finalizer)):
            errors.invalid(f"metadata.finalizers[{index}]", finalizer, msg)


_PORT_NAME_CHARS = re.compile("^[-a-z0-9]+$")
_HAS_LETTER = re.compile("[a-z]")


def port_name(value: str) -> list[str]:
    """IsValidPortName: an IANA_SVC_NAME (RFC 6335)."""
    errors = []
    if len(value) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(value):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in value:
        errors.append("must not contain consecutive hyphens")
    if value and not _HAS_LETTER.search(value):
        errors.append("must contain at least one letter (a-z)")
    if value.startswith("-") or value.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors
