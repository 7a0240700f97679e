#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_aws_auth_migration
short_description: Move an EKS cluster from the aws-auth ConfigMap to access entries, one stage at a time
version_added: 0.10.0
description:
  - Adopts a cluster that authenticates with the C(aws-auth) ConfigMap, in the stages EKS allows - the authentication
    mode only moves forward, C(CONFIG_MAP) to C(API_AND_CONFIG_MAP) to C(API).
  - Maps every aws-auth principal (I(map_roles), I(map_users), as the ConfigMap's C(mapRoles) and C(mapUsers) hold
    them) onto the access entry that mirrors it - same ARN (a role's path restored from IAM, as aws-auth cannot hold
    one), username and groups; C(system:masters) becomes the C(AmazonEKSClusterAdminPolicy) access policy on the
    whole cluster; a node role (groups C(system:bootstrappers) and C(system:nodes)) becomes an entry of type
    C(EC2_LINUX) (C(FARGATE_LINUX) with C(system:node-proxier), C(EC2_WINDOWS) with C(eks:kube-proxy-windows)) whose
    groups and username EKS sets. What does not carry over (a reserved username, another C(system:) group) is
    listed in each item's C(notes).
  - I(stage=plan) reads and reports only. I(stage=mirror) sets the mode to C(API_AND_CONFIG_MAP) when it is
    C(CONFIG_MAP) and creates the missing entries with their access policies; an entry that already exists is left as
    it is (EKS gives it precedence over aws-auth). I(stage=api) sets the mode to C(API) - and refuses, before any
    change and naming them, while a principal of aws-auth has no entry or an entry that lacks groups or the admin
    policy of its mirror, or while I(map_accounts) is not empty (access entries have no equivalent).
  - A principal IAM does not have (a deleted role) is reported and not mirrored; it cannot sign in anyway.
  - Supports check mode and diff (the mode and the entries, before and after). Calls retry with jittered backoff on
    throttling; a mode change is waited for (C(DescribeUpdate)).
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  stage:
    description: C(plan) (read only), C(mirror) or C(api), as above.
    type: str
    choices: [plan, mirror, api]
    required: true
  map_roles:
    description: The C(mapRoles) of the aws-auth ConfigMap, parsed (its data holds YAML text).
    type: list
    elements: dict
    default: []
    suboptions:
      rolearn:
        description: ARN of the IAM role, without a path (aws-auth cannot hold one).
        type: str
        required: true
      username:
        description: Kubernetes username of the role.
        type: str
      groups:
        description: Kubernetes groups of the role.
        type: list
        elements: str
  map_users:
    description: The C(mapUsers) of the aws-auth ConfigMap, parsed.
    type: list
    elements: dict
    default: []
    suboptions:
      userarn:
        description: ARN of the IAM user.
        type: str
        required: true
      username:
        description: Kubernetes username of the user.
        type: str
      groups:
        description: Kubernetes groups of the user.
        type: list
        elements: str
  map_accounts:
    description: The C(mapAccounts) of the aws-auth ConfigMap (account IDs); I(stage=api) refuses while it has any.
    type: list
    elements: str
    default: []
  wait_timeout:
    description: Seconds to wait for a mode change to complete.
    type: int
    default: 1200
