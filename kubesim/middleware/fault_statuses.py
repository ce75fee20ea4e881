"""The `Status` answers the real server gives for the error codes fault injection can return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubesim.middleware.request_info import RequestInfo

if TYPE_CHECKING:
    from kubesim.middleware.faults import FaultRule


def error_status(
    rule: FaultRule, info: RequestInfo, code: int | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The Status body and headers the real server sends for an injected error code."""
    details: dict[str, Any] = {}
    headers: dict[str, str] = {}
    code = code or rule.status
    if code == 409:
        subject = f'{info.qualified_resource} "{info.name}"' if info.name else info.qualified_resource
        message = (
            f"Operation cannot be fulfilled on {subject}: the object has been modified; please apply your "
            "changes to the latest version and try again"
        )
        reason = "Conflict"
        details = {
            k: v for k, v in {"name": info.name, "group": info.group, "kind": info.resource}.items() if v
        }
    elif code == 429:
        message, reason = "Too many requests, please try again later.", "TooManyRequests"
        details = {"retryAfterSeconds": rule.retry_after}
        headers["Retry-After"] = str(rule.retry_after)
    elif code == 503:
        message, reason = "the server is currently unable to handle the request", "ServiceUnavailable"
        details = {"retryAfterSeconds": rule.retry_after}
        headers["Retry-After"] = str(rule.retry_after)
    elif code == 504:
        message, reason = "the server was unable to return a response in the time allotted", "Timeout"
    else:
        message = "Internal error occurred: injected by kubesim fault injection"
        reason = "InternalError"
        details = {"causes": [{"message": "injected by kubesim fault injection"}]}
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body, headers
