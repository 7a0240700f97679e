"""triptrip.platform.iam_oidc_provider against botocore's Stubber: the exact IAM requests it sends, none when
nothing differs or in check mode, and a malformed thumbprint refused before any call."""

from __future__ import annotations


import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.triptrip.platform.plugins.module_utils.iam import IAM_RETRY
from ansible_collections.triptrip.platform.plugins.modules import iam_oidc_provider

HOST_PATH = "oidc.eks.ap-northeast-1.amazonaws.com/id/ABC"
URL = f"https://{HOST_PATH}"
ARN = f"arn:aws:iam::123456789012:oidc-provider/{HOST_PATH}"
OTHER_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/XABC"
PRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
PRINT2 = "06b25927c42a721631c1efd9431e648fa62e1e39"
ARGS = {"url": URL, "client_ids": ["sts.amazonaws.com"], "tags": {"Environment": "production"}}
PROVIDER = {
    "Url": HOST_PATH, "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": [PRINT],
    "Tags": [{"Key": "Environment", "Value": "production"}],
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)


@pytest.fixture
def iam():
    client = boto3.client(
        "iam", region_name="ap-northeast-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def run(run_module, iam):
    """run(args, check=False) -> (result, failed), through the shared run_module with the module's iam_client."""
    client, _stubber = iam

    def go(args=None, check=False):
        merged = {**ARGS, **(args or {}), **({"_ansible_check_mode": True} if check else {})}
        return run_module(iam_oidc_provider, merged, client, IAM_RETRY, client_function="iam_client")

    return go


def listed(stubber, *arns):
    stubber.add_response("list_open_id_connect_providers",
                         {"OpenIDConnectProviderList": [{"Arn": arn} for arn in arns]}, {})


def get(stubber, provider=None):
    stubber.add_response("get_open_id_connect_provider", provider or PROVIDER, {"OpenIDConnectProviderArn": ARN})


def existing(stubber, provider=None):
    listed(stubber, OTHER_ARN, ARN)
    get(stubber, provider)


def test_create_sends_url_client_ids_thumbprints_and_tags(run, iam):
    _client, stubber = iam
    listed(stubber, OTHER_ARN)
    stubber.add_response("create_open_id_connect_provider", {"OpenIDConnectProviderArn": ARN}, {
        "Url": URL, "ClientIDList": ["sts.amazonaws.com"], "ThumbprintList": [PRINT],
        "Tags": [{"Key": "Environment", "Value": "production"}],
    })
    get(stubber)
    result, failed = run({"url": HOST_PATH, "thumbprints": [PRINT.upper()]})
    assert not failed, result
    assert result["changed"]
    assert result["arn"] == ARN
    assert result["url"] == URL
    assert result["client_ids"] == ["sts.amazonaws.com"]
    assert result["thumbprints"] == [PRINT]
    assert result["tags"] == {"Environment": "production"}
    assert result["diff"]["before"] == {}


def test_create_without_thumbprints_leaves_them_to_iam(run, iam):
    _client, stubber = iam
    listed(stubber)
    stubber.add_response("create_open_id_connect_provider", {"OpenIDConnectProviderArn": ARN}, {
        "Url": URL, "ClientIDList": ["sts.amazonaws.com"], "Tags": [{"Key": "Environment", "Value": "production"}],
    })
    get(stubber)
    result, failed = run()
    assert not failed, result
    assert result["changed"] and result["thumbprints"] == [PRINT]


def test_rerun_makes_no_write_call(run, iam):
    _client, stubber = iam
    existing(stubber)  # the Stubber fails on any call not queued: no write can happen
    result, failed = run({"thumbprints": [PRINT]})
    assert not failed, result
    assert not result["changed"]
    assert "diff" not in result
    assert result["arn"] == ARN and result["thumbprints"] == [PRINT]


def test_only_the_provider_of_the_url_is_read(run, iam):
    _client, stubber = iam
    # OTHER_ARN's path ends with "ABC" too but is another issuer: neither matched nor read.
    listed(stubber, OTHER_ARN)
    stubber.add_response("create_open_id_connect_provider", {"OpenIDConnectProviderArn": ARN}, {
        "Url": URL, "ClientIDList": ["sts.amazonaws.com"], "Tags": [{"Key": "Environment", "Value": "production"}],
    })
    get(stubber)
    result, failed = run()
    assert not failed and result["changed"], result


def test_client_id_added_and_removed(run, iam):
    _client, stubber = iam
    existing(stubber, {**PROVIDER, "ClientIDList": ["sts.amazonaws.com", "legacy"]})
    stubber.add_response("add_client_id_to_open_id_connect_provider", {},
                         {"OpenIDConnectProviderArn": ARN, "ClientID": "triptrip-ci"})
    stubber.add_response("remove_client_id_from_open_id_connect_provider", {},
                         {"OpenIDConnectProviderArn": ARN, "ClientID": "legacy"})
    get(stubber, {**PROVIDER, "ClientIDList": ["sts.amazonaws.com", "triptrip-ci"]})
    result, failed = run({"client_ids": ["sts.amazonaws.com", "triptrip-ci"]})
    assert not failed, result
    assert result["changed"]
    assert result["client_ids"] == ["sts.amazonaws.com", "triptrip-ci"]
    assert result["diff"]["before"]["client_ids"] == ["legacy", "sts.amazonaws.com"]
    assert result["diff"]["after"]["client_ids"] == ["sts.amazonaws.com", "triptrip-ci"]


def test_thumbprint_change_replaces_the_list(run, iam):
    _client, stubber = iam
    existing(stubber)
    stubber.add_response("update_open_id_connect_provider_thumbprint", {},
                         {"OpenIDConnectProviderArn": ARN, "ThumbprintList": sorted([PRINT, PRINT2])})
    get(stubber, {**PROVIDER, "ThumbprintList": [PRINT, PRINT2]})
    result, failed = run({"thumbprints": [PRINT2, PRINT]})
    assert not failed, result
    assert result["changed"] and result["thumbprints"] == sorted([PRINT, PRINT2])


def test_thumbprints_omitted_are_not_managed(run, iam):
    _client, stubber = iam
    existing(stubber, {**PROVIDER, "ThumbprintList": [PRINT, PRINT2]})
    result, failed = run()
    assert not failed and not result["changed"], result


def test_tag_change_tags_and_untags(run, iam):
    _client, stubber = iam
    existing(stubber, {**PROVIDER, "Tags": [
        {"Key": "Environment", "Value": "staging"}, {"Key": "Old", "Value": "x"}, {"Key": "aws:managed", "Value": "y"},
    ]})
    stubber.add_response("tag_open_id_connect_provider", {}, {
        "OpenIDConnectProviderArn": ARN,
        "Tags": [{"Key": "Environment", "Value": "production"}, {"Key": "Team", "Value": "platform"}],
    })
    stubber.add_response("untag_open_id_connect_provider", {}, {"OpenIDConnectProviderArn": ARN, "TagKeys": ["Old"]})
    get(stubber, {**PROVIDER, "Tags": [{"Key": "Environment", "Value": "production"}, {"Key": "Team", "Value": "platform"},
                                       {"Key": "aws:managed", "Value": "y"}]})
    result, failed = run({"tags": {"Environment": "production", "Team": "platform"}})
    assert not failed, result
    assert result["changed"]
    assert result["tags"] == {"Environment": "production", "Team": "platform", "aws:managed": "y"}


def test_purge_tags_false_only_adds(run, iam):
    _client, stubber = iam
    existing(stubber)
    stubber.add_response("tag_open_id_connect_provider", {}, {
        "OpenIDConnectProviderArn": ARN, "Tags": [{"Key": "Team", "Value": "platform"}],
    })
    get(stubber, {**PROVIDER, "Tags": PROVIDER["Tags"] + [{"Key": "Team", "Value": "platform"}]})
    result, failed = run({"tags": {"Team": "platform"}, "purge_tags": False})
    assert not failed and result["changed"], result


@pytest.mark.parametrize("bad", ["9e99a48a9960b14926bb7f3b02e22da2b0ab728", "zz99a48a9960b14926bb7f3b02e22da2b0ab7280",
                                 "9e:99:a4:8a:99:60:b1:49:26:bb:7f:3b:02:e2:2d:a2:b0:ab:72:80"])
def test_bad_thumbprint_fails_before_any_call(run, iam, bad):
    _client, stubber = iam  # nothing queued: any call would fail the Stubber with another message
    result, failed = run({"thumbprints": [PRINT, bad]})
    assert failed
    assert "thumbprints" in result["msg"] and bad in result["msg"]


def test_non_https_url_fails_before_any_call(run, iam):
    result, failed = run({"url": "http://" + HOST_PATH})
    assert failed and "url=" in result["msg"]


def test_check_mode_makes_no_write_call(run, iam):
    _client, stubber = iam
    existing(stubber)
    result, failed = run({"client_ids": ["sts.amazonaws.com", "triptrip-ci"], "tags": {"Team": "platform"}},
                         check=True)
    assert not failed, result
    assert result["changed"]
    assert result["diff"]["before"]["tags"] == {"Environment": "production"}
    assert result["diff"]["after"]["tags"] == {"Team": "platform"}
    assert result["diff"]["after"]["client_ids"] == ["sts.amazonaws.com", "triptrip-ci"]


def test_check_mode_create_makes_no_write_call(run, iam):
    _client, stubber = iam
    listed(stubber)
    result, failed = run(check=True)
    assert not failed, result
    assert result["changed"] and "arn" not in result
    assert result["diff"] == {"before": {}, "after": {"client_ids": ["sts.amazonaws.com"], "thumbprints": [],
                                                      "tags": {"Environment": "production"}}}


def test_throttling_on_list_is_retried(run, iam):
    _client, stubber = iam
    stubber.add_client_error("list_open_id_connect_providers", service_error_code="Throttling", http_status_code=400)
    stubber.add_client_error("list_open_id_connect_providers", service_error_code="Throttling", http_status_code=400)
    existing(stubber)
    result, failed = run()
    assert not failed, result
    assert not result["changed"]


def test_other_errors_fail_naming_the_provider(run, iam):
    _client, stubber = iam
    stubber.add_client_error("list_open_id_connect_providers", service_error_code="AccessDenied", http_status_code=403)
    result, failed = run()
    assert failed and URL in result["msg"]


def test_delete(run, iam):
    _client, stubber = iam
    existing(stubber)
    stubber.add_response("delete_open_id_connect_provider", {}, {"OpenIDConnectProviderArn": ARN})
    result, failed = run({"state": "absent"})
    assert not failed, result
    assert result["changed"] and result["arn"] == ARN
    assert result["diff"]["after"] == {}


def test_delete_of_a_missing_provider_is_a_no_op(run, iam):
    _client, stubber = iam
    listed(stubber, OTHER_ARN)
    result, failed = run({"state": "absent"})
    assert not failed and not result["changed"], result


def test_delete_in_check_mode_makes_no_write_call(run, iam):
    _client, stubber = iam
    existing(stubber)
    result, failed = run({"state": "absent"}, check=True)
    assert not failed and result["changed"], result
