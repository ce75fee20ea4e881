"""Pure verdicts, without the server: the cheap proof of equality and the predicted-live merge.

`proves_synced`: Git's values all equal live's (quantities by value, Secret stringData folded) AND
every field Bosun's manager owns by apply is still in Git (so an apply would remove nothing). Both
hold -> an apply would change nothing -> Synced, with no API call. Anything else needs the server
dry-run (or, without a server, `predict_live`).
"""

from __future__ import annotations

import copy
from typing import Any

from gitops.compare.fields import has_path, leaf_paths, manager_fields, owned_within, remove_path
from gitops.compare.normalize import QUANTITY_LEAVES, QUANTITY_MAPS, covers, desired_for_check

Obj = dict[str, Any]


def proves_synced(
    target: Obj, live: Obj, namespaced: bool, field_manager: str, checked: Obj | None = None
) -> bool:
    """True only when an apply of target with field_manager would leave live unchanged."""
    checked = checked if checked is not None else desired_for_check(target, namespaced)
    if not covers(checked, live):
        return False
    trees = manager_fields(live, {field_manager}, "Apply")
    if not trees:
        return False
    return all(owned_within(tree, target, checked) for tree in trees)


def _predict(live: Any, desired: Any, quantities: bool) -> Any:
    if isinstance(desired, dict) and isinstance(live, dict):
        merged = dict(live)
        for key, value in desired.items():
            merged[key] = _predict(
                live.get(key), value, quantities or key in QUANTITY_MAPS or key in QUANTITY_LEAVES
            )
        return merged
    if isinstance(desired, list) and isinstance(live, list) and len(desired) == len(live):
        return [_predict(lv, dv, quantities) for lv, dv in zip(live, desired, strict=True)]
    if covers(desired, live, quantities):
        return live
    return copy.deepcopy(desired)


def predict_live(target: Obj, live: Obj, namespaced: bool, field_manager: str) -> Obj:
    """Live as an apply of target would leave it, approximated without the server: Git's values merged
    over live (lists item by item when the lengths match), then fields Bosun owned but Git dropped removed."""
    checked = desired_for_check(target, namespaced)
    predicted: Obj = _predict(live, checked, False)
    if predicted is live:
        predicted = copy.deepcopy(live)
    for tree in manager_fields(live, {field_manager}, "Apply"):
        for path in leaf_paths(tree):
            if not has_path(target, path) and not has_path(checked, path):
                remove_path(predicted, path)
    return predicted
