"""Git webhook receiver: provider detection, signature verification, payload parsing, dedupe and enqueue.

`interpret(headers, body, secrets)` is pure (detect, verify, parse); `WebhookSink` records the
delivery in Redis and hands the event to the fan-out task.
"""
