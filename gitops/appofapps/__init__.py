"""App of Apps and Application deletion.

- `children`: a parent whose manifests hold Application resources registers them in the management
  namespace (the parent's sync applies them there; children removed from Git are pruned like any
  resource when prune is on). Their health feeds the parent's waves through the Application health
  rule (gitops.health.generic.application).
- `deletion`: the `resources-finalizer.argocd.argoproj.io` (foreground) and `/background`
  finalizers: one re-entrant step at a time, the app's resources are deleted in reverse wave order,
  then the finalizer is released; without it nothing is deleted.
"""

from gitops.appofapps.children import place_children
from gitops.appofapps.deletion import DeletionStep, deletion_step, remaining_finalizers

__all__ = ["DeletionStep", "deletion_step", "place_children", "remaining_finalizers"]
