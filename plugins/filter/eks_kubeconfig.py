# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The kubeconfig of an EKS cluster, built as data (what `aws eks update-kubeconfig` writes)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

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

# The ExecCredential version `aws eks get-token` answers by default (and `aws eks update-kubeconfig` writes).
EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"


def eks_kubeconfig(cluster, region, environment=None, role_arn="", proxy_url="", command="aws", token_helper="",
                   token_cache_dir=""):
    """The kubeconfig of `cluster` (eks_cluster_info's snake_case description): one cluster, user and context named
    by the cluster's ARN, as `aws eks update-kubeconfig` names them."""
    name = cluster["arn"]
    args = ["--region", region, "eks", "get-token", "--cluster-name", cluster["name"], "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    entry = {"server": cluster["endpoint"], "certificate-authority-data": cluster["certificate_authority"]["data"]}
    if proxy_url:
        entry["proxy-url"] = proxy_url
    if token_helper:
        if not token_cache_dir:
            raise AnsibleFilterError("eks_kubeconfig: token_helper needs token_cache_dir")
        command, args = token_helper, ["--cache-dir", token_cache_dir, "--", command] + args
    exec_ = {"apiVersion": EXEC_API_VERSION, "command": command, "args": args, "interactiveMode": "Never"}
    env = [{"name": str(k), "value": str(v)} for k, v in sorted((environment or {}).items())]
    if env:
        exec_["env"] = env
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": entry}],
        "users": [{"name": name, "user": {"exec": exec_}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "preferences": {},
    }


class FilterModule:
    def filters(self):
        return {"eks_kubeconfig": eks_kubeconfig}
