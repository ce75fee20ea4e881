"""Sync options: app-level list, per-resource annotation override, hooks annotations, bad input."""

from __future__ import annotations

import pytest

from gitops.errors import SpecError
from gitops.sync.hooks import (
    BEFORE_HOOK_CREATION,
    HOOK_SUCCEEDED,
    delete_policies,
    hook_types,
    is_hook,
    is_skipped,
)
from gitops.sync.options import KNOWN_OPTIONS, SyncOptions


def test_every_reference_option_is_known() -> None:
    for name in [
        "Validate",
        "CreateNamespace",
        "PruneLast",
        "Prune",
        "Delete",
        "ApplyOutOfSyncOnly",
        "PrunePropagationPolicy",
        "Replace",
        "Force",
        "ServerSideApply",
        "SkipDryRunOnMissingResource",
        "RespectIgnoreDifferences",
        "FailOnSharedResource",
    ]:
        assert name in KNOWN_OPTIONS


def test_resource_annotation_overrides_app_level() -> None:
    app = SyncOptions.parse(["PruneLast=true", "PrunePropagationPolicy=background", "Validate=false"])
    obj = {"metadata": {"annotations": {"argocd.argoproj.io/sync-options": "PruneLast=false, Replace=true"}}}
    resource = app.for_resource(obj)
    assert app.prune_last and not resource.prune_last
    assert resource.replace and not app.replace
    assert resource.prune_propagation == "Background"
    assert not resource.validate
    assert SyncOptions().prune_propagation == "Foreground"
    assert SyncOptions().server_side_apply


@pytest.mark.parametrize("entry", ["Prune=maybe", "Frobnicate=true", "CreateNamespace"])
def test_bad_options_are_refused(entry: str) -> None:
    with pytest.raises(SpecError, match="sync option"):
        SyncOptions.parse([entry])


def test_hook_annotations_and_helm_mapping() -> None:
    hook = {"metadata": {"annotations": {"argocd.argoproj.io/hook": "PreSync,PostSync"}}}
    assert hook_types(hook) == ["PreSync", "PostSync"] and is_hook(hook)
    assert delete_policies(hook) == [BEFORE_HOOK_CREATION]
    helm = {
        "metadata": {
            "annotations": {
                "helm.sh/hook": "pre-install,pre-upgrade",
                "helm.sh/hook-delete-policy": "hook-succeeded",
            }
        }
    }
    assert hook_types(helm) == ["PreSync"]
    assert delete_policies(helm) == [HOOK_SUCCEEDED]
    skip = {"metadata": {"annotations": {"argocd.argoproj.io/hook": "Skip"}}}
    assert is_skipped(skip) and not is_hook(skip)
    assert hook_types({"metadata": {}}) == []
