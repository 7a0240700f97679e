"""nvidia_node_groups (which node groups need the NVIDIA device plugin) and node_groups_placement (pods on those
groups' nodes only): the add-on nvidia_device_plugin is on exactly where EKS's NVIDIA AMI lacks the plugin."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.node_groups_placement import node_groups_placement
from ansible_collections.triptrip.platform.plugins.filter.nvidia_node_groups import nvidia_node_groups


@pytest.fixture(scope="module")
def spec_groups(root):
    """The node groups as group_vars/all/node_groups.yml declares them (production's)."""
    return yaml.safe_load((root / "group_vars/all/node_groups.yml").read_text())["platform_node_groups_base"]


def with_ami(groups, **ami_types):
    changed = copy.deepcopy(groups)
    for name, ami_type in ami_types.items():
        changed[name]["ami_type"] = ami_type
    return changed


def test_the_spec_gpu_group_is_the_one_that_needs_the_plugin(spec_groups):
    assert spec_groups["gpu"]["ami_type"] == "AL2023_x86_64_NVIDIA"
    assert nvidia_node_groups(spec_groups) == {"gpu": spec_groups["gpu"]}


@pytest.mark.parametrize("ami_type", ["AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA", "AL2_x86_64_GPU"])
def test_every_nvidia_ami_without_the_plugin_selects_its_group(spec_groups, ami_type):
    assert list(nvidia_node_groups(with_ami(spec_groups, gpu=ami_type))) == ["gpu"]


@pytest.mark.parametrize("ami_type", ["BOTTLEROCKET_x86_64_NVIDIA", "BOTTLEROCKET_ARM_64_NVIDIA",
                                      "BOTTLEROCKET_x86_64_NVIDIA_FIPS", "AL2023_x86_64_STANDARD",
                                      "AL2023_x86_64_NEURON", "BOTTLEROCKET_x86_64", "CUSTOM"])
def test_bottlerocket_nvidia_and_gpu_less_amis_select_nothing(spec_groups, ami_type):
    # Bottlerocket's NVIDIA variants run the device plugin on the host: a second one must not be installed.
    assert nvidia_node_groups(with_ami(spec_groups, gpu=ami_type)) == {}


def test_a_group_without_ami_type_is_eks_default_standard_ami(spec_groups):
    groups = copy.deepcopy(spec_groups)
    del groups["gpu"]["ami_type"]
    assert nvidia_node_groups(groups) == {}


def test_several_nvidia_groups_are_all_selected(spec_groups):
    groups = with_ami(spec_groups, memory="AL2023_x86_64_NVIDIA")
    assert sorted(nvidia_node_groups(groups)) == ["gpu", "memory"]


def test_node_groups_must_be_a_mapping():
    with pytest.raises(TypeError, match="node groups by name"):
        nvidia_node_groups([{"ami_type": "AL2023_x86_64_NVIDIA"}])


def test_placement_of_the_spec_gpu_group_selects_its_labels_and_tolerates_its_taint(spec_groups):
    placement = node_groups_placement(nvidia_node_groups(spec_groups))
    assert placement["nodeSelector"] == {"nvidia.com/gpu": "true", "workload-type": "gpu"}
    assert placement["nodeSelector"] == {k: str(v) for k, v in spec_groups["gpu"]["labels"].items()}
    assert placement["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true",
                                         "effect": "NoSchedule"}]
    (term,) = placement["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == {"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["gpu"]}]}


def test_two_groups_share_only_their_common_labels_and_each_taint_is_tolerated_once():
    groups = {
        "gpu": {"labels": {"workload-type": "gpu", "nvidia.com/gpu": True, "size": "small"},
                "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]},
        "gpu-big": {"labels": {"workload-type": "gpu", "nvidia.com/gpu": "true", "size": "big"},
                    "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
                               {"key": "dedicated", "effect": "NoExecute"}]},
    }
    placement = node_groups_placement(groups)
    # A YAML boolean label value becomes the string a node label holds.
    assert placement["nodeSelector"] == {"nvidia.com/gpu": "true", "workload-type": "gpu"}
    assert placement["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"},
    ]
    (term,) = placement["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == ["gpu", "gpu-big"]


def test_groups_sharing_no_label_are_still_held_to_their_own_nodes():
    placement = node_groups_placement({"a": {"labels": {"x": "1"}, "taints": []}, "b": {"labels": {"y": "2"}}})
    assert placement["nodeSelector"] == {}
    assert placement["tolerations"] == []
    (term,) = placement["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [{"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["a", "b"]}]


@pytest.mark.parametrize("groups", [{}, None, []])
def test_placement_on_no_node_group_is_refused(groups):
    with pytest.raises(ValueError, match="at least one node group"):
        node_groups_placement(groups)
