#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_pod_identity_association_info
short_description: Read the Amazon EKS Pod Identity associations of a cluster, with their roles
version_added: 0.1.0
description:
  - Lists a cluster's EKS Pod Identity associations (C(ListPodIdentityAssociations), every page, optionally for one
    namespace or service account) and describes each (C(DescribePodIdentityAssociation)) for its role, which the
    list does not give.
  - Read only; the same in check mode. Calls retry with jittered backoff on throttling (C(ThrottlingException)).
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  namespace:
    description: Only the associations of this namespace.
    type: str
  service_account:
    description: Only the associations of service accounts of this name.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which service accounts get which role through EKS Pod Identity
  triptrip.platform.eks_pod_identity_association_info:
    cluster_name: triptrip-production
  register: associations

- name: The KEDA operator's association, if any
  triptrip.platform.eks_pod_identity_association_info:
    cluster_name: triptrip-production
    namespace: keda
    service_account: keda-operator
"""

RETURN = r"""
associations:
  description: The associations, by C(<namespace>/<service account>).
  returned: always
  type: dict
  sample:
    keda/keda-operator:
      namespace: keda
      service_account: keda-operator
      role_arn: arn:aws:iam::123456789012:role/triptrip-production-keda
      association_id: a-0123456789abcdef0
      association_arn: arn:aws:eks:ap-northeast-1:123456789012:podidentityassociation/triptrip-production/a-0123456789abcdef0
exists:
  description: Whether the cluster exists (false - no associations, and no error).
  returned: always
  type: bool
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client
from ansible_collections.triptrip.platform.plugins.module_utils.errors import is_not_found
from ansible_collections.triptrip.platform.plugins.module_utils.pod_identity import list_associations, view


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            namespace=dict(type="str"),
            service_account=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = eks_client(module)
    try:
        try:
            listed = list_associations(client, params["cluster_name"], namespace=params.get("namespace"),
                                       serviceAccount=params.get("service_account"))
        except botocore.exceptions.ClientError as err:
            if not is_not_found(err):
                raise
            module.exit_json(changed=False, associations={}, exists=False)
        found = {}
        for (namespace, account), item in sorted(listed.items()):
            described = client.describe_pod_identity_association(
                clusterName=params["cluster_name"], associationId=item["associationId"], aws_retry=True)["association"]
            found[f"{namespace}/{account}"] = view(described)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Could not read the EKS Pod Identity associations of {params['cluster_name']}")
    module.exit_json(changed=False, associations=found, exists=True)


if __name__ == "__main__":
    main()
