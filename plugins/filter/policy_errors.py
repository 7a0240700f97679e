# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The platform's policy: what an environment must be beyond well-formed input, one sentence per breach."""

from __future__ import annotations

import datetime
import json
import re

from ansible_collections.triptrip.platform.plugins.module_utils.capacity import parse_quantity
from ansible_collections.triptrip.platform.plugins.module_utils.eks_access_policies import (CLUSTER_ADMIN_POLICY,
                                                                                            policy_name)

DOCUMENTATION = r"""
---
name: policy_errors
short_description: List where an inventory breaks the platform's policy for its environment
version_added: 0.4.0
description:
  - Takes the platform's settings by variable name and returns one sentence per breach, each naming the variable, its
    value and the rule (with the spec's section where it has one). An empty list means the environment complies.
  - The strict environments (production and dr, and any that C(platform_policy_strict_environments) adds) keep a
    private endpoint, deletion protection, the five control plane log types, zonal shift, an IMDS hop limit of 1,
    and at least one access entry of their own with C(AmazonEKSClusterAdminPolicy) at cluster scope (the runner's
    entry is only whoever ran the playbooks). The serving ones (production, dr and staging, and any that
    C(platform_policy_serving_environments) adds) span three zones, keep the workloads' PodDisruptionBudgets and run
    a Kubernetes minor still in EKS standard support today.
  - Which environments are strict or serving is the collection's, not the inventory's (the policy is not data of
    the inventory it polices), so an inventory can add environments to either list, never take one out.
  - Every environment runs a minor C(platform_eks_standard_support_end) knows, kube-proxy built for that minor, node
    groups whose maximum sizes hold what the quotas request, names that follow the convention, and dr in another
    region than production's.
  - The values' types are taken as checked (the role's argument specs and C(settings_errors) run first).
positional: _input
options:
  _input:
    description: The settings by variable name (C(platform_environment), C(platform_eks_version), ...).
    type: dict
    required: true
  today:
    description: The date to hold the EKS standard support end against, as C(YYYY-MM-DD); empty for today in UTC.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Check the inventory against the platform's policy
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'platform_environment': platform_environment, 'platform_eks_version': platform_eks_version}
      | triptrip.platform.policy_errors }}"
"""

RETURN = r"""
_value:
  description: One sentence per breach; empty when the environment complies.
  type: list
  elements: str
"""

# The collection's, not the inventory's: an inventory that polices itself could lift its own rules by emptying a list
# (issue #26). platform_policy_strict_environments and platform_policy_serving_environments can only add to these.
STRICT_ENVIRONMENTS = frozenset({"production", "dr"})
SERVING_ENVIRONMENTS = frozenset({"production", "dr", "staging"})


def is_strict(settings):
    """Whether the settings' environment is held to the strict rules."""
    return settings.get("platform_environment") in STRICT_ENVIRONMENTS | set(
        settings.get("platform_policy_strict_environments") or [])


def is_serving(settings):
    """Whether the settings' environment serves traffic."""
    return settings.get("platform_environment") in SERVING_ENVIRONMENTS | set(
        settings.get("platform_policy_serving_environments") or [])


LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def _json(value):
    return json.dumps(value, default=str)


def _sum(values, unit="1"):
    return sum(float(parse_quantity(v)) for v in values) / float(parse_quantity(unit))


def _strict(s, env):
    errors = []
    if s.get("platform_eks_endpoint_public_access"):
        errors.append(f"platform_eks_endpoint_public_access={s.get('platform_eks_endpoint_public_access')}: {env} "
                      "must have a private endpoint only (spec 2.1.2)")
    if not s.get("platform_eks_deletion_protection"):
        errors.append(f"platform_eks_deletion_protection={s.get('platform_eks_deletion_protection')}: {env} must "
                      "protect its cluster from deletion")
    logged = s.get("platform_eks_logging_types") or []
    if any(t not in logged for t in LOG_TYPES):
        errors.append(f"platform_eks_logging_types={_json(logged)}: {env} must log {', '.join(LOG_TYPES)} (spec "
                      "2.1.2; CIS EKS 2.1.1)")
    if s.get("platform_eks_zonal_shift") is not True:
        errors.append(f"platform_eks_zonal_shift={s.get('platform_eks_zonal_shift')}: {env} must let an impaired "
                      "availability zone's traffic shift to the others (zonal shift; spec 2.1.1's three zones)")
    if s.get("platform_node_imds_hop_limit") != 1:
        errors.append(f"platform_node_imds_hop_limit={s.get('platform_node_imds_hop_limit')}: {env} nodes must keep "
                      "pods away from the instance metadata (hop limit 1)")
    entries = s.get("platform_eks_access_entries") or []
    if not any(policy_name(p.get("policy_arn")) == CLUSTER_ADMIN_POLICY
               and (p.get("access_scope") or {}).get("type") == "cluster"
               for e in entries if isinstance(e, dict) for p in e.get("access_policies") or [] if isinstance(p, dict)):
        errors.append(f"platform_eks_access_entries={_json(entries)}: {env} must keep at least one access entry with "
                      f"{CLUSTER_ADMIN_POLICY} at cluster scope (access_scope type cluster): the cluster is created without "
                      "a creator admin, and the runner's own entry (platform_eks_runner_access) is only whoever ran the "
                      "playbooks; once that is gone, nobody could administer the cluster")
    return errors


