#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_access_entry
short_description: Create, converge or delete an Amazon EKS access entry and its access policies
version_added: 0.1.0
description:
  - Manages one EKS access entry (an IAM principal allowed into a cluster whose authentication mode includes
    C(API)) - its Kubernetes groups and username, the EKS access policies associated with it and their scopes,
    and its tags.
  - Compares desired and actual first and calls AWS only when they differ. Kubernetes groups and username change
    with C(UpdateAccessEntry); a missing policy, or one with a different scope, is associated with
    C(AssociateAccessPolicy) (which replaces the scope); policies not listed are disassociated when
    I(purge_access_policies) is true. Associations come before disassociations, so the principal never loses
    access it keeps.
  - The I(type) of an entry cannot change; a different one fails, naming I(type), before any change.
  - Access scopes are checked before any AWS call - a C(namespace) scope needs I(namespaces), a C(cluster) scope
    takes none.
  - When I(access_policies) are given, every I(policy_arn) is checked against the access policies EKS offers
    (C(ListAccessPolicies)) before any change, in check mode too; one EKS does not offer (a misspelt name, another
    partition) fails, naming C(access_policies[i].policy_arn) and its value, with the offered policy probably meant.
    The module trusts the API rather than a list of its own, so a policy AWS added later works.
  - Supports check mode and diff. Calls retry with jittered backoff on throttling (C(ThrottlingException)).
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  principal_arn:
    description: ARN of the IAM role or user the entry is for (a role, not an assumed-role session).
    type: str
    required: true
  state:
    description: C(present) creates or converges the entry; C(absent) deletes it with its policy associations.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Type of the entry. C(STANDARD) for people and workloads; C(EC2_LINUX), C(EC2_WINDOWS), C(FARGATE_LINUX),
        C(HYBRID_LINUX) and C(HYPERPOD_LINUX) for node roles (EKS sets their groups and username itself);
        C(EC2) for EKS Auto Mode custom node roles.
      - Set at creation; cannot change afterwards (delete the entry first).
    type: str
    choices: [STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, EC2, HYBRID_LINUX, HYPERPOD_LINUX]
    default: STANDARD
  kubernetes_groups:
    description:
      - Kubernetes groups the principal belongs to (subjects of your RoleBindings and ClusterRoleBindings).
        Order and duplicates do not matter.
      - Unset leaves the groups alone; C([]) removes them all.
    type: list
    elements: str
  username:
    description:
      - Kubernetes username of the principal. Unset leaves the one EKS generated alone (recommended).
    type: str
  access_policies:
    description:
      - EKS access policies associated with the entry, each with its scope.
      - Unset leaves the associations alone (and reads none).
    type: list
    elements: dict
    suboptions:
      policy_arn:
        description:
          - ARN of the access policy, as C(arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy).
          - One of those C(aws eks list-access-policies) lists; checked before any change.
        type: str
        required: true
      access_scope:
        description: Where the policy applies.
        type: dict
        required: true
        suboptions:
          type:
            description: C(cluster) for the whole cluster; C(namespace) for the listed namespaces only.
            type: str
            choices: [cluster, namespace]
            required: true
          namespaces:
            description: Namespaces of a C(namespace) scope (required then; not allowed with C(cluster)).
            type: list
            elements: str
  purge_access_policies:
    description: Disassociate the access policies not in I(access_policies) (when it is set).
    type: bool
    default: true
  tags:
    description: Tags of the access entry. Unset leaves the tags alone.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (tags whose key starts with C(aws:) are never removed).
    type: bool
    default: true
notes:
  - The principal that runs the module needs C(eks:ListAccessPolicies) besides the access entry calls, when
    I(access_policies) are given.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The platform team's role administers the cluster
  triptrip.platform.eks_access_entry:
    cluster_name: triptrip-production
    principal_arn: arn:aws:iam::123456789012:role/triptrip-platform-admin
    access_policies:
      - policy_arn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
        access_scope:
          type: cluster
    tags:
      Environment: production

