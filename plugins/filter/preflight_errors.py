# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The preflight's value rules: what an inventory's settings must be beyond their types, one sentence per error."""

from __future__ import annotations

import difflib
import json
import os
import re

from ansible_collections.triptrip.platform.plugins.filter.addon_errors import addon_errors
from ansible_collections.triptrip.platform.plugins.filter.eks_access_errors import eks_access_errors
from ansible_collections.triptrip.platform.plugins.filter.network_errors import network_errors
from ansible_collections.triptrip.platform.plugins.filter.network_flows_policies import network_flows_errors
from ansible_collections.triptrip.platform.plugins.filter.node_group_errors import node_group_errors
from ansible_collections.triptrip.platform.plugins.filter.nvidia_node_groups import nvidia_node_groups
from ansible_collections.triptrip.platform.plugins.filter.policy_errors import is_strict
from ansible_collections.triptrip.platform.plugins.filter.subnet_errors import ipv4_network, subnet_errors
from ansible_collections.triptrip.platform.plugins.module_utils.capacity import parse_quantity
from ansible_collections.triptrip.platform.plugins.module_utils.eks_access_policies import closest_policy, policy_name
from ansible_collections.triptrip.platform.plugins.module_utils.node_repair import node_repair_error

DOCUMENTATION = r"""
---
name: preflight_errors
short_description: List what is wrong with an inventory's settings, one sentence per error
version_added: 0.4.0
description:
  - Takes the platform's settings by variable name and returns one sentence per wrong value, each naming the
    variable (the path in it, such as C(platform_irsa_roles.keda.namespace)), the value read and the rule. An empty
    list means every rule holds.
  - The rules are the ones an argument spec cannot express (types and choices are the role's
    C(meta/argument_specs.yml), unknown keys and YAML 1.1 numbers the C(settings_errors) and C(yaml_number_errors)
    filters), in the order a reader would fix them. The names and the region, account and KMS key. The network
    (CIDRs, zones, egress; C(subnet_errors), C(network_errors)). Secrets and namespaces. Pod Security exceptions,
    quotas and the LimitRange. Service accounts, node groups (C(node_group_errors)), the StorageClass, IRSA roles
    and managed add-ons. Access to the cluster (C(eks_access_errors)), and an access policy whose name is close to
    one EKS documents but is not one (C(AmazonEKSClusterAdminPolcy)), with the policy probably meant. The add-ons
    (C(addon_errors)) and their chart source. The workloads and who deploys them. The flow catalog (C(network_flows_errors)). The delivery path
    (ECR repositories and the CI roles' subjects). Then combinations each valid alone (IAM role names from the
    cluster's, quota units, a misspelt managed add-on, subnets too small for the node groups, Spot, GPU and gp2
    groups, the node role's policies) and settings that would switch off the platform's security (system groups,
    broad policies on controllers, Pod Security, the VPC CNI's network policy agent, a render folder left set).
  - A value holding a newline is no name, whatever the rule's pattern (C($) alone would let C("name\\n") through).
  - A key the settings lack reads as unset, so a rule about it reports the value as C(null) instead of failing.
positional: _input
options:
  _input:
    description:
      - The settings by variable name (C(platform_cluster_name), C(platform_node_groups), C(addon_argocd_enabled),
        ...), as the play templates them; C(platform_addons) is the C(triptrip.platform.addon_settings) lookup's
        view of the add-ons.
    type: dict
    required: true
  irsa_policies_dir:
    description: The folder of the IAM policy templates (C(<name>.json.j2)) an IRSA role's C(policy) names.
    type: path
    required: true
  charts_dir:
    description: The collection's C(charts/) folder, where each workload's chart is a folder.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Check the settings
  ansible.builtin.assert:
    that: errors | length == 0
    fail_msg: "{{ errors | join('; ') }}"
  vars:
    errors: "{{ {'platform_cluster_name': platform_cluster_name, 'platform_eks_version': platform_eks_version}
      | triptrip.platform.preflight_errors(irsa_policies_dir=role_path ~ '/../aws_irsa/templates/policies',
      charts_dir=playbook_dir ~ '/charts') }}"
"""

RETURN = r"""
_value:
  description: One sentence per wrong value; empty when every rule holds.
  type: list
  elements: str
"""

REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBNET_ID = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
QUOTA_RESOURCES = ("requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "pods", "requests.storage",
                   "persistentvolumeclaims", "services", "configmaps", "secrets", "requests.nvidia.com/gpu")
ADDON_BUILD = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$")
# ECR's repository name pattern (CreateRepository), 2 to 256 characters.
ECR_NAME = re.compile(r"^([a-z0-9]+([._-][a-z0-9]+)*/)*[a-z0-9]+([._-][a-z0-9]+)*$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
# A GitHub subject the trust policy compares exactly (StringEquals): a ref, an environment or pull_request.
# What the delivery workflow writes into its shell steps and GitHub expressions: no quote, space or $ gets through.
RELATIVE_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._/-]*$")
BRANCH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")
SUBJECT_TAIL = r":(ref:refs/(heads|tags)/[^*?\s]+|environment:[^*?:\s]+|pull_request)$"
NVIDIA_AMIS = "AL2023_x86_64_NVIDIA, AL2023_ARM_64_NVIDIA, AL2_x86_64_GPU"


