# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Capacity report of a scheduled cluster against the spec's density and utilisation targets."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.capacity import capacity_report

DOCUMENTATION = r"""
---
name: capacity_report
short_description: Measure where the scheduler placed the pods against the capacity targets
version_added: 0.2.0
description:
  - Takes the Node and Pod objects of a cluster (the C(resources) lists of M(kubernetes.core.k8s_info)) after the
    scheduler has placed the workloads, and returns a report of pods per node, requested CPU and memory as a share
    of allocatable per node and per node group, the Pending pods and why, and whether the placed pods keep their
    topology spread constraints and pod anti-affinity.
  - The targets are Doc-IA-002 1.2.1 C(resource_efficiency) by default, 30-50 pods per node, CPU 60-70 % and
    memory 70-80 %; a value counts as in target when C(low <= value <= high).
  - Pods in phase C(Succeeded) or C(Failed) and pods being deleted (with C(metadata.deletionTimestamp)) are
    ignored. A pod's request is its effective request as the scheduler
    counts it, per resource, the larger of the app containers' sum and the largest init container, then
    pod-level C(spec.resources) where set, plus C(spec.overhead). Sidecars (init containers with
    C(restartPolicy=Always)) count with the app containers and under every init container that starts after
    them. A request left out where a limit is set is the limit, as the API server defaults it.
  - Quantities are Kubernetes quantities (C(100m), C(1.5Gi), C(129M), C(1e3)); CPU in millicores and memory in
    bytes, rounded up as Kubernetes does.
  - Pods belong to a workload by their controller owner; a ReplicaSet with the C(pod-template-hash) suffix stands
    for its Deployment. DaemonSet pods are counted but have nothing to spread.
  - Each C(topologySpreadConstraints) entry of a workload (read from its first pod) is checked against its bound
    pods as kube-scheduler counts them, skew is the largest minus the smallest count of matching pods over the
    eligible domains (zero-count domains included). A node is eligible when it carries the topology keys of the
    pod's constraints, matches the pod's C(nodeSelector) and required node affinity (C(nodeAffinityPolicy=Honor),
    the default) and, only with C(nodeTaintsPolicy=Honor), has no NoSchedule or NoExecute taint the pod does not
    tolerate. kube-scheduler's default C(nodeTaintsPolicy) is C(Ignore), so by default a zone of tainted nodes
    counts as a domain with no pods. With fewer eligible domains than C(minDomains), the minimum is taken as 0.
  - Each required pod anti-affinity term holds when no placed pod of the workload shares a topology domain with
    another pod its selector matches; preferred terms are reported as soft. C(matchLabelKeys) and
    C(mismatchLabelKeys) join the selector with the first pod's labels. A non-empty C(namespaceSelector) cannot be
    evaluated from pods alone, so only the named namespaces and the pod's own are checked, and the detail says so.
positional: _input, pods, targets, group_label
options:
  _input:
    description: Node objects.
    type: list
    elements: dict
    required: true
  pods:
    description: Pod objects of every namespace.
    type: list
    elements: dict
    required: true
  targets:
    description:
      - Target bands, C([low, high]), by C(pods_per_node), C(cpu_pct) and C(memory_pct); keys left out keep their
        default.
    type: dict
    default: {pods_per_node: [30, 50], cpu_pct: [60, 70], memory_pct: [70, 80]}
  group_label:
    description: The node label that names a node's node group; nodes without it form the group C((unlabelled)).
    type: str
    default: triptrip.io/kwok-node-group
"""

EXAMPLES = r"""
- name: Read the nodes
  kubernetes.core.k8s_info:
    kind: Node
  register: __capacity_nodes

- name: Read the pods
  kubernetes.core.k8s_info:
    kind: Pod
  register: __capacity_pods

- name: Build the capacity report
  ansible.builtin.set_fact:
    __capacity: "{{ __capacity_nodes.resources | triptrip.platform.capacity_report(__capacity_pods.resources) }}"

- name: Fail when a hard spread or anti-affinity rule is broken
  ansible.builtin.assert:
    that: __capacity.spread_all_hard_held
    fail_msg: "{{ __capacity.spread | rejectattr('held') | selectattr('hard') | list }}"

- name: Use the spec's targets with a wider pod band
  ansible.builtin.debug:
    msg: "{{ nodes | triptrip.platform.capacity_report(pods, {'pods_per_node': [20, 50]}) }}"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    nodes:
      description:
        - One entry per node, by name, with C(name), C(group), C(zone), C(pods) (bound pods neither terminated
          nor being deleted), C(cpu_requested_m), C(cpu_allocatable_m), C(memory_requested_bytes),
          C(memory_allocatable_bytes), C(cpu_pct), C(memory_pct) (one decimal; null without allocatable) and
          C(pods_in_target).
      type: list
      elements: dict
    groups:
      description:
        - By node group name, C(nodes), C(pods), C(nodes_with_pods), C(pods_per_node_min), C(pods_per_node_avg),
          C(pods_per_node_max), C(pods_per_node_in_target) (the average), C(nodes_in_pod_target), the summed
          C(cpu_requested_m), C(cpu_allocatable_m), C(memory_requested_bytes), C(memory_allocatable_bytes),
          C(cpu_pct) and C(memory_pct) (sum requested over sum allocatable), C(cpu_in_target) and
          C(memory_in_target).
      type: dict
    pending:
      description:
        - Pods bound to no node, each with C(namespace), C(name), C(owner) (C(Kind/name)), and C(reason) and
          C(message) of its C(PodScheduled=False) condition (C(Unknown) and empty without one).
      type: list
      elements: dict
    pending_count:
      description: How many pods are pending.
      type: int
    pending_by_reason:
      description:
        - Pending pods grouped by reason and scheduler predicates, most first, each with C(reason), C(predicates)
          (the distinct texts of C(0/125 nodes are available, ...), counts and the preemption report dropped),
          C(summary) (the predicates joined), C(count) and up to 10 C(examples) (C(namespace/name)).
      type: list
      elements: dict
    spread:
      description:
        - One result per workload and rule, each with C(owner), C(namespace), C(kind) (C(topologySpread) or
          C(podAntiAffinity)), C(rule) (such as C(topologySpread zone maxSkew=1 DoNotSchedule)), C(hard) (false
          for C(ScheduleAnyway) and preferred terms), C(held), C(counts) (matching pods by domain; for
          anti-affinity, only the domains that break the rule) and C(detail); spread results add C(skew) and
          C(max_skew).
      type: list
      elements: dict
    spread_all_hard_held:
      description: Every hard result held (true when there is none).
      type: bool
    totals:
      description: C(nodes), C(pods) (bound), C(pending) and the C(targets) used.
      type: dict
"""


class FilterModule:
    def filters(self):
        return {"capacity_report": capacity_report}
