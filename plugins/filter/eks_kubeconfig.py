# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The kubeconfig of an EKS cluster, built as data (what `aws eks update-kubeconfig` writes)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.triptrip.platform.plugins.module_utils.kubeconfig import eks_kubeconfig as build_kubeconfig

DOCUMENTATION = r"""
---
name: eks_kubeconfig
short_description: Build the kubeconfig of an EKS cluster, with an aws eks get-token exec credential
version_added: 0.10.0
description:
  - C(eks_kubeconfig) builds, as data, the kubeconfig C(aws eks update-kubeconfig) would write for the cluster that
    C(triptrip.platform.eks_cluster_info) described (its endpoint and CA) and an C(exec) credential that runs
    C(aws eks get-token), so every Kubernetes and Helm client gets a fresh token (an EKS token lives 15 minutes).
    The environment given is added to the exec's, never credentials (those come from the runner's own environment
    or profile).
positional: _input
options:
  _input:
    description: The cluster as C(triptrip.platform.eks_cluster_info) returns it (its C(cluster)).
    type: dict
    required: true
  region:
    description: The cluster's region.
    type: str
    required: true
  environment:
    description: Environment of the exec credential (endpoint, profile, retry settings), never credentials.
    type: dict
  role_arn:
    description: The role C(aws eks get-token --role-arn) assumes.
    type: str
  proxy_url:
    description: The cluster entry's C(proxy-url).
    type: str
  command:
    description: The exec credential's command.
    type: str
    default: aws
  token_helper:
    description:
      - A command that runs the exec credential's command line after its own arguments and keeps the token for
        reuse (the C(triptrip-eks-token) the C(eks_kubeconfig) role installs); empty to run C(command) itself.
    type: str
    default: ""
  token_cache_dir:
    description: Where C(token_helper) keeps tokens; required with it.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The kubeconfig of the cluster
  ansible.builtin.copy:
    content: "{{ cluster.cluster | triptrip.platform.eks_kubeconfig(region='ap-northeast-1') | to_nice_yaml }}"
    dest: /home/me/.local/state/triptrip-platform/kubeconfig-triptrip-production
    mode: "0600"
"""

RETURN = r"""
_value:
  description: The kubeconfig as a mapping.
  type: dict
"""


def eks_kubeconfig(cluster, region, **kwargs):
    try:
        return build_kubeconfig(cluster, region, **kwargs)
    except ValueError as err:
        raise AnsibleFilterError(str(err)) from err


class FilterModule:
    def filters(self):
        return {"eks_kubeconfig": eks_kubeconfig}
