"""Bosun's HTTP server: `/api/webhook`, `/healthz`, `/metrics` and the v1 applications API."""
