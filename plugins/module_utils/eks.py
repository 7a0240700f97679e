# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Shared pieces of the triptrip.platform EKS modules: the retrying client and read helpers."""

from __future__ import annotations

import time

try:
    import botocore
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    botocore = None

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Throttling and transient errors back off with jitter (amazon.aws's jittered_backoff): 10 tries, waits
# growing from 1 s to at most 30 s, on top of botocore's own retry mode (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS).
# AWSRetry's built-in list knows EC2's "Throttling" but not the code EKS answers with, "ThrottlingException";
# without it a throttled EKS call would fail at once (tests/unit/plugins/modules guard this).
EKS_RETRY_CODES = ["ThrottlingException", "ServiceUnavailableException", "ServerException"]
EKS_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=EKS_RETRY_CODES)


# IAM is eventually consistent: a role created seconds ago (or its just-attached policies) may not be visible to
# EKS yet, and CreateCluster, CreateNodegroup or CreateAddon then answer InvalidParameterException ("Role with
# arn: ..., could not be assumed because it does not exist or the trusted entity is not correct", "The provided role
# doesn't have the Amazon EKS Managed Policies associated with it"). AWS's advice is to retry
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency);
# only messages about a role are retried, so a truly wrong parameter still fails at once.
ROLE_PROPAGATION_MESSAGES = ("could not be assumed", "cannot be assumed", "does not exist", "error in role params",
                             "doesn't have the amazon eks managed policies", "role's policy must include")
ROLE_PROPAGATION_SECONDS = 90


def role_not_propagated(err) -> bool:
    """True for EKS's answer to a role that IAM has not propagated yet (see ROLE_PROPAGATION_MESSAGES)."""
    error = err.response.get("Error", {})
    message = (error.get("Message") or "").lower()
    return (error.get("Code") == "InvalidParameterException" and "role" in message
            and any(m in message for m in ROLE_PROPAGATION_MESSAGES))


def call_passing_role(call, **kwargs):
    """An EKS call that passes an IAM role (create_cluster, create_nodegroup, create/update_addon), retried for
    up to ROLE_PROPAGATION_SECONDS while EKS cannot see the role yet; throttling retries as any call."""
    waited, delay = 0, 2
    while True:
        try:
            return call(aws_retry=True, **kwargs)
        except botocore.exceptions.ClientError as err:
            if not role_not_propagated(err) or waited >= ROLE_PROPAGATION_SECONDS:
                raise
        time.sleep(delay)
        waited += delay
        delay = min(delay * 2, 20)


def eks_client(module):
    """An EKS client whose calls retry on throttling when called with aws_retry=True."""
    return module.client("eks", retry_decorator=EKS_RETRY)


def describe_cluster(client, name):
    """Return the cluster as EKS describes it, or None when it does not exist."""
    try:
        return client.describe_cluster(name=name, aws_retry=True)["cluster"]
    except botocore.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def snake(resource):
    """AWS's camelCase resource as snake_case, keeping tag keys as they are."""
    if resource is None:
        return None
    return camel_dict_to_snake_dict(resource, ignore_list=["tags"])


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
    deadline = time.monotonic() + timeout
    while update.get("status") not in ("Successful", "Failed", "Cancelled"):
        if time.monotonic() >= deadline:
            fail(msg=f"Timed out after {timeout} s waiting for EKS update {update.get('id')} of {name}")
            return
        time.sleep(10)
        update = client.describe_update(name=name, updateId=update["id"], aws_retry=True)["update"]
    if update["status"] != "Successful":
        fail(msg=f"EKS update {update.get('id')} of {name} ended {update['status']}: {update.get('errors')}")
