"""triptrip.platform.eks_aws_auth_migration against botocore's Stubber: the exact requests of each stage (mirror:
mode, then entries and policies; api: mode), none on a rerun or in check mode, and the refusals before any change."""

from __future__ import annotations

import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.module_utils.retries import RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_aws_auth_migration

NAME = "legacy"
ACCOUNT = "111122223333"
CLUSTER_ARN = f"arn:aws:eks:ap-northeast-1:{ACCOUNT}:cluster/{NAME}"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
ADMINS = f"arn:aws:iam::{ACCOUNT}:role/Admins"
ADMINS_WITH_PATH = f"arn:aws:iam::{ACCOUNT}:role/teams/platform/Admins"
NODES = f"arn:aws:iam::{ACCOUNT}:role/ng-1"
DEV = f"arn:aws:iam::{ACCOUNT}:user/dev"
ARGS = {
    "cluster_name": NAME,
    "map_roles": [{"rolearn": ADMINS, "username": "admin", "groups": ["system:masters"]},
                  {"rolearn": NODES, "username": "system:node:{{EC2PrivateDNSName}}",
                   "groups": ["system:bootstrappers", "system:nodes"]}],
    "map_users": [{"userarn": DEV, "username": "dev", "groups": ["developers"]}],
}
UPDATE = {"id": "u-1", "status": "Successful", "type": "AccessConfigUpdate", "params": [], "errors": []}


@pytest.fixture
def iam(stubbed, monkeypatch):
    client, stubber = stubbed("iam")
    monkeypatch.setattr(eks_aws_auth_migration, "iam_client", lambda _m: RetryingBotoClientWrapper(client, RETRY["iam"]))
    return stubber


def run(run_module, eks, stage, args=None, check=False):
    client, _stubber = eks
    merged = {**ARGS, "stage": stage, **(args or {})}
    if check:
        merged["_ansible_check_mode"] = True
    return run_module(eks_aws_auth_migration, merged, client, EKS_RETRY)


def cluster(stubber, mode):
    stubber.add_response("describe_cluster", {"cluster": {"name": NAME, "arn": CLUSTER_ARN, "accessConfig": {
        "authenticationMode": mode}}}, {"name": NAME})


def principals(iam):
    """IAM has Admins under a path (aws-auth cannot say it), the node role and the user."""
    for name, arn in (("Admins", ADMINS_WITH_PATH), ("ng-1", NODES)):
        iam.add_response("get_role", {"Role": {"RoleName": name, "Arn": arn, "Path": "/", "RoleId": "AROAEXAMPLE1234567",
                                               "CreateDate": "2026-01-01T00:00:00Z"}}, {"RoleName": name})
    iam.add_response("get_user", {"User": {"UserName": "dev", "Arn": DEV, "Path": "/", "UserId": "AIDAEXAMPLE123456789",
                                           "CreateDate": "2026-01-01T00:00:00Z"}}, {"UserName": "dev"})


def entries(stubber, *arns):
    stubber.add_response("list_access_entries", {"accessEntries": list(arns)}, {"clusterName": NAME})


def existing(stubber, arn, groups, policies):
    key = {"clusterName": NAME, "principalArn": arn}
    stubber.add_response("describe_access_entry", {"accessEntry": {**key, "kubernetesGroups": groups, "type": "STANDARD",
                                                                   "username": "x"}}, key)
    stubber.add_response("list_associated_access_policies", {**key, "associatedAccessPolicies": [
        {"policyArn": p, "accessScope": {"type": "cluster", "namespaces": []}} for p in policies]}, key)


def all_exist(stubber):
    entries(stubber, ADMINS_WITH_PATH, NODES, DEV)
    existing(stubber, ADMINS_WITH_PATH, [], [ADMIN])
    existing(stubber, NODES, [], [])
    existing(stubber, DEV, ["developers"], [])


def test_mirror_from_config_map_sets_the_mode_then_creates_each_entry(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "CONFIG_MAP")
    principals(iam)
    stubber.add_response("update_cluster_config", {"update": UPDATE},
                         {"name": NAME, "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"}})
    stubber.add_response("create_access_entry", {}, {"clusterName": NAME, "principalArn": ADMINS_WITH_PATH,
                                                     "type": "STANDARD", "username": "admin"})
    stubber.add_response("associate_access_policy", {}, {"clusterName": NAME, "principalArn": ADMINS_WITH_PATH,
                                                         "policyArn": ADMIN, "accessScope": {"type": "cluster"}})
    stubber.add_response("create_access_entry", {}, {"clusterName": NAME, "principalArn": NODES, "type": "EC2_LINUX"})
    stubber.add_response("create_access_entry", {}, {"clusterName": NAME, "principalArn": DEV, "type": "STANDARD",
                                                     "kubernetesGroups": ["developers"], "username": "dev"})
    result, failed = run(run_module, eks, "mirror")
    assert not failed, result
    assert result["changed"] is True and result["authentication_mode"] == "API_AND_CONFIG_MAP"
    assert [i["status"] for i in result["plan"]] == ["created"] * 3 and result["blockers"] == []
    assert result["diff"]["before"] == {"authentication_mode": "CONFIG_MAP", "access_entries": {}}
    assert result["diff"]["after"]["access_entries"][ADMINS_WITH_PATH] == {
        "type": "STANDARD", "kubernetes_groups": [], "username": "admin", "access_policies": ["AmazonEKSClusterAdminPolicy"]}