- name: Developers edit their namespaces and view the rest
  triptrip.platform.eks_access_entry:
    cluster_name: triptrip-production
    principal_arn: arn:aws:iam::123456789012:role/triptrip-developers
    kubernetes_groups: [triptrip-developers]
    access_policies:
      - policy_arn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
        access_scope:
          type: namespace
          namespaces: [booking, search]
      - policy_arn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
        access_scope:
          type: cluster

- name: Revoke a principal
  triptrip.platform.eks_access_entry:
    cluster_name: triptrip-production
    principal_arn: arn:aws:iam::123456789012:role/contractor
    state: absent
"""

RETURN = r"""
access_entry:
  description: The access entry after the run, keys in snake_case (tag keys kept as they are).
  returned: when the entry exists after the run (not for an entry check mode would create)
  type: dict
  contains:
    access_entry_arn:
      description: ARN of the entry (the one its tags are set on).
      type: str
      sample: arn:aws:eks:ap-northeast-1:123456789012:access-entry/triptrip-production/role/123456789012/triptrip-platform-admin/1a2b3c4d
    principal_arn:
      description: The IAM principal.
      type: str
    type:
      description: Type of the entry.
      type: str
      sample: STANDARD
    kubernetes_groups:
      description: Kubernetes groups of the principal.
      type: list
      elements: str
    username:
      description: Kubernetes username of the principal.
      type: str
    tags:
      description: Tags of the entry.
      type: dict
access_policies:
  description:
    - The access policies associated with the entry after the run (snake_case, as C(ListAssociatedAccessPolicies)
      returns them), sorted by ARN.
  returned: when I(access_policies) is set and the entry exists after the run
  type: list
  elements: dict
  sample:
    - policy_arn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
      access_scope: {"type": "cluster", "namespaces": []}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, snake, update_tags
from ansible_collections.triptrip.platform.plugins.module_utils.eks_access_policies import closest_policy, policy_name
from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after, wanted_tags


def unique(items):
    """Items without duplicates, first occurrence kept."""
    return list(dict.fromkeys(items or []))


def validate(params):
    """Why the access policies cannot be sent, or None. Runs before any AWS call."""
    seen = {}
    for i, policy in enumerate(params.get("access_policies") or []):
        scope = policy.get("access_scope") or {}
        where = f"access_policies[{i}].access_scope"
        if scope.get("type") == "namespace" and not scope.get("namespaces"):
            return f"{where}: a namespace scope needs namespaces (the namespaces {policy['policy_arn']} applies in)"
        if scope.get("type") == "cluster" and scope.get("namespaces"):
            return f"{where}: a cluster scope takes no namespaces (use type namespace to limit {policy['policy_arn']})"
        if policy["policy_arn"] in seen:
            return (f"access_policies[{i}].policy_arn: {policy['policy_arn']} is already listed at "
                    f"access_policies[{seen[policy['policy_arn']]}]; an entry has one scope per policy")
        seen[policy["policy_arn"]] = i
    return None


def offered_policies(client):
    """The ARNs of the access policies EKS offers (ListAccessPolicies, every page)."""
    arns, request = set(), {}
    while True:
        response = client.list_access_policies(aws_retry=True, **request)
        arns.update(p["arn"] for p in response.get("accessPolicies") or [] if p.get("arn"))
        if not response.get("nextToken"):
            return arns
        request["nextToken"] = response["nextToken"]


def unoffered(params, offered):
    """Why an access policy cannot be associated (EKS does not offer it), with the offered one probably meant, or
    None."""
    by_name = {policy_name(arn): arn for arn in offered if policy_name(arn)}
    for i, policy in enumerate(params.get("access_policies") or []):
        arn = policy["policy_arn"]
        if arn in offered:
            continue
        name = policy_name(arn) or str(arn).rsplit("/", 1)[-1]
        near = name if name in by_name else closest_policy(name, frozenset(by_name))
        hint = f"; did you mean {by_name[near]}?" if near else ""
        return f"access_policies[{i}].policy_arn={arn}: not an access policy EKS offers (ListAccessPolicies){hint}"
    return None


