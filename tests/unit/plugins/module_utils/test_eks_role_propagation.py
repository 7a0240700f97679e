"""module_utils.retries.call_passing_role: EKS's answers to a role IAM has not propagated yet are retried for about
a minute and a half; any other error, including other InvalidParameterExceptions, fails at once."""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.triptrip.platform.plugins.module_utils import retries

ROLE = "arn:aws:iam::123456789012:role/triptrip-production-cluster"
NOT_ASSUMABLE = (f"Role with arn: {ROLE}, could not be assumed because it does not exist or the trusted entity is "
                 "not correct")
NO_POLICIES = ("The provided role doesn't have the Amazon EKS Managed Policies associated with it. Please ensure the "
               "following policy is attached: arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")


def error(code, message):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, "CreateCluster")


@pytest.fixture
def slept(monkeypatch):
    waits = []
    monkeypatch.setattr("time.sleep", waits.append)
    return waits


def failing(errors, result="created"):
    """A call that raises the given errors in turn, then returns result; records its keyword arguments."""
    calls = []

    def call(**kwargs):
        calls.append(kwargs)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result
    return call, calls


@pytest.mark.parametrize("message", [NOT_ASSUMABLE, NO_POLICIES, f"roleArn, {ROLE}, does not exist",
                                     "Error in role params"])
def test_a_role_not_yet_visible_is_retried_until_it_is(slept, message):
    call, calls = failing([error("InvalidParameterException", message)] * 3)
    assert retries.call_passing_role(call, name="c", roleArn=ROLE) == "created"
    assert len(calls) == 4 and all(c == {"aws_retry": True, "name": "c", "roleArn": ROLE} for c in calls)
    assert slept == [2, 4, 8]


@pytest.mark.parametrize(("code", "message"), [
    ("InvalidParameterException", "The subnet ID 'subnet-x' does not exist"),
    ("InvalidParameterException", "unsupported Kubernetes version 1.99"),
    ("AccessDeniedException", f"User is not authorized to perform iam:PassRole on {ROLE}"),
    ("ResourceInUseException", "Cluster already exists with name: c"),
])
def test_other_errors_fail_at_once(slept, code, message):
    call, calls = failing([error(code, message)])
    with pytest.raises(botocore.exceptions.ClientError):
        retries.call_passing_role(call, name="c")
    assert len(calls) == 1 and slept == []


def test_it_gives_up_after_the_propagation_window(slept):
    call, calls = failing([error("InvalidParameterException", NOT_ASSUMABLE)] * 50)
    with pytest.raises(botocore.exceptions.ClientError, match="could not be assumed"):
        retries.call_passing_role(call, name="c")
    assert sum(slept) >= retries.ROLE_PROPAGATION_SECONDS and sum(slept[:-1]) < retries.ROLE_PROPAGATION_SECONDS
    assert max(slept) == 20 and len(calls) == len(slept) + 1
