# -*- coding: utf-8 -*-
# Copyright: TripTrip Platform Team
# Apache License 2.0 (see LICENSE)
"""Not-found handling of the triptrip.platform AWS modules: a read of a resource that does not exist is None."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

# What EKS and Secrets Manager answer for a resource that does not exist; IAM answers "NoSuchEntity", KMS
# "NotFoundException" (pass them as `codes`).
NOT_FOUND = ("ResourceNotFoundException",)


def is_not_found(err, codes=NOT_FOUND) -> bool:
    """True when `err` is AWS's answer (a botocore ClientError) that the resource does not exist."""
    return isinstance(err, is_boto3_error_code(list(codes), err))


def describe_or_none(call, key=None, codes=NOT_FOUND, **kwargs):
    """call(aws_retry=True, **kwargs) -- its answer's `key` when given -- or None when AWS answers one of `codes`.
    Any other error propagates."""
    try:
        response = call(aws_retry=True, **kwargs)
    except is_boto3_error_code(list(codes)):
        return None
    return response if key is None else response[key]
