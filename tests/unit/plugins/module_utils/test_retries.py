"""module_utils.retries: every service's client retries the codes that service throttles with, and only those;
aws_client hands the service's decorator to module.client. (IAM eventual consistency: test_eks_role_propagation.)"""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.triptrip.platform.plugins.module_utils import retries
from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY, eks_client
from ansible_collections.triptrip.platform.plugins.module_utils.iam import IAM_RETRY, iam_client
from ansible_collections.triptrip.platform.plugins.module_utils.kms import KMS_RETRY, kms_client
from ansible_collections.triptrip.platform.plugins.module_utils.secretsmanager import (
    SECRETS_RETRY, secretsmanager_client)

# (service, operation, its kwargs, a response, the code the service throttles with)
CALLS = [
    ("eks", "describe_cluster", {"name": "c"}, {"cluster": {"name": "c"}}, "ThrottlingException"),
    ("eks", "describe_cluster", {"name": "c"}, {"cluster": {"name": "c"}}, "ServiceUnavailableException"),
    ("iam", "list_open_id_connect_providers", {}, {"OpenIDConnectProviderList": []}, "Throttling"),
    ("kms", "describe_key", {"KeyId": "alias/a"}, {"KeyMetadata": {"KeyId": "k"}}, "ThrottlingException"),
    ("kms", "describe_key", {"KeyId": "alias/a"}, {"KeyMetadata": {"KeyId": "k"}}, "KMSInternalException"),
    ("secretsmanager", "describe_secret", {"SecretId": "s"}, {"Name": "s"}, "ThrottlingException"),
    ("ec2", "describe_launch_templates", {}, {"LaunchTemplates": []}, "RequestLimitExceeded"),
]


@pytest.fixture
def slept(monkeypatch):
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    return waits


def stubbed(service):
    client = boto3.client(service, region_name="ap-northeast-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    return client, Stubber(client)


@pytest.mark.parametrize(("service", "operation", "kwargs", "response", "code"), CALLS)
def test_throttling_is_retried_with_backoff(slept, service, operation, kwargs, response, code):
    client, stubber = stubbed(service)
    with stubber:
        stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
        stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
        stubber.add_response(operation, response, kwargs)
        wrapped = RetryingBotoClientWrapper(client, retries.RETRY[service])
        assert getattr(wrapped, operation)(aws_retry=True, **kwargs) == response
        stubber.assert_no_pending_responses()
    assert len(slept) == 2 and all(0 <= s <= 30 for s in slept)


@pytest.mark.parametrize(("service", "operation", "kwargs", "_response", "code"), CALLS)
def test_without_aws_retry_nothing_is_retried(slept, service, operation, kwargs, _response, code):
    client, stubber = stubbed(service)
    with stubber:
        stubber.add_client_error(operation, service_error_code=code, http_status_code=400)
        with pytest.raises(botocore.exceptions.ClientError):
            getattr(RetryingBotoClientWrapper(client, retries.RETRY[service]), operation)(**kwargs)
    assert slept == []


@pytest.mark.parametrize("code", ["AccessDeniedException", "InvalidParameterException", "ResourceNotFoundException"])
def test_other_errors_fail_at_once(slept, code):
    client, stubber = stubbed("eks")
    with stubber:
        stubber.add_client_error("describe_cluster", service_error_code=code, http_status_code=400)
        with pytest.raises(botocore.exceptions.ClientError):
            RetryingBotoClientWrapper(client, EKS_RETRY).describe_cluster(name="c", aws_retry=True)
        stubber.assert_no_pending_responses()
    assert slept == []


def test_a_code_of_another_service_is_not_retried(slept):
    """IAM's decorator does not know Secrets Manager's InternalServiceError: the per-service lists matter."""
    client, stubber = stubbed("iam")
    with stubber:
        stubber.add_client_error("list_open_id_connect_providers", service_error_code="InternalServiceError",
                                 http_status_code=400)
        with pytest.raises(botocore.exceptions.ClientError):
            RetryingBotoClientWrapper(client, IAM_RETRY).list_open_id_connect_providers(aws_retry=True)
    assert slept == []


def test_throttling_gives_up_after_ten_tries(slept):
    client, stubber = stubbed("secretsmanager")
    with stubber:
        for _attempt in range(10):
            stubber.add_client_error("describe_secret", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(botocore.exceptions.ClientError):
            RetryingBotoClientWrapper(client, SECRETS_RETRY).describe_secret(SecretId="s", aws_retry=True)
        stubber.assert_no_pending_responses()
    assert len(slept) == 9


class Module:
    def __init__(self):
        self.asked = []

    def client(self, service, retry_decorator=None):
        self.asked.append((service, retry_decorator))
        return service


@pytest.mark.parametrize(("make", "service", "decorator"), [
    (eks_client, "eks", EKS_RETRY), (iam_client, "iam", IAM_RETRY), (kms_client, "kms", KMS_RETRY),
    (secretsmanager_client, "secretsmanager", SECRETS_RETRY),
])
def test_each_client_gets_its_service_decorator(make, service, decorator):
    module = Module()
    assert make(module) == service
    assert module.asked == [(service, decorator)] and decorator is retries.RETRY[service]


def test_an_unknown_service_is_refused():
    with pytest.raises(KeyError):
        retries.aws_client(Module(), "s3")
