"""kubesim: a local Kubernetes API server, faithful to kube-apiserver, for tests, benchmarks and the demo.

It imports nothing of Bosun (import-linter enforces it).
"""
