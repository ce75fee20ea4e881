"""Sync: plan and run an Argo-CD-compatible sync operation step by step (phases, waves, hooks, prune)."""
