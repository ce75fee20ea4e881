"""Bosun's Celery app and its thin, idempotent tasks (`bosun.<verb>`)."""
