"""node_group_errors: every rule names the variable path, the value and the rule; the shipped node groups pass."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible_collections.triptrip.platform.plugins.filter.node_group_errors import node_group_errors


@pytest.fixture(scope="module")
def node_groups_file(root):
    return yaml.safe_load((root / "group_vars" / "all" / "node_groups.yml").read_text())


@pytest.fixture(scope="module")
def spec_groups(node_groups_file):
    return node_groups_file["platform_node_groups_base"]


@pytest.fixture(scope="module")
def known_types(node_groups_file):
    return node_groups_file["platform_instance_types"]


def test_the_spec_node_groups_are_valid(spec_groups, known_types):
    assert node_group_errors(spec_groups) == []
    assert node_group_errors(spec_groups, known_instance_types=known_types) == []


def test_an_instance_type_without_a_known_capacity_names_both_variables(spec_groups, known_types):
    groups = copy.deepcopy(spec_groups)
    groups["general"]["instance_types"] = ["m5.xlarge", "m7i.xlarge"]
    errors = node_group_errors(groups, known_instance_types=known_types)
    assert len(errors) == 1, errors
    assert errors[0].startswith("platform_node_groups.general.instance_types=['m5.xlarge', 'm7i.xlarge']: m7i.xlarge "
                                "not in platform_instance_types (known: m5.xlarge, "), errors
    # Without the capacities the check is skipped (the filter's original contract).
    assert node_group_errors(groups) == []


def test_gp3_throughput_at_a_quarter_of_the_iops_is_valid(spec_groups):
    groups = copy.deepcopy(spec_groups)
    groups["general"]["disk"].update(iops=4000, throughput=1000)
    assert node_group_errors(groups) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda g: g["compute"].update(capacity_type="RESERVED"),
     "platform_node_groups.compute.capacity_type='RESERVED': must be one of ON_DEMAND, SPOT, CAPACITY_BLOCK"),
    (lambda g: g["general"]["scaling"].update(min_size=60),
     "platform_node_groups.general.scaling: min_size=60 is greater than max_size=50"),
    (lambda g: g["general"]["scaling"].update(desired_size=1),
     "platform_node_groups.general.scaling.desired_size=1: must lie between min_size=3 and max_size=50"),
    (lambda g: g["spot"]["scaling"].update(max_size=0, desired_size=0),
     "platform_node_groups.spot.scaling.max_size=0: must be at least 1 (EKS requires it)"),
    (lambda g: g["memory"]["scaling"].update(min_size="1"),
     "platform_node_groups.memory.scaling.min_size='1': must be a whole number >= 0"),
    (lambda g: g["gpu"]["taints"][0].update(effect="NoWay"),
     "platform_node_groups.gpu.taints[0].effect='NoWay': must be one of NoSchedule, NoExecute, PreferNoSchedule"),
    (lambda g: g["gpu"]["taints"][0].update(value=True),
     "platform_node_groups.gpu.taints[0].value=True: must be a string of at most 63 characters (quote \"true\")"),
    (lambda g: g["general"].update(instance_types=[]),
     "platform_node_groups.general.instance_types=[]: must be a non-empty list of EC2 instance types such as m5.xlarge"),
    (lambda g: g["general"]["disk"].update(type="standard"),
     "platform_node_groups.general.disk.type='standard': must be one of gp3, gp2, io1, io2"),
    (lambda g: g["general"]["disk"].update(iops=100),
     "platform_node_groups.general.disk.iops=100: gp3 takes 3000 to 16000 IOPS"),
    (lambda g: g["general"]["disk"].update(iops=3000, throughput=1000),
     "platform_node_groups.general.disk.throughput=1000: gp3 takes at most 0.25 MiB/s per provisioned IOPS, "
     "750 MiB/s with disk.iops=3000"),
    (lambda g: g["general"]["disk"].update(encrypted=False),
     "platform_node_groups.general.disk.encrypted=False: node disks must be encrypted"),
    (lambda g: g["general"].update(instance_typez=["m5.large"]),
     "platform_node_groups.general has unknown keys ['instance_typez']"),
    (lambda g: g["gpu"].update(ami_type="AL2_x86_64_GPU"),
     "platform_node_groups.gpu.ami_type='AL2_x86_64_GPU': must be one of"),
    (lambda g: g["general"]["labels"].update({"kubernetes.io/role": "x"}),
     "platform_node_groups.general.labels key 'kubernetes.io/role'"),
    (lambda g: g["general"].update(update_config={"max_unavailable_percentage": 0}),
     "platform_node_groups.general.update_config.max_unavailable_percentage=0: must be 1 to 100"),
    (lambda g: g["general"].update(update_config={"max_unavailable": 1, "max_unavailable_percentage": 10}),
     "platform_node_groups.general.update_config="),
    (lambda g: g.update({"bad name!": {}}),
     "platform_node_groups key 'bad name!'"),
])
def test_each_rule_names_the_variable(spec_groups, change, expected):
    groups = copy.deepcopy(spec_groups)
    change(groups)
    errors = node_group_errors(groups)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_empty_declaration_is_an_error():
    assert node_group_errors({}) == [
        "platform_node_groups={}: must be a non-empty mapping of node group names to their settings"]
