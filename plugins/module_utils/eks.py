# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see galaxy.yml)
"""Shared pieces of the triptrip.platform EKS modules: the retrying client and read helpers."""

from __future__ import annotations

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