def describe_entry(client, cluster_name, principal_arn):
    return describe_or_none(client.describe_access_entry, "accessEntry", clusterName=cluster_name,
                            principalArn=principal_arn)


def list_policies(client, cluster_name, principal_arn):
    """{policy_arn: associated policy} of the entry."""
    policies = {}
    request = {"clusterName": cluster_name, "principalArn": principal_arn}
    while True:
        response = client.list_associated_access_policies(aws_retry=True, **request)
        for policy in response.get("associatedAccessPolicies") or []:
            policies[policy["policyArn"]] = policy
        if not response.get("nextToken"):
            return policies
        request["nextToken"] = response["nextToken"]


def scope_request(scope):
    """The accessScope sent to AssociateAccessPolicy."""
    if scope["type"] == "namespace":
        return {"type": "namespace", "namespaces": unique(scope["namespaces"])}
    return {"type": "cluster"}


def scope_key(scope):
    """A scope, as compared: type and the set of namespaces."""
    scope = scope or {}
    return {"type": scope.get("type"), "namespaces": sorted(set(scope.get("namespaces") or []))}


def policies_view(policies):
    """Access policies as --diff shows them, sorted by ARN."""
    return [{"policy_arn": arn, "access_scope": scope_key(policies[arn].get("accessScope"))} for arn in sorted(policies)]


def settings(entry, policies=None):
    view = {
        "type": entry.get("type"),
        "kubernetes_groups": sorted(set(entry.get("kubernetesGroups") or [])),
        "username": entry.get("username"),
        "tags": dict(entry.get("tags") or {}),
    }
    if policies is not None:
        view["access_policies"] = policies_view(policies)
    return view


def desired_settings(params, have):
    want = dict(have)
    want["type"] = params["type"]
    if params.get("kubernetes_groups") is not None:
        want["kubernetes_groups"] = sorted(set(params["kubernetes_groups"]))
    if params.get("username"):
        want["username"] = params["username"]
    if params.get("tags") is not None:
        want["tags"] = tags_after(have.get("tags"), params["tags"], params["purge_tags"])
    if params.get("access_policies") is not None:
        have_policies = {p["policy_arn"]: p["access_scope"] for p in have.get("access_policies") or []}
        if params["purge_access_policies"]:
            have_policies = {}
        for policy in params["access_policies"]:
            have_policies[policy["policy_arn"]] = scope_key(policy["access_scope"])
        want["access_policies"] = [{"policy_arn": arn, "access_scope": have_policies[arn]} for arn in sorted(have_policies)]
    return want


def policy_changes(params, policies):
    """(policies to associate, in the task's order; policy ARNs to disassociate, sorted)."""
    wanted = params.get("access_policies")
    if wanted is None:
        return [], []
    associate = [p for p in wanted
                 if p["policy_arn"] not in policies
                 or scope_key(policies[p["policy_arn"]].get("accessScope")) != scope_key(p["access_scope"])]
    names = {p["policy_arn"] for p in wanted}
    disassociate = sorted(arn for arn in policies if arn not in names) if params["purge_access_policies"] else []
    return associate, disassociate


def associate(client, params, policy):
    response = client.associate_access_policy(
        clusterName=params["cluster_name"], principalArn=params["principal_arn"], policyArn=policy["policy_arn"],
        accessScope=scope_request(policy["access_scope"]), aws_retry=True,
    )
    return response.get("associatedAccessPolicy") or {
        "policyArn": policy["policy_arn"], "accessScope": scope_request(policy["access_scope"]),
    }


