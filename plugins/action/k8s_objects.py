# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""Action for triptrip.platform.k8s_objects: kubernetes.core.k8s, with one readable diff per changed object."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

# Server bookkeeping that changes on every write and says nothing about the object.
_NOISE = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid")


def _clean(obj):
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = {k: v for k, v in out["metadata"].items() if k not in _NOISE}
    out.pop("status", None)
    return out


def _label(obj):
    meta = (obj or {}).get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{(obj or {}).get('kind', 'object')} {where}{meta.get('name', '?')}"


def lift_diffs(module_result):
    """The per-object diffs of a kubernetes.core.k8s result for a list of definitions, headed by object."""
    items = (module_result.get("result") or {}).get("results") if isinstance(module_result.get("result"), dict) else None
    if not isinstance(items, list):
        return []
    diffs = []
    for item in items:
        diff = item.get("diff")
        if not item.get("changed") or not isinstance(diff, dict):
            continue
        name = _label(item.get("result") or diff.get("after") or diff.get("before"))
        diffs.append({
            "before": _clean(diff.get("before") or {}),
            "after": _clean(diff.get("after") or {}),
            "before_header": name,
            "after_header": name,
        })
    return diffs


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        super().run(tmp, task_vars)
        result = self._execute_module(
            module_name="kubernetes.core.k8s", module_args=dict(self._task.args), task_vars=task_vars
        )
        diffs = lift_diffs(result)
        if diffs:
            result["diff"] = diffs
        return result
