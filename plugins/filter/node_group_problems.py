# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Filters that compare Kubernetes Nodes with the node groups an inventory declares."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: node_group_problems
short_description: List how the nodes of a node group differ from its declaration
version_added: 0.1.0
description:
  - Takes the Node objects of a cluster (as C(kubernetes.core.k8s_info) returns them) and one node group of
    C(platform_node_groups), and returns a list of sentences, one per difference. An empty list means the nodes
    match. Nodes belong to the group by their C(eks.amazonaws.com/nodegroup) label, as on EKS.
  - Checks the number of nodes against the chosen scaling size, the capacity type label, every declared label,
    the set of taints, and that each node is Ready.
positional: _input, name, group
options:
  _input:
    description: Node objects.
    type: list
    elements: dict
    required: true
  name:
    description: Node group name.
    type: str
    required: true
  group:
    description: The node group declaration (instance_types, capacity_type, scaling, labels, taints).
    type: dict
    required: true
  size:
    description: Which scaling size the node count must equal.
    type: str
    default: desired_size
    choices: [min_size, desired_size, max_size]
"""

EXAMPLES = r"""
- name: Fail when the general nodes differ from the inventory
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems }}"
  vars:
    problems: "{{ nodes.resources | triptrip.platform.node_group_problems('general', platform_node_groups.general) }}"
"""

RETURN = r"""
_value:
  description: One sentence per difference; empty when the nodes match the declaration.
  type: list
  elements: str
"""

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"


def _taint_set(taints):
    return sorted((t.get("key"), str(t.get("value", "")), t.get("effect")) for t in taints or [])


def node_group_problems(nodes, name, group, size="desired_size"):
    members = [n for n in nodes if (n.get("metadata", {}).get("labels") or {}).get(NODEGROUP_LABEL) == name]
    problems = []
    want = int(group["scaling"][size])
    if len(members) != want:
        problems.append(f"node group {name}: {len(members)} nodes, {size} is {want}")
    want_taints = _taint_set(group.get("taints"))
    for node in members:
        node_name = node["metadata"]["name"]
        labels = node["metadata"].get("labels") or {}
        if labels.get(CAPACITY_LABEL) != group.get("capacity_type"):
            problems.append(
                f"node {node_name}: {CAPACITY_LABEL}={labels.get(CAPACITY_LABEL)}, want {group.get('capacity_type')}"
            )
        for key, value in sorted((group.get("labels") or {}).items()):
            if labels.get(key) != str(value):
                problems.append(f"node {node_name}: label {key}={labels.get(key)}, want {value}")
        have_taints = _taint_set(node.get("spec", {}).get("taints"))
        if have_taints != want_taints:
            problems.append(f"node {node_name}: taints {have_taints}, want {want_taints}")
        ready = [c for c in node.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"]
        if not ready or ready[0].get("status") != "True":
            problems.append(f"node {node_name}: not Ready")
    return problems


class FilterModule:
    def filters(self):
        return {"node_group_problems": node_group_problems}
