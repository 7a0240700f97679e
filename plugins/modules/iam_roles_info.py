#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: iam_roles_info
short_description: Read many IAM roles, their policies and tags in two batched calls
version_added: 0.2.0
description:
  - Reads the named IAM roles with C(GetAccountAuthorizationDetails) (trust policy, attached managed policies,
    inline policies with their documents, permissions boundary, tags) and C(ListRoles) (description and maximum
    session duration, which the first call does not return). Both are paginated; for a handful of roles that is
    two calls, where M(amazon.aws.iam_role_info) makes four per role.
  - Meant as the read before a converge, so that M(amazon.aws.iam_role) and M(amazon.aws.iam_policy) run only
    for the roles that differ (see the filter P(triptrip.platform.aws_in_sync#filter), kinds C(iam_role) and
    C(iam_policy)).
  - Both calls return every role of the account, so in an account with thousands of roles this is one call
    per page of up to 1000 roles.
  - Read only; runs the same in check mode. Calls retry with jittered backoff on throttling.
author:
  - TripTrip Platform Team (@triptrip)
options:
  names:
    description: Names of the roles to read. A role that does not exist is left out of RV(roles).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the cluster and node roles
  triptrip.platform.iam_roles_info:
    names: [triptrip-production-cluster, triptrip-production-node]
  register: current

- name: Converge only the roles that differ
  amazon.aws.iam_role:
    name: "{{ item.name }}"
    assume_role_policy_document: "{{ item.trust }}"
    managed_policies: "{{ item.policies }}"
    tags: "{{ tags }}"
    create_instance_profile: false
  loop: "{{ roles }}"
  when: >-
    not (current.roles[item.name] | default(none) | triptrip.platform.aws_in_sync('iam_role',
    {'assume_role_policy_document': item.trust, 'managed_policies': item.policies, 'tags': tags,
     'create_instance_profile': false}))
"""

RETURN = r"""
roles:
  description: The roles found, by name.
  returned: always
  type: dict
  sample:
    triptrip-production-node:
      arn: arn:aws:iam::123456789012:role/triptrip-production-node
      path: /
      description: ""
      max_session_duration: 3600
      assume_role_policy_document: {"Version": "2012-10-17", "Statement": []}
      managed_policy_arns: [arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy]
      inline_policies: {}
      permissions_boundary_arn: ""
      tags: {team: platform}
  contains:
    arn:
      description: Role ARN.
      type: str
    path:
      description: Role path.
      type: str
    description:
      description: Role description (empty when it has none).
      type: str
    max_session_duration:
      description: Maximum session duration in seconds.
      type: int
    assume_role_policy_document:
      description: Trust policy, decoded.
      type: dict
    managed_policy_arns:
      description: ARNs of the attached managed policies.
      type: list
      elements: str
    inline_policies:
      description: Inline policy documents (decoded) by policy name.
      type: dict
    permissions_boundary_arn:
      description: ARN of the permissions boundary, empty when there is none.
      type: str
    tags:
      description: Tags.
      type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

import json
from urllib.parse import unquote

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.triptrip.platform.plugins.module_utils.iam import iam_client


def document(value):
    """A policy document as a dict: botocore decodes them, but an URL-encoded JSON string is accepted too."""
    if isinstance(value, str):
        return json.loads(unquote(value))
    return value


def pages(client, operation, key, **kwargs):
    """Every item of a paginated IAM list call, each page retried on throttling."""
    marker = None
    while True:
        page = getattr(client, operation)(aws_retry=True, **kwargs, **({"Marker": marker} if marker else {}))
        yield from page.get(key) or []
        if not page.get("IsTruncated"):
            return
        marker = page["Marker"]


def read_roles(client, names):
    """The named roles as {name: settings}; roles that do not exist are left out."""
    wanted = set(names)
    roles = {}
    for role in pages(client, "get_account_authorization_details", "RoleDetailList", Filter=["Role"]):
        if role["RoleName"] not in wanted:
            continue
        roles[role["RoleName"]] = {
            "arn": role["Arn"],
            "path": role.get("Path", "/"),
            "description": "",
            "max_session_duration": 3600,
            "assume_role_policy_document": document(role.get("AssumeRolePolicyDocument") or {}),
            "managed_policy_arns": sorted(p["PolicyArn"] for p in role.get("AttachedManagedPolicies") or []),
            "inline_policies": {p["PolicyName"]: document(p["PolicyDocument"]) for p in role.get("RolePolicyList") or []},
            "permissions_boundary_arn": (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", ""),
            "tags": boto3_tag_list_to_ansible_dict(role.get("Tags") or []),
        }
    if roles:
        for role in pages(client, "list_roles", "Roles"):
            if role["RoleName"] in roles:
                roles[role["RoleName"]]["description"] = role.get("Description", "")
                roles[role["RoleName"]]["max_session_duration"] = role.get("MaxSessionDuration", 3600)
    return roles


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(names=dict(type="list", elements="str", required=True)),
        supports_check_mode=True,
    )
    client = iam_client(module)
    try:
        roles = read_roles(client, module.params["names"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg="Could not read the IAM roles")
    module.exit_json(changed=False, roles=roles)


if __name__ == "__main__":
    main()
