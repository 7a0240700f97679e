#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_pod_identity_association
short_description: Create, converge or delete Amazon EKS Pod Identity associations of a cluster
version_added: 0.1.0
description:
  - Manages the EKS Pod Identity associations of one cluster in one run - each association gives the pods of one
    Kubernetes service account the credentials of one IAM role, through the EKS Pod Identity agent.
  - Lists the cluster's associations once (C(ListPodIdentityAssociations)) and describes only those of the listed
    service accounts; calls AWS to change only what differs. A missing association is created, one with another
    role is updated in place (C(UpdatePodIdentityAssociation), so the service account is never without one), one
    with I(state=absent) is deleted. Associations of service accounts not listed are left alone.
  - The list is checked before any AWS call - a service account listed twice, or a I(role_arn) that is not an IAM
    role ARN, fails naming C(associations[i]) and its value.
  - The role's trust policy must allow C(pods.eks.amazonaws.com) the actions C(sts:AssumeRole) and
    C(sts:TagSession); EKS does not check it when the association is made, only when a pod asks for credentials.
  - Supports check mode and diff; in check mode a cluster that does not exist yet has no associations.
  - Calls retry with jittered backoff on throttling (C(ThrottlingException)), and a create or update retries while
    IAM has not yet propagated a role made moments before.
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the EKS cluster.
    type: str
    required: true
  associations:
    description: The associations to converge, one per service account.
    type: list
    elements: dict
    required: true
    suboptions:
      namespace:
        description: Namespace of the service account.
        type: str
        required: true
      service_account:
        description: Name of the service account.
        type: str
        required: true
      role_arn:
        description: ARN of the IAM role the service account's pods get. Required with I(state=present).
        type: str
      state:
        description: C(present) creates or converges the association; C(absent) deletes it.
        type: str
        choices: [present, absent]
        default: present
  tags:
    description: Tags of the associations this run creates or converges. Unset leaves the tags alone.
    type: dict
  purge_tags:
    description: Remove tags not in I(tags) (tags whose key starts with C(aws:) are never removed).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The KEDA operator and the AWS Load Balancer Controller get their roles through EKS Pod Identity
  triptrip.platform.eks_pod_identity_association:
    cluster_name: triptrip-production
    associations:
      - namespace: keda
        service_account: keda-operator
        role_arn: arn:aws:iam::123456789012:role/triptrip-production-keda
      - namespace: kube-system
        service_account: aws-load-balancer-controller
        role_arn: arn:aws:iam::123456789012:role/triptrip-production-aws-load-balancer-controller
    tags:
      Environment: production

- name: Back to IRSA for one controller
  triptrip.platform.eks_pod_identity_association:
    cluster_name: triptrip-production
    associations:
      - namespace: keda
        service_account: keda-operator
        state: absent
"""

RETURN = r"""
associations:
  description: The listed associations that exist after the run (not those check mode would create), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: Namespace of the service account.
      type: str
    service_account:
      description: The service account.
      type: str
    role_arn:
      description: The IAM role its pods get.
      type: str
    association_id:
      description: Id of the association.
      type: str
      sample: a-0123456789abcdef0
    association_arn:
      description: ARN of the association (the one its tags are set on).
      type: str
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, update_tags
from ansible_collections.triptrip.platform.plugins.module_utils.errors import is_not_found
from ansible_collections.triptrip.platform.plugins.module_utils.pod_identity import list_associations, view
from ansible_collections.triptrip.platform.plugins.module_utils.retries import call_passing_role
from ansible_collections.triptrip.platform.plugins.module_utils.tagging import tag_changes, tags_after, wanted_tags

ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]+$")


def validate(associations):
    """Why the associations cannot be sent, or None. Runs before any AWS call."""
    seen = {}
    for i, item in enumerate(associations):
        key = f"{item['namespace']}/{item['service_account']}"
        if key in seen:
            return f"associations[{i}]: {key} is already listed at associations[{seen[key]}]; a service account has one association"
        seen[key] = i
        if item["state"] == "present" and not ROLE_ARN.match(item.get("role_arn") or ""):
            return f"associations[{i}].role_arn={item.get('role_arn')!r}: not the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)"
    return None


def converge(module, client, params, item, current):
    """Converge one association; (changed, association after or None, before view, after view)."""
    cluster_name, purge = params["cluster_name"], params["purge_tags"]
    key = {"namespace": item["namespace"], "service_account": item["service_account"]}
    if current is None:
        if item["state"] == "absent":
            return False, None, None, None
        after = {**key, "role_arn": item["role_arn"], "tags": wanted_tags(params.get("tags") or {})}
        if module.check_mode:
            return True, None, None, after
        request = {"clusterName": cluster_name, "namespace": item["namespace"], "serviceAccount": item["service_account"],
                   "roleArn": item["role_arn"]}
        if params.get("tags"):
            request["tags"] = wanted_tags(params["tags"])
        made = call_passing_role(client.create_pod_identity_association, **request)["association"]
        return True, made, None, after
    before = {**key, "role_arn": current.get("roleArn"), "tags": dict(current.get("tags") or {})}
    if item["state"] == "absent":
        if not module.check_mode:
            client.delete_pod_identity_association(clusterName=cluster_name, associationId=current["associationId"],
                                                   aws_retry=True)
        return True, None, before, None
    add, remove = tag_changes(current.get("tags"), params.get("tags"), purge)
    after = {**key, "role_arn": item["role_arn"],
             "tags": tags_after(current.get("tags"), params["tags"], purge) if params.get("tags") is not None else before["tags"]}
    if before == after:
        return False, current, before, after
    if not module.check_mode:
        if current.get("roleArn") != item["role_arn"]:
            current = call_passing_role(client.update_pod_identity_association, clusterName=cluster_name,
                                        associationId=current["associationId"], roleArn=item["role_arn"])["association"]
        update_tags(client, current["associationArn"], add, remove)
    return True, {**current, "roleArn": item["role_arn"]}, before, after


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            associations=dict(type="list", elements="dict", required=True, options=dict(
                namespace=dict(type="str", required=True),
                service_account=dict(type="str", required=True),
                role_arn=dict(type="str"),
                state=dict(type="str", choices=["present", "absent"], default="present"),
            )),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    label = f"EKS Pod Identity associations of cluster {params['cluster_name']}"
    refusal = validate(params["associations"])
    if refusal:
        module.fail_json(msg=f"{label}: {refusal}")
    client = eks_client(module)
    changed, results, before, after = False, [], {}, {}
    try:
        try:
            listed = list_associations(client, params["cluster_name"])
        except botocore.exceptions.ClientError as err:
            # --check before the cluster exists (a first build's plan): every association is one to create.
            if not (module.check_mode and is_not_found(err)):
                raise
            listed = {}
        for item in params["associations"]:
            summary = listed.get((item["namespace"], item["service_account"]))
            current = None
            if summary is not None:
                current = client.describe_pod_identity_association(
                    clusterName=params["cluster_name"], associationId=summary["associationId"], aws_retry=True)["association"]
            did, association, was, will = converge(module, client, params, item, current)
            name = f"{item['namespace']}/{item['service_account']}"
            if did:
                changed = True
                if was is not None:
                    before[name] = was
                if will is not None:
                    after[name] = will
            if association is not None:
                results.append(view(association))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=label)
    module.exit_json(changed=changed, associations=results, diff={"before": before, "after": after} if changed else {})


if __name__ == "__main__":
    main()