def _json(value):
    return json.dumps(value, default=str)


def _matches(pattern, value):
    # `$` also matches before a final newline: a name read from a `|` block ("triptrip\n") must not pass for one.
    text = str(value)
    return (value is not None and not isinstance(value, bool) and "\n" not in text and "\r" not in text
            and re.match(pattern, text) is not None)


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _quantity(value):
    try:
        return float(parse_quantity(value))
    except (ValueError, ArithmeticError, TypeError):
        return None


def _names(s):
    errors = []
    if not _matches(r"^[a-z][a-z0-9-]{0,99}$", s.get("platform_cluster_name")):
        errors.append(f"platform_cluster_name={_json(s.get('platform_cluster_name'))} must be lower-case letters, "
                      "digits and dashes, starting with a letter")
    if not _matches(r"^1\.[0-9]{2}$", s.get("platform_eks_version")):
        errors.append(f"platform_eks_version={_json(s.get('platform_eks_version'))} must be a minor such as \"1.35\"")
    if not _matches(r"^(v1\.[0-9]{2}|latest)$", s.get("platform_pod_security_version")):
        errors.append(f"platform_pod_security_version={_json(s.get('platform_pod_security_version'))} must be "
                      "\"v1.NN\" or \"latest\"")
    return errors


def _aws(s):
    region = s.get("platform_aws_region")
    errors = []
    if not _matches(REGION, region):
        errors.append(f"platform_aws_region={region} must be an AWS region code such as ap-northeast-1 (two letters, "
                      "a word and a digit, dash-separated), not a city or zone name")
    account = s.get("platform_aws_account_id", "")
    if not re.match(r"^([0-9]{12})?$", str(account if account is not None else "")):
        errors.append(f"platform_aws_account_id={_json(account)} must be empty or an AWS account id of exactly 12 "
                      "digits (quote it, so YAML keeps its leading zeros)")
    key = s.get("platform_eks_kms_key_arn") or ""
    kms_rule = (r"^arn:aws[a-z-]*:kms:" + re.escape(str(region)) +
                r":[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)$")
    if key and not _matches(kms_rule, key):
        errors.append(f"platform_eks_kms_key_arn={_json(key)} must be empty or a KMS key ARN in the region of the "
                      f"cluster, platform_aws_region={region}, such as arn:aws:kms:{region}:<12-digit account>:key/"
                      f"<key id> or arn:aws:kms:{region}:<account>:alias/<name> (EKS needs the key in its region)")
    vpc, subnets = s.get("platform_vpc_id") or "", s.get("platform_subnet_ids") or []
    if (not _matches(r"^(vpc-([0-9a-f]{8}|[0-9a-f]{17}))?$", vpc) or not all(_matches(SUBNET_ID, i) for i in subnets)
            or bool(vpc) != bool(subnets)):
        errors.append(f"platform_vpc_id={_json(vpc)} and platform_subnet_ids={_json(subnets)}: set both (to adopt an "
                      "existing VPC) or neither (to create one); the VPC id must be vpc- and 8 or 17 hexadecimal "
                      "digits, each subnet id subnet- and 8 or 17 hexadecimal digits")
    return errors


def _network(cidr):
    """The network of a CIDR written in canonical form (10.0.0.0/16, not 10.0.0.0/255.255.0.0), or None."""
    network = ipv4_network(cidr)
    return network if network is not None and str(network) == str(cidr) else None


def _vpc(s):
    vpc_cidr = s.get("platform_vpc_cidr")
    vpc = _network(vpc_cidr)
    subnets = [x for x in s.get("platform_private_subnets") or [] if isinstance(x, dict)]
    errors = []
    if vpc is None:
        errors.append(f"platform_vpc_cidr={vpc_cidr} is not an IPv4 network in canonical form (such as 10.0.0.0/16)")
    cidrs = [_network(x.get("cidr")) for x in subnets]
    # An adopted VPC's subnets are its own (platform_subnet_ids, held to platform_vpc_cidr by aws_network).
    adopted = bool(s.get("platform_vpc_id"))
    outside = vpc is not None and not adopted and any(c is not None and not c.subnet_of(vpc) for c in cidrs)
    if None in cidrs or outside or len({x.get("az") for x in subnets}) < 2:
        errors.append(f"platform_private_subnets={_json(s.get('platform_private_subnets'))}: every cidr must be an "
                      f"IPv4 network inside platform_vpc_cidr={vpc_cidr} (unless platform_vpc_id adopts a VPC), and "
                      "the subnets must span at least 2 availability zones (EKS requires 2)")
    errors += subnet_errors(s.get("platform_private_subnets") or [], s.get("platform_aws_region"))
    ingress = _mapping(s.get("addon_aws_load_balancer_controller_ingress"))
    internet_facing = ([f"addon_aws_load_balancer_controller_ingress {ingress.get('name')} (scheme=internet-facing)"]
                       if s.get("addon_aws_load_balancer_controller_enabled")
                       and ingress.get("scheme") == "internet-facing" else [])
    errors += network_errors(s.get("platform_network_egress"), {
        "nat_gateways": s.get("platform_network_nat_gateways"), "public_subnets": s.get("platform_public_subnets"),
        "private_subnets": s.get("platform_private_subnets"), "vpc_cidr": vpc_cidr,
        "region": s.get("platform_aws_region"), "endpoint_services": s.get("platform_network_endpoint_services"),
        "adopted": adopted, "internet_facing": internet_facing})
    return errors


