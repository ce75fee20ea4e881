"""A sync task: one object to apply, prune or run as a hook in one phase and wave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gitops.sync.options import SyncOptions
from gitops.sync.ordering import PHASE_ORDER, kind_rank
from gitops.tracking import ResourceKey

Obj = dict[str, Any]
GroupKey = tuple[int, int, int]  # (phase rank, wave, stage: 0 = CRDs needed later in the wave, 1 = rest)


@dataclass
class SyncTask:
    key: ResourceKey
    version: str
    phase: str
    wave: int
    target: Obj | None = None
    live: Obj | None = None
    hook_type: str = ""
    options: SyncOptions = field(default_factory=SyncOptions)
    prune: bool = False
    skip_message: str = ""  # set for prune tasks that must not run (PruneSkipped)
    stage: int = 1
    delete_policies: tuple[str, ...] = ()

    @property
    def is_hook(self) -> bool:
        return bool(self.hook_type)

    @property
    def group_key(self) -> GroupKey:
        return (PHASE_ORDER[self.phase], self.wave, self.stage)

    @property
    def result_id(self) -> str:
        """Identity of the task's entry in `syncResult.resources` (hooks also by hook type)."""
        k = self.key
        return f"{k.group}/{k.kind}/{k.namespace}/{k.name}/{self.hook_type}"

    @property
    def api_version(self) -> str:
        return f"{self.key.group}/{self.version}" if self.key.group else self.version

    def sort_key(self) -> tuple[int, int, int, int, str, str]:
        return (*self.group_key, kind_rank(self.key.kind), self.key.kind, self.key.name)

    def describe(self) -> str:
        return str(self.key)


def result_id_of(group: str, kind: str, namespace: str, name: str, hook_type: str) -> str:
    return f"{group}/{kind}/{namespace}/{name}/{hook_type}"
