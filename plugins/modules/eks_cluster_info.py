#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_cluster_info
short_description: Describe an Amazon EKS cluster
version_added: 0.1.0
description:
  - Reads one EKS cluster with C(DescribeCluster) and returns it as EKS describes it, in snake_case.
  - Returns C(exists=false) and no cluster when the cluster does not exist, instead of failing, so a playbook
    can branch on it (a first run, a C(--check) plan on an empty account).
  - Calls retry with jittered backoff on throttling and transient errors.
author:
  - TripTrip Platform Team (@triptrip)
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  addons:
    description:
      - Also read the cluster's managed add-ons (C(ListAddons), then C(DescribeAddon) for each), returned as
        I(addons).
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the production cluster
  triptrip.platform.eks_cluster_info:
    name: triptrip-production
    region: ap-northeast-1
  register: cluster

- name: Require a private endpoint
  ansible.builtin.assert:
    that:
      - cluster.exists
      - not cluster.cluster.resources_vpc_config.endpoint_public_access
"""

RETURN = r"""
addons:
  description: The managed add-ons by name, each as C(DescribeAddon) returns it in snake_case (tag keys kept).
  returned: when I(addons=true) and the cluster exists
  type: dict
  sample:
    vpc-cni:
      addon_name: vpc-cni
      addon_version: v1.21.1-eksbuild.3
      service_account_role_arn: arn:aws:iam::123456789012:role/triptrip-production-vpc-cni
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
  sample: true
cluster:
  description: The cluster as C(DescribeCluster) returns it, keys in snake_case (tag keys kept as they are).
  returned: when the cluster exists
  type: dict
  contains:
    name:
      description: Cluster name.
      type: str
      sample: triptrip-production
    arn:
      description: Cluster ARN.
      type: str
      sample: arn:aws:eks:ap-northeast-1:123456789012:cluster/triptrip-production
    version:
      description: Kubernetes minor.
      type: str
      sample: "1.35"
    status:
      description: CREATING, ACTIVE, UPDATING, DELETING or FAILED.
      type: str
      sample: ACTIVE
    role_arn:
      description: Cluster IAM role.
      type: str
    endpoint:
      description: API server endpoint.
      type: str
    certificate_authority:
      description: The API server's CA, C(data) being its PEM in base64 (a kubeconfig's C(certificate-authority-data)).
      type: dict
    resources_vpc_config:
      description: Subnets, security groups and endpoint access.
      type: dict
    logging:
      description: Control plane log types and whether each is enabled.
      type: dict
    encryption_config:
      description: Envelope encryption of resources with a KMS key.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, read_cluster, snake


def read_addons(client, name):
    """{add-on name: DescribeAddon's addon, snake_case} of the cluster."""
    names, request = [], {"clusterName": name}
    while True:
        response = client.list_addons(aws_retry=True, **request)
        names += response.get("addons") or []
        if not response.get("nextToken"):
            break
        request["nextToken"] = response["nextToken"]
    return {addon: snake(client.describe_addon(clusterName=name, addonName=addon, aws_retry=True)["addon"])
            for addon in names}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name=dict(type="str", required=True), addons=dict(type="bool", default=False)),
        supports_check_mode=True,
    )
    client = eks_client(module)
    name = module.params["name"]
    cluster = read_cluster(module, client, name)
    if cluster is None:
        module.exit_json(changed=False, exists=False)
    result = {"changed": False, "exists": True, "cluster": cluster}
    if module.params["addons"]:
        try:
            result["addons"] = read_addons(client, name)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
            module.fail_json_aws(err, msg=f"Could not read the add-ons of EKS cluster {name}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
