# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retrying IAM client of the triptrip.platform IAM modules."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.retries import RETRY, aws_client

# IAM answers throttling with "Throttling", which AWSRetry already retries (with transient 5xx errors).
IAM_RETRY = RETRY["iam"]


def iam_client(module):
    """An IAM client whose calls retry on throttling when called with aws_retry=True."""
    return aws_client(module, "iam")
