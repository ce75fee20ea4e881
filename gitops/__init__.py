"""Bosun's engine: the pure GitOps core (source, render, diff, sync planning, health) and its ports.

Nothing here imports Celery, the workers or the scheduler; import-linter enforces it.
"""
