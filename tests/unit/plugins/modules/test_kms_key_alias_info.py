"""triptrip.platform.kms_key_alias_info: the key behind an alias in three calls; a missing alias is exists=false."""

from __future__ import annotations

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.kms import KMS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import kms_key_alias_info

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
META = {"KeyId": KEY_ID, "Arn": f"arn:aws:kms:ap-northeast-1:123456789012:key/{KEY_ID}", "KeyState": "Enabled",
        "Description": "EKS secrets", "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}


@pytest.fixture
def kms(stubbed, no_backoff_wait):
    return stubbed("kms")


def run(run_module, client, alias):
    return run_module(kms_key_alias_info, {"alias": alias}, client, KMS_RETRY, "kms_client")


def test_the_key_its_rotation_and_all_pages_of_tags(run_module, kms):
    client, stubber = kms
    stubber.add_response("describe_key", {"KeyMetadata": META}, {"KeyId": "alias/t-eks-secrets"})
    stubber.add_response("get_key_rotation_status", {"KeyRotationEnabled": True}, {"KeyId": KEY_ID})
    stubber.add_response("list_resource_tags", {"Tags": [{"TagKey": "team", "TagValue": "platform"}],
                                                "Truncated": True, "NextMarker": "m2"}, {"KeyId": KEY_ID})
    stubber.add_response("list_resource_tags", {"Tags": [{"TagKey": "env", "TagValue": "prod"}], "Truncated": False},
                         {"KeyId": KEY_ID, "Marker": "m2"})
    result, failed = run(run_module, client, "t-eks-secrets")  # without the alias/ prefix
    assert not failed, result
    assert result["changed"] is False and result["exists"] is True
    assert result["key"] == {"key_id": KEY_ID, "key_arn": META["Arn"], "key_state": "Enabled",
                             "description": "EKS secrets", "key_spec": "SYMMETRIC_DEFAULT",
                             "key_usage": "ENCRYPT_DECRYPT", "enable_key_rotation": True,
                             "tags": {"team": "platform", "env": "prod"}}


def test_a_missing_alias_is_exists_false(run_module, kms):
    client, stubber = kms
    stubber.add_client_error("describe_key", service_error_code="NotFoundException", http_status_code=400,
                             expected_params={"KeyId": "alias/absent"})
    result, failed = run(run_module, client, "alias/absent")
    assert not failed, result
    assert result == {"changed": False, "exists": False}


def test_rotation_not_readable_is_none_so_no_comparison_can_match(run_module, kms):
    client, stubber = kms
    stubber.add_response("describe_key", {"KeyMetadata": META}, {"KeyId": "alias/t"})
    stubber.add_client_error("get_key_rotation_status", service_error_code="AccessDeniedException",
                             http_status_code=400)
    stubber.add_response("list_resource_tags", {"Tags": [], "Truncated": False}, {"KeyId": KEY_ID})
    result, failed = run(run_module, client, "t")
    assert not failed, result
    assert result["key"]["enable_key_rotation"] is None


def test_throttling_is_retried_then_succeeds(run_module, kms):
    client, stubber = kms
    stubber.add_client_error("describe_key", service_error_code="ThrottlingException", http_status_code=400)
    stubber.add_response("describe_key", {"KeyMetadata": META}, {"KeyId": "alias/t"})
    stubber.add_response("get_key_rotation_status", {"KeyRotationEnabled": False}, {"KeyId": KEY_ID})
    stubber.add_response("list_resource_tags", {"Tags": [], "Truncated": False}, {"KeyId": KEY_ID})
    result, failed = run(run_module, client, "t")
    assert not failed, result
    assert result["key"]["enable_key_rotation"] is False


def test_other_errors_fail_naming_the_alias(run_module, kms):
    client, stubber = kms
    stubber.add_client_error("describe_key", service_error_code="AccessDeniedException", http_status_code=400)
    result, failed = run(run_module, client, "t")
    assert failed
    assert "alias t" in result["msg"]
