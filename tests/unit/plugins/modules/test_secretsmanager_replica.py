"""triptrip.platform.secretsmanager_replica against botocore's Stubber: the exact requests, none when the replicas
are as wanted or in check mode, a missing secret warned or failed, a failed replica reported, bad regions refused
before any call."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.triptrip.platform.plugins.module_utils.secretsmanager import SECRETS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import secretsmanager_replica

NAME = "triptrip/production/database"
ARN = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:triptrip/production/database-AbCdEf"
ARGS = {"name": NAME, "replica_regions": ["ap-northeast-3"]}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)


@pytest.fixture
def sm():
    client = boto3.client("secretsmanager", region_name="ap-northeast-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def run(run_module, sm):
    client, _stubber = sm

    def go(args=None, check=False):
        merged = {**ARGS, **(args or {}), **({"_ansible_check_mode": True} if check else {})}
        return run_module(secretsmanager_replica, merged, client, SECRETS_RETRY,
                          client_function="secretsmanager_client")

    return go


def described(stubber, *replicas, secret_id=NAME, status="InSync"):
    stubber.add_response("describe_secret", {
        "ARN": ARN, "Name": NAME,
        "ReplicationStatus": [{"Region": r, "KmsKeyId": "alias/aws/secretsmanager", "Status": status,
                               "StatusMessage": "Replication succeeded" if status == "InSync" else "Name exists"}
                              for r in replicas]}, {"SecretId": secret_id})


def test_a_secret_without_replica_is_replicated_with_one_call(run, sm):
    _client, stubber = sm
    described(stubber)
    stubber.add_response("replicate_secret_to_regions", {"ARN": ARN, "ReplicationStatus": []},
                         {"SecretId": ARN, "AddReplicaRegions": [{"Region": "ap-northeast-3"}]})
    described(stubber, "ap-northeast-3", secret_id=ARN)
    result, failed = run()
    assert not failed, result
    assert result["changed"] is True
    assert result["replicas"] == [{"region": "ap-northeast-3", "status": "InSync", "kms_key_id": "alias/aws/secretsmanager",
                                   "status_message": "Replication succeeded"}]
    assert result["diff"] == {"before": {"replica_regions": []}, "after": {"replica_regions": ["ap-northeast-3"]}}


def test_the_kms_key_goes_with_each_new_replica(run, sm):
    _client, stubber = sm
    described(stubber)
    stubber.add_response("replicate_secret_to_regions", {"ARN": ARN},
                         {"SecretId": ARN, "AddReplicaRegions": [{"Region": "ap-northeast-3", "KmsKeyId": "alias/dr"}]})
    described(stubber, "ap-northeast-3", secret_id=ARN)
    result, failed = run({"kms_key_id": "alias/dr"})
    assert not failed and result["changed"], result


def test_replicas_as_wanted_make_one_read_and_no_write(run, sm):
    _client, stubber = sm
    described(stubber, "ap-northeast-3", "us-west-2")
    result, failed = run()
    assert not failed and result["changed"] is False, result  # us-west-2 stays: purge_regions is off


def test_purge_removes_the_other_regions(run, sm):
    _client, stubber = sm
    described(stubber, "ap-northeast-3", "us-west-2")
    stubber.add_response("remove_regions_from_replication", {"ARN": ARN},
                         {"SecretId": ARN, "RemoveReplicaRegions": ["us-west-2"]})
    described(stubber, "ap-northeast-3", secret_id=ARN)
    result, failed = run({"purge_regions": True})
    assert not failed and result["changed"] is True, result
    assert result["diff"]["after"] == {"replica_regions": ["ap-northeast-3"]}


def test_check_mode_plans_without_writing(run, sm):
    _client, stubber = sm
    described(stubber)
    result, failed = run(check=True)
    assert not failed and result["changed"] is True, result
    assert result["replicas"] == [{"region": "ap-northeast-3", "status": "planned", "kms_key_id": None}]


def test_a_missing_secret_is_a_warning_by_default_and_a_failure_when_asked(run, sm):
    _client, stubber = sm
    for _attempt in range(2):
        stubber.add_client_error("describe_secret", service_error_code="ResourceNotFoundException",
                                 http_status_code=400, expected_params={"SecretId": NAME})
    result, failed = run()
    assert not failed and result["changed"] is False and result["exists"] is False, result
    assert "secret triptrip/production/database does not exist in ap-northeast-1" in result["warnings"][0]
    result, failed = run({"missing": "fail"})
    assert failed and "does not exist" in result["msg"], result


def test_a_failed_replica_fails_with_secrets_manager_s_message(run, sm):
    _client, stubber = sm
    described(stubber, "ap-northeast-3", status="Failed")
    result, failed = run()
    assert failed and "replica of triptrip/production/database in ap-northeast-3 failed: Name exists" in result["msg"]


@pytest.mark.parametrize("regions, words", [(["osaka"], "replica_regions holds osaka"),
                                            (["ap-northeast-1"], "the secret's own region")])
def test_bad_regions_are_refused_before_any_call(run, regions, words):
    result, failed = run({"replica_regions": regions})
    assert failed and words in result["msg"], result


def test_throttling_is_retried(run, sm):
    _client, stubber = sm
    stubber.add_client_error("describe_secret", service_error_code="ThrottlingException", http_status_code=400)
    described(stubber, "ap-northeast-3")
    result, failed = run()
    assert not failed and result["changed"] is False, result
