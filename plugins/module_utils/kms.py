# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""The retrying KMS client of the triptrip.platform KMS modules."""

from __future__ import annotations

from ansible_collections.triptrip.platform.plugins.module_utils.retries import RETRY, aws_client

# KMS throttles with "ThrottlingException" and fails transiently with "KMSInternalException".
KMS_RETRY = RETRY["kms"]


def kms_client(module):
    """A KMS client whose calls retry on throttling when called with aws_retry=True."""
    return aws_client(module, "kms")