notes:
  - EKS keeps ignoring the aws-auth ConfigMap once the mode is C(API); it can stay, or be deleted afterwards.
  - The cluster's creator, admin through C(bootstrapClusterCreatorAdminPermissions) without an aws-auth line, gets
    an access entry from EKS itself when the mode first includes C(API); this module neither needs nor makes it.
  - Needs C(eks:DescribeCluster), C(eks:UpdateClusterConfig), C(eks:DescribeUpdate), the access entry calls and
    C(iam:GetRole) / C(iam:GetUser) (principals of the cluster's account).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the aws-auth ConfigMap
  kubernetes.core.k8s_info:
    kind: ConfigMap
    namespace: kube-system
    name: aws-auth
  register: aws_auth

- name: Mirror aws-auth into access entries (mode API_AND_CONFIG_MAP)
  triptrip.platform.eks_aws_auth_migration:
    cluster_name: triptrip-production
    stage: mirror
    map_roles: "{{ aws_auth.resources[0].data.mapRoles | default('[]') | from_yaml }}"
    map_users: "{{ aws_auth.resources[0].data.mapUsers | default('[]') | from_yaml }}"
    map_accounts: "{{ aws_auth.resources[0].data.mapAccounts | default('[]') | from_yaml }}"
"""

RETURN = r"""
authentication_mode:
  description: The cluster's authentication mode after the run (what it would be, in check mode).
  returned: always
  type: str
  sample: API_AND_CONFIG_MAP
plan:
  description: One item per aws-auth principal (mapRoles, then mapUsers; a principal listed twice, once).
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: Where aws-auth has it, as C(mapRoles[0]).
      type: str
    aws_auth_arn:
      description: The ARN as aws-auth has it.
      type: str
    principal_arn:
      description: The access entry's principal (a role's ARN with its IAM path).
      type: str
    type:
      description: The entry's type.
      type: str
      sample: STANDARD
    kubernetes_groups:
      description: The entry's groups.
      type: list
      elements: str
    username:
      description: The entry's username; null for EKS's default.
      type: str
    access_policies:
      description: ARNs of the access policies associated on the whole cluster.
      type: list
      elements: str
    status:
      description:
        - C(exists) (an entry gives at least the mirror's access), C(narrowed) (an entry lacks some, see C(lacking)),
          C(create) (no entry yet), C(created) (made by this run) or C(no_principal) (IAM does not have it). An entry
          that appears while the run makes the others (EKS makes node group roles' entries itself) is C(exists).
      type: str
    lacking:
      description: What the existing entry lacks of the mirror (C(narrowed) only).
      type: list
      elements: str
    notes:
      description: What of the aws-auth mapping does not carry over, and why.
      type: list
      elements: str
blockers:
  description: Why the mode cannot move to C(API) yet (empty when it can).
  returned: always
  type: list
  elements: str
summary:
  description: The plan as lines to read.
  returned: always
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils import aws_auth
from ansible_collections.triptrip.platform.plugins.module_utils.eks import describe_cluster, eks_client, wait_for_update
from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.retries import aws_client


def iam_client(module):
    return aws_client(module, "iam")


def list_entries(client, cluster_name):
    arns, request = [], {"clusterName": cluster_name}
    while True:
        response = client.list_access_entries(aws_retry=True, **request)
        arns += response.get("accessEntries") or []
        if not response.get("nextToken"):
            return arns
        request["nextToken"] = response["nextToken"]


def list_policies(client, cluster_name, principal_arn):
    """ARNs of the access policies associated with the entry on the whole cluster."""
    arns, request = [], {"clusterName": cluster_name, "principalArn": principal_arn}
    while True:
        response = client.list_associated_access_policies(aws_retry=True, **request)
        arns += [p["policyArn"] for p in response.get("associatedAccessPolicies") or []
                 if (p.get("accessScope") or {}).get("type") == "cluster"]
        if not response.get("nextToken"):
            return arns
        request["nextToken"] = response["nextToken"]


def resolve_principal(iam, item, account):
    """The principal as IAM has it (a role's path restored), or None when IAM of the cluster's account has not it.
    Principals of other accounts are taken as given: their IAM is not ours to read."""
    match = (aws_auth.ROLE_ARN if item["principal_arn"].split(":")[5].startswith("role/") else aws_auth.USER_ARN).match(
        item["principal_arn"])
    if match.group(2) != account:
        return item["principal_arn"]
    if match.re is aws_auth.ROLE_ARN:
        role = describe_or_none(iam.get_role, "Role", codes=("NoSuchEntity",), RoleName=match.group(3))
        return role and role["Arn"]
    user = describe_or_none(iam.get_user, "User", codes=("NoSuchEntity",), UserName=match.group(3))
    return user and user["Arn"]


def entry_view(item):
    return {"type": item["type"], "kubernetes_groups": sorted(item["kubernetes_groups"]), "username": item["username"],
            "access_policies": sorted(p.rsplit("/", 1)[-1] for p in item["access_policies"])}


def summary_line(item):
    what = f"{item['type']} entry {item['principal_arn']}"
    if item["kubernetes_groups"]:
        what += f", groups {', '.join(item['kubernetes_groups'])}"
    if item["username"]:
        what += f", username {item['username']}"
    if item["access_policies"]:
        what += f", policy {', '.join(p.rsplit('/', 1)[-1] for p in item['access_policies'])} (cluster)"
    status = item["status"] + (f" (lacks {', '.join(item['lacking'])})" if item.get("lacking") else "")
    notes = "".join(f"; note: {n}" for n in item["notes"])
    return f"{item['source']} {item['aws_auth_arn']} -> {what}: {status}{notes}"


def create(client, cluster_name, item):
    """Create the item's entry and associate its policies; False when the entry appeared meanwhile (EKS makes the
    entries of managed node group and Fargate roles itself once the mode includes API), which is then left alone."""
    request = {"clusterName": cluster_name, "principalArn": item["principal_arn"], "type": item["type"]}
    if item["kubernetes_groups"]:
        request["kubernetesGroups"] = item["kubernetes_groups"]
    if item["username"]:
        request["username"] = item["username"]
    try:
        client.create_access_entry(aws_retry=True, **request)
    except is_boto3_error_code("ResourceInUseException"):
        return False
    for policy in item["access_policies"]:
        client.associate_access_policy(clusterName=cluster_name, principalArn=item["principal_arn"], policyArn=policy,
                                       accessScope={"type": "cluster"}, aws_retry=True)
    return True


def set_mode(module, client, name, mode):
    update = client.update_cluster_config(name=name, accessConfig={"authenticationMode": mode}, aws_retry=True)["update"]
    wait_for_update(client, name, update, module.params["wait_timeout"], module.fail_json)


def main():
    principal = dict(username=dict(type="str"), groups=dict(type="list", elements="str"))
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            stage=dict(type="str", choices=["plan", "mirror", "api"], required=True),
            map_roles=dict(type="list", elements="dict", default=[], options=dict(rolearn=dict(type="str", required=True), **principal)),
            map_users=dict(type="list", elements="dict", default=[], options=dict(userarn=dict(type="str", required=True), **principal)),
            map_accounts=dict(type="list", elements="str", default=[]),
            wait_timeout=dict(type="int", default=1200),
        ),
        supports_check_mode=True,
    )
    params = module.params
    name, stage = params["cluster_name"], params["stage"]
    refusal = aws_auth.check_input(params["map_roles"], params["map_users"], params["map_accounts"])
    if refusal:
        module.fail_json(msg=f"aws-auth of EKS cluster {name}: {refusal}")
    client = eks_client(module)
    try:
        cluster = describe_cluster(client, name)
        if cluster is None:
            module.fail_json(msg=f"cluster_name={name}: EKS has no such cluster")
        mode = (cluster.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"
        _arn, partition, _service, _region, account = cluster["arn"].split(":")[:5]
        plan = aws_auth.mapping(params["map_roles"], params["map_users"], partition)
        iam = iam_client(module)
        # Access entries exist only once the mode includes API; in CONFIG_MAP, EKS refuses to list them.
        entries = list_entries(client, name) if mode != "CONFIG_MAP" else []
        by_key = {aws_auth.principal_key(arn): arn for arn in entries}
        before = {}
        for item in plan:
            resolved = resolve_principal(iam, item, account)
            if resolved is None:
                item["status"] = "no_principal"
                item["notes"].append(f"IAM of account {account} has no such principal: nobody signs in as it, "
                                     "so it is not mirrored")
                continue
            item["principal_arn"] = resolved
            existing = by_key.get(aws_auth.principal_key(resolved))
            if existing is None:
                item["status"] = "create"
                continue
            entry = client.describe_access_entry(clusterName=name, principalArn=existing, aws_retry=True)["accessEntry"]
            policies = list_policies(client, name, existing)
            item["lacking"] = aws_auth.narrowed(item, entry.get("kubernetesGroups"), policies)
            item["status"] = "narrowed" if item["lacking"] else "exists"
            before[existing] = {"type": entry.get("type"), "kubernetes_groups": sorted(entry.get("kubernetesGroups") or []),
                                "username": entry.get("username"),
                                "access_policies": sorted(p.rsplit("/", 1)[-1] for p in policies)}
        blockers = aws_auth.blockers(plan, params["map_accounts"])
        after_mode, to_create = mode, []
        if stage == "mirror" and mode != "API":
            after_mode = "API_AND_CONFIG_MAP"
            to_create = [item for item in plan if item["status"] == "create"]
        if stage == "api" and mode != "API":
            if mode == "CONFIG_MAP":
                blockers.insert(0, "the mode is CONFIG_MAP: run stage=mirror first (entries need API_AND_CONFIG_MAP)")
            if blockers:
                module.fail_json(msg=f"EKS cluster {name} stays {mode}: moving to API would lock out principals of "
                                     f"aws-auth: {'; '.join(blockers)}", plan=plan, blockers=blockers,
                                 summary=[summary_line(i) for i in plan])
            after_mode = "API"
        after = dict(before)
        for item in to_create:
            after[item["principal_arn"]] = entry_view(item)
        changed = after_mode != mode or bool(to_create)
        if changed and not module.check_mode:
            if after_mode != mode:  # only ever forward: mirror from CONFIG_MAP, api from API_AND_CONFIG_MAP
                set_mode(module, client, name, after_mode)
            for item in to_create:
                if create(client, name, item):
                    item["status"] = "created"
                else:
                    item["status"] = "exists"
                    item["notes"].append("its entry appeared while this run made the others (EKS makes node group "
                                         "roles' entries itself): left as it is; the next plan compares it")
            made = [item for item in to_create if item["status"] == "created"]
            changed = after_mode != mode or bool(made)
            after = dict(before, **{item["principal_arn"]: entry_view(item) for item in made})
        if stage != "api":
            blockers = aws_auth.blockers(plan, params["map_accounts"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Could not adopt EKS cluster {name} into access entries (stage {stage})")
    result = {"changed": changed, "authentication_mode": after_mode, "plan": plan, "blockers": blockers,
              "summary": [f"authentication mode: {mode}" + (f" -> {after_mode}" if after_mode != mode else "")]
              + [summary_line(i) for i in plan]}
    if changed:
        result["diff"] = {"before": {"authentication_mode": mode, "access_entries": before},
                          "after": {"authentication_mode": after_mode, "access_entries": after}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
