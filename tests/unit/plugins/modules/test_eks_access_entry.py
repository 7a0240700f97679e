"""triptrip.platform.eks_access_entry against botocore's Stubber: the exact requests it sends, none when nothing
differs, scope validation before any call, the access policies checked against ListAccessPolicies before any change,
check mode and deletion."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.triptrip.platform.plugins.module_utils.eks import EKS_RETRY
from ansible_collections.triptrip.platform.plugins.modules import eks_access_entry

CLUSTER_NAME = "triptrip-production"
PRINCIPAL = "arn:aws:iam::123456789012:role/triptrip-platform-admin"
ENTRY_ARN = ("arn:aws:eks:ap-northeast-1:123456789012:access-entry/triptrip-production/role/123456789012/"
             "triptrip-platform-admin/1a2b3c4d")
PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
KEY = {"clusterName": CLUSTER_NAME, "principalArn": PRINCIPAL}
ARGS = {
    "cluster_name": CLUSTER_NAME, "principal_arn": PRINCIPAL,
    "access_policies": [{"policy_arn": ADMIN, "access_scope": {"type": "cluster"}}],
    "tags": {"Environment": "production"},
}
ENTRY = {
    "clusterName": CLUSTER_NAME, "principalArn": PRINCIPAL, "accessEntryArn": ENTRY_ARN, "type": "STANDARD",
    "kubernetesGroups": [], "username": "arn:aws:sts::123456789012:assumed-role/triptrip-platform-admin/{{SessionName}}",
    "tags": {"Environment": "production"},
}


def entry(**changes):
    described = copy.deepcopy(ENTRY)
    described.update(changes)
    return {"accessEntry": described}


def offered(stubber, *pages):
    """ListAccessPolicies answers: one page per tuple of ARNs (ADMIN, EDIT, VIEW and two more by default)."""
    pages = pages or ((ADMIN, EDIT, VIEW, f"{PREFIX}AmazonEKSAdminPolicy", f"{PREFIX}AmazonEKSAdminViewPolicy"),)
    for number, arns in enumerate(pages):
        answer = {"accessPolicies": [{"name": arn.rsplit("/", 1)[1], "arn": arn} for arn in arns]}
        request = {"nextToken": f"page-{number}"} if number else {}
        if number + 1 < len(pages):
            answer["nextToken"] = f"page-{number + 1}"
        stubber.add_response("list_access_policies", answer, request)


def describe(stubber, response=None):
    if response is None:
        stubber.add_client_error("describe_access_entry", service_error_code="ResourceNotFoundException",
                                 http_status_code=404, expected_params=KEY)
    else:
        stubber.add_response("describe_access_entry", response, KEY)


def associated(*policies):
    """ListAssociatedAccessPolicies answer from (arn, scope) pairs."""
    return {"clusterName": CLUSTER_NAME, "principalArn": PRINCIPAL,
            "associatedAccessPolicies": [{"policyArn": arn, "accessScope": scope} for arn, scope in policies]}


def listed(stubber, *policies):
    stubber.add_response("list_associated_access_policies", associated(*policies), KEY)


def associate(stubber, arn, scope):
    stubber.add_response(
        "associate_access_policy",
        {"clusterName": CLUSTER_NAME, "principalArn": PRINCIPAL,
         "associatedAccessPolicy": {"policyArn": arn, "accessScope": scope}},
        {**KEY, "policyArn": arn, "accessScope": scope},
    )


def run(run_module, eks, args=None, check=False):
    client, _stubber = eks
    merged = {**ARGS, **(args or {})}
    if check:
        merged["_ansible_check_mode"] = True
    return run_module(eks_access_entry, merged, client, EKS_RETRY)


def test_create_with_a_cluster_scoped_admin_policy(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber)
    stubber.add_response("create_access_entry", entry(), {
        **KEY, "type": "STANDARD", "tags": {"Environment": "production"}})
    associate(stubber, ADMIN, {"type": "cluster"})
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is True
    assert result["access_entry"]["access_entry_arn"] == ENTRY_ARN
    assert result["access_policies"] == [{"policy_arn": ADMIN, "access_scope": {"type": "cluster"}}]
    assert result["diff"]["after"]["access_policies"] == [
        {"policy_arn": ADMIN, "access_scope": {"type": "cluster", "namespaces": []}}]


def test_create_with_groups_and_username(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    stubber.add_response("create_access_entry", entry(kubernetesGroups=["ops", "viewers"], username="ops"), {
        **KEY, "type": "STANDARD", "kubernetesGroups": ["viewers", "ops"], "username": "ops"})
    result, failed = run(run_module, eks, {
        "kubernetes_groups": ["viewers", "ops", "viewers"], "username": "ops", "access_policies": None, "tags": None})
    assert not failed, result
    assert result["changed"] is True and "access_policies" not in result


def test_rerun_makes_only_read_calls(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (ADMIN, {"type": "cluster", "namespaces": []}))
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is False and result["diff"] == {}
    assert result["access_policies"][0]["policy_arn"] == ADMIN


def test_unmanaged_policies_are_not_even_read(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry())
    result, failed = run(run_module, eks, {"access_policies": None})
    assert not failed, result
    assert result["changed"] is False and "access_policies" not in result


def test_namespace_list_change_reassociates_with_the_new_scope(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (ADMIN, {"type": "cluster"}), (EDIT, {"type": "namespace", "namespaces": ["search", "booking"]}))
    associate(stubber, EDIT, {"type": "namespace", "namespaces": ["booking", "search", "payments"]})
    result, failed = run(run_module, eks, {"access_policies": [
        {"policy_arn": ADMIN, "access_scope": {"type": "cluster"}},
        {"policy_arn": EDIT, "access_scope": {"type": "namespace", "namespaces": ["booking", "search", "payments"]}},
    ]})
    assert not failed, result
    assert result["changed"] is True
    before = {p["policy_arn"]: p["access_scope"] for p in result["diff"]["before"]["access_policies"]}
    after = {p["policy_arn"]: p["access_scope"] for p in result["diff"]["after"]["access_policies"]}
    assert before[EDIT]["namespaces"] == ["booking", "search"]
    assert after[EDIT]["namespaces"] == ["booking", "payments", "search"]
    assert before[ADMIN] == after[ADMIN]


def test_same_namespaces_in_another_order_make_no_call(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (EDIT, {"type": "namespace", "namespaces": ["search", "booking"]}))
    result, failed = run(run_module, eks, {"access_policies": [
        {"policy_arn": EDIT, "access_scope": {"type": "namespace", "namespaces": ["booking", "search"]}}]})
    assert not failed, result
    assert result["changed"] is False


def test_cluster_scope_narrowed_to_namespaces(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (ADMIN, {"type": "cluster"}))
    associate(stubber, ADMIN, {"type": "namespace", "namespaces": ["booking"]})
    result, failed = run(run_module, eks, {"access_policies": [
        {"policy_arn": ADMIN, "access_scope": {"type": "namespace", "namespaces": ["booking"]}}]})
    assert not failed and result["changed"] is True, result


def test_group_change_updates_the_entry(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry(kubernetesGroups=["viewers"]))
    listed(stubber, (ADMIN, {"type": "cluster"}))
    stubber.add_response("update_access_entry", entry(kubernetesGroups=["ops", "viewers"]),
                         {**KEY, "kubernetesGroups": ["ops", "viewers"]})
    result, failed = run(run_module, eks, {"kubernetes_groups": ["ops", "viewers"]})
    assert not failed, result
    assert result["changed"] is True
    assert result["access_entry"]["kubernetes_groups"] == ["ops", "viewers"]
    assert result["diff"]["before"]["kubernetes_groups"] == ["viewers"]
    assert result["diff"]["after"]["kubernetes_groups"] == ["ops", "viewers"]


def test_username_change_updates_the_entry(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry())
    stubber.add_response("update_access_entry", entry(username="platform-admin"), {**KEY, "username": "platform-admin"})
    result, failed = run(run_module, eks, {"username": "platform-admin", "access_policies": None})
    assert not failed and result["changed"] is True, result


def test_same_groups_in_another_order_make_no_call(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry(kubernetesGroups=["viewers", "ops"]))
    result, failed = run(run_module, eks, {"kubernetes_groups": ["ops", "viewers"], "access_policies": None})
    assert not failed and result["changed"] is False, result


def test_extra_policy_is_disassociated_after_the_associations(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (VIEW, {"type": "cluster"}), (EDIT, {"type": "namespace", "namespaces": ["booking"]}))
    associate(stubber, ADMIN, {"type": "cluster"})
    stubber.add_response("disassociate_access_policy", {}, {**KEY, "policyArn": EDIT})
    stubber.add_response("disassociate_access_policy", {}, {**KEY, "policyArn": VIEW})
    result, failed = run(run_module, eks)
    assert not failed, result
    assert result["changed"] is True
    assert [p["policy_arn"] for p in result["access_policies"]] == [ADMIN]
    assert [p["policy_arn"] for p in result["diff"]["after"]["access_policies"]] == [ADMIN]


def test_extra_policy_is_kept_without_purge(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry())
    listed(stubber, (ADMIN, {"type": "cluster"}), (VIEW, {"type": "cluster"}))
    result, failed = run(run_module, eks, {"purge_access_policies": False})
    assert not failed and result["changed"] is False, result


def test_tags_are_added_and_purged_on_the_entry_arn(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry(tags={"Environment": "staging", "Stale": "x"}))
    stubber.add_response("tag_resource", {}, {"resourceArn": ENTRY_ARN, "tags": {"Environment": "production"}})
    stubber.add_response("untag_resource", {}, {"resourceArn": ENTRY_ARN, "tagKeys": ["Stale"]})
    result, failed = run(run_module, eks, {"access_policies": None})
    assert not failed, result
    assert result["access_entry"]["tags"] == {"Environment": "production"}


def test_type_cannot_change(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry(type="EC2_LINUX"))
    result, failed = run(run_module, eks)
    assert failed, result
    assert "type cannot change" in result["msg"] and "EC2_LINUX -> STANDARD" in result["msg"]


@pytest.mark.parametrize(("policies", "words"), [
    ([{"policy_arn": EDIT, "access_scope": {"type": "namespace"}}], "access_policies[0].access_scope"),
    ([{"policy_arn": ADMIN, "access_scope": {"type": "cluster"}},
      {"policy_arn": VIEW, "access_scope": {"type": "cluster", "namespaces": ["booking"]}}], "access_policies[1].access_scope"),
    ([{"policy_arn": ADMIN, "access_scope": {"type": "cluster"}},
      {"policy_arn": ADMIN, "access_scope": {"type": "namespace", "namespaces": ["x"]}}], "access_policies[1].policy_arn"),
])
def test_bad_scopes_fail_before_any_call(run_module, eks, policies, words):
    # No stubbed response at all: any AWS call would raise instead of this failure.
    result, failed = run(run_module, eks, {"access_policies": policies})
    assert failed, result
    assert words in result["msg"]


def test_check_mode_create_makes_no_write_call(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber)
    result, failed = run(run_module, eks, check=True)
    assert not failed, result
    assert result["changed"] is True and "access_entry" not in result
    assert result["diff"]["after"]["type"] == "STANDARD"
    assert result["diff"]["after"]["access_policies"] == [
        {"policy_arn": ADMIN, "access_scope": {"type": "cluster", "namespaces": []}}]


def test_check_mode_update_makes_no_write_call_and_reports_the_diff(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    describe(stubber, entry(kubernetesGroups=["viewers"], tags={}))
    listed(stubber, (VIEW, {"type": "cluster"}))
    result, failed = run(run_module, eks, {"kubernetes_groups": []}, check=True)
    assert not failed, result
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert {k for k in before if before[k] != after[k]} == {"kubernetes_groups", "access_policies", "tags"}
    assert after["kubernetes_groups"] == [] and after["tags"] == {"Environment": "production"}


def test_throttling_is_retried(run_module, eks, monkeypatch):
    _client, stubber = eks
    offered(stubber)
    monkeypatch.setattr("time.sleep", lambda _s: None)
    stubber.add_client_error("describe_access_entry", service_error_code="ThrottlingException", http_status_code=400)
    describe(stubber, entry())
    listed(stubber, (ADMIN, {"type": "cluster"}))
    result, failed = run(run_module, eks)
    assert not failed and result["changed"] is False, result


def test_delete(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry())
    stubber.add_response("delete_access_entry", {}, KEY)
    result, failed = run(run_module, eks, {"state": "absent"})
    assert not failed, result
    assert result["changed"] is True and result["diff"]["after"] == {}


def test_delete_ignores_the_policy_list_and_a_missing_entry_changes_nothing(run_module, eks):
    _client, stubber = eks
    describe(stubber)
    result, failed = run(run_module, eks, {"state": "absent",
                                           "access_policies": [{"policy_arn": EDIT, "access_scope": {"type": "namespace"}}]})
    assert not failed and result["changed"] is False, result


def test_delete_in_check_mode_makes_no_call(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry())
    result, failed = run(run_module, eks, {"state": "absent"}, check=True)
    assert not failed and result["changed"] is True, result


# Access policies are checked against ListAccessPolicies before any change: EKS's list, not one of ours.
TYPO = f"{PREFIX}AmazonEKSClusterAdminPolcy"


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check-mode"])
def test_a_misspelt_policy_fails_before_any_change_naming_it_and_the_one_meant(run_module, eks, check):
    _client, stubber = eks
    offered(stubber)  # the only call: no describe, no create, no associate
    result, failed = run(run_module, eks, {"access_policies": [{"policy_arn": TYPO, "access_scope": {"type": "cluster"}}]},
                         check=check)
    assert failed, result
    assert f"access_policies[0].policy_arn={TYPO}: not an access policy EKS offers" in result["msg"]
    assert result["msg"].endswith(f"did you mean {ADMIN}?"), result["msg"]


def test_the_policy_at_fault_is_named_by_its_index_and_another_partition_gets_the_offered_arn(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    china = "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    result, failed = run(run_module, eks, {"access_policies": [
        {"policy_arn": ADMIN, "access_scope": {"type": "cluster"}},
        {"policy_arn": china, "access_scope": {"type": "cluster"}}]})
    assert failed, result
    assert f"access_policies[1].policy_arn={china}: not an access policy EKS offers" in result["msg"]
    assert f"did you mean {VIEW}?" in result["msg"]


def test_a_name_unlike_any_offered_fails_without_a_guess(run_module, eks):
    _client, stubber = eks
    offered(stubber)
    other = f"{PREFIX}DatadogClusterAgentAccess"
    result, failed = run(run_module, eks, {"access_policies": [{"policy_arn": other, "access_scope": {"type": "cluster"}}]})
    assert failed and result["msg"].endswith("not an access policy EKS offers (ListAccessPolicies)"), result


def test_a_policy_newer_than_the_collections_list_is_associated(run_module, eks):
    """The module trusts the API: a policy EKS offers that module_utils/eks_access_policies.py does not know."""
    _client, stubber = eks
    newer = f"{PREFIX}AmazonEKSQuantumSchedulerPolicy"
    offered(stubber, (ADMIN, VIEW), (newer,))  # two pages: the second asked with the first's nextToken
    describe(stubber)
    stubber.add_response("create_access_entry", entry(), {**KEY, "type": "STANDARD", "tags": {"Environment": "production"}})
    associate(stubber, newer, {"type": "cluster"})
    result, failed = run(run_module, eks, {"access_policies": [{"policy_arn": newer, "access_scope": {"type": "cluster"}}]})
    assert not failed, result
    assert [p["policy_arn"] for p in result["access_policies"]] == [newer]


def test_an_empty_policy_list_reads_no_access_policies(run_module, eks):
    _client, stubber = eks
    describe(stubber, entry())
    listed(stubber, (VIEW, {"type": "cluster"}))
    stubber.add_response("disassociate_access_policy", {}, {**KEY, "policyArn": VIEW})
    result, failed = run(run_module, eks, {"access_policies": []})
    assert not failed and result["changed"] is True, result
    assert result["access_policies"] == []
