"""Applications and AppProjects in the management namespace of the management cluster.

The durable state of an app is its Application resource: spec from users, `status` written back by
Bosun through the status subresource with fencing (gitops.registry.applications).
"""

from __future__ import annotations

from gitops.registry.applications import ApplicationRegistry, durable_fence
from gitops.registry.client import management_api_client

__all__ = ["ApplicationRegistry", "durable_fence", "management_api_client"]
