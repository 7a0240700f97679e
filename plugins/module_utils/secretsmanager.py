# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retrying Secrets Manager client of the triptrip.platform Secrets Manager modules."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.retries import RETRY, SERVICE_RETRY_CODES, aws_client

# Secrets Manager throttles with "ThrottlingException", which AWSRetry's built-in list (EC2's "Throttling") lacks;
# the unit test of secretsmanager_replica fails without it.
SECRETS_RETRY_CODES = SERVICE_RETRY_CODES["secretsmanager"]
SECRETS_RETRY = RETRY["secretsmanager"]


def secretsmanager_client(module):
    """A Secrets Manager client whose calls retry on throttling when called with aws_retry=True."""
    return aws_client(module, "secretsmanager")
