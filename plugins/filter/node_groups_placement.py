# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Pod scheduling that lands on the nodes of given node groups, and only there."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: node_groups_placement
short_description: Pod nodeSelector, node affinity and tolerations for the nodes of some node groups
version_added: 0.2.0
description:
  - Takes node groups by name (a subset of C(platform_node_groups)) and returns the scheduling fields of a pod
    spec that put it on their nodes and on no other node, from the groups' own labels and taints.
  - C(nodeSelector) holds the labels every given group sets with the same value (for one group, all its labels).
  - C(affinity) requires the node label C(eks.amazonaws.com/nodegroup), which EKS sets on every node of a managed
    node group to the group's name, to be one of the given groups; this also holds when the groups share no label.
  - C(tolerations) tolerates each taint of the given groups exactly (key, value, effect), with EKS's effect names
    (C(NO_SCHEDULE)) written as Kubernetes spells them (C(NoSchedule)).
positional: _input
options:
  _input:
    description: Node groups by name, each with C(labels) and C(taints) as in C(platform_node_groups).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Place a DaemonSet on the GPU node groups only
  ansible.builtin.set_fact:
    placement: "{{ platform_node_groups | triptrip.platform.nvidia_node_groups | triptrip.platform.node_groups_placement }}"
"""

RETURN = r"""
_value:
  description: The scheduling fields, in a pod spec's (and most charts' values') shape.
  type: dict
  contains:
    nodeSelector:
      description: Labels shared by every given group, as strings.
      type: dict
    affinity:
      description: C(nodeAffinity) requiring C(eks.amazonaws.com/nodegroup) In the groups' names.
      type: dict
    tolerations:
      description: One toleration per distinct taint of the groups, in the groups' order.
      type: list
      elements: dict
"""

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
# EKS's API names the effects in upper snake case; pod tolerations need Kubernetes' names.
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


def _label_value(value):
    # YAML turns "true" into a bool when unquoted; a node label is always a string, lower case for booleans.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _toleration(taint):
    toleration = {"key": taint["key"]}
    if taint.get("value") in (None, ""):
        toleration["operator"] = "Exists"
    else:
        toleration.update(operator="Equal", value=_label_value(taint["value"]))
    toleration["effect"] = EFFECTS.get(taint["effect"], taint["effect"])
    return toleration


def node_groups_placement(groups):
    """nodeSelector (the shared labels), affinity (the groups' names) and tolerations (their taints)."""
    if not isinstance(groups, dict) or not groups:
        raise ValueError(f"node_groups_placement needs at least one node group by name, got {groups!r}: a pod "
                         "placed on no node group would never be scheduled")
    labelled = [{k: _label_value(v) for k, v in (group.get("labels") or {}).items()} for group in groups.values()]
    shared = {k: v for k, v in labelled[0].items() if all(other.get(k) == v for other in labelled[1:])}
    tolerations = []
    for group in groups.values():
        for taint in group.get("taints") or []:
            toleration = _toleration(taint)
            if toleration not in tolerations:
                tolerations.append(toleration)
    term = {"matchExpressions": [{"key": NODEGROUP_LABEL, "operator": "In", "values": sorted(groups)}]}
    return {
        "nodeSelector": dict(sorted(shared.items())),
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}},
        "tolerations": tolerations,
    }


class FilterModule:
    def filters(self):
        return {"node_groups_placement": node_groups_placement}
