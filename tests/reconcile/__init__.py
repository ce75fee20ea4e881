"""Reconcile tests: compare, tracking, health (R-a) and sync, ordering, retry, status (R-b)."""
