# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Shared pieces of the triptrip.platform EKS modules: the retrying client, read helpers, tags and update waits.

Retries (with the IAM role propagation retry, call_passing_role) are in retries.py, not-found handling in errors.py,
tag diffing in tagging.py and the polling loop in waiters.py; this module holds what is EKS's own.
"""

from __future__ import annotations

try:
    import botocore
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    botocore = None

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none
from ansible_collections.triptrip.platform.plugins.module_utils.retries import RETRY, SERVICE_RETRY_CODES, aws_client
from ansible_collections.triptrip.platform.plugins.module_utils.waiters import update_judge, wait

# AWSRetry's built-in list knows EC2's "Throttling" but not the code EKS answers with, "ThrottlingException";
# without it a throttled EKS call would fail at once (tests/unit/plugins/modules guard this).
EKS_RETRY_CODES = SERVICE_RETRY_CODES["eks"]
EKS_RETRY = RETRY["eks"]


def eks_client(module):
    """An EKS client whose calls retry on throttling when called with aws_retry=True."""
    return aws_client(module, "eks")


def describe_cluster(client, name):
    """Return the cluster as EKS describes it, or None when it does not exist."""
    return describe_or_none(client.describe_cluster, "cluster", name=name)


def read_cluster(module, client, name):
    """The cluster, snake_cased, or None when it does not exist; any other error fails the module, naming it."""
    try:
        return snake(describe_cluster(client, name))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        module.fail_json_aws(err, msg=f"Could not describe EKS cluster {name}")
    return None


def snake(resource, keep=("tags",)):
    """AWS's camelCase resource as snake_case, keeping the keys of the dicts named in `keep` (tags) as they are."""
    if resource is None:
        return None
    return camel_dict_to_snake_dict(resource, ignore_list=list(keep))


def health_issues(resource):
    """The health issues EKS reports for a node group or an add-on, one line."""
    issues = []
    for issue in ((resource or {}).get("health") or {}).get("issues") or []:
        resources = f" ({', '.join(issue['resourceIds'])})" if issue.get("resourceIds") else ""
        issues.append(f"{issue.get('code')}: {issue.get('message')}{resources}")
    return "; ".join(issues) or "no health issues reported"


def update_tags(client, arn, add, remove):
    """Carry out tagging.tag_changes() on the EKS resource `arn`: TagResource, then UntagResource."""
    if add:
        client.tag_resource(resourceArn=arn, tags=add, aws_retry=True)
    if remove:
        client.untag_resource(resourceArn=arn, tagKeys=remove, aws_retry=True)


def endpoint_access_request(private, public, public_cidrs):
    """UpdateClusterConfig's resourcesVpcConfig for endpoint access; public CIDRs only while the public endpoint is on
    (EKS defaults them to 0.0.0.0/0 when none are given)."""
    access = {"endpointPrivateAccess": bool(private), "endpointPublicAccess": bool(public)}
    if public:
        access["publicAccessCidrs"] = sorted(public_cidrs or ["0.0.0.0/0"])
    return access


def wait_for_update(client, name, update, timeout, fail):
    """Poll DescribeUpdate until `update` (as UpdateClusterConfig answered it) is Successful; `fail(msg=...)` when it
    ends otherwise or `timeout` seconds pass."""
    return wait(
        lambda: client.describe_update(name=name, updateId=update["id"], aws_retry=True)["update"],
        update_judge(lambda last: f"EKS update {last.get('id')} of {name} ended {last['status']}: {last.get('errors')}"),
        timeout, fail,
        lambda last: f"Timed out after {timeout} s waiting for EKS update {last.get('id')} of {name}",
        first=update,
    )
