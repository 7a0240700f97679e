# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retrying Secrets Manager client of the triptrip.platform Secrets Manager modules."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Secrets Manager throttles with "ThrottlingException", which AWSRetry's built-in list (EC2's "Throttling") lacks;
# the unit test of secretsmanager_replica fails without it.
SECRETS_RETRY_CODES = ["ThrottlingException", "InternalServiceError"]
SECRETS_RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=30, catch_extra_error_codes=SECRETS_RETRY_CODES)


def secretsmanager_client(module):
    """A Secrets Manager client whose calls retry on throttling when called with aws_retry=True."""
    return module.client("secretsmanager", retry_decorator=SECRETS_RETRY)