def test_an_entry_eks_made_meanwhile_is_left_alone(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    principals(iam)
    entries(stubber, ADMINS_WITH_PATH, DEV)
    existing(stubber, ADMINS_WITH_PATH, [], [ADMIN])
    existing(stubber, DEV, ["developers"], [])
    stubber.add_client_error("create_access_entry", service_error_code="ResourceInUseException", http_status_code=409,
                             expected_params={"clusterName": NAME, "principalArn": NODES, "type": "EC2_LINUX"})
    result, failed = run(run_module, eks, "mirror")
    assert not failed, result
    assert [i["status"] for i in result["plan"]] == ["exists"] * 3 and "appeared" in result["plan"][1]["notes"][0]
    assert result["changed"] is False and "diff" not in result


def test_mirror_in_check_mode_reads_only(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "CONFIG_MAP")
    principals(iam)
    result, failed = run(run_module, eks, "mirror", check=True)
    assert not failed, result
    assert result["changed"] is True and [i["status"] for i in result["plan"]] == ["create"] * 3
    assert len(result["diff"]["after"]["access_entries"]) == 3


def test_mirror_rerun_makes_only_reads(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    principals(iam)
    all_exist(stubber)
    result, failed = run(run_module, eks, "mirror")
    assert not failed, result
    assert result["changed"] is False and "diff" not in result
    assert [i["status"] for i in result["plan"]] == ["exists"] * 3


def test_api_moves_the_mode_when_every_principal_has_its_entry(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    principals(iam)
    all_exist(stubber)
    stubber.add_response("update_cluster_config", {"update": UPDATE},
                         {"name": NAME, "accessConfig": {"authenticationMode": "API"}})
    result, failed = run(run_module, eks, "api")
    assert not failed, result
    assert result["changed"] is True and result["authentication_mode"] == "API"
    assert result["diff"]["before"]["authentication_mode"] == "API_AND_CONFIG_MAP"


def test_api_rerun_in_api_mode_changes_nothing(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API")
    principals(iam)
    all_exist(stubber)
    result, failed = run(run_module, eks, "api")
    assert not failed and result["changed"] is False, result


def test_api_refuses_naming_the_principal_without_an_entry_and_map_accounts(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    principals(iam)
    entries(stubber, ADMINS_WITH_PATH, NODES)
    existing(stubber, ADMINS_WITH_PATH, [], [ADMIN])
    existing(stubber, NODES, [], [])
    result, failed = run(run_module, eks, "api", {"map_accounts": [ACCOUNT]})  # no update_cluster_config queued
    assert failed, result
    assert f"{DEV} (mapUsers[0]) has no access entry" in result["msg"]
    assert f"mapAccounts lets every principal of {ACCOUNT} in" in result["msg"]
    assert result["msg"].startswith(f"EKS cluster {NAME} stays API_AND_CONFIG_MAP")


def test_api_refuses_an_entry_that_lacks_the_admin_policy_of_system_masters(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    principals(iam)
    entries(stubber, ADMINS_WITH_PATH, NODES, DEV)
    existing(stubber, ADMINS_WITH_PATH, [], [])
    existing(stubber, NODES, [], [])
    existing(stubber, DEV, ["developers"], [])
    result, failed = run(run_module, eks, "api")
    assert failed and "lacks access policy AmazonEKSClusterAdminPolicy" in result["msg"], result


def test_api_from_config_map_refuses(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "CONFIG_MAP")
    principals(iam)
    result, failed = run(run_module, eks, "api")
    assert failed and "run stage=mirror first" in result["msg"], result


def test_a_deleted_role_is_reported_not_mirrored_and_does_not_block(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    iam.add_client_error("get_role", service_error_code="NoSuchEntity", http_status_code=404,
                         expected_params={"RoleName": "gone"})
    entries(stubber)
    result, failed = run(run_module, eks, "plan", {"map_roles": [{"rolearn": f"arn:aws:iam::{ACCOUNT}:role/gone"}],
                                                   "map_users": []})
    assert not failed, result
    assert result["plan"][0]["status"] == "no_principal" and result["blockers"] == []


def test_another_accounts_principal_is_taken_as_given(run_module, eks, iam):
    _client, stubber = eks
    cluster(stubber, "API_AND_CONFIG_MAP")
    entries(stubber)
    other = "arn:aws:iam::444455556666:role/Auditors"
    result, failed = run(run_module, eks, "plan", {"map_roles": [{"rolearn": other}], "map_users": []})
    assert not failed, result
    assert result["plan"][0]["principal_arn"] == other and result["plan"][0]["status"] == "create"
    assert result["changed"] is False and result["summary"][0] == "authentication mode: API_AND_CONFIG_MAP"


def test_bad_input_fails_before_any_call_naming_it(run_module, eks, iam):
    result, failed = run(run_module, eks, "plan", {"map_roles": [{"rolearn": "arn:aws:iam::111122223333:group/x"}]})
    assert failed and "map_roles[0].rolearn='arn:aws:iam::111122223333:group/x' is not an IAM role ARN" in result["msg"]


def test_an_unknown_cluster_is_named(run_module, eks, iam):
    _client, stubber = eks
    stubber.add_client_error("describe_cluster", service_error_code="ResourceNotFoundException", http_status_code=404,
                             expected_params={"name": NAME})
    result, failed = run(run_module, eks, "plan")
    assert failed and result["msg"] == f"cluster_name={NAME}: EKS has no such cluster"
