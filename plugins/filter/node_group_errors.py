# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Input validation of the node groups an inventory declares, before anything is touched."""

from __future__ import annotations

import re

DOCUMENTATION = r"""
---
name: node_group_errors
short_description: List what is wrong with declared node groups, one sentence per error
version_added: 0.1.0
description:
  - Takes C(platform_node_groups) (node groups by name) and returns one sentence per invalid value, each naming
    the variable path (such as C(platform_node_groups.compute.scaling.min_size)), the value and the rule. An empty
    list means the declaration is valid.
  - Checks names, unknown keys, instance types, capacity type, scaling sizes (whole numbers, 0 <= min <= desired
    <= max, max >= 1), disks (gp3/gp2/io1/io2, sizes, IOPS and throughput ranges of gp3, and at most 0.25 MiB/s of
    gp3 throughput per provisioned IOPS), labels, taints (key, value, effect) and the update config. EKS and moto
    accept some of these silently or fail late; this runs in the platform role, before any AWS call.
  - With I(known_instance_types), every instance type of a group must be one of its keys (the capacities the
    quota check and the local nodes read).
positional: _input, variable
options:
  _input:
    description: Node groups by name, as C(platform_node_groups).
    type: dict
    required: true
  variable:
    description: The variable name used in the messages.
    type: str
    default: platform_node_groups
  known_instance_types:
    description:
      - Capacities by instance type, as C(platform_instance_types); every instance type of a group must be a key.
      - Empty (the default) skips this check.
    type: dict
    default: {}
  known_variable:
    description: The name of I(known_instance_types) used in the messages.
    type: str
    default: platform_instance_types
"""

EXAMPLES = r"""
- name: Check the node groups
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ platform_node_groups | triptrip.platform.node_group_errors }}"

- name: Also check that every instance type has a known capacity
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ platform_node_groups | triptrip.platform.node_group_errors(known_instance_types=platform_instance_types) }}"
"""

RETURN = r"""
_value:
  description: One sentence per invalid value; empty when every node group is valid.
  type: list
  elements: str
"""

