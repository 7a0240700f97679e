"""triptrip.platform.iam_roles_info: the named roles from two paginated calls, policies decoded, throttling retried."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.iam import IAM_RETRY
from ansible_collections.triptrip.platform.plugins.modules import iam_roles_info

TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
INLINE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}


def detail(name, **extra):
    return {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
            "Arn": f"arn:aws:iam::123456789012:role/{name}", "CreateDate": "2026-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": quote(json.dumps(TRUST)), **extra}


def listed(name, **extra):
    return {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
            "Arn": f"arn:aws:iam::123456789012:role/{name}", "CreateDate": "2026-01-01T00:00:00Z", **extra}


@pytest.fixture
def iam(stubbed, no_backoff_wait):
    return stubbed("iam")


def run(run_module, client, names):
    return run_module(iam_roles_info, {"names": names}, client, IAM_RETRY, "iam_client")


def test_the_named_roles_come_from_every_page_with_policies_tags_and_description(run_module, iam):
    client, stubber = iam
    stubber.add_response("get_account_authorization_details", {
        "RoleDetailList": [detail("someone-else"), detail(
            "t-node", AttachedManagedPolicies=[
                {"PolicyName": "B", "PolicyArn": "arn:aws:iam::aws:policy/B"},
                {"PolicyName": "A", "PolicyArn": "arn:aws:iam::aws:policy/A"}],
            Tags=[{"Key": "team", "Value": "platform"}])],
        "IsTruncated": True, "Marker": "page2"}, {"Filter": ["Role"]})
    stubber.add_response("get_account_authorization_details", {
        "RoleDetailList": [detail("t-irsa", RolePolicyList=[
            {"PolicyName": "keda", "PolicyDocument": quote(json.dumps(INLINE))}],
            PermissionsBoundary={"PermissionsBoundaryType": "Policy",
                                 "PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/boundary"})],
        "IsTruncated": False}, {"Filter": ["Role"], "Marker": "page2"})
    stubber.add_response("list_roles", {"Roles": [listed("t-irsa", Description="IRSA role", MaxSessionDuration=7200),
                                                  listed("t-node")], "IsTruncated": False}, {})
    result, failed = run(run_module, client, ["t-node", "t-irsa", "t-absent"])
    assert not failed, result
    assert result["changed"] is False
    assert sorted(result["roles"]) == ["t-irsa", "t-node"]
    node, irsa = result["roles"]["t-node"], result["roles"]["t-irsa"]
    assert node["assume_role_policy_document"] == TRUST
    assert node["managed_policy_arns"] == ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]
    assert node["tags"] == {"team": "platform"}
    assert (node["description"], node["max_session_duration"], node["inline_policies"]) == ("", 3600, {})
    assert irsa["inline_policies"] == {"keda": INLINE}
    assert irsa["permissions_boundary_arn"] == "arn:aws:iam::123456789012:policy/boundary"
    assert (irsa["description"], irsa["max_session_duration"]) == ("IRSA role", 7200)


def test_no_wanted_role_found_skips_the_second_call(run_module, iam):
    client, stubber = iam
    stubber.add_response("get_account_authorization_details", {"RoleDetailList": [detail("other")],
                                                               "IsTruncated": False}, {"Filter": ["Role"]})
    result, failed = run(run_module, client, ["t-node"])
    assert not failed, result
    assert result["roles"] == {}


def test_throttling_is_retried_then_succeeds(run_module, iam):
    client, stubber = iam
    for _attempt in range(2):
        stubber.add_client_error("get_account_authorization_details", service_error_code="Throttling",
                                 http_status_code=400)
    stubber.add_response("get_account_authorization_details", {"RoleDetailList": [], "IsTruncated": False},
                         {"Filter": ["Role"]})
    result, failed = run(run_module, client, ["t-node"])
    assert not failed, result
    assert result["roles"] == {}


def test_access_denied_fails_with_a_message(run_module, iam):
    client, stubber = iam
    stubber.add_client_error("get_account_authorization_details", service_error_code="AccessDenied",
                             http_status_code=403)
    result, failed = run(run_module, client, ["t-node"])
    assert failed
    assert "Could not read the IAM roles" in result["msg"]
