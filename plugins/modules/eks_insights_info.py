#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eks_insights_info
short_description: Read an EKS cluster's insights, with the details of each one that is not passing
version_added: 0.9.0
description:
  - Lists the cluster's insights (C(ListInsights)), filtered by category, Kubernetes version and status, and reads
    each insight that is not C(PASSING) with C(DescribeInsight) for its recommendation, resources and details.
  - Upgrade readiness insights (C(UPGRADE_READINESS)) are what EKS found that could break the cluster on the next
    Kubernetes minor (deprecated APIs still called, add-on builds, kubelet version skew); playbooks/upgrade.yml stops
    on one in C(ERROR) before it changes anything.
  - Returns the cluster's insights as they are; reads only, so check mode and diff change nothing.
  - Calls retry with jittered backoff on throttling and transient errors.
author:
  - TripTrip Platform Team (@triptrip)
options:
  cluster_name:
    description: Name of the cluster.
    type: str
    required: true
  categories:
    description: Insight categories to list.
    type: list
    elements: str
    choices: [UPGRADE_READINESS, MISCONFIGURATION, ROLLBACK_READINESS]
    default: [UPGRADE_READINESS]
  kubernetes_version:
    description: Only the insights for this Kubernetes minor (the upgrade's target, as C("1.35")); empty for all.
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read what could break the upgrade to 1.35
  triptrip.platform.eks_insights_info:
    cluster_name: triptrip-production
    kubernetes_version: "1.35"
  register: insights

- name: Stop on an insight in ERROR
  ansible.builtin.assert:
    that: insights.insights | selectattr('status', 'equalto', 'ERROR') | list | length == 0
"""

RETURN = r"""
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
insights:
  description:
    - Each insight, sorted by status (C(ERROR), C(WARNING), C(UNKNOWN), C(PASSING)) then name; the ones not
      C(PASSING) with what C(DescribeInsight) adds (recommendation, resources, additional_info, details).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 0b3e9c7a-1111-2222-3333-444455556666
      name: Deprecated APIs removed in Kubernetes v1.35
      category: UPGRADE_READINESS
      kubernetes_version: "1.35"
      status: ERROR
      reason: Deprecated API usage detected within last 30 days and your cluster is on Kubernetes v1.34.
      recommendation: Update manifests and API clients to use newer Kubernetes APIs if applicable before upgrading.
      resources: []
counts:
  description: How many insights there are of each status.
  returned: always
  type: dict
  sample: {"ERROR": 1, "WARNING": 0, "UNKNOWN": 0, "PASSING": 4}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.triptrip.platform.plugins.module_utils.eks import eks_client, snake

STATUSES = ("ERROR", "WARNING", "UNKNOWN", "PASSING")


def insight_view(summary, detail=None):
    """One insight: the summary's fields and, for one not passing, DescribeInsight's."""
    status = summary.get("insightStatus") or {}
    view = {"id": summary.get("id"), "name": summary.get("name"), "category": summary.get("category"),
            "kubernetes_version": summary.get("kubernetesVersion"), "status": status.get("status", "UNKNOWN"),
            "reason": status.get("reason", ""), "description": summary.get("description", "")}
    if detail is not None:
        view.update({"recommendation": detail.get("recommendation", ""),
                     "additional_info": dict(detail.get("additionalInfo") or {}),
                     "resources": [snake(r) for r in detail.get("resources") or []],
                     "details": snake(detail.get("categorySpecificSummary") or {})})
    return view


def read_insights(client, cluster_name, categories, kubernetes_version):
    request = {"clusterName": cluster_name, "filter": {"categories": list(categories)}}
    if kubernetes_version:
        request["filter"]["kubernetesVersions"] = [kubernetes_version]
    summaries = []
    while True:
        response = client.list_insights(aws_retry=True, **request)
        summaries += response.get("insights") or []
        if not response.get("nextToken"):
            break
        request["nextToken"] = response["nextToken"]
    found = []
    for summary in summaries:
        detail = None
        if (summary.get("insightStatus") or {}).get("status") != "PASSING":
            detail = client.describe_insight(clusterName=cluster_name, id=summary["id"], aws_retry=True)["insight"]
        found.append(insight_view(summary, detail))
    return sorted(found, key=lambda i: (STATUSES.index(i["status"]) if i["status"] in STATUSES else 2, i["name"] or ""))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            categories=dict(type="list", elements="str", default=["UPGRADE_READINESS"],
                            choices=["UPGRADE_READINESS", "MISCONFIGURATION", "ROLLBACK_READINESS"]),
            kubernetes_version=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    client = eks_client(module)
    try:
        insights = read_insights(client, params["cluster_name"], params["categories"], params["kubernetes_version"])
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            module.exit_json(changed=False, exists=False, insights=[], counts={s: 0 for s in STATUSES})
        module.fail_json_aws(err, msg=f"EKS insights of {params['cluster_name']}")
    except botocore.exceptions.BotoCoreError as err:
        module.fail_json_aws(err, msg=f"EKS insights of {params['cluster_name']}")
    counts = {status: sum(1 for i in insights if i["status"] == status) for status in STATUSES}
    module.exit_json(changed=False, exists=True, insights=insights, counts=counts)


if __name__ == "__main__":
    main()
