# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The check that a kubeconfig points at an EKS cluster: its server and its CA."""

from __future__ import annotations

import base64
import os

import yaml

DOCUMENTATION = r"""
---
name: eks_kubeconfig_errors
short_description: List why a kubeconfig does not point at an EKS cluster, one sentence per reason
version_added: 0.10.0
description:
  - Reads a kubeconfig (its text) and returns one sentence per reason why its context (the one named, else the
    current one) does not reach the cluster C(triptrip.platform.eks_cluster_info) described, such as another server
    or another CA. Empty when it does.
  - A C(certificate-authority) file is read relative to O(base_dir), as kubectl reads it relative to the kubeconfig.
positional: _input, cluster, context
options:
  _input:
    description: The kubeconfig's text.
    type: str
    required: true
  cluster:
    description: The cluster as C(triptrip.platform.eks_cluster_info) returns it (its C(cluster)).
    type: dict
    required: true
  context:
    description: The context to check; empty for the kubeconfig's current context.
    type: str
    default: ""
  base_dir:
    description: The kubeconfig's folder.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: The kubeconfig points at the cluster
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ lookup('ansible.builtin.file', '/home/me/.kube/config') | triptrip.platform.eks_kubeconfig_errors(cluster.cluster) }}"
"""

RETURN = r"""
_value:
  description: One sentence per mismatch; empty when the kubeconfig reaches the cluster.
  type: list
  elements: str
"""


def _named(items, name):
    return next((item.get(key) or {} for item in items or [] for key in ("cluster", "context")
                 if item.get("name") == name and key in item), None)


def _ca_pem(entry, base_dir):
    if entry.get("certificate-authority-data"):
        return base64.b64decode(entry["certificate-authority-data"])
    path = entry.get("certificate-authority")
    if path:
        path = os.path.join(base_dir, os.path.expanduser(path))
        try:
            with open(path, "rb") as handle:
                return handle.read()
        except OSError as err:
            return f"unreadable {path}: {err.strerror}".encode()
    return b""


def eks_kubeconfig_errors(text, cluster, context="", base_dir=""):
    """Why the kubeconfig `text` (its `context`, else its current one) does not reach `cluster`: [] when it does.
    `base_dir` resolves a relative certificate-authority path, as kubectl resolves it from the file's folder."""
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        return [f"the kubeconfig is not YAML: {err}"]
    if not isinstance(config, dict):
        return ["the kubeconfig is not a mapping"]
    wanted = context or config.get("current-context") or ""
    ctx = _named(config.get("contexts"), wanted)
    if not wanted or ctx is None:
        return [f"the kubeconfig has no context {wanted!r}"]
    entry = _named(config.get("clusters"), ctx.get("cluster"))
    if entry is None:
        return [f"context {wanted!r} names cluster {ctx.get('cluster')!r}, which the kubeconfig does not define"]
    errors = []
    server, endpoint = str(entry.get("server", "")).rstrip("/"), str(cluster["endpoint"]).rstrip("/")
    if server != endpoint:
        errors.append(f"context {wanted!r} points at {server or '(no server)'}, but cluster {cluster['name']} "
                      f"is at {endpoint}")
    ca = _ca_pem(entry, base_dir).strip()
    if ca != base64.b64decode(cluster["certificate_authority"]["data"]).strip():
        errors.append(f"context {wanted!r} trusts another CA than cluster {cluster['name']}'s")
    return errors


class FilterModule:
    def filters(self):
        return {"eks_kubeconfig_errors": eks_kubeconfig_errors}