def policies_result(policies):
    return [snake(policies[arn]) for arn in sorted(policies)]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            principal_arn=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            type=dict(type="str", default="STANDARD",
                      choices=["STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX"]),
            kubernetes_groups=dict(type="list", elements="str"),
            username=dict(type="str"),
            access_policies=dict(type="list", elements="dict", options=dict(
                policy_arn=dict(type="str", required=True),
                access_scope=dict(type="dict", required=True, options=dict(
                    type=dict(type="str", choices=["cluster", "namespace"], required=True),
                    namespaces=dict(type="list", elements="str"),
                )),
            )),
            purge_access_policies=dict(type="bool", default=True),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    cluster_name, principal = params["cluster_name"], params["principal_arn"]
    label = f"EKS access entry of {principal} on cluster {cluster_name}"
    if params["state"] == "present":
        refusal = validate(params)
        if refusal:
            module.fail_json(msg=f"{label}: {refusal}")
    client = eks_client(module)
    try:
        if params["state"] == "present" and params.get("access_policies"):
            # The API's list, not module_utils/eks_access_policies.py: a policy AWS adds after that list still works.
            refusal = unoffered(params, offered_policies(client))
            if refusal:
                module.fail_json(msg=f"{label}: {refusal}")
        entry = describe_entry(client, cluster_name, principal)

        if params["state"] == "absent":
            if entry is None:
                module.exit_json(changed=False)
            if not module.check_mode:
                client.delete_access_entry(clusterName=cluster_name, principalArn=principal, aws_retry=True)
            module.exit_json(changed=True, diff={"before": settings(entry), "after": {}})

        if entry is None:
            request = {"clusterName": cluster_name, "principalArn": principal, "type": params["type"]}
            if params.get("kubernetes_groups"):
                request["kubernetesGroups"] = unique(params["kubernetes_groups"])
            if params.get("username"):
                request["username"] = params["username"]
            if params.get("tags"):
                request["tags"] = wanted_tags(params["tags"])
            after = desired_settings(params, settings({}, {} if params.get("access_policies") is not None else None))
            result = {"changed": True, "diff": {"before": {}, "after": after}}
            if not module.check_mode:
                entry = client.create_access_entry(aws_retry=True, **request)["accessEntry"]
                result["access_entry"] = snake(entry)
                if params.get("access_policies") is not None:
                    policies = {}
                    for policy in params["access_policies"]:
                        policies[policy["policy_arn"]] = associate(client, params, policy)
                    result["access_policies"] = policies_result(policies)
            module.exit_json(**result)

        if entry.get("type") and entry["type"] != params["type"]:
            module.fail_json(msg=f"{label}: type cannot change on an existing access entry "
                                 f"({entry['type']} -> {params['type']}); delete the entry (state=absent) first")
        update = {}
        if params.get("kubernetes_groups") is not None and \
                sorted(set(params["kubernetes_groups"])) != sorted(set(entry.get("kubernetesGroups") or [])):
            update["kubernetesGroups"] = unique(params["kubernetes_groups"])
        if params.get("username") and params["username"] != entry.get("username"):
            update["username"] = params["username"]
        policies = list_policies(client, cluster_name, principal) if params.get("access_policies") is not None else None
        to_associate, to_disassociate = policy_changes(params, policies or {})
        add_tags, remove_tags = tag_changes(entry.get("tags"), params.get("tags"), params["purge_tags"])
        changed = bool(update or to_associate or to_disassociate or add_tags or remove_tags)
        before = settings(entry, policies)
        after = desired_settings(params, before)

        if changed and not module.check_mode:
            if update:
                entry = client.update_access_entry(
                    clusterName=cluster_name, principalArn=principal, aws_retry=True, **update,
                ).get("accessEntry") or {**entry, **update}
            for policy in to_associate:
                policies[policy["policy_arn"]] = associate(client, params, policy)
            for arn in to_disassociate:
                client.disassociate_access_policy(clusterName=cluster_name, principalArn=principal, policyArn=arn,
                                                  aws_retry=True)
                policies.pop(arn)
            update_tags(client, entry["accessEntryArn"], add_tags, remove_tags)
            if add_tags or remove_tags:
                entry = {**entry, "tags": after["tags"]}
        result = {"changed": changed, "access_entry": snake(entry),
                  "diff": {"before": before, "after": after} if changed else {}}
        if policies is not None:
            result["access_policies"] = policies_result(policies)
        module.exit_json(**result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=label)


if __name__ == "__main__":
    main()