def _secrets(s):
    secrets, replicas = s.get("platform_secrets") or [], s.get("platform_secrets_replica_regions") or []
    if (all(_matches(r"^[A-Za-z0-9_+=.@-]+(/[A-Za-z0-9_+=.@-]+)*$", x) for x in secrets)
            and all(_matches(REGION, r) for r in replicas) and s.get("platform_aws_region") not in replicas):
        return []
    return [f"platform_secrets={_json(secrets)} must hold secret names (letters, digits, _+=.@- and /), and "
            f"platform_secrets_replica_regions={_json(replicas)} region names other than the cluster's own "
            f"platform_aws_region={s.get('platform_aws_region')} (a replica lives in another region)"]


def _namespaces(s):
    workload, addon = s.get("platform_workload_namespaces") or [], s.get("platform_addon_namespaces") or []
    every = workload + addon + (s.get("platform_system_namespaces") or [])
    errors = []
    bad = [n for n in every if not _matches(DNS_LABEL, n)]
    twice = sorted({n for n in every if every.count(n) > 1}, key=every.index)
    if bad or twice:
        errors.append(f"platform_workload_namespaces={_json(workload)}, platform_addon_namespaces={_json(addon)}: "
                      "every namespace must be a DNS label (at most 63 of a-z, 0-9 and -, starting and ending with a "
                      f"letter or digit; not: {_json(bad)}) and appear once in these lists and "
                      f"platform_system_namespaces (more than once: {_json(twice)})")
    for name, given in _mapping(s.get("platform_pod_security_exceptions")).items():
        given = _mapping(given)
        if (name not in workload + addon or given.get("level") not in ("privileged", "baseline", "restricted")
                or not given.get("reason")):
            errors.append(f"platform_pod_security_exceptions.{name}={_json(given)}: the namespace must be one of "
                          "platform_workload_namespaces or platform_addon_namespaces, level one of privileged, "
                          "baseline, restricted, and the reason must be given")
    for name, names in _mapping(s.get("platform_service_accounts")).items():
        if name not in workload + addon or not all(_matches(DNS_NAME, n) for n in names or []):
            errors.append(f"platform_service_accounts.{name}={_json(names)}: the key must be a namespace of "
                          "platform_workload_namespaces or platform_addon_namespaces and the names DNS labels "
                          "(a-z, 0-9, -)")
    return errors


def _quotas(s):
    errors = []
    workload = s.get("platform_workload_namespaces") or []
    for name, quota in _mapping(s.get("platform_resource_quotas")).items():
        if (name not in workload or not isinstance(quota, dict) or set(quota) - set(QUOTA_RESOURCES)
                or not all(_matches(QUANTITY, v) for v in quota.values())):
            errors.append(f"platform_resource_quotas.{name}={_json(quota)}: the namespace must be one of "
                          f"platform_workload_namespaces, the keys among {', '.join(QUOTA_RESOURCES)}, and every value "
                          "a Kubernetes quantity such as \"10\", \"500m\" or \"20Gi\"")
            continue
        for resource in ("cpu", "memory"):
            request, limit = quota.get(f"requests.{resource}", 0), quota.get(f"limits.{resource}")
            if limit is not None and _quantity(request) > _quantity(limit):
                errors.append(f"platform_resource_quotas.{name}: requests.{resource}={request} is above "
                              f"limits.{resource}={limit}: a namespace's requests must not exceed its limits (each "
                              "container's request is at most its limit)")
    limits = _mapping(s.get("platform_limit_range"))
    sections = {k: _mapping(v) for k, v in limits.items()}
    if any(set(v) - {"cpu", "memory"} for v in sections.values()) or not all(
            _matches(QUANTITY, q) for v in sections.values() for q in v.values()):
        return errors + [f"platform_limit_range={_json(limits)}: each of default_request, default and max may set "
                         "cpu and memory only, each a Kubernetes quantity such as \"500m\" or \"512Mi\""]
    for resource in ("cpu", "memory"):
        given = [(k, sections[k][resource]) for k in ("default_request", "default", "max")
                 if resource in sections.get(k, {})]
        amounts = [_quantity(v) for _k, v in given]
        if amounts != sorted(amounts):
            errors.append(f"platform_limit_range {resource}: {', '.join(f'{k}={v}' for k, v in given)}: must be "
                          "default_request <= default <= max (Kubernetes refuses the LimitRange otherwise)")
    return errors


