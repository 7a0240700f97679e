"""Helpers to run an Ansible module's main() in-process against botocore's Stubber."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from botocore.stub import Stubber
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(json.dumps(result, default=str))
        self.result = result
        self.failed = failed


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args, stubbed_client, retry[, client_function]) -> (result, failed). The module's client
    (what its `client_function`, eks_client by default, returns) is the stubbed one,
    wrapped in amazon.aws's retrying wrapper exactly as module.client(retry_decorator=...) would."""

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, failed=False)

    def fail_json(self, **kwargs):
        raise ModuleExit(kwargs, failed=True)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)

    def run(module, args, client, retry, client_function="eks_client"):
        monkeypatch.setattr(module, client_function, lambda _m: RetryingBotoClientWrapper(client, retry))
        args = {"region": "ap-northeast-1", "access_key": "testing", "secret_key": "testing", **args}
        with patch_module_args(args):
            try:
                module.main()
            except ModuleExit as done:
                return done.result, done.failed
        raise AssertionError("module returned without exit_json or fail_json")

    return run


@pytest.fixture
def eks():
    client = boto3.client(
        "eks", region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def stubbed():
    """stubbed(service) -> (client, stubber): a boto3 client of that service with botocore's Stubber active; at the
    end of the test every queued response must have been used."""
    opened = []

    def make(service):
        client = boto3.client(service, region_name="ap-northeast-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        stubber = Stubber(client)
        stubber.activate()
        opened.append(stubber)
        return client, stubber

    yield make
    for stubber in opened:
        stubber.deactivate()
        stubber.assert_no_pending_responses()


@pytest.fixture
def no_backoff_wait(monkeypatch):
    """The retry decorators' waits, not their count: time.sleep does nothing."""
    monkeypatch.setattr("time.sleep", lambda _s: None)
