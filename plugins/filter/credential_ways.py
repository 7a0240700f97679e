# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""How each controller's service account can get AWS credentials right now: IRSA, EKS Pod Identity, both or none."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: credential_ways
short_description: The ways each controller's service account gets AWS credentials (IRSA, EKS Pod Identity)
version_added: 0.9.0
description:
  - Takes the controllers' roles (C(platform_irsa_roles), enabled ones) and what the cluster, EKS and IAM say now,
    and returns, by role key, the ways its service account can get its role's credentials. playbooks/identity_migration.yml
    holds every controller to exactly one between its steps.
  - C(irsa) counts when the service account is annotated C(eks.amazonaws.com/role-arn) with the role (for a service
    account an EKS add-on manages, when the add-on names the role) and the role trusts, for
    C(sts:AssumeRoleWithWebIdentity), the cluster's OIDC provider with that service account as C(sub) and
    C(sts.amazonaws.com) as C(aud) (https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html).
  - C(pod_identity) counts when a pod identity association gives the service account the role, the role trusts
    C(pods.eks.amazonaws.com) for C(sts:AssumeRole) and C(sts:TagSession), and the C(eks-pod-identity-agent) add-on
    is installed (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html,
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html).
  - A service account that does not exist (its controller is not installed) is C(installed=false) unless an EKS
    add-on manages it; nothing runs as it, so it needs no way.
positional: _input, role_prefix, issuer, service_accounts, associations, roles, addons, addon_keys, to
options:
  _input:
    description: The roles by key, each with C(namespace) and C(service_account).
    type: dict
    required: true
  role_prefix:
    description: The roles' ARN without the key (C(arn:aws:iam::<account>:role/<cluster>-)).
    type: str
    required: true
  issuer:
    description: The cluster's OIDC issuer URL.
    type: str
    required: true
  service_accounts:
    description: The cluster's service accounts, as C(kubernetes.core.k8s_info) reads them.
    type: list
    elements: dict
    required: true
  associations:
    description: The associations by C(<namespace>/<service account>), as C(eks_pod_identity_association_info) returns them.
    type: dict
    required: true
  roles:
    description: The roles by name, as C(triptrip.platform.iam_roles_info) returns them (their trust documents).
    type: dict
    required: true
  addons:
    description: The EKS add-ons by name as C(triptrip.platform.eks_addon) returns them, C(None) for one not installed.
    type: dict
    required: true
  addon_keys:
    description: The add-on that manages a controller's service account, by role key (C(platform_eks_addons.*.irsa)).
    type: dict
    required: true
  to:
    description: The way a migration moves to; when given, each key also says whether it is C(done).
    type: str
    choices: [irsa, pod_identity]
"""

EXAMPLES = r"""
- name: Each controller has exactly one way to get credentials
  ansible.builtin.assert:
    that: ways | dict2items | map(attribute='value.ways') | reject('equalto', ['pod_identity']) | list | length == 0
  vars:
    ways: "{{ platform_irsa_roles | triptrip.platform.credential_ways(prefix, issuer, accounts, associations, roles, addons, addon_keys) }}"
"""

RETURN = r"""
_value:
  description:
    - By role key, C(ways) - the ways (C(irsa), C(pod_identity)) its service account has, in that order, C([]) for
      none - C(installed) (its service account exists, or an EKS add-on manages it) and the pieces the ways are made
      of - C(annotated) (the service account names the role), C(associated) (a
      pod identity association gives it the role) and C(trusted) (the ways the role's trust allows); with I(to),
      C(done) - it has that way only, and nothing of the other is left (annotation, association, trust).
  type: dict
"""

ANNOTATION = "eks.amazonaws.com/role-arn"
AGENT = "eks-pod-identity-agent"


def _statements(document):
    statements = (document or {}).get("Statement") or []
    return [statements] if isinstance(statements, dict) else statements


def _actions(statement):
    actions = statement.get("Action") or []
    return {actions} if isinstance(actions, str) else set(actions)


def trusts_irsa(document, issuer, namespace, account):
    host = str(issuer).replace("https://", "", 1)
    want = {f"{host}:sub": f"system:serviceaccount:{namespace}:{account}", f"{host}:aud": "sts.amazonaws.com"}
    return any(s.get("Effect") == "Allow" and "sts:AssumeRoleWithWebIdentity" in _actions(s)
               and str((s.get("Principal") or {}).get("Federated", "")).endswith(f":oidc-provider/{host}")
               and ((s.get("Condition") or {}).get("StringEquals") or {}) == want
               for s in _statements(document))


def trusts_pods(document):
    return any(s.get("Effect") == "Allow" and (s.get("Principal") or {}).get("Service") == "pods.eks.amazonaws.com"
               and {"sts:AssumeRole", "sts:TagSession"} <= _actions(s) for s in _statements(document))


def credential_ways(roles, role_prefix, issuer, service_accounts, associations, iam_roles, addons, addon_keys, to=None):
    annotations = {f"{sa['metadata']['namespace']}/{sa['metadata']['name']}":
                   ((sa["metadata"].get("annotations") or {}).get(ANNOTATION) or "") for sa in service_accounts or []}
    agent = bool((addons or {}).get(AGENT))
    ways = {}
    for key, role in sorted((roles or {}).items()):
        name = f"{role['namespace']}/{role['service_account']}"
        arn = f"{role_prefix}{key}"
        trust = ((iam_roles or {}).get(arn.rsplit("/", 1)[-1]) or {}).get("assume_role_policy_document")
        installed = key in (addon_keys or {}) or name in annotations
        if key in (addon_keys or {}):
            annotated = ((addons or {}).get(addon_keys[key]) or {}).get("service_account_role_arn") == arn
        else:
            annotated = annotations.get(name) == arn
        associated = ((associations or {}).get(name) or {}).get("role_arn") == arn
        trusted = [way for way, ok in (("irsa", trusts_irsa(trust, issuer, role["namespace"], role["service_account"])),
                                       ("pod_identity", trusts_pods(trust))) if ok]
        found = [way for way, ok in (("irsa", annotated and "irsa" in trusted),
                                     ("pod_identity", agent and associated and "pod_identity" in trusted)) if ok]
        ways[key] = {"ways": found, "installed": installed, "annotated": annotated, "associated": associated,
                     "trusted": trusted}
        if to:
            # A controller not installed has no service account to annotate: its role and association say it all.
            ways[key]["done"] = trusted == [to] and (associated if to == "pod_identity" else not associated) \
                and (not installed or (found == [to] and annotated == (to == "irsa")))
    return ways


class FilterModule:
    def filters(self):
        return {"credential_ways": credential_ways}
