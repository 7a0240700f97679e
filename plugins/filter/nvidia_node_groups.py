# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The node groups whose nodes need the NVIDIA Kubernetes device plugin installed as an add-on."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: nvidia_node_groups
short_description: Select the node groups whose AMI has NVIDIA drivers but no Kubernetes device plugin
version_added: 0.2.0
description:
  - Takes C(platform_node_groups) (node groups by name) and returns those whose C(ami_type) is an EKS NVIDIA AMI
    that ships the GPU driver and the container toolkit but not the Kubernetes device plugin, so that no pod can
    request C(nvidia.com/gpu) on their nodes until the plugin is installed (the C(nvidia_device_plugin) add-on).
  - These are C(AL2023_x86_64_NVIDIA), C(AL2023_ARM_64_NVIDIA) and C(AL2_x86_64_GPU). Bottlerocket's NVIDIA AMI
    types (C(BOTTLEROCKET_*_NVIDIA), FIPS variants included) are left out, as every other AMI type is, because
    Bottlerocket runs the device plugin on the host itself (EKS user guide, Install Kubernetes device plugin for
    GPUs); a node group without C(ami_type) gets EKS's default AL2023 standard AMI, which has no GPU driver.
positional: _input
options:
  _input:
    description: Node groups by name, as C(platform_node_groups); each may set C(ami_type).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install the device plugin only where a node group needs it
  ansible.builtin.debug:
    msg: "{{ platform_node_groups | triptrip.platform.nvidia_node_groups | list }}"
"""

RETURN = r"""
_value:
  description: The selected node groups, by name, as they were given; empty when no node group needs the plugin.
  type: dict
"""

# The EKS AMI types with the NVIDIA driver and container toolkit and without the Kubernetes device plugin
# (https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html). Bottlerocket's *_NVIDIA types
# are not here on purpose: their hosts run the plugin already, and a second one would register nvidia.com/gpu with
# the same kubelet again.
NEEDS_DEVICE_PLUGIN = ("AL2023_x86_64_NVIDIA", "AL2023_ARM_64_NVIDIA", "AL2_x86_64_GPU")


def nvidia_node_groups(groups):
    """The node groups (by name) whose ami_type is one of NEEDS_DEVICE_PLUGIN."""
    if not isinstance(groups, dict):
        raise TypeError(f"nvidia_node_groups expects node groups by name (a mapping), got {type(groups).__name__}")
    return {name: group for name, group in groups.items()
            if isinstance(group, dict) and group.get("ami_type") in NEEDS_DEVICE_PLUGIN}


class FilterModule:
    def filters(self):
        return {"nvidia_node_groups": nvidia_node_groups}
