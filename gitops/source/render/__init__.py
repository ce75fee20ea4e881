"""Rendering a source into Kubernetes objects: tool detection (dispatch), directory, jsonnet,
kustomize, helm, with safety checks (safety, yaml_loader) and sandboxed subprocesses (process).
"""
