# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retry policy of the triptrip.platform AWS modules: one jittered backoff for every service's client, and the
retry of EKS calls that pass an IAM role IAM has not propagated yet."""

from __future__ import annotations

import time

try:
    import botocore
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    botocore = None

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Throttling and transient errors back off with jitter (amazon.aws's jittered_backoff): 10 tries, waits growing from
# 1 s to at most 30 s, on top of botocore's own retry mode (AWS_RETRY_MODE / AWS_MAX_ATTEMPTS). AWSRetry's built-in
# list knows EC2's and IAM's "Throttling" and transient 5xx errors, not the codes some services throttle with; without
# them a throttled call fails at once (the modules' unit tests guard this).
SERVICE_RETRY_CODES = {
    "ec2": [],
    "eks": ["ThrottlingException", "ServiceUnavailableException", "ServerException"],
    "iam": [],
    "kms": ["ThrottlingException", "KMSInternalException"],
    "secretsmanager": ["ThrottlingException", "InternalServiceError"],
}


def jittered_retry(extra_codes=None):
    """amazon.aws's AWSRetry.jittered_backoff with this collection's tries and waits, also retrying `extra_codes`."""
    return AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=extra_codes or None)


RETRY = {service: jittered_retry(codes) for service, codes in SERVICE_RETRY_CODES.items()}


def aws_client(module, service):
    """The module's client of `service` (a key of SERVICE_RETRY_CODES), whose calls retry on throttling when called
    with aws_retry=True."""
    return module.client(service, retry_decorator=RETRY[service])


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
