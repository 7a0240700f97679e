#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_nodegroup_info
short_description: Describe the managed node groups of an Amazon EKS cluster
version_added: 0.1.0
description:
  - Lists the managed node groups of one EKS cluster (C(ListNodegroups), every page) and describes each
    (C(DescribeNodegroup)), or describes only the named ones.
  - Returns them keyed by name in snake_case (label, tag and taint keys kept as they are), so a playbook can
    compare sizes, labels, taints, capacity types and launch templates with its inventory.
  - A cluster that does not exist gives an empty result, not a failure (a C(--check) plan on an empty account).
  - Calls retry with jittered backoff on throttling and transient errors.
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the cluster.
    type: str
    required: true
  names:
    description: Node groups to describe; all of the cluster's when empty. A named group that does not exist is left out.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read every node group of the production cluster
  triptrip.platform.eks_nodegroup_info:
    cluster_name: triptrip-production
  register: groups

- name: Require the general group's minimum size
  ansible.builtin.assert:
    that: groups.nodegroups.general.scaling_config.min_size == 3
"""

RETURN = r"""
nodegroups:
  description: Node groups by name, as C(DescribeNodegroup) returns them, keys in snake_case (labels, tags kept).
  returned: always
  type: dict
  sample: {"general": {"capacity_type": "ON_DEMAND", "scaling_config": {"min_size": 3, "max_size": 50, "desired_size": 10}}}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client
from ansible_collections.triptrip.platform.plugins.module_utils.errors import is_not_found
from ansible_collections.triptrip.platform.plugins.module_utils.nodegroup import describe_nodegroup, nodegroup_result


def list_names(client, cluster):
    names, token = [], None
    while True:
        kwargs = {"clusterName": cluster, **({"nextToken": token} if token else {})}
        page = client.list_nodegroups(aws_retry=True, **kwargs)
        names.extend(page.get("nodegroups", []))
        token = page.get("nextToken")
        if not token:
            return names


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            names=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    client = eks_client(module)
    cluster = module.params["cluster_name"]
    found = {}
    try:
        try:
            names = module.params["names"] or list_names(client, cluster)
        except botocore.exceptions.ClientError as err:
            if is_not_found(err):
                module.exit_json(changed=False, nodegroups={})
            raise
        for name in names:
            group = describe_nodegroup(client, cluster, name)
            if group is not None:
                found[name] = nodegroup_result(group)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Reading the node groups of EKS cluster {cluster}")
    module.exit_json(changed=False, nodegroups=found)


if __name__ == "__main__":
    main()
