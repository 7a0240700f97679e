"""triptrip.platform.node_group_problems: every kind of difference is reported, a match reports none."""

from __future__ import annotations

import copy

from ansible_collections.triptrip.platform.plugins.filter.node_group_problems import node_group_problems

GROUP = {
    "instance_types": ["c5.xlarge"],
    "capacity_type": "ON_DEMAND",
    "scaling": {"min_size": 1, "max_size": 3, "desired_size": 2},
    "labels": {"workload-type": "compute", "tier": "compute"},
    "taints": [{"key": "workload-type", "value": "compute", "effect": "NoSchedule"}],
}


def node(name, group="compute", ready="True", **label_overrides):
    labels = {"eks.amazonaws.com/nodegroup": group, "eks.amazonaws.com/capacityType": "ON_DEMAND",
              "workload-type": "compute", "tier": "compute", **label_overrides}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": [{"key": "workload-type", "value": "compute", "effect": "NoSchedule"}]},
        "status": {"conditions": [{"type": "Ready", "status": ready}]},
    }


def test_matching_nodes_report_nothing():
    assert node_group_problems([node("a"), node("b"), node("x", group="general")], "compute", GROUP) == []


def test_wrong_count_is_reported_against_the_chosen_size():
    problems = node_group_problems([node("a")], "compute", GROUP)
    assert problems == ["node group compute: 1 nodes, desired_size is 2"]
    assert node_group_problems([node("a")], "compute", GROUP, size="min_size") == []


def test_label_capacity_taint_and_readiness_differences_are_each_reported():
    bad = node("b", tier="standard", **{"eks.amazonaws.com/capacityType": "SPOT"})
    bad["spec"]["taints"] = []
    unready = node("a", ready="False")
    problems = node_group_problems([unready, bad], "compute", GROUP)
    assert "node a: not Ready" in problems
    assert "node b: eks.amazonaws.com/capacityType=SPOT, want ON_DEMAND" in problems
    assert "node b: label tier=standard, want compute" in problems
    assert any(p.startswith("node b: taints []") for p in problems)
    assert len(problems) == 4


def test_taint_value_change_is_detected():
    group = copy.deepcopy(GROUP)
    group["taints"][0]["value"] = "batch"
    problems = node_group_problems([node("a"), node("b")], "compute", group)
    assert len(problems) == 2 and all("taints" in p for p in problems)
