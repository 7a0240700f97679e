# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""What is not healthy among Nodes, Deployments, StatefulSets and DaemonSets, one line each."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
---
name: unhealthy_objects
short_description: What is not healthy among Nodes, Deployments, StatefulSets and DaemonSets
version_added: 0.4.0
description:
  - Takes Kubernetes objects (a list, or the registered result of M(kubernetes.core.k8s_info), with or without a
    loop) and returns one line for each that is not healthy, empty when all are.
  - A Node is healthy when its C(Ready) condition is C(True) and it is not cordoned.
  - A Deployment, StatefulSet or DaemonSet is healthy when its controller has seen its latest spec
    (C(status.observedGeneration)) and every wanted pod is updated and available (Deployment C(availableReplicas),
    StatefulSet C(readyReplicas), DaemonSet C(numberAvailable)), as C(kubectl rollout status) judges them.
  - Other kinds fail the filter, so a wrong query cannot pass for a healthy cluster.
positional: _input
options:
  _input:
    description: The objects.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Read the nodes and the workloads
  kubernetes.core.k8s_info:
    kind: "{{ item }}"
  loop: [Node, Deployment, StatefulSet, DaemonSet]
  register: objects

- name: Fail when something is not healthy
  ansible.builtin.assert:
    that: objects | triptrip.platform.unhealthy_objects | length == 0
    fail_msg: "{{ objects | triptrip.platform.unhealthy_objects | join('; ') }}"
"""

RETURN = r"""
_value:
  description: One line per unhealthy object, as C(Deployment triptrip-api/triptrip-api 2/3 available).
  type: list
  elements: str
"""

WANTED = {
    "Deployment": ("replicas", "availableReplicas", "updatedReplicas"),
    "StatefulSet": ("replicas", "readyReplicas", "updatedReplicas"),
    "DaemonSet": ("desiredNumberScheduled", "numberAvailable", "updatedNumberScheduled"),
}


def _objects(value):
    if isinstance(value, dict) and "results" in value:
        return [obj for result in value["results"] for obj in _objects(result)]
    if isinstance(value, dict) and "resources" in value:
        return list(value["resources"])
    if isinstance(value, list):
        return value
    raise AnsibleFilterError(f"unhealthy_objects: expected objects or a k8s_info result, got {type(value).__name__}")


def _problem(obj):
    kind, meta, status = obj.get("kind"), obj.get("metadata") or {}, obj.get("status") or {}
    spec = obj.get("spec") or {}
    if kind == "Node":
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        if ready.get("status") != "True":
            return f"Node {meta.get('name')} not Ready ({ready.get('reason') or 'no Ready condition'})"
        if spec.get("unschedulable"):
            return f"Node {meta.get('name')} cordoned"
        return None
    if kind not in WANTED:
        raise AnsibleFilterError(f"unhealthy_objects: cannot judge the health of a {kind}")
    name = f"{kind} {meta.get('namespace')}/{meta.get('name')}"
    wanted_key, available_key, updated_key = WANTED[kind]
    wanted = status.get(wanted_key, 0) if kind == "DaemonSet" else spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"{name} not yet observed by its controller"
    available, updated = status.get(available_key, 0), status.get(updated_key, 0)
    if available < wanted or updated < wanted:
        return f"{name} {available}/{wanted} available, {updated}/{wanted} updated"
    return None


def unhealthy_objects(value):
    return [problem for problem in map(_problem, _objects(value)) if problem]


class FilterModule:
    def filters(self):
        return {"unhealthy_objects": unhealthy_objects}