KEYS = {"instance_types", "capacity_type", "scaling", "disk", "labels", "taints", "update_config", "ami_type"}
CAPACITY_TYPES = ["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
EFFECTS = ["NoSchedule", "NoExecute", "PreferNoSchedule", "NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
DISK_TYPES = ["gp3", "gp2", "io1", "io2"]
AMI_TYPES = [
    "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA",
    "AL2023_x86_64_NEURON", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64", "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA", "CUSTOM",
]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# Kubernetes label key: optional DNS-subdomain prefix, then a name of at most 63 characters.
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                       r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _group_errors(path, group, known=None, known_variable="platform_instance_types"):
    errors = []
    if not isinstance(group, dict):
        return [f"{path}={group!r}: must be a mapping of instance_types, capacity_type, scaling, disk, labels, "
                "taints, update_config"]
    unknown = sorted(set(group) - KEYS)
    if unknown:
        errors.append(f"{path} has unknown keys {unknown}: allowed are {sorted(KEYS)}")

    types = group.get("instance_types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) and INSTANCE_TYPE.match(t) for t in types):
        errors.append(f"{path}.instance_types={types!r}: must be a non-empty list of EC2 instance types such as m5.xlarge")
    elif known:
        unknown = [t for t in types if t not in known]
        if unknown:
            errors.append(f"{path}.instance_types={types!r}: {', '.join(unknown)} not in {known_variable} (known: "
                          f"{', '.join(known)}); add each instance type a node group uses to {known_variable} with "
                          "its cpu, memory_gib and gpu")

    capacity = group.get("capacity_type")
    if capacity not in CAPACITY_TYPES:
        errors.append(f"{path}.capacity_type={capacity!r}: must be one of {', '.join(CAPACITY_TYPES)}")

    if "ami_type" in group and group["ami_type"] not in AMI_TYPES:
        errors.append(f"{path}.ami_type={group['ami_type']!r}: must be one of {', '.join(AMI_TYPES)} "
                      "(AL2 AMIs end with Kubernetes 1.32)")

    scaling = group.get("scaling")
    if not isinstance(scaling, dict):
        errors.append(f"{path}.scaling={scaling!r}: must be a mapping of min_size, max_size, desired_size")
    else:
        sizes = {}
        for key in ("min_size", "max_size", "desired_size"):
            value = scaling.get(key)
            if not _int(value) or value < 0:
                errors.append(f"{path}.scaling.{key}={value!r}: must be a whole number >= 0")
            else:
                sizes[key] = value
        unknown = sorted(set(scaling) - {"min_size", "max_size", "desired_size"})
        if unknown:
            errors.append(f"{path}.scaling has unknown keys {unknown}")
        if len(sizes) == 3:
            if sizes["max_size"] < 1:
                errors.append(f"{path}.scaling.max_size={sizes['max_size']}: must be at least 1 (EKS requires it)")
            if sizes["min_size"] > sizes["max_size"]:
                errors.append(f"{path}.scaling: min_size={sizes['min_size']} is greater than max_size={sizes['max_size']}")
            elif not sizes["min_size"] <= sizes["desired_size"] <= sizes["max_size"]:
                errors.append(f"{path}.scaling.desired_size={sizes['desired_size']}: must lie between min_size="
                              f"{sizes['min_size']} and max_size={sizes['max_size']}")

    disk = group.get("disk")
    if not isinstance(disk, dict):
        errors.append(f"{path}.disk={disk!r}: must be a mapping of size_gb, type, iops, throughput, encrypted")
    else:
        size, kind = disk.get("size_gb"), disk.get("type")
        if not _int(size) or not 20 <= size <= 16384:
            errors.append(f"{path}.disk.size_gb={size!r}: must be a whole number of GiB from 20 to 16384")
        if kind not in DISK_TYPES:
            errors.append(f"{path}.disk.type={kind!r}: must be one of {', '.join(DISK_TYPES)}")
        if kind == "gp3":
            iops, throughput = disk.get("iops", 3000), disk.get("throughput", 125)
            if not _int(iops) or not 3000 <= iops <= 16000:
                errors.append(f"{path}.disk.iops={iops!r}: gp3 takes 3000 to 16000 IOPS")
            if not _int(throughput) or not 125 <= throughput <= 1000:
                errors.append(f"{path}.disk.throughput={throughput!r}: gp3 takes 125 to 1000 MiB/s")
            elif _int(iops) and 3000 <= iops <= 16000 and throughput > iops / 4:
                errors.append(f"{path}.disk.throughput={throughput!r}: gp3 takes at most 0.25 MiB/s per provisioned "
                              f"IOPS, {iops // 4} MiB/s with disk.iops={iops}")
        if disk.get("encrypted", True) is not True:
            errors.append(f"{path}.disk.encrypted={disk.get('encrypted')!r}: node disks must be encrypted")
        unknown = sorted(set(disk) - {"size_gb", "type", "iops", "throughput", "encrypted", "device_name"})
        if unknown:
            errors.append(f"{path}.disk has unknown keys {unknown}")

    labels = group.get("labels", {})
    if not isinstance(labels, dict):
        errors.append(f"{path}.labels={labels!r}: must be a mapping of label keys to string values")
    else:
        for key, value in labels.items():
            if not isinstance(key, str) or not LABEL_KEY.match(key) or key.startswith(("kubernetes.io/", "k8s.io/")):
                errors.append(f"{path}.labels key {key!r}: must be a Kubernetes label key outside kubernetes.io/ and k8s.io/")
            if not isinstance(value, str) or not LABEL_VALUE.match(value):
                errors.append(f"{path}.labels.{key}={value!r}: must be a string label value (quote true, false "
                              "and numbers), at most 63 characters")

    taints = group.get("taints", [])
    if not isinstance(taints, list):
        errors.append(f"{path}.taints={taints!r}: must be a list of {{key, value, effect}}")
    else:
        for index, taint in enumerate(taints):
            where = f"{path}.taints[{index}]"
            if not isinstance(taint, dict):
                errors.append(f"{where}={taint!r}: must be a mapping of key, value, effect")
                continue
            if not isinstance(taint.get("key"), str) or not LABEL_KEY.match(taint.get("key")):
                errors.append(f"{where}.key={taint.get('key')!r}: must be a Kubernetes label key")
            value = taint.get("value", "")
            if not isinstance(value, str) or not LABEL_VALUE.match(value):
                errors.append(f"{where}.value={value!r}: must be a string of at most 63 characters (quote \"true\")")
            if taint.get("effect") not in EFFECTS:
                errors.append(f"{where}.effect={taint.get('effect')!r}: must be one of NoSchedule, NoExecute, "
                              "PreferNoSchedule")
            unknown = sorted(set(taint) - {"key", "value", "effect"})
            if unknown:
                errors.append(f"{where} has unknown keys {unknown}")

    update = group.get("update_config", {})
    one_key = ("max_unavailable", "max_unavailable_percentage")
    if not isinstance(update, dict) or len(update) > 1 or (update and next(iter(update)) not in one_key):
        errors.append(f"{path}.update_config={update!r}: set one of max_unavailable or max_unavailable_percentage")
    elif "max_unavailable_percentage" in update:
        value = update["max_unavailable_percentage"]
        if not _int(value) or not 1 <= value <= 100:
            errors.append(f"{path}.update_config.max_unavailable_percentage={value!r}: must be 1 to 100")
    elif "max_unavailable" in update:
        value = update["max_unavailable"]
        if not _int(value) or not 1 <= value <= 100:
            errors.append(f"{path}.update_config.max_unavailable={value!r}: must be 1 to 100 nodes")
    return errors


def node_group_errors(groups, variable="platform_node_groups", known_instance_types=None,
                      known_variable="platform_instance_types"):
    if not isinstance(groups, dict) or not groups:
        return [f"{variable}={groups!r}: must be a non-empty mapping of node group names to their settings"]
    errors = []
    for name, group in groups.items():
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(f"{variable} key {name!r}: a node group name is letters, digits, - and _ (at most 63)")
            continue
        errors.extend(_group_errors(f"{variable}.{name}", group, known_instance_types, known_variable))
    return errors


class FilterModule:
    def filters(self):
        return {"node_group_errors": node_group_errors}
