# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The EKS cluster access policies AWS documents, by name, and the helpers that read a policy ARN and name the known
policy closest to a misspelt one.

The names are facts (Amazon EKS User Guide, "Review access policy permissions"; `aws eks list-access-policies`). AWS
adds policies over time, so this list is for telling a typo from a policy offline (the preflight); a module that
reaches AWS asks ListAccessPolicies instead (eks_access_entry).
"""

from __future__ import annotations

import difflib
import re

ACCESS_POLICY_NAMES = frozenset({
    "AIDevOpsAgentAccessPolicy", "AmazonAIOpsAssistantPolicy", "AmazonARCRegionSwitchScalingPolicy",
    "AmazonEKSACKPolicy", "AmazonEKSAdminPolicy", "AmazonEKSAdminViewPolicy", "AmazonEKSArgoCDClusterPolicy",
    "AmazonEKSArgoCDPolicy", "AmazonEKSAutoNodePolicy", "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSBlockStoragePolicy", "AmazonEKSClusterAdminPolicy", "AmazonEKSComputeClusterPolicy",
    "AmazonEKSComputePolicy", "AmazonEKSEditPolicy", "AmazonEKSEventPolicy", "AmazonEKSHybridPolicy",
    "AmazonEKSKROPolicy", "AmazonEKSLoadBalancingClusterPolicy", "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingClusterPolicy", "AmazonEKSNetworkingPolicy", "AmazonEKSPodIdentityPolicy",
    "AmazonEKSSecretAdminPolicy", "AmazonEKSSecretReaderPolicy", "AmazonEKSViewPolicy", "AmazonEMRJobPolicy",
    "AmazonSagemakerHyperpodClusterPolicy", "AmazonSagemakerHyperpodControllerPolicy",
    "AmazonSagemakerHyperpodSpacePolicy", "AmazonSagemakerHyperpodSpaceTemplatePolicy",
    "AmazonSagemakerHyperpodSystemNamespacePolicy", "AmazonSagemakerHyperpodUserClusterPolicy",
})
# The policy that gives an entry every permission on the cluster (Kubernetes' cluster-admin).
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# EKS owns the access policies: account `aws`, no region, in the partition of the cluster.
POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/(?P<name>[A-Za-z0-9]+)$")
# How close a name must be to a known one to be taken for its misspelling (difflib's ratio; EKS add-on names too).
CUTOFF = 0.8


def policy_name(arn):
    """The access policy's name in an EKS access policy ARN, or None when `arn` is not one."""
    match = POLICY_ARN.match(arn) if isinstance(arn, str) else None
    return match.group("name") if match else None


def closest_policy(name, known=ACCESS_POLICY_NAMES):
    """The name among `known` that `name` is probably a misspelling of (case ignored), or None."""
    if not isinstance(name, str) or name in known:
        return None
    by_lower = {k.lower(): k for k in known}
    near = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=CUTOFF)
    return by_lower[near[0]] if near else None
