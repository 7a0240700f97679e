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

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, read_cluster


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(name=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    client = eks_client(module)
    cluster = read_cluster(module, client, module.params["name"])
    if cluster is None:
        module.exit_json(changed=False, exists=False)
    module.exit_json(changed=False, exists=True, cluster=cluster)


if __name__ == "__main__":
    main()
