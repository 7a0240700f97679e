# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retrying IAM client of the triptrip.platform IAM modules."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# IAM answers throttling with "Throttling", which AWSRetry already retries (with transient 5xx errors).
IAM_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30)


def iam_client(module):
    """An IAM client whose calls retry on throttling when called with aws_retry=True."""
    return module.client("iam", retry_decorator=IAM_RETRY)