def _storage_class(s):
    storage = _mapping(s.get("platform_storage_class"))
    iops, throughput = storage.get("iops"), storage.get("throughput")
    if _matches(r"^[0-9]+$", iops) and _matches(r"^[0-9]+$", throughput):
        iops_n, throughput_n = int(iops), int(throughput)
        if 3000 <= iops_n <= 16000 and 125 <= throughput_n <= 1000 and throughput_n * 4 <= iops_n:
            return []
    return [f"platform_storage_class.iops={_json(iops)} and platform_storage_class.throughput={_json(throughput)}: gp3 "
            "takes 3000 to 16000 IOPS and 125 to 1000 MiB/s, and at most 0.25 MiB/s per provisioned IOPS (the EBS CSI "
            "driver refuses to create the volume otherwise, long after the StorageClass is applied)"]


def _aws_roles(s, irsa_policies_dir):
    policies = sorted(f[:-len(".json.j2")] for f in os.listdir(irsa_policies_dir) if f.endswith(".json.j2"))
    roles = _mapping(s.get("platform_irsa_roles"))
    errors = []
    for name, role in roles.items():
        role = _mapping(role)
        managed = role.get("managed_policies") or []
        if not (_matches(r"^[a-z0-9][a-z0-9-]{0,40}$", name) and _matches(DNS_NAME, role.get("namespace"))
                and _matches(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", role.get("service_account"))
                and all(_matches(r"^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/", p) for p in managed)
                and role.get("policy", "aws-load-balancer-controller") in policies
                and (managed or "policy" in role or role.get("workload") is True)):
            errors.append(f"platform_irsa_roles.{name}={_json(role)}: the key must be lower-case letters, digits and "
                          "dashes; namespace and service_account DNS names; managed_policies IAM policy ARNs; policy "
                          f"one of {', '.join(policies)}; and at least one of managed_policies or policy (a "
                          "workload's role, workload true, may start empty)")
    for name, addon in _mapping(s.get("platform_eks_addons")).items():
        addon = _mapping(addon)
        if not (_matches(ADDON_BUILD, addon.get("version")) and isinstance(addon.get("configuration", {}), dict)
                and addon.get("irsa", "vpc-cni") in roles):
            errors.append(f"platform_eks_addons.{name}={_json(addon)}: version must be an add-on build such as "
                          "v1.21.1-eksbuild.3, configuration a mapping, and irsa a key of platform_irsa_roles "
                          f"({', '.join(roles)})")
    return errors


def _node_repair(s):
    """The node repair thresholds' ranges and pairs, as triptrip.platform.eks_nodegroup would refuse them later."""
    repair = s.get("platform_node_repair")
    if not isinstance(repair, dict) or not isinstance(repair.get("enabled"), bool):
        return []  # the argument specs name the type
    error = node_repair_error(repair)
    return [f"platform_node_repair={_json(repair)}: {error.replace('node_repair', 'platform_node_repair', 1)}"] if error else []


def _access(s):
    errors = eks_access_errors({
        "mode": s.get("platform_eks_api_access"), "allowed_cidrs": s.get("platform_eks_api_allowed_cidrs"),
        "public_cidrs": s.get("platform_eks_api_public_cidrs"),
        "temporary_public_allowed": s.get("platform_eks_api_temporary_public_allowed"),
        "proxy_url": s.get("platform_eks_api_proxy_url"),
        "strict": is_strict(s),
        "environment": s.get("platform_environment"), "entries": s.get("platform_eks_access_entries")})
    for index, entry in enumerate(s.get("platform_eks_access_entries") or []):
        policies = [p for p in _mapping(entry).get("access_policies") or [] if isinstance(p, dict)]
        if not all(_matches(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/", p.get("policy_arn")) and
                   _mapping(p.get("access_scope")).get("type") in ("cluster", "namespace") for p in policies):
            errors.append(f"platform_eks_access_entries[{index}]={_json(entry)}: each access_policies[].policy_arn "
                          "must be an EKS access policy (arn:aws:eks::aws:cluster-access-policy/...) and "
                          "access_scope.type cluster or namespace")
        # Only a near miss of a known name is refused here: a name unlike any may be a policy AWS added after the
        # list, which eks_access_entry checks against ListAccessPolicies before any change.
        for number, policy in enumerate(policies):
            name = policy_name(policy.get("policy_arn"))
            near = closest_policy(name)
            if near:
                errors.append(f"platform_eks_access_entries[{index}].access_policies[{number}].policy_arn="
                              f"{_json(policy.get('policy_arn'))}: {name} is not an EKS access policy; did you mean "
                              f"{near}? (EKS would refuse the association once the cluster is built; a policy AWS "
                              "has added since is added to plugins/module_utils/eks_access_policies.py)")
    return errors


def _addons(s):
    # platform_addons_overrides is how add-ons were set before their settings moved to their roles: refused, with
    # the variables to set instead.
    errors = addon_errors(s.get("platform_addons") or {}, s.get("platform_addons_overrides") or {},
                          s.get("platform_eks_version") or "")
    groups = _mapping(s.get("platform_node_groups"))
    # The plugin's pods go to the NVIDIA node groups' nodes only: turned on without one, they would have nowhere to run.
    if s.get("addon_nvidia_device_plugin_enabled") and not nvidia_node_groups(groups):
        amis = {n: _mapping(g).get("ami_type", "AL2023_x86_64_STANDARD (default)") for n, g in groups.items()}
        errors.append(f"addon_nvidia_device_plugin_enabled is true, but no node group of platform_node_groups has an "
                      f"ami_type that needs the plugin ({NVIDIA_AMIS}; Bottlerocket's NVIDIA AMIs run it themselves): "
                      f"{_json(amis)}. Drop addon_nvidia_device_plugin_enabled from the inventory (it then follows the "
                      "node groups) or set it to false")
    source = s.get("platform_addons_chart_source")
    registry, mirror = s.get("platform_addons_chart_oci_registry"), s.get("platform_addons_chart_mirror")
    if (source not in ("repository", "oci", "mirror") or source == "oci" and not _matches(r"^oci://[^ ]+$", registry)
            or source == "mirror" and not mirror):
        errors.append(f"platform_addons_chart_source={source}: must be repository, oci (with "
                      f"platform_addons_chart_oci_registry an oci:// URL, now {_json(registry)}) or mirror (with "
                      f"platform_addons_chart_mirror a folder, now {_json(mirror)})")
    return errors


def _workloads(s, charts_dir):
    workloads = _mapping(s.get("platform_workloads"))
    known = _mapping(s.get("platform_workloads_base"))
    unknown = [n for n in _mapping(s.get("platform_workloads_overrides")) if n not in known]
    profile = s.get("platform_workloads_profile")
    namespaces = s.get("platform_workload_namespaces") or []
    missing = [str(_mapping(w).get("chart", "(none)")) for w in workloads.values()
               if not os.path.isdir(os.path.join(charts_dir, str(_mapping(w).get("chart", "(none)"))))]
    errors = []
    if (unknown or profile not in ("", "production", "staging") or missing
            or not all(isinstance(_mapping(w).get("enabled"), bool) for w in workloads.values())
            or not all(_mapping(w).get("namespace") in namespaces for w in workloads.values())):
        errors.append(f"platform_workloads_overrides: unknown workloads [{', '.join(unknown)}] (known: "
                      f"{', '.join(known)}); platform_workloads_profile={_json(profile)} must be \"\", production or "
                      "staging; every platform_workloads.<name>.enabled must be true or false and every namespace one "
                      f"of platform_workload_namespaces (now {_json(workloads)}); every chart a folder of charts/ "
                      f"(missing: [{', '.join(missing)}])")
    owner = s.get("platform_workloads_owner")
    if owner not in ("helm", "argocd") or owner == "argocd" and not s.get("addon_argocd_enabled"):
        errors.append(f"platform_workloads_owner={_json(owner)} must be helm or argocd, and argocd only while Argo CD "
                      f"runs (addon_argocd_enabled is {_json(s.get('addon_argocd_enabled'))})")
    return errors


def _flows(s):
    errors = network_flows_errors(
        s.get("platform_baseline_flows"), s.get("platform_addons"), s.get("platform_workloads"),
        s.get("platform_flows_extra"),
        (s.get("platform_workload_namespaces") or []) + (s.get("platform_addon_namespaces") or [])
        + (s.get("platform_system_namespaces") or []),
        endpoint_services=s.get("platform_network_endpoint_services"), egress=s.get("platform_network_egress"))
    return [f"The flow catalog (group_vars/all/network_flows.yml): {e}" for e in errors]


def _ecr_repository(s, name, given):
    """The errors of one repository of platform_ecr_repositories, merged over platform_ecr_defaults."""
    var = f"platform_ecr_repositories.{name}"
    repo = dict(_mapping(s.get("platform_ecr_defaults")), **_mapping(given))
    errors = []
    if not _matches(ECR_NAME, name) or not 2 <= len(name) <= 256:
        errors.append(f"{var}: the name must be 2 to 256 of a-z, 0-9 and . _ - / as ECR names repositories (lower "
                      "case, each part starting and ending with a letter or digit), such as triptrip-api")
    if repo.get("image_tag_mutability") not in ("MUTABLE", "IMMUTABLE"):
        errors.append(f"{var}.image_tag_mutability={_json(repo.get('image_tag_mutability', ''))} must be IMMUTABLE "
                      "or MUTABLE")
    if not isinstance(repo.get("scan_on_push"), bool):
        errors.append(f"{var}.scan_on_push={_json(repo.get('scan_on_push', ''))} must be true or false")
    for key in ("untagged_expire_days", "keep_images"):
        value = repo.get(key, "")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(f"{var}.{key}={_json(value)} must be a whole number of at least 1")
    region = s.get("platform_aws_region")
    enc = repo.get("encryption", {})
    kms_rule = r"^arn:aws[a-z-]*:kms:" + re.escape(str(region)) + r":[0-9]{12}:key/[A-Za-z0-9-]+$"
    if not (isinstance(enc, dict) and (enc.get("type") == "AES256" and "kms_key" not in enc
                                       or enc.get("type") == "KMS" and _matches(kms_rule, enc.get("kms_key")))):
        errors.append(f"{var}.encryption={_json(enc)} must be {{type: AES256}} or {{type: KMS, kms_key: <key ARN in "
                      f"{region}>}} (ECR describes the key by its ARN)")
    github, subjects = repo.get("github_repository") or "", repo.get("ci_subjects") or []
    if not github:
        if subjects:
            errors.append(f"{var}.ci_subjects is set without github_repository: name the repository whose CI pushes "
                          "here")
        return errors
    role = f"{s.get('platform_delivery_ci_role_prefix')}{name}"
    chart = repo.get("chart_path")
    if not (_matches(RELATIVE_PATH, chart) and ".." not in str(chart).split("/")):
        errors.append(f"{var}.chart_path={_json(chart)} must be a folder of the manifests repository, such as "
                      "charts/triptrip-api: letters, digits and . _ - / only, no .. (the workflow's shell steps use it)")
    if not _matches(GITHUB_REPOSITORY, github):
        errors.append(f"{var}.github_repository={_json(github)} must be owner/name")
    if not _matches(r"^[A-Za-z0-9+=,.@_-]{1,64}$", role):
        errors.append(f"{var}: its CI role {role} (platform_delivery_ci_role_prefix and the name) must be at most 64 "
                      "of letters, digits and +=,.@_-")
    wrong = [x for x in subjects if not _matches("^repo:" + re.escape(github) + SUBJECT_TAIL, x)]
    if not subjects or wrong:
        errors.append(f"{var}.ci_subjects={_json(subjects)}: each must be the exact sub claim of {github}'s build job, "
                      f"repo:{github}:ref:refs/heads/<branch>, repo:{github}:environment:<name> or "
                      f"repo:{github}:pull_request, without wildcards (wrong: {_json(wrong)})")
    missing = [f"repo:{github}:ref:refs/heads/{b}" for b in _mapping(s.get("platform_delivery_branches"))
               if f"repo:{github}:ref:refs/heads/{b}" not in subjects]
    if missing:
        errors.append(f"{var}.ci_subjects lacks {_json(missing)}: the rendered workflow builds on a push to each branch "
                      "of platform_delivery_branches, whose token STS would refuse")
    return errors


def _delivery(s):
    """The delivery path's rules (spec 7.3.1), checked even where the path is off, so a mistake is found where made."""
    errors = []
    for name, given in _mapping(s.get("platform_ecr_repositories")).items():
        errors += _ecr_repository(s, str(name), given)
    url = s.get("platform_delivery_github_oidc_url")
    if not _matches(r"^https://[^/\s]+$", url):
        errors.append(f"platform_delivery_github_oidc_url={_json(url)} must be an https:// issuer host, such as "
                      "https://token.actions.githubusercontent.com")
    pull_requests = s.get("platform_delivery_pull_request_branches") or []
    branches = list(_mapping(s.get("platform_delivery_branches"))) + list(pull_requests)
    for branch in branches:
        if not (_matches(BRANCH, branch) and ".." not in str(branch)):
            errors.append(f"platform_delivery_branches or platform_delivery_pull_request_branches hold {_json(branch)}: "
                          "a branch name is letters, digits and . _ - / (the workflow's expressions compare it)")
    for branch, env in _mapping(s.get("platform_delivery_branches")).items():
        if not _matches(DNS_NAME, env):
            errors.append(f"platform_delivery_branches.{branch}={_json(env)} must be an environment name (its "
                          "values-<environment>.yaml gets the tag)")
    manifests = s.get("platform_delivery_manifests_repository")
    if not _matches(GITHUB_REPOSITORY, manifests):
        errors.append(f"platform_delivery_manifests_repository={_json(manifests)} must be owner/name")
    return errors


# A node's primary address and one /28 prefix (16 addresses) for its pods under the VPC CNI's prefix delegation, at
# the least; AWS keeps the first four and the last address of every subnet (Amazon VPC User Guide, subnet sizing).
ADDRESSES_PER_NODE = 17
AWS_RESERVED_ADDRESSES = 5
# Amazon EKS add-ons of AWS and the community (Amazon EKS User Guide, "AWS add-ons", "Community add-ons"): a new name
# among them is an addition, not a misspelling of one of ours.
EKS_ADDONS = frozenset({
    "adot", "amazon-cloudwatch-observability", "aws-ebs-csi-driver", "aws-efs-csi-driver", "aws-fsx-csi-driver",
    "aws-guardduty-agent", "aws-mountpoint-s3-csi-driver", "aws-network-flow-monitoring-agent",
    "aws-secrets-store-csi-driver-provider", "cert-manager", "coredns", "eks-node-monitoring-agent",
    "eks-pod-identity-agent", "external-dns", "fluent-bit", "kube-proxy", "kube-state-metrics", "metrics-server",
    "prometheus-node-exporter", "snapshot-controller", "vpc-cni"})
# IAM's limit on a role's name (IAM User Guide, "IAM and AWS STS quotas").
IAM_ROLE_NAME_MAX = 64
# What a node role needs for a node to join and pull images (Amazon EKS User Guide, "Amazon EKS node IAM role").
NODE_ROLE_NEEDS = ("AmazonEKSWorkerNodePolicy", ("AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"))
# AWS-managed policies no controller needs: each controller's role holds what that controller calls.
TOO_BROAD = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
# CPU in cores or millicores; memory in bytes with binary or decimal multipliers (Kubernetes' resource units).
CPU_SUFFIXES = ("", "m")
MEMORY_SUFFIXES = ("", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")


def _suffix(value):
    match = re.match(r"^[0-9.]+([A-Za-z]*)$", str(value))
    return match.group(1) if match else None


def _combinations(s):
    """Values each valid alone that together give another platform than the one written down, or none at all."""
    errors = []
    cluster = str(s.get("platform_cluster_name") or "")
    roles = [f"{cluster}-cluster", f"{cluster}-node"] + [f"{cluster}-{k}" for k in _mapping(s.get("platform_irsa_roles"))]
    longest = max(roles, key=len)
    if len(longest) > IAM_ROLE_NAME_MAX:
        errors.append(f"platform_cluster_name={_json(cluster)} ({len(cluster)} characters): the IAM role names made from "
                      f"it exceed IAM's {IAM_ROLE_NAME_MAX} characters ({longest}: {len(longest)}); shorten the name")
    for name, quota in _mapping(s.get("platform_resource_quotas")).items():
        for key, value in _mapping(quota).items():
            suffix = _suffix(value)
            if key.endswith(".cpu") and suffix not in CPU_SUFFIXES + (None,):
                errors.append(f"platform_resource_quotas.{name}.{key}={_json(value)}: CPU is counted in cores (\"4\") or "
                              f"millicores (\"500m\"); {suffix} multiplies cores by a power of ten (40M is 40 million)")
            if key.endswith(".memory") and suffix not in MEMORY_SUFFIXES + (None,):
                errors.append(f"platform_resource_quotas.{name}.{key}={_json(value)}: memory is counted in bytes (\"512Mi\", "
                              f"\"2Gi\"); {suffix} is not a byte unit (m is a thousandth: 20m is 0.02 bytes)")
    base = _mapping(s.get("platform_eks_addons_base"))
    for name in _mapping(s.get("platform_eks_addons_overrides")):
        # A new name close to one of ours is a typo, unless it is an add-on of its own (EFS's beside EBS's CSI driver).
        near = difflib.get_close_matches(name, list(base), n=1, cutoff=0.8) if name not in set(base) | EKS_ADDONS else []
        if near:
            errors.append(f"platform_eks_addons_overrides.{name}: not an add-on of platform_eks_addons_base; did you "
                          f"mean {near[0]}? (a new name adds another managed add-on, which EKS refuses if it has none so "
                          "named)")
    for name, group in _mapping(s.get("platform_node_groups")).items():
        group = _mapping(group)
        types, disk = group.get("instance_types") or [], _mapping(group.get("disk"))
        if group.get("capacity_type") == "SPOT" and len(types) < 2:
            errors.append(f"platform_node_groups.{name}.instance_types={_json(types)}: a SPOT group needs at least two "
                          "instance types, so that one type's capacity running out or being reclaimed does not empty "
                          "the group (Amazon EKS User Guide, managed node groups, Spot capacity)")
        if nvidia_node_groups({name: group}) and not any(
                _mapping(t).get("key") == "nvidia.com/gpu" and _mapping(t).get("effect") in ("NoSchedule", "NO_SCHEDULE")
                for t in group.get("taints") or []):
            errors.append(f"platform_node_groups.{name}.taints={_json(group.get('taints'))}: a group of NVIDIA nodes "
                          "needs the taint nvidia.com/gpu with effect NO_SCHEDULE, or every other pod may land on its "
                          "GPU instances")
        if disk.get("type") in ("gp2", "standard") and (disk.get("iops") is not None or disk.get("throughput") is not None):
            errors.append(f"platform_node_groups.{name}.disk={_json(disk)}: {disk.get('type')} takes no iops or "
                          "throughput (only gp3, io1 and io2 do; EC2 refuses the launch template); set both to null or "
                          "use gp3")
    subnets = [(sub.get("cidr"), ipv4_network(sub.get("cidr"))) for sub in s.get("platform_private_subnets") or []
               if isinstance(sub, dict)]
    sizes = [_mapping(_mapping(g).get("scaling")).get("max_size") for g in _mapping(s.get("platform_node_groups")).values()]
    most = sum(n for n in sizes if isinstance(n, int) and not isinstance(n, bool))
    if subnets and all(net for _cidr, net in subnets) and most:
        per_zone = -(-most // len(subnets)) * ADDRESSES_PER_NODE
        small = [cidr for cidr, net in subnets if net.num_addresses - AWS_RESERVED_ADDRESSES < per_zone]
        if small:
            errors.append(f"platform_private_subnets: {', '.join(small)} cannot hold their share of the node groups' "
                          f"{most} nodes at max_size: {per_zone} addresses a zone ({ADDRESSES_PER_NODE} a node: its own "
                          "and a /28 prefix for its pods under the VPC CNI's prefix delegation), and AWS keeps "
                          f"{AWS_RESERVED_ADDRESSES} of every subnet; give them a shorter prefix")
    addons = _mapping(s.get("platform_eks_addons"))
    if s.get("platform_aws_identity") == "pod_identity" and not (s.get("platform_eks_addons_enabled") is True
                                                                 and "eks-pod-identity-agent" in addons):
        errors.append("platform_aws_identity=\"pod_identity\": the controllers get credentials through the "
                      "eks-pod-identity-agent add-on, which platform_eks_addons does not install here (platform_eks_addons_"
                      f"enabled={_json(s.get('platform_eks_addons_enabled'))}); keep the add-on, or use irsa "
                      "(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html)")
    policies = [str(p).rsplit("/", 1)[-1] for p in s.get("platform_node_role_policies") or []]
    missing = [need if isinstance(need, str) else " or ".join(need) for need in NODE_ROLE_NEEDS
               if not set([need] if isinstance(need, str) else need) & set(policies)]
    if missing:
        errors.append(f"platform_node_role_policies={_json(s.get('platform_node_role_policies'))}: a node cannot join "
                      f"the cluster or pull its images without {', '.join(missing)} (Amazon EKS node IAM role)")
    return errors


def _security(s):
    """Settings that would switch off or get around the platform's security; refused in every environment."""
    errors = []
    for key, group in _mapping(s.get("platform_rbac_groups")).items():
        if str(group).startswith("system:"):
            errors.append(f"platform_rbac_groups.{key}={_json(group)}: a group of Kubernetes' own (system:*) holds "
                          "principals the platform does not choose (system:authenticated is everyone who signs in); "
                          "bind a group of ours")
    for name, role in _mapping(s.get("platform_irsa_roles")).items():
        broad = [p for p in _mapping(role).get("managed_policies") or [] if str(p).rsplit("/", 1)[-1] in TOO_BROAD]
        if broad:
            errors.append(f"platform_irsa_roles.{name}.managed_policies: {', '.join(broad)} gives the service account "
                          "far more than its controller calls; give the controller's own policy")
    if s.get("platform_pod_security_level") != "restricted":
        errors.append(f"platform_pod_security_level={_json(s.get('platform_pod_security_level'))}: the workload "
                      "namespaces enforce restricted (spec 6.1); a pod that needs more gets an exception of its "
                      "namespace (platform_pod_security_exceptions), with its reason")
    workload = s.get("platform_workload_namespaces") or []
    for name, given in _mapping(s.get("platform_pod_security_exceptions")).items():
        if name in workload and _mapping(given).get("level") == "privileged":
            errors.append(f"platform_pod_security_exceptions.{name}.level=privileged: a workload namespace may be "
                          "lowered to baseline at most; privileged pods belong to the platform's own namespaces")
    cni = _mapping(_mapping(s.get("platform_eks_addons")).get("vpc-cni"))
    enforce = _mapping(cni.get("configuration")).get("enableNetworkPolicy")
    if s.get("platform_eks_addons_enabled") and cni and str(enforce).lower() != "true":
        errors.append(f"platform_eks_addons.vpc-cni.configuration.enableNetworkPolicy={_json(enforce)}: the VPC CNI's "
                      "network policy agent is what enforces the platform's NetworkPolicies; without it every "
                      "default-deny is applied and nothing is denied")
    if s.get("platform_render_dir") and not s.get("platform_rendering"):
        errors.append(f"platform_render_dir={_json(s.get('platform_render_dir'))}: only playbooks/render.yml writes the "
                      "objects to files; any other playbook would apply nothing and report success. Unset it")
    return errors


def preflight_errors(settings, irsa_policies_dir, charts_dir):
    s = _mapping(settings)
    return (_names(s) + _aws(s) + _vpc(s) + _secrets(s) + _namespaces(s) + _quotas(s)
            + node_group_errors(s.get("platform_node_groups") or {},
                                known_instance_types=s.get("platform_instance_types"))
            + _storage_class(s) + _aws_roles(s, irsa_policies_dir) + _node_repair(s) + _access(s) + _addons(s)
            + _workloads(s, charts_dir) + _flows(s) + _delivery(s) + _combinations(s) + _security(s))


class FilterModule:
    def filters(self):
        return {"preflight_errors": preflight_errors}
