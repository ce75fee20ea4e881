"""`POST /api/webhook`: read at most the configured number of bytes, verify, parse, dedupe, enqueue.

It answers within milliseconds because it only parks the event in Redis and sends one task.
401 bad/missing signature, 400 unreadable payload, 413 too large, 503 queue unavailable or overloaded
(the fan-out queue is longer than BOSUN_WEBHOOK_MAX_QUEUE_DEPTH; with Retry-After, as Argo CD answers
503 when its queue is full); pings, events Bosun does not act on and pushes coalesced into a queued
fan-out of the same commit get 200 with what happened.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gitops.errors import WebhookAuthError, WebhookError, WebhookPayloadError, WebhookTooLargeError
from gitops.triggers.event import PushEvent
from scheduler.webhooks.payloads import Ignored, Ping, verify_and_parse
from scheduler.webhooks.providers import detect

log = logging.getLogger(__name__)
router = APIRouter()
RETRY_AFTER_SECONDS = 30


async def _read_capped(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise WebhookTooLargeError(f"payload of {declared} bytes exceeds {cap}", target="POST /api/webhook",
                                   hint="raise BOSUN_WEBHOOK_MAX_PAYLOAD_BYTES if this is legitimate")  # fmt: skip
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise WebhookTooLargeError(f"payload exceeds {cap} bytes", target="POST /api/webhook",
                                       hint="raise BOSUN_WEBHOOK_MAX_PAYLOAD_BYTES if this is legitimate")  # fmt: skip
    return bytes(body)


def _status_of(exc: WebhookError) -> int:
    if isinstance(exc, WebhookTooLargeError):
        return 413
    if isinstance(exc, WebhookAuthError):
        return 401
    if isinstance(exc, WebhookPayloadError):
        return 400
    return 400


@router.post("/api/webhook")
async def receive_webhook(request: Request) -> JSONResponse:
    state = request.app.state.bosun
    started = time.perf_counter()
    provider = "unknown"
    extra: dict[str, object]
    try:
        body = await _read_capped(request, state.settings.webhook_max_payload_bytes)
        delivery = detect(request.headers)
        provider = delivery.provider
        content_type = request.headers.get("content-type")
        parsed = verify_and_parse(delivery, request.headers, body, state.secrets, content_type)
        if isinstance(parsed, Ping):
            outcome, code, extra = "pong", 200, {}
        elif isinstance(parsed, Ignored):
            outcome, code, extra = "ignored", 200, {"event": parsed.event}
        else:
            assert isinstance(parsed, PushEvent)
            try:
                seal_key = state.settings.manifest_cache_hmac_key.get_secret_value().encode()
                outcome = await run_in_threadpool(state.sink.accept, delivery, parsed, body, seal_key)
            except Exception as exc:
                log.warning("webhook from %s not enqueued: %s", provider, type(exc).__name__)
                outcome, code, extra = "unavailable", 503, {"error": "queue unavailable, retry later"}
            else:
                if outcome == "overloaded":
                    code, extra = 503, {"error": "too many queued refreshes, retry later"}
                else:
                    code, extra = 200, {"refs": list(parsed.refs)}
    except WebhookError as exc:
        outcome, code, extra = "rejected", _status_of(exc), {"error": str(exc)}
    state.metrics.webhooks.labels(provider, outcome).inc()
    state.metrics.webhook_seconds.observe(time.perf_counter() - started)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if code == 503 else None
    return JSONResponse({"status": outcome, "provider": provider, **extra}, status_code=code, headers=headers)
