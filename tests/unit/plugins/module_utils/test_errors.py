"""module_utils.errors: a read of a resource that does not exist is None; every other error propagates."""

from __future__ import annotations

import boto3
import botocore.exceptions
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY, describe_cluster
from ansible_collections.triptrip.platform.plugins.module_utils.errors import describe_or_none, is_not_found


def error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "m"}}, "Describe")


def raising(err):
    def call(**_kwargs):
        raise err
    return call


@pytest.fixture
def eks():
    client = boto3.client("eks", region_name="ap-northeast-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield RetryingBotoClientWrapper(client, EKS_RETRY), stubber
        stubber.assert_no_pending_responses()


def test_is_not_found():
    assert is_not_found(error("ResourceNotFoundException"))
    assert is_not_found(error("NoSuchEntity"), codes=("NoSuchEntity",))
    assert not is_not_found(error("NoSuchEntity"))
    assert not is_not_found(error("AccessDeniedException"))
    assert not is_not_found(ValueError("ResourceNotFoundException"))


def test_found_is_the_answer_or_its_key_and_passes_aws_retry():
    seen = []

    def call(**kwargs):
        seen.append(kwargs)
        return {"cluster": {"name": "c"}}
    assert describe_or_none(call, "cluster", name="c") == {"name": "c"}
    assert describe_or_none(call, name="c") == {"cluster": {"name": "c"}}
    assert seen == [{"aws_retry": True, "name": "c"}] * 2


@pytest.mark.parametrize(("code", "codes"), [
    ("ResourceNotFoundException", None), ("NoSuchEntity", ("NoSuchEntity",)),
    ("NotFoundException", ("NotFoundException", "Other")),
])
def test_not_found_is_none(code, codes):
    kwargs = {} if codes is None else {"codes": codes}
    assert describe_or_none(raising(error(code)), "cluster", **kwargs) is None


@pytest.mark.parametrize(("code", "codes"), [
    ("AccessDeniedException", None), ("ResourceNotFoundException", ("NoSuchEntity",)),
    ("InvalidParameterException", None),
])
def test_other_errors_propagate(code, codes):
    kwargs = {} if codes is None else {"codes": codes}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        describe_or_none(raising(error(code)), "cluster", **kwargs)
    assert raised.value.response["Error"]["Code"] == code


def test_non_aws_errors_propagate():
    with pytest.raises(KeyError):
        describe_or_none(lambda **_kw: {}, "cluster")


def test_describe_cluster_on_a_real_client(eks):
    client, stubber = eks
    stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException",
                             http_status_code=404, expected_params={"name": "gone"})
    stubber.add_response("describe_cluster", {"cluster": {"name": "here"}}, {"name": "here"})
    stubber.add_client_error("describe_cluster", service_error_code="AccessDeniedException", http_status_code=403)
    assert describe_cluster(client, "gone") is None
    assert describe_cluster(client, "here") == {"name": "here"}
    with pytest.raises(botocore.exceptions.ClientError):
        describe_cluster(client, "denied")