def _serving(s, env, today):
    errors = []
    zones = list(dict.fromkeys(x.get("az") for x in s.get("platform_private_subnets") or [] if isinstance(x, dict)))
    if len(zones) < 3:
        errors.append(f"platform_private_subnets zones={_json(zones)}: {env} must span at least 3 availability zones "
                      "(spec 2.1.1)")
    pdbs = {name: ((w.get("values") or {}).get("podDisruptionBudget") or {})
            for name, w in (s.get("platform_workloads") or {}).items() if isinstance(w, dict) and w.get("enabled")}
    pdbs_off = [name for name, pdb in pdbs.items() if isinstance(pdb, dict) and "enabled" in pdb and not pdb["enabled"]]
    if pdbs_off:
        errors.append(f"platform_workloads.<name>.values.podDisruptionBudget.enabled=false for {', '.join(pdbs_off)}: "
                      f"{env} must keep PodDisruptionBudgets on (spec 3.1: the API keeps 50 % available)")
    version = s.get("platform_eks_version")
    support_end = (s.get("platform_eks_standard_support_end") or {}).get(version)
    if support_end is not None and str(support_end) < today:
        errors.append(f"platform_eks_version={version}: for {env} it must still be in EKS standard support on {today} "
                      f"(it ended {support_end}); upgrade one minor at a time")
    return errors


def _capacity(s):
    groups, types = s.get("platform_node_groups") or {}, s.get("platform_instance_types") or {}
    try:
        first = [(g["scaling"]["max_size"], types[g["instance_types"][0]]) for g in groups.values()]
        nodes_cpu = sum(size * kind["cpu"] for size, kind in first)
        nodes_memory = sum(size * kind["memory_gib"] for size, kind in first)
        quotas = (s.get("platform_resource_quotas") or {}).values()
        quota_cpu = _sum([q.get("requests.cpu", 0) for q in quotas])
        quota_memory = _sum([q.get("requests.memory", 0) for q in quotas], "1Gi")
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, ArithmeticError):
        return []  # A malformed group or quota is preflight_errors' to name; the policy reads valid values only.
    if quota_cpu <= nodes_cpu and quota_memory <= nodes_memory:
        return []
    return [f"platform_node_groups at max_size give {nodes_cpu:g} vCPU and {nodes_memory:g} GiB (first instance type of "
            f"each group), but platform_resource_quotas request {quota_cpu:g} vCPU and {quota_memory:g} GiB in all "
            "(Appendix A): the node groups' maximum sizes must hold what the quotas admit"]


def policy_errors(settings, today=""):
    s = settings or {}
    env = s.get("platform_environment")
    today = today or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    errors = []
    if is_strict(s):
        errors += _strict(s, env)
    if is_serving(s):
        errors += _serving(s, env, today)
    version, support = s.get("platform_eks_version"), s.get("platform_eks_standard_support_end") or {}
    if version not in support:
        errors.append(f"platform_eks_version={version}: must be a minor of platform_eks_standard_support_end "
                      f"({', '.join(support)}); upgrade one minor at a time")
    # (The cluster autoscaler's image minor is checked with the add-ons: plugins/filter/addon_errors.py.)
    proxy = ((s.get("platform_eks_addons") or {}).get("kube-proxy") or {}).get("version", "")
    proxy_minor = re.match(r"^v?([0-9]+[.][0-9]+)", str(proxy))
    if (s.get("platform_eks_addons_enabled") and "kube-proxy" in (s.get("platform_eks_addons") or {})
            and (proxy_minor.group(1) if proxy_minor else "") != version):
        errors.append(f"platform_eks_addons.kube-proxy.version={proxy}: its minor must equal "
                      f"platform_eks_version={version} (kube-proxy may be neither newer than the control plane nor "
                      "older than its nodes); change the two together when you upgrade")
    errors += _capacity(s)
    name = str(s.get("platform_cluster_name"))
    groups = list(s.get("platform_node_groups") or {})
    if not re.match(r"^triptrip-[a-z0-9-]+$", name) or not all(re.match(r"^[a-z][a-z0-9-]{0,62}$", g) for g in groups):
        errors.append(f"platform_cluster_name={name} must be triptrip-<name> (lower case), and every key of "
                      f"platform_node_groups ({', '.join(groups)}) lower-case letters, digits and dashes")
    if env == "dr" and s.get("platform_aws_region") == s.get("platform_primary_region"):
        errors.append(f"platform_aws_region={s.get('platform_aws_region')}: dr must run in another region than "
                      f"production's ({s.get('platform_primary_region')}; the spec puts DR in Osaka, ap-northeast-3)")
    return errors


class FilterModule:
    def filters(self):
        return {"policy_errors": policy_errors}
